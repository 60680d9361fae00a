"""In-process recent state: an open-addressing hash table in numpy arrays.

36 bytes per slot (8-byte key, 4-byte expiry, 24-byte value) instead of the ~150 bytes a Python
dict entry of the same data costs. The table is rebuilt at 90 % fill to 75 %, so it holds
40-48 bytes per live key and 10 M keys fit in 456 MB (measured by
`bench/validation/throughput.py`). Linear probing, vectorised over a batch; expired entries are
dropped when the table is rebuilt, never by wall-clock time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fairclick.validation.state.base import VALUE_SIZE, Columns, Entry, last_wins

_MAX_FILL = 0.9
_TARGET_FILL = 0.75
_WINDOW = 16
_STEPS = np.arange(_WINDOW, dtype=np.int64)
# Values are held as one 24-byte record per slot: numpy gathers and scatters whole records
# several times faster than rows of a 2-D uint8 array.
_RECORD = np.dtype((np.void, VALUE_SIZE))


def _stable_order(values: np.ndarray, bound: int) -> np.ndarray:
    """`np.argsort(values, kind="stable")` of int64 values in [0, `bound`): one unstable sort
    of value * n + position, several times faster than numpy's stable sort of int64."""
    n = values.size
    if not n or bound * n >= 2**62:
        return np.argsort(values, kind="stable")
    return np.sort(values * n + np.arange(n, dtype=np.int64)) % n


def _records(values: np.ndarray) -> np.ndarray:
    """(n, 24) uint8 rows as n records."""
    return np.ascontiguousarray(values, np.uint8).view(_RECORD).reshape(-1)


class MemoryState:
    """Bounded in-process implementation of `RecentState` (one process; `seq` is ignored
    because a single worker already processes batches in journal order)."""

    def __init__(self, capacity: int = 1 << 16) -> None:
        self._alloc(max(capacity, 1024))
        self.watermark = 0
        self.rebuilds = 0

    def _alloc(self, capacity: int) -> None:
        self.capacity = capacity
        self.keys = np.zeros(capacity, np.uint64)
        self.expires = np.zeros(capacity, np.uint32)
        self.values = np.zeros(capacity, _RECORD)
        self.used = 0

    @property
    def nbytes(self) -> int:
        """Bytes held by the table's arrays."""
        return int(self.keys.nbytes + self.expires.nbytes + self.values.nbytes)

    def __len__(self) -> int:
        return self.used

    def _probe(
        self, keys: np.ndarray, start: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """For each key: its slot if present (found=True), else the first empty slot of its
        chain (found=False). Keys in one call must be distinct. Linear probing, looked at
        `_WINDOW` slots at a time so that long chains at high fill cost few numpy passes.
        `start`: where to resume each chain (a slot known to be on it and not holding it)."""
        capacity, table = self.capacity, self.keys
        pos = (keys % np.uint64(capacity)).astype(np.int64) if start is None else start
        # Most keys stop at their first slot: look at one slot first, then at whole windows.
        current = table[pos]
        found = current == keys
        done = found | (current == 0)
        slot = np.where(done, pos, -1)
        todo = np.flatnonzero(~done)
        at = pos[todo] + 1
        wanted = keys[todo]
        while todo.size:
            at[at >= capacity] -= capacity
            window = at[:, None] + _STEPS
            np.subtract(window, capacity, out=window, where=window >= capacity)
            current = table[window]
            hit = current == wanted[:, None]
            stop = hit | (current == 0)
            first = stop.argmax(axis=1)
            rows = np.arange(todo.size)
            done = stop[rows, first]
            ended = rows[done]
            slot[todo[ended]] = window[ended, first[ended]]
            found[todo[ended]] = hit[ended, first[ended]]
            rest = ~done
            todo, at, wanted = todo[rest], at[rest] + _WINDOW, wanted[rest]
        return slot, found

    def load(self, keys: Sequence[int], seq: int | None = None) -> list[Entry | None]:
        """The entries of `keys` (None when absent)."""
        if not keys:
            return []
        wanted = np.fromiter(keys, np.uint64, len(keys))
        uniq, inverse = np.unique(wanted, return_inverse=True)
        loaded = self.load_columns(uniq)
        hit = np.flatnonzero(loaded.found[inverse])
        rows = inverse[hit]
        expires = loaded.expires[rows].tolist()
        blob = loaded.values[rows].tobytes()
        out: list[Entry | None] = [None] * len(keys)
        for j, (i, exp) in enumerate(zip(hit.tolist(), expires, strict=True)):
            out[i] = (exp, blob[j * VALUE_SIZE : (j + 1) * VALUE_SIZE])
        return out

    def load_columns(self, keys: np.ndarray, seq: int | None = None) -> Columns:
        """The entries of distinct `keys` as columns (one vectorised probe)."""
        if not keys.size:
            return Columns.empty(0)
        slot, found = self._probe(keys.astype(np.uint64, copy=False))
        slots = slot[found]
        expires = np.zeros(keys.size, np.int64)
        expires[found] = self.expires[slots]
        values = np.zeros(keys.size, _RECORD)
        values[found] = self.values[slots]
        return Columns(found, expires, values.view(np.uint8).reshape(-1, VALUE_SIZE))

    def commit(
        self, entries: Sequence[tuple[int, int, bytes]], watermark: int, seq: int | None = None
    ) -> None:
        """Write entries (the last one wins for a repeated key)."""
        keys = np.fromiter((e[0] for e in entries), np.uint64, len(entries))
        exps = np.fromiter((e[1] for e in entries), np.int64, len(entries))
        vals = np.frombuffer(b"".join(e[2] for e in entries), np.uint8)
        self.commit_columns(keys, exps, vals.reshape(-1, VALUE_SIZE), watermark, seq)

    def commit_columns(
        self,
        keys: np.ndarray,
        expires: np.ndarray,
        values: np.ndarray,
        watermark: int,
        seq: int | None = None,
    ) -> None:
        """Write rows (the last one wins for a repeated key)."""
        self.watermark = max(self.watermark, watermark)
        if not keys.size:
            return
        keys, expires, records = last_wins(
            keys.astype(np.uint64, copy=False), expires, _records(values)
        )
        if (self.used + keys.size) > _MAX_FILL * self.capacity:
            self._rebuild(self.used + keys.size)
        self._insert(keys, expires.astype(np.uint32), records)

    def _insert(self, keys: np.ndarray, exps: np.ndarray, vals: np.ndarray) -> None:
        slot, found = self._probe(keys)
        self.keys[slot[found]] = keys[found]
        self.expires[slot[found]] = exps[found]
        self.values[slot[found]] = vals[found]
        new = np.flatnonzero(~found)
        # New keys may want the same empty slot: place one per slot, re-probe the rest.
        while new.size:
            slots = slot[new]
            order = _stable_order(slots, self.capacity)
            first = np.ones(new.size, bool)
            first[1:] = slots[order[1:]] != slots[order[:-1]]
            taken = np.zeros(new.size, bool)
            taken[order[first]] = True
            take = new[taken]
            self.keys[slot[take]] = keys[take]
            self.expires[slot[take]] = exps[take]
            self.values[slot[take]] = vals[take]
            self.used += take.size
            rest = new[~taken]
            if rest.size:
                # Their chains run through the slots just filled: resume there, not from home.
                s2, f2 = self._probe(keys[rest], slot[rest])
                slot[rest] = s2
                assert not f2.any()
            new = rest

    def _rebuild(self, needed: int) -> None:
        """Drop expired entries (by event-time watermark) and resize for `needed` live ones."""
        live = (self.keys != 0) & (self.expires > self.watermark)
        keys, exps, vals = self.keys[live], self.expires[live], self.values[live]
        capacity = max(1024, int((keys.size + needed - self.used) / _TARGET_FILL))
        if capacity < self.capacity and keys.size + needed - self.used < _MAX_FILL * self.capacity:
            capacity = self.capacity  # shrinking would only churn
        self._alloc(capacity)
        self.rebuilds += 1
        if keys.size:
            self._place(keys, exps, vals)

    def _place(self, keys: np.ndarray, exps: np.ndarray, vals: np.ndarray) -> None:
        """Insert distinct keys into an empty table without probing: in order of home slot,
        each key takes the first slot at or after its home past the previous key's slot
        (what linear probing gives; a running maximum). Keys pushed past the end wrap round
        through `_insert`."""
        home = (keys % np.uint64(self.capacity)).astype(np.int64)
        order = _stable_order(home, self.capacity)
        step = np.arange(order.size, dtype=np.int64)
        slot = np.maximum.accumulate(home[order] - step) + step
        inside = slot < self.capacity
        rows, slots = order[inside], slot[inside]
        self.keys[slots] = keys[rows]
        self.expires[slots] = exps[rows]
        self.values[slots] = vals[rows]
        self.used += rows.size
        wrapped = order[~inside]
        if wrapped.size:
            self._insert(keys[wrapped], exps[wrapped], vals[wrapped])

    def close(self) -> None:
        """Nothing to release."""
