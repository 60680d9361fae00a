"""Recent state: the same contract in memory and in Redis (real server), and Redis ordering."""

from __future__ import annotations

import multiprocessing as mp
import random
from collections.abc import Iterator

import pytest

from fairclick.config import load_settings
from fairclick.validation.context import ValidationContext
from fairclick.validation.engine import Validator
from fairclick.validation.enrich.ip import load_fallback_ranges
from fairclick.validation.enrich.ua import UaClassifier
from fairclick.validation.state import MemoryState, RecentState, StateUnavailable, make_state
from fairclick.validation.state.codec import (
    pack_click_id,
    pack_first,
    unpack_click_id,
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
