"""The worker's writes: click rows (idempotent by click id) and per-hour counters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Connection, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from fairclick.clicks.models import Click, ClickCounter
from fairclick.journal.rows import sqlite_ts
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


CLICK_COLUMNS = tuple(column.name for column in clicks.columns)
_JSON_COLUMNS = frozenset({"headers", "reasons", "flags", "evidence"})
_TIME_COLUMNS = frozenset({"ts", "validated_at"})
_EMPTY_JSON: dict[type, str] = {dict: "{}", list: "[]", tuple: "[]"}
_ROWS_PER_STATEMENT = 500  # x 36 columns: under SQLite's 32,766 parameters


@lru_cache(maxsize=_ROWS_PER_STATEMENT + 1)
def _insert_sql(dialect: str, rows: int) -> str:
    if dialect == "sqlite":
        marks = ", ".join("?" for _ in CLICK_COLUMNS)
    else:
        marks = ", ".join(
            "CAST(%s AS jsonb)" if c in _JSON_COLUMNS else "%s" for c in CLICK_COLUMNS
        )
    values = ", ".join(f"({marks})" for _ in range(rows))
    return f"INSERT INTO clicks ({', '.join(CLICK_COLUMNS)}) VALUES {values} ON CONFLICT DO NOTHING"


def insert_clicks(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert click rows (dicts keyed by column); a click id that exists already is skipped
    (idempotent). Plain multi-row SQL: the worker's hottest write, kept off the ORM's type
    machinery (JSON via orjson, SQLite times in SQLAlchemy's own text format)."""
    sqlite_times = conn.dialect.name == "sqlite"
    plain = [c for c in CLICK_COLUMNS if c not in _JSON_COLUMNS and c not in _TIME_COLUMNS]
    for start in range(0, len(rows), _ROWS_PER_STATEMENT):
        chunk = rows[start : start + _ROWS_PER_STATEMENT]
        params: list[Any] = []
        for row in chunk:
            # Converted column by kind, then laid out in table order (a dict per row, not a
            # branch per value: the JSON columns are mostly empty, and dumped once each).
            values = {name: row[name] for name in plain}
            for name in _JSON_COLUMNS:
                value = row[name]
                empty = None if value else _EMPTY_JSON.get(type(value))
                values[name] = empty if empty is not None else orjson.dumps(value).decode()
            for name in _TIME_COLUMNS:
                values[name] = sqlite_ts(row[name]) if sqlite_times else row[name]
            params += [values[name] for name in CLICK_COLUMNS]
        conn.exec_driver_sql(_insert_sql(conn.dialect.name, len(chunk)), tuple(params))


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
