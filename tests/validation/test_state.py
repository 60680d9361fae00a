"""Recent state: the same contract in memory and in Redis (real server), and Redis ordering."""

from __future__ import annotations

import multiprocessing as mp
import random
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairclick.config import load_settings
from fairclick.validation.context import ValidationContext
from fairclick.validation.engine import Validator
from fairclick.validation.enrich.ip import load_fallback_ranges
from fairclick.validation.enrich.ua import UaClassifier
from fairclick.validation.state import (
    MemoryState,
    RecentState,
    StateUnavailable,
    make_state,
    memory,
)
from fairclick.validation.state.base import VALUE_SIZE
from fairclick.validation.state.codec import (
    first_times,
    pack_click_id,
    pack_click_ids,
    pack_counters,
    pack_counters_columns,
    pack_first,
    pack_firsts,
    stored_click_id,
    unpack_click_id,
    unpack_counters,
    unpack_counters_columns,
    unpack_first,
)
from fairclick.validation.state.redis import RedisState

from .clicks import SECRET
from .test_determinism import verdicts, workload


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def state(request: pytest.FixtureRequest) -> Iterator[RecentState]:
    if request.param == "memory":
        yield MemoryState(capacity=1024)
    else:
        url = request.getfixturevalue("redis_url")
        store = RedisState(url, request.getfixturevalue("redis_prefix"))
        yield store
        store.close()


def value(n: int) -> bytes:
    return n.to_bytes(24, "big")


def test_load_and_commit_round_trip(state: RecentState) -> None:
    assert state.load([11, 12]) == [None, None]
    state.commit([(11, 1000, value(1)), (12, 2000, value(2)), (11, 1500, value(3))], 900)
    assert state.load([12, 11, 13]) == [(2000, value(2)), (1500, value(3)), None]


def test_many_keys_survive_growth(state: RecentState) -> None:
    rng = random.Random(3)
    keys = rng.sample(range(1, 2**63), 5000)
    for start in range(0, 5000, 1000):
        state.commit([(k, 10_000, value(k % 1000)) for k in keys[start : start + 1000]], 100)
    loaded = state.load(keys)
    assert all(e == (10_000, value(k % 1000)) for k, e in zip(keys, loaded, strict=True))


def test_columns_round_trip_and_agree_with_lists(state: RecentState) -> None:
    keys = np.array([11, 2**64 - 1, 13, 12], np.uint64)
    values = np.arange(4 * VALUE_SIZE, dtype=np.uint8).reshape(4, VALUE_SIZE)
    state.commit_columns(keys[:2], np.array([1000, 2000]), values[:2], 900)
    # A repeated key: the last row wins, as in `commit`.
    state.commit_columns(
        np.array([13, 13, 11], np.uint64), np.array([5, 6, 1500]), values[[2, 3, 0]], 900
    )
    loaded = state.load_columns(keys)
    assert loaded.found.tolist() == [True, True, True, False]
    assert loaded.expires.tolist() == [1500, 2000, 6, 0]
    assert (loaded.values[:3] == values[[0, 1, 3]]).all() and not loaded.values[3].any()
    as_list = state.load(keys.tolist())
    assert as_list == [
        (1500, values[0].tobytes()),
        (2000, values[1].tobytes()),
        (6, values[3].tobytes()),
        None,
    ]
    empty = state.load_columns(np.zeros(0, np.uint64))
    assert empty.found.size == 0 and empty.values.shape == (0, VALUE_SIZE)


@settings(max_examples=30, deadline=None)
@given(
    batches=st.lists(
        st.lists(st.tuples(st.integers(1, 3000), st.integers(1, 100)), max_size=400),
        min_size=1,
        max_size=6,
    ),
    watermark=st.integers(0, 100),
)
def test_memory_state_is_a_dict_through_growth_and_expiry(
    batches: list[list[tuple[int, int]]], watermark: int
) -> None:
    """Small keys (home slots cluster, chains wrap round the table end) committed in batches
    through rebuilds: what is loaded is what a dict holds, minus entries expired at rebuild."""
    store = MemoryState(capacity=1024)
    model: dict[int, tuple[int, bytes]] = {}
    for rows in batches:
        keys = np.array([k for k, _ in rows], np.uint64)
        exps = np.array([e for _, e in rows], np.int64)
        vals = np.array([[k % 251] * VALUE_SIZE for k, _ in rows], np.uint8).reshape(-1, VALUE_SIZE)
        before = store.rebuilds
        store.commit_columns(keys, exps, vals, watermark)
        if store.rebuilds > before:
            model = {k: e for k, e in model.items() if e[0] > watermark}
        for k, e in rows:
            model[k] = (e, bytes([k % 251] * VALUE_SIZE))
    probe = np.arange(1, 3001, dtype=np.uint64)
    loaded = store.load_columns(probe)
    assert len(store) == len(model)
    for k, found, exp, val in zip(
        probe.tolist(), loaded.found, loaded.expires.tolist(), loaded.values, strict=True
    ):
        assert (k in model) == bool(found)
        if found:
            assert (exp, val.tobytes()) == model[k]


def test_rebuild_places_wrapping_chains() -> None:
    """Keys whose homes are the last slots push their chain past the end of the table."""
    store = MemoryState(capacity=1024)
    keys = np.array([1023 + 1024 * j for j in range(40)] + list(range(1, 600)), np.uint64)
    store._place(keys, np.ones(keys.size, np.uint32), np.zeros(keys.size, memory._RECORD))
    assert len(store) == keys.size
    assert store.load_columns(keys).found.all()
    assert not store.load_columns(np.array([2047 + 1024 * 50, 700], np.uint64)).found.any()


def test_memory_state_drops_entries_expired_by_event_time() -> None:
    store = MemoryState(capacity=1024)
    store.commit([(k, 100, value(k)) for k in range(1, 800)], 50)
    store.commit([(k, 10_000, value(k)) for k in range(1000, 1400)], 5000)  # past 100: rebuild
    assert store.rebuilds >= 1
    assert store.load([5]) == [None] and store.load([1001]) == [(10_000, value(1001))]
    assert len(store) == 400


def test_click_id_packing() -> None:
    for cid in ("01JCZ3T0Y5V8M8Q6ZJ1S7V0ABC", "line:123456", "k00000042"):
        assert unpack_click_id(pack_click_id(cid)) == cid
    assert unpack_first(pack_first(1_763_356_080_000_001, "x1")) == (1_763_356_080_000_001, "x1")


@settings(max_examples=200, deadline=None)
@given(
    ids=st.lists(
        st.one_of(
            st.text(max_size=30),
            st.text("0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghjkmnpqrstvwxyzILOUilou", max_size=27),
            st.from_regex(r"[0-3][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}", fullmatch=True),
        ),
        max_size=20,
    ),
    times=st.lists(st.integers(-(2**63), 2**63 - 1), min_size=20, max_size=20),
)
def test_vectorised_packing_equals_one_by_one(ids: list[str], times: list[int]) -> None:
    packed = pack_click_ids(ids)
    assert packed.shape == (len(ids), 16)
    assert [row.tobytes() for row in packed] == [pack_click_id(c) for c in ids]
    # What the rules read back of a record they wrote, without packing it.
    assert [stored_click_id(c) for c in ids] == [unpack_click_id(pack_click_id(c)) for c in ids]
    ts = np.array(times[: len(ids)], np.int64)
    firsts = pack_firsts(ts, packed)
    assert [row.tobytes() for row in firsts] == [
        pack_first(t, c) for t, c in zip(ts.tolist(), ids, strict=True)
    ]
    assert first_times(firsts).tolist() == ts.tolist()


@given(
    counters=st.lists(
        st.tuples(
            st.integers(-(2**31), 2**31 - 1),
            st.integers(0, 2**32 - 1),
            st.integers(0, 2**32 - 1),
        ),
        min_size=2,
        max_size=20,
    )
)
def test_vectorised_counters_equal_one_by_one(counters: list[tuple[int, int, int]]) -> None:
    a, b = np.array(counters[::2][: len(counters) // 2]), np.array(counters[1::2])
    b = b[: a.shape[0]]
    packed = pack_counters_columns(a, b)
    assert [row.tobytes() for row in packed] == [
        pack_counters(tuple(x), tuple(y)) for x, y in zip(a.tolist(), b.tolist(), strict=True)
    ]
    ua, ub = unpack_counters_columns(packed)
    assert ua.tolist() == a.tolist() and ub.tolist() == b.tolist()
    assert [unpack_counters(row.tobytes()) for row in packed] == [
        (tuple(x), tuple(y)) for x, y in zip(ua.tolist(), ub.tolist(), strict=True)
    ]


def test_make_state_follows_configuration() -> None:
    assert isinstance(make_state(load_settings(redis_url=None)), MemoryState)


def test_redis_failure_is_an_error_not_a_pass() -> None:
    store = RedisState("redis://127.0.0.1:1/0", "fct:none:")
    with pytest.raises(StateUnavailable):
        store.load([1, 2])
    with pytest.raises(StateUnavailable):
        store.commit([(1, 10, value(1))], 5)


@pytest.mark.redis
def test_redis_state_same_verdicts_as_memory(redis_url: str, redis_prefix: str) -> None:
    events = workload(seed=5)
    memory = verdicts(events, batch=64)
    ranges, classifier = load_fallback_ranges(), UaClassifier([])
    validator = Validator(
        secret_key=SECRET,
        state=RedisState(redis_url, redis_prefix),
        ranges=ranges,
        classifier=classifier,
    )
    shared = []
    for seq, start in enumerate(range(0, len(events), 64)):
        shared += validator.validate(events[start : start + 64], ValidationContext(batch_seq=seq))
    assert [(d.click_id, d.verdict, d.reasons) for d in shared] == memory


def _worker(url: str, prefix: str, parity: int, batch: int, out: mp.Queue) -> None:  # type: ignore[type-arg]
    events = workload(seed=9)
    validator = Validator(
        secret_key=SECRET,
        state=RedisState(url, prefix),
        ranges=load_fallback_ranges(),
        classifier=UaClassifier([]),
    )
    results = []
    for seq, start in enumerate(range(0, len(events), batch)):
        if seq % 2 == parity:  # the two workers take alternate batches of the journal
            for d in validator.validate(
                events[start : start + batch], ValidationContext(batch_seq=seq)
            ):
                results.append((d.click_id, d.verdict.value, tuple(r.value for r in d.reasons)))
    out.put(results)


@pytest.mark.redis
def test_two_worker_processes_sharing_redis_are_deterministic(
    redis_url: str, redis_prefix: str
) -> None:
    """Two processes validate alternate batches against one Redis: the verdicts equal a single
    in-memory run's, because batch n reads only after batch n-1 committed."""
    expected = sorted(
        (c, v.value, tuple(r.value for r in rs))
        for c, v, rs in verdicts(workload(seed=9), batch=50)
    )
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [
        ctx.Process(target=_worker, args=(redis_url, redis_prefix, p, 50, out)) for p in (0, 1)
    ]
    for p in procs:
        p.start()
    got = out.get(timeout=120) + out.get(timeout=120)
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    assert sorted(got) == expected
    assert any(v == "invalid" for _, v, _ in got) and any(v == "valid" for _, v, _ in got)


@given(keys=st.lists(st.integers(0, 2**64 - 1), max_size=20), prefix=st.text(max_size=12))
def test_redis_key_names_written_with_numpy_equal_one_by_one(keys: list[int], prefix: str) -> None:
    store = RedisState("redis://127.0.0.1:1/0", prefix)  # no connection is made
    assert store._keys(np.array(keys, np.uint64)) == [store._key(k) for k in keys]
