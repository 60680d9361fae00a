from __future__ import annotations

import base64
import itertools
import os
import random
import time
from types import SimpleNamespace

import pytest

from fairclick.domain import ids
from fairclick.domain.ids import (
    CODE_ALPHABET,
    is_valid_code,
    new_click_id,
    new_code,
    new_token,
    slugify,
)


def test_codes_are_long_random_and_url_safe() -> None:
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) >= 8 and set(c) <= set(CODE_ALPHABET) and is_valid_code(c) for c in codes)


def test_click_ids_are_unique_and_time_ordered() -> None:
    ids = [new_click_id() for _ in range(5000)]
    assert len(set(ids)) == 5000
    assert ids == sorted(ids)


def test_slug() -> None:
    assert slugify("Primaire : où voter") == "primaire-ou-voter"
    assert slugify("!!!") == "campaign"


def _decode(click_id: str) -> int:
    return int(
        click_id.translate(str.maketrans(_CROCKFORD, "0123456789abcdefghijklmnopqrstuv")), 32
    )


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def test_a_click_id_is_the_time_a_sequence_and_a_random_number_in_base32(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Equal to the reference encoding of (ms << 80) | (seq << 64) | random64 (the former
    implementation: `_b32` of the whole 128-bit number)."""
    rng = random.Random(7)
    for name in ("_seq", "_prefix"):  # restored after the test, with `_last_ms`
        monkeypatch.setattr(ids, name, getattr(ids, name))
    monkeypatch.setattr(ids, "_last_ms", 0)
    for _ in range(2000):
        ms = rng.randrange(1 << 48)
        draws = [rng.randrange(1 << 64) for _ in range(rng.choice([1, 3]))]
        monkeypatch.setattr(ids, "time", SimpleNamespace(time_ns=lambda ms=ms: ms * 1_000_000))
        monkeypatch.setattr(ids, "_randoms", iter(draws))
        last = ids._last_ms
        for n, r in enumerate(draws):
            seq = n if ms > last else ids._seq + 1
            expected = ids._b32((max(ms, last) << 80) | ((seq & 0xFFFF) << 64) | r, 26)
            assert new_click_id() == expected
            last = max(ms, last)


def test_click_ids_carry_the_current_millisecond_and_count_within_it() -> None:
    before = time.time_ns() // 1_000_000
    made = [new_click_id() for _ in range(3000)]
    after = time.time_ns() // 1_000_000
    values = [_decode(c) for c in made]
    assert all(len(c) == 26 and set(c) <= set(_CROCKFORD) for c in made)
    assert all(before <= v >> 80 <= after for v in values)
    for previous, value in itertools.pairwise(values):
        if previous >> 80 == value >> 80:
            assert (value >> 64) & 0xFFFF == ((previous >> 64) & 0xFFFF) + 1


def test_a_forked_process_draws_its_own_random_numbers() -> None:
    new_click_id()  # the parent has numbers in store
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, new_click_id()[-13:].encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    assert new_click_id()[-13:] != child


def test_tokens_are_128_random_bits_in_url_safe_base64() -> None:
    tokens = [new_token() for _ in range(1000)]  # several batches
    assert len(set(tokens)) == 1000
    for token in tokens:
        raw = base64.urlsafe_b64decode(token + "==")
        assert len(raw) == 16
        assert base64.urlsafe_b64encode(raw).rstrip(b"=").decode() == token
