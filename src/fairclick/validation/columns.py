"""A batch of clicks as columns: what the engine reads of every click, one list per field.

The platform's doors hand the engine `ClickEvent`s (`ClickColumns.of_events` keeps them); the
audit builds the columns straight from its Polars frame, with no event object per log line
(building one costs more than the engine spends on a line, see `fairclick.audit.events`).
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from itertools import compress
from typing import Any

from fairclick.domain.click import EVENT_DEFAULTS, ClickEvent

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class ClickColumns:
    """The clicks of a batch, row i the i-th click: `ClickEvent`'s fields that the engine
    reads, `ts` as microseconds since the Unix epoch. `events` holds the events the columns
    were taken from (None when built from a frame)."""

    click_id: list[str]
    ts_us: list[int]
    code: list[str]
    method: list[str]
    ip: list[str]
    user_agent: list[str]
    accept_language: list[str]
    headers: list[Mapping[str, str]]
    visitor_id: list[str | None]
    assigned_visitor_id: list[str | None]
    link_id: list[int | None]
    campaign_id: list[int | None]
    influencer_id: list[int | None]
    post_id: list[int | None]
    path: list[str]
    events: list[ClickEvent] | None = None

    def __len__(self) -> int:
        return len(self.click_id)

    @classmethod
    def of_events(cls, events: Sequence[ClickEvent]) -> ClickColumns:
        """The columns of `events` (kept in `events`)."""
        events = list(events)
        return cls(
            click_id=[e.click_id for e in events],
            ts_us=[(e.ts - _EPOCH) // _US for e in events],
            code=[e.code for e in events],
            method=[e.method for e in events],
            ip=[e.ip for e in events],
            user_agent=[e.user_agent for e in events],
            accept_language=[e.accept_language for e in events],
            headers=[e.headers for e in events],
            visitor_id=[e.visitor_id for e in events],
            assigned_visitor_id=[e.assigned_visitor_id for e in events],
            link_id=[e.link_id for e in events],
            campaign_id=[e.campaign_id for e in events],
            influencer_id=[e.influencer_id for e in events],
            post_id=[e.post_id for e in events],
            path=[e.path for e in events],
            events=events,
        )

    @classmethod
    def of_lists(cls, **columns: list[Any]) -> ClickColumns:
        """Columns given by name (`click_id`, `ts_us` and `code` required, equal lengths); the
        others hold `ClickEvent`'s defaults."""
        n = len(columns["click_id"])
        values: dict[str, Any] = {}
        for name in _COLUMNS:
            given = columns.pop(name, None)
            if given is None:
                if name not in _DEFAULTS:
                    raise ValueError(f"column {name} is required")
                given = [_DEFAULTS[name]] * n
            elif len(given) != n:
                raise ValueError(f"column {name} has {len(given)} rows, not {n}")
            values[name] = given
        if columns:
            raise ValueError(f"unknown columns {sorted(columns)}")
        return cls(**values)

    def in_order(self) -> bool:
        """Whether the rows are in event-time order (ts, click_id)."""
        ts, ids = self.ts_us, self.click_id
        after = ts[1:]
        if not all(map(operator.le, ts, after)):
            return False
        # Ties (many in a log with one-second times) compared in C: each tied id with the next.
        tied = list(map(operator.eq, ts, after))
        return all(map(operator.le, compress(ids, tied), compress(ids[1:], tied)))

    def order(self) -> list[int]:
        """The rows sorted by event time (ts, click_id)."""
        ts, ids = self.ts_us, self.click_id
        return sorted(range(len(ts)), key=lambda i: (ts[i], ids[i]))

    def take(self, rows: Sequence[int]) -> ClickColumns:
        """The columns of `rows`, in that order."""
        values: dict[str, Any] = {}
        for f in fields(self):
            column = getattr(self, f.name)
            values[f.name] = None if column is None else [column[i] for i in rows]
        return ClickColumns(**values)


_COLUMNS = tuple(f.name for f in fields(ClickColumns) if f.name != "events")
_DEFAULTS = {name: value for name, value in EVENT_DEFAULTS.items() if name in _COLUMNS}
