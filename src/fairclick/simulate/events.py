"""Generated clicks as columns (numpy arrays) with interned strings and header sets, so that a
million events cost arrays, not a million Python objects, until they are written."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from fairclick.domain.reasons import Reason

REASONS: tuple[Reason, ...] = tuple(Reason)
VALID = -1  # `reason` column value of a valid click


class Table:
    """Interns values (strings, None, header dicts) to small integer ids."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._index: dict[Any, int] = {}

    def id(self, value: Any) -> int:
        key = tuple(sorted(value.items())) if isinstance(value, dict) else value
        found = self._index.get(key)
        if found is None:
            found = self._index[key] = len(self.values)
            self.values.append(value)
        return found


@dataclass(slots=True)
class Tables:
    agents: Table
    headers: Table
    referers: Table
    languages: Table
    kinds: Table

    @classmethod
    def new(cls) -> Tables:
        return cls(Table(), Table(), Table(), Table(), Table())


@dataclass(slots=True)
class Batch:
    """Columns of `n` events; `reason` is VALID or an index into REASONS, `extra` a bitmask of
    secondary reasons (bit i = REASONS[i])."""

    t: np.ndarray  # int64 µs since the epoch, UTC
    link: np.ndarray  # int32
    ip: np.ndarray  # object (str)
    agent: np.ndarray  # int32 → Tables.agents
    headers: np.ndarray  # int32 → Tables.headers
    referer: np.ndarray  # int32 → Tables.referers
    language: np.ndarray  # int32 → Tables.languages
    visitor: np.ndarray  # object (str or None)
    head: np.ndarray  # bool: HEAD instead of GET
    kind: np.ndarray  # int16 → Tables.kinds
    reason: np.ndarray  # int16
    extra: np.ndarray  # int32

    def __len__(self) -> int:
        return int(self.t.shape[0])

    def take(self, index: np.ndarray) -> Batch:
        """The events at `index`, in that order."""
        return Batch(*(getattr(self, f.name)[index] for f in fields(self)))

    @classmethod
    def concat(cls, batches: list[Batch]) -> Batch:
        """All events of `batches`, in order (an empty batch for an empty list)."""
        if not batches:
            return make(
                0,
                t=np.empty(0),
                link=np.empty(0),
                ip=np.empty(0),
                agent=0,
                headers=0,
                referer=0,
                language=0,
                visitor=None,
                kind=0,
                reason=None,
            )
        return cls(*(np.concatenate([getattr(b, f.name) for b in batches]) for f in fields(cls)))


def reason_code(reason: Reason) -> int:
    """Column value for a primary reason."""
    return REASONS.index(reason)


def bit(reason: Reason) -> int:
    """Bitmask of a secondary reason."""
    return 1 << REASONS.index(reason)


def make(
    n: int,
    *,
    t: np.ndarray,
    link: np.ndarray,
    ip: np.ndarray,
    agent: np.ndarray | int,
    headers: np.ndarray | int,
    referer: np.ndarray | int,
    language: np.ndarray | int,
    visitor: np.ndarray | None,
    kind: int,
    reason: Reason | None,
    head: np.ndarray | bool = False,
    extra: np.ndarray | int = 0,
) -> Batch:
    """A batch of `n` events; scalars are broadcast."""

    def col(value: np.ndarray | int | bool, dtype: type) -> np.ndarray:
        return np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy()

    return Batch(
        t=col(t, np.int64),
        link=col(link, np.int32),
        ip=np.asarray(ip, dtype=object).reshape(n),
        agent=col(agent, np.int32),
        headers=col(headers, np.int32),
        referer=col(referer, np.int32),
        language=col(language, np.int32),
        visitor=np.full(n, None, dtype=object) if visitor is None else visitor.astype(object),
        head=col(head, np.bool_),
        kind=col(kind, np.int16),
        reason=col(VALID if reason is None else reason_code(reason), np.int16),
        extra=col(extra, np.int32),
    )


def visitor_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` random first-party visitor ids (32 hex characters)."""
    raw = np.frombuffer(rng.bytes(16 * n).hex().encode(), dtype="S32")
    return raw.astype("U32").astype(object)
