"""The worker's writes: click rows (idempotent by click id) and per-hour counters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Table, select

from fairclick.clicks.models import Click
from fairclick.journal.rows import sqlite_ts
from fairclick.links.models import Link

clicks: Table = Click.__table__  # type: ignore[assignment]
links: Table = Link.__table__  # type: ignore[assignment]


def existing_click_ids(conn: Connection, click_ids: Sequence[str]) -> set[str]:
    """Which of `click_ids` already have a click row."""
    found: set[str] = set()
    for start in range(0, len(click_ids), 900):
        chunk = list(click_ids[start : start + 900])
        found.update(conn.scalars(select(clicks.c.click_id).where(clicks.c.click_id.in_(chunk))))
    return found


CLICK_COLUMNS = tuple(column.name for column in clicks.columns)
_JSON_COLUMNS = frozenset({"headers", "reasons", "flags", "evidence"})
_ROWS_PER_STATEMENT = 500  # x 35 columns: PostgreSQL's multi-row insert, a statement per chunk
_COUNTER_COLUMNS = ("scope", "scope_id", "hour", "slot", "raw", "valid", "invalid", "billed_minor")


def _same(ts: datetime) -> datetime:
    return ts


def time_param(dialect: str) -> Callable[[datetime], Any]:
    """How a UTC time column's value is handed to `dialect`'s driver by `insert_clicks` (on
    SQLite the text SQLAlchemy stores, so that rows written here read back through the ORM)."""
    return sqlite_ts if dialect == "sqlite" else _same


@lru_cache(maxsize=64)
def _insert_sql(dialect: str, columns: tuple[str, ...], rows: int) -> str:
    if dialect == "sqlite":
        marks = ", ".join("?" for _ in columns)
    else:
        marks = ", ".join("CAST(%s AS jsonb)" if c in _JSON_COLUMNS else "%s" for c in columns)
    values = ", ".join(f"({marks})" for _ in range(rows))
    return f"INSERT INTO clicks ({', '.join(columns)}) VALUES {values} ON CONFLICT DO NOTHING"


def insert_clicks(conn: Connection, columns: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> int:
    """Insert click rows given as driver values in `columns` order (JSON columns as JSON text,
    times as `time_param` gives them) and return how many were inserted: a row that conflicts
    with one already there (same click id, seq or external id) is skipped. Plain SQL on the
    driver's cursor: the worker's hottest write, kept off SQLAlchemy's per-value processing."""
    if not rows:
        return 0
    dialect = conn.dialect.name
    cursor = conn.connection.cursor()
    try:
        if dialect == "sqlite":
            cursor.executemany(_insert_sql(dialect, columns, 1), rows)
            return int(cursor.rowcount)
        inserted = 0
        for start in range(0, len(rows), _ROWS_PER_STATEMENT):
            chunk = rows[start : start + _ROWS_PER_STATEMENT]
            cursor.execute(
                _insert_sql(dialect, columns, len(chunk)), tuple(chain.from_iterable(chunk))
            )
            inserted += cursor.rowcount
        return inserted
    finally:
        cursor.close()


@lru_cache(maxsize=2)
def _add_counts_sql(dialect: str) -> str:
    mark = "?" if dialect == "sqlite" else "%s"
    names = ", ".join(_COUNTER_COLUMNS)
    added = ", ".join(
        f"{name} = click_counters.{name} + excluded.{name}"
        for name in ("raw", "valid", "invalid", "billed_minor")
    )
    return (
        f"INSERT INTO click_counters ({names}) VALUES ({', '.join(mark for _ in _COUNTER_COLUMNS)})"
        f" ON CONFLICT (scope, scope_id, hour, slot) DO UPDATE SET {added}"
    )


def add_counts(
    conn: Connection, rows: Sequence[tuple[str, int, datetime, int, int, int, int, int]]
) -> None:
    """Add `raw`, `valid`, `invalid` and `billed_minor` to the (scope, id, hour, slot) rows;
    each row is those eight values in that order (`hour` an aware UTC datetime)."""
    if not rows:
        return
    dialect = conn.dialect.name
    to_time = time_param(dialect)
    params = [(s, i, to_time(h), slot, *added) for s, i, h, slot, *added in rows]
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(_add_counts_sql(dialect), params)
    finally:
        cursor.close()


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
