"""The worker's writes: click rows (idempotent by click id) and per-hour counters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from fairclick.clicks.models import Click, ClickCounter
from fairclick.links.models import Link

clicks: Table = Click.__table__  # type: ignore[assignment]
counters: Table = ClickCounter.__table__  # type: ignore[assignment]
links: Table = Link.__table__  # type: ignore[assignment]


def _insert(conn: Connection, table: Any) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def existing_click_ids(conn: Connection, click_ids: Sequence[str]) -> set[str]:
    """Which of `click_ids` already have a click row."""
    found: set[str] = set()
    for start in range(0, len(click_ids), 900):
        chunk = list(click_ids[start : start + 900])
        found.update(conn.scalars(select(clicks.c.click_id).where(clicks.c.click_id.in_(chunk))))
    return found


def insert_clicks(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert click rows; a click id that exists already is skipped (idempotent)."""
    if rows:
        conn.execute(_insert(conn, clicks).on_conflict_do_nothing(), list(rows))


def add_counts(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Add `raw`, `valid`, `invalid` and `billed_minor` to the (scope, id, hour, slot) rows."""
    if not rows:
        return
    stmt = _insert(conn, counters)
    stmt = stmt.on_conflict_do_update(
        index_elements=["scope", "scope_id", "hour", "slot"],
        set_={
            name: counters.c[name] + stmt.excluded[name]
            for name in ("raw", "valid", "invalid", "billed_minor")
        },
    )
    conn.execute(stmt, list(rows))


def link_facts(conn: Connection, link_ids: set[int]) -> dict[int, tuple[str | None, bool]]:
    """Network and whether it is disabled, per link id (what billing needs besides the click)."""
    facts: dict[int, tuple[str | None, bool]] = {}
    ids = sorted(link_ids)
    for start in range(0, len(ids), 900):
        query = select(links.c.id, links.c.network, links.c.disabled_at).where(
            links.c.id.in_(ids[start : start + 900])
        )
        for link_id, network, disabled_at in conn.execute(query):
            facts[link_id] = (network, disabled_at is not None)
    return facts


def hour_of(ts: datetime) -> datetime:
    """The hour a click counts in (event time, UTC)."""
    return ts.replace(minute=0, second=0, microsecond=0)
