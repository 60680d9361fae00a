"""Shared recent state in Redis: one MGET per batch, one script call (atomic) per commit.

Key layout under a configurable prefix: `<prefix>s:<16 hex>` holds 4 bytes of event-time
expiry + the 24-byte value, with a Redis TTL (garbage collection only: validity is always
checked against event time); `<prefix>seq` is the number of the next batch allowed to read.

Unlike a rate limiter, dedupe must not "fail open": letting clicks through unchecked when Redis
is down would bill duplicates. Every Redis error becomes `StateUnavailable`, which the worker
treats as "retry this batch later" (ADR 0402).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import redis

from fairclick.validation.state.base import VALUE_SIZE, Columns, Entry, StateUnavailable, last_wins

_GRACE_SECONDS = 3600
_HEX_ASCII = np.frombuffer(b"0123456789abcdef", np.uint8)
_NIBBLE_SHIFTS = np.arange(60, -4, -4, dtype=np.uint64)
# A commit: SET each key with its value and TTL, then (flag "1") the next batch number, all
# atomically (a script runs alone, as MULTI/EXEC would). ARGV: flag, value1, ttl1, …, [seq+1].
_COMMIT = """
local n = #KEYS
if ARGV[1] == '1' then n = n - 1 end
for i = 1, n do
  redis.call('SET', KEYS[i], ARGV[2 * i], 'EX', ARGV[2 * i + 1])
end
if ARGV[1] == '1' then redis.call('SET', KEYS[n + 1], ARGV[2 * n + 2]) end
return n
"""


class RedisState:
    """`RecentState` shared by every worker that uses the same Redis and prefix."""

    def __init__(self, url: str, prefix: str = "fairclick:v:", wait_timeout: float = 30.0) -> None:
        self.prefix = prefix
        self.wait_timeout = wait_timeout
        try:
            self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
            self._commit_script = self.client.register_script(_COMMIT)
        except (ValueError, redis.RedisError) as exc:
            raise StateUnavailable(f"bad Redis URL for the validation state: {exc}") from None

    def _key(self, key: int) -> bytes:
        return f"{self.prefix}s:{key:016x}".encode()

    def _keys(self, keys: np.ndarray) -> list[bytes]:
        """`_key` of every key, the hex digits written with numpy."""
        n = keys.size
        head = f"{self.prefix}s:".encode()
        width = len(head) + 16
        names = np.empty((n, width), np.uint8)
        names[:, : len(head)] = np.frombuffer(head, np.uint8)
        nibbles = keys.astype(np.uint64)[:, None] >> _NIBBLE_SHIFTS
        names[:, len(head) :] = _HEX_ASCII[(nibbles & np.uint64(15)).astype(np.intp)]
        blob = names.tobytes()
        return [blob[at : at + width] for at in range(0, n * width, width)]

    @property
    def seq_key(self) -> str:
        """The key holding the number of the next batch allowed to read."""
        return self.prefix + "seq"

    def load(self, keys: Sequence[int], seq: int | None = None) -> list[Entry | None]:
        """MGET of every key, after waiting (with `seq`) for batch seq-1 to have committed."""
        out: list[Entry | None] = []
        for item in self._mget(keys, seq):
            if item is None or len(item) != 4 + VALUE_SIZE:
                out.append(None)
            else:
                out.append((int.from_bytes(item[:4], "big"), bytes(item[4:])))
        return out

    def load_columns(self, keys: np.ndarray, seq: int | None = None) -> Columns:
        """`load` as columns: one MGET, the answers decoded with numpy."""
        raw = self._mget_names(self._keys(keys), seq)
        out = Columns.empty(len(raw))
        size = 4 + VALUE_SIZE
        good, items = [], []
        for i, item in enumerate(raw):
            if item is not None and len(item) == size:
                good.append(i)
                items.append(item)
        if good:
            rows = np.frombuffer(b"".join(items), np.uint8).reshape(-1, size)
            out.found[good] = True
            out.expires[good] = rows[:, :4].copy().view(">u4")[:, 0]
            out.values[good] = rows[:, 4:]
        return out

    def _mget(self, keys: Sequence[int], seq: int | None) -> list[bytes | None]:
        return self._mget_names([self._key(k) for k in keys], seq)

    def _mget_names(self, names: list[bytes], seq: int | None) -> list[bytes | None]:
        try:
            if seq is not None:
                self._wait_turn(seq)
            if not names:
                return []
            return self.client.mget(names)
        except redis.RedisError as exc:
            raise StateUnavailable(f"Redis validation state unavailable: {exc}") from None

    def _wait_turn(self, seq: int) -> None:
        deadline = time.monotonic() + self.wait_timeout
        delay = 0.001
        while True:
            current = self.client.get(self.seq_key)
            turn = int(current) if current is not None else 0
            if turn == seq:
                return
            if turn > seq:
                raise StateUnavailable(
                    f"batch {seq} comes after batch {turn - 1} was committed: out of order"
                )
            if time.monotonic() > deadline:
                raise StateUnavailable(f"batch {seq} waited too long for batch {turn}")
            time.sleep(delay)
            delay = min(delay * 2, 0.05)

    def commit(
        self, entries: Sequence[tuple[int, int, bytes]], watermark: int, seq: int | None = None
    ) -> None:
        """SET every entry with a TTL of its remaining event-time life, and (with `seq`) move
        the turn to seq+1, in one atomic script."""
        keys = np.fromiter((e[0] for e in entries), np.uint64, len(entries))
        exps = np.fromiter((e[1] for e in entries), np.int64, len(entries))
        vals = np.frombuffer(b"".join(e[2] for e in entries), np.uint8).reshape(-1, VALUE_SIZE)
        self.commit_columns(keys, exps, vals, watermark, seq)

    def commit_columns(
        self,
        keys: np.ndarray,
        expires: np.ndarray,
        values: np.ndarray,
        watermark: int,
        seq: int | None = None,
    ) -> None:
        """`commit` of columns (the last row wins for a repeated key): one script call whose
        arguments are built with numpy, instead of one pipelined command object per key."""
        keys, expires, values = last_wins(keys, expires, values)
        n = keys.size
        stored = np.empty((n, 4 + VALUE_SIZE), np.uint8)
        stored[:, :4] = expires.astype(">u4").view(np.uint8).reshape(n, 4)
        stored[:, 4:] = values
        blob = stored.tobytes()
        size = 4 + VALUE_SIZE
        ttls = (np.maximum(1, expires - watermark) + _GRACE_SECONDS).tolist()
        args: list[bytes | int] = [b"0" if seq is None else b"1"]
        args += [b""] * (2 * n)
        args[1::2] = [blob[at : at + size] for at in range(0, n * size, size)]
        args[2::2] = ttls
        names = self._keys(keys)
        if seq is not None:
            names.append(self.seq_key.encode())
            args.append(seq + 1)
        try:
            self._commit_script(keys=names, args=args)
        except redis.RedisError as exc:
            raise StateUnavailable(f"Redis validation state unavailable: {exc}") from None

    def reset_sequence(self, seq: int = 0) -> None:
        """Set the next batch number (a worker starting from a journal position)."""
        try:
            self.client.set(self.seq_key, seq)
        except redis.RedisError as exc:
            raise StateUnavailable(f"Redis validation state unavailable: {exc}") from None

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()
