"""Telling every redirect process that links or campaigns changed (the link cache reloads)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fairclick.redirect.models import CacheVersion

LINKS_CACHE = "links"


def touch_link_cache(session: Session) -> None:
    """Bump the link-cache version inside the caller's transaction: once it commits, every
    redirect process (polling the row) drops its cached links within a second."""
    bumped = session.execute(
        update(CacheVersion)
        .where(CacheVersion.name == LINKS_CACHE)
        .values(version=CacheVersion.version + 1)
    )
    if getattr(bumped, "rowcount", 0) == 0 and (
        session.scalar(select(CacheVersion.name).where(CacheVersion.name == LINKS_CACHE)) is None
    ):
        session.add(CacheVersion(name=LINKS_CACHE, version=1))
        session.flush()
