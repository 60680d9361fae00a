"""The in-process link cache: code → what the redirect needs, loaded with plain SQL.

Entries are loaded at start (up to `max_entries`) and on a miss; unknown codes are cached too,
so that a scan of random codes does not reach the database each time. Every process polls the
`cache_versions` row (bumped by the link and campaign services) about once a second and drops
its copy when it changed; a full reload every `ttl` seconds is the backstop for changes made
behind the services' back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, text

from fairclick.redirect.invalidation import LINKS_CACHE
from fairclick.store.base import UTCDateTime

_SELECT = """
SELECT l.code, l.id, l.campaign_id, l.influencer_id, p.id AS post_id, l.target_url,
       c.status, c.fallback_url, c.start_at, c.end_at
FROM links l JOIN campaigns c ON c.id = l.campaign_id LEFT JOIN posts p ON p.link_id = l.id
"""
_BY_CODE = text(_SELECT + " WHERE l.code = :code").columns(
    start_at=UTCDateTime(), end_at=UTCDateTime()
)
_VERSION = text("SELECT version FROM cache_versions WHERE name = :name")
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


def safe_location(url: str | None) -> bytes | None:
    """`url` as a Location header value, or None when it is not an absolute http(s) URL.

    Destinations come from the database, never from the request; this is the last guard that
    no control character (CR/LF: header injection) or odd scheme reaches a response header."""
    if not url or not url.startswith(("https://", "http://")):
        return None
    encoded = quote(url, safe=_URL_SAFE)  # non-ASCII and spaces become %XX; CR/LF too
    if any(ord(ch) < 0x21 or ord(ch) > 0x7E for ch in encoded):
        return None
    return encoded.encode("ascii")


@dataclass(frozen=True, slots=True)
class CachedLink:
    """What the redirect needs to answer a code without the ORM."""

    link_id: int
    campaign_id: int
    influencer_id: int
    post_id: int | None
    target: str | None
    """`safe_location` of the link's destination (printable ASCII), None when unusable."""
    fallback: str | None
    campaign_status: str
    start_at: datetime
    end_at: datetime

    def running(self, at: datetime) -> bool:
        """Whether the campaign takes clicks at `at` (active and inside its dates)."""
        return self.campaign_status == "active" and self.start_at <= at < self.end_at


def _text(location: bytes | None) -> str | None:
    return location.decode("ascii") if location is not None else None


def _entry(row: Any) -> CachedLink:
    return CachedLink(
        link_id=row.id,
        campaign_id=row.campaign_id,
        influencer_id=row.influencer_id,
        post_id=row.post_id,
        target=_text(safe_location(row.target_url)),
        fallback=_text(safe_location(row.fallback_url)),
        campaign_status=row.status,
        start_at=row.start_at,
        end_at=row.end_at,
    )


class LinkCache:
    """Code → `CachedLink` (or None for an unknown code), bounded, invalidated by version."""

    def __init__(self, engine: Engine, *, max_entries: int = 500_000, ttl: float = 300.0) -> None:
        self._engine = engine
        self._max = max_entries
        self._ttl = ttl
        self._entries: dict[str, CachedLink | None] = {}
        self._version: int | None = None
        self._loaded_at = 0.0
        self.misses = 0

    def get(self, code: str) -> CachedLink | None:
        """The link for `code` (a database read on a miss; unknown codes are remembered)."""
        try:
            return self._entries[code]
        except KeyError:
            pass
        self.misses += 1
        with self._engine.connect() as conn:
            row = conn.execute(_BY_CODE, {"code": code}).first()
        entry = _entry(row) if row is not None else None
        if len(self._entries) >= self._max:
            self._entries = {}
        self._entries[code] = entry
        return entry

    def load(self) -> int:
        """Replace the cache with every link (up to `max_entries`) and note the version."""
        version = self.current_version()
        entries: dict[str, CachedLink | None] = {}
        query = text(_SELECT + " ORDER BY l.id LIMIT :n").columns(
            start_at=UTCDateTime(), end_at=UTCDateTime()
        )
        with self._engine.connect() as conn:
            for row in conn.execute(query, {"n": self._max}):
                entries[row.code] = _entry(row)
        self._entries = entries  # one assignment: readers see the old or the new dict
        self._version = version
        self._loaded_at = time.monotonic()
        return len(entries)

    def current_version(self) -> int:
        """The version in the database (0 before any change)."""
        with self._engine.connect() as conn:
            return int(conn.scalar(_VERSION, {"name": LINKS_CACHE}) or 0)

    def refresh_if_stale(self) -> bool:
        """Reload when the version moved or the TTL passed; True when it reloaded. Safe to call
        from a thread other than the readers'."""
        if (
            self.current_version() != self._version
            or time.monotonic() - self._loaded_at > self._ttl
        ):
            self.load()
            return True
        return False

    def __len__(self) -> int:
        return len(self._entries)
