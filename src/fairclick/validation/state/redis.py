"""Shared recent state in Redis: one MGET per batch, one MULTI/EXEC pipeline per commit.

Key layout under a configurable prefix: `<prefix>s:<16 hex>` holds 4 bytes of event-time
expiry + the 24-byte value, with a Redis TTL (garbage collection only: validity is always
checked against event time); `<prefix>seq` is the number of the next batch allowed to read.

Unlike a rate limiter, dedupe must not "fail open": letting clicks through unchecked when Redis
is down would bill duplicates. Every Redis error becomes `StateUnavailable`, which the worker
treats as "retry this batch later" (ADR 0402).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

import numpy as np
import redis

from fairclick.validation.state.base import VALUE_SIZE, Columns, Entry, StateUnavailable, last_wins

_GRACE_SECONDS = 3600


class RedisState:
    """`RecentState` shared by every worker that uses the same Redis and prefix."""

    def __init__(self, url: str, prefix: str = "fairclick:v:", wait_timeout: float = 30.0) -> None:
        self.prefix = prefix
        self.wait_timeout = wait_timeout
        try:
            self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        except (ValueError, redis.RedisError) as exc:
            raise StateUnavailable(f"bad Redis URL for the validation state: {exc}") from None

    def _key(self, key: int) -> bytes:
        return f"{self.prefix}s:{key:016x}".encode()

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
        raw = self._mget(keys.tolist(), seq)
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
        try:
            if seq is not None:
                self._wait_turn(seq)
            if not keys:
                return []
            return self.client.mget([self._key(k) for k in keys])
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
        the turn to seq+1, in one transaction."""
        self._commit(entries, watermark, seq)

    def commit_columns(
        self,
        keys: np.ndarray,
        expires: np.ndarray,
        values: np.ndarray,
        watermark: int,
        seq: int | None = None,
    ) -> None:
        """`commit` of columns (the last row wins for a repeated key)."""
        keys, expires, values = last_wins(keys, expires, values)
        blob = values.tobytes()
        rows = zip(keys.tolist(), expires.tolist(), range(0, len(blob), VALUE_SIZE), strict=True)
        self._commit(((k, e, blob[at : at + VALUE_SIZE]) for k, e, at in rows), watermark, seq)

    def _commit(
        self, entries: Iterable[tuple[int, int, bytes]], watermark: int, seq: int | None
    ) -> None:
        try:
            pipe = self.client.pipeline(transaction=True)
            for key, expires, value in entries:
                ttl = max(1, expires - watermark) + _GRACE_SECONDS
                pipe.set(self._key(key), expires.to_bytes(4, "big") + value, ex=ttl)
            if seq is not None:
                pipe.set(self.seq_key, seq + 1)
            pipe.execute()
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
