"""Recent state (dedupe windows, rate counters) behind one interface, expiring by event time.

The validator reads every key a batch needs at once (`load`), works on that snapshot in
event-time order, and writes what changed at once (`commit`). Keys are 64-bit hashes; values are
fixed 24-byte records encoded by the rules (`codec.py`); each entry carries its expiry in
event-time seconds, so a replay of an old log expires entries exactly as the live path did.

Two forms of the same contract: `load`/`commit` over Python lists (one entry at a time), and
`load_columns`/`commit_columns` over numpy columns (what the engine uses: no per-key objects).

Ordering between processes: a batch may carry a sequence number. A shared implementation makes
batch n's `load` wait until batch n-1 has committed, so several workers on several machines
produce the verdicts one process would (determinism). A failing store raises
`StateUnavailable`: the worker retries the batch; it never validates without state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import numpy as np

VALUE_SIZE = 24
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # expiry seconds are counted from here (fits uint32)

Entry = tuple[int, bytes]  # (expires_at in event-time seconds since EPOCH, 24-byte value)


class StateUnavailable(RuntimeError):
    """The shared state store cannot be reached or answered wrongly; retry the batch later."""


@dataclass(frozen=True, slots=True)
class Columns:
    """Entries as columns, row i for key i: `found` (bool), `expires` (int64 event-time seconds,
    0 where not found) and `values` (uint8, one 24-byte row per key, zeros where not found)."""

    found: np.ndarray
    expires: np.ndarray
    values: np.ndarray

    @classmethod
    def empty(cls, n: int) -> Columns:
        """`n` rows, none found."""
        return cls(np.zeros(n, bool), np.zeros(n, np.int64), np.zeros((n, VALUE_SIZE), np.uint8))


class RecentState(Protocol):
    """Key/value entries with event-time expiry, read and written a batch at a time."""

    def load(self, keys: Sequence[int], seq: int | None = None) -> list[Entry | None]:
        """The entries of `keys` (None when absent). With `seq`, waits for batch seq-1's commit.
        Entries may be returned although expired: callers compare with the click's time."""
        ...

    def commit(
        self, entries: Sequence[tuple[int, int, bytes]], watermark: int, seq: int | None = None
    ) -> None:
        """Write (key, expires_at, value) entries; `watermark` is the batch's latest event time
        (seconds since EPOCH) below which entries may be dropped. With `seq`, marks batch seq
        done, atomically with the writes."""
        ...

    def load_columns(self, keys: np.ndarray, seq: int | None = None) -> Columns:
        """`load` for distinct uint64 `keys`, as columns in the order of `keys`."""
        ...

    def commit_columns(
        self,
        keys: np.ndarray,
        expires: np.ndarray,
        values: np.ndarray,
        watermark: int,
        seq: int | None = None,
    ) -> None:
        """`commit` of uint64 `keys` with int64 `expires` and (n, 24) uint8 `values` (the last
        row wins for a repeated key)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def sorted_distinct(keys: np.ndarray) -> np.ndarray:
    """The distinct values of `keys`, sorted (a sort and a mask: cheaper than `np.unique`)."""
    ordered = np.sort(keys)
    if ordered.size < 2:
        return ordered
    keep = np.empty(ordered.size, bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def contains(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Whether each of `keys` is in the sorted array `sorted_keys`."""
    if not sorted_keys.size:
        return np.zeros(keys.size, bool)
    at = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    return sorted_keys[at] == keys


def last_wins(
    keys: np.ndarray, expires: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows of distinct keys, keeping the last row of a repeated key (as a commit would)."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    repeated = ordered[1:] == ordered[:-1]
    if not repeated.any():
        return keys, expires, values
    last = np.ones(keys.size, bool)
    last[:-1] = ~repeated  # the last row of each run of equal keys (stable: the latest)
    rows = np.sort(order[last])  # commit order kept: reproducible tables
    return keys[rows], expires[rows], values[rows]


def state_key(kind: str, *parts: str) -> int:
    """A stable 64-bit key for (kind, parts); never 0 (0 marks an empty slot)."""
    digest = hashlib.blake2b("\x1f".join((kind, *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") or 1


def event_seconds(ts: datetime) -> int:
    """Whole seconds since EPOCH of an aware datetime (event time)."""
    return int((ts - EPOCH).total_seconds())
