"""The click event: what the redirect journals and every door (live, ingest, audit) validates."""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import repeat
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ClickEvent:
    """One request to a tracked link, as received (DESIGN.md, click record).

    `ip` is the raw client address: it lives only in the journal and is purged after the
    retention period; everything downstream keeps `ip_prefix` (/24 or /48) and a keyed hash.
    `headers` holds the other request headers the validator reads (client hints, `sec-fetch-*`,
    `purpose`, `sec-purpose`, `x-purpose`, `x-moz`, `via`, `from`…) with lower-case names.
    `visitor_id` is the first-party cookie the client presented (None when it had none);
    `assigned_visitor_id` is the id the response set because there was none.
    Link/campaign/influencer/post ids are resolved by the redirect (None when the code is unknown
    or when the event comes from a log with no platform around it).
    """

    click_id: str
    ts: datetime
    code: str
    method: str = "GET"
    ip: str = ""
    user_agent: str = ""
    referer: str = ""
    accept_language: str = ""
    headers: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    visitor_id: str | None = None
    assigned_visitor_id: str | None = None
    external_id: str | None = None
    link_id: int | None = None
    campaign_id: int | None = None
    influencer_id: int | None = None
    post_id: int | None = None
    status: int = 302
    path: str = ""

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready dict (ts as RFC 3339 with microseconds)."""
        return {
            "click_id": self.click_id,
            "ts": self.ts.isoformat(timespec="microseconds"),
            "code": self.code,
            "method": self.method,
            "ip": self.ip,
            "user_agent": self.user_agent,
            "referer": self.referer,
            "accept_language": self.accept_language,
            "headers": dict(self.headers),
            "visitor_id": self.visitor_id,
            "assigned_visitor_id": self.assigned_visitor_id,
            "external_id": self.external_id,
            "link_id": self.link_id,
            "campaign_id": self.campaign_id,
            "influencer_id": self.influencer_id,
            "post_id": self.post_id,
            "status": self.status,
            "path": self.path,
        }


# Many events at once (a journal batch, an audit chunk): a frozen dataclass's `__init__` sets
# each of its eighteen fields through `object.__setattr__`, about 6 µs per event. The slots' own
# descriptors set them instead, one field at a time over the whole batch (C-level `map`), which
# gives equal objects for about a third of that.
_FIELDS = dataclasses.fields(ClickEvent)
# Each slot's descriptor sets the value without going through the frozen `__setattr__`.
_SETTERS: dict[str, Callable[[ClickEvent, Any], None]] = {
    f.name: ClickEvent.__dict__[f.name].__set__ for f in _FIELDS
}
_REQUIRED = frozenset(
    f.name
    for f in _FIELDS
    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
)


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    return f.default_factory()  # type: ignore[operator]


EVENT_DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {f.name: _default(f) for f in _FIELDS if f.name not in _REQUIRED}
)
"""`ClickEvent`'s default per optional field. They are immutable (None, numbers, strings, an
empty read-only mapping): one value can be shared by every event of a batch, as `__init__`
itself shares `_EMPTY`."""


def build_events(columns: Mapping[str, Iterable[Any]], n: int) -> list[ClickEvent]:
    """`n` events from columns named like `ClickEvent`'s fields (each of length `n`); fields
    without a column get their default. Equal to `ClickEvent(**row)` for each row."""
    missing = _REQUIRED - set(columns)
    if missing:
        raise ValueError(f"events need the columns {sorted(missing)}")
    events: list[ClickEvent] = list(map(ClickEvent.__new__, repeat(ClickEvent, n)))
    for f in _FIELDS:
        values = columns.get(f.name)
        setter = _SETTERS[f.name]
        deque(map(setter, events, repeat(EVENT_DEFAULTS[f.name]) if values is None else values), 0)
    return events


@dataclass(frozen=True, slots=True)
class BillableClick:
    """A valid click on a running campaign, handed by the validator worker to billing."""

    click_id: str
    ts: datetime
    campaign_id: int
    influencer_id: int
    link_id: int
    network: str | None
    country: str | None
    link_disabled: bool = False
