"""Journal rows as plain tuples and the plain SQL that appends them (no ORM on the hot path).

The redirect builds one `JournalRow` per request; the group-commit writer and ingest append
them with `executemany`, `ON CONFLICT DO NOTHING` making a re-append of a click id (or of an
ingested external id) a no-op.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

import orjson

from fairclick.domain.click import ClickEvent

COLUMNS = (
    "click_id",
    "ts",
    "source",
    "code",
    "path",
    "method",
    "status",
    "ip",
    "user_agent",
    "referer",
    "accept_language",
    "headers",
    "visitor_id",
    "assigned_visitor_id",
    "external_id",
    "link_id",
    "campaign_id",
    "influencer_id",
    "post_id",
    "campaign_active",
)


READ_COLUMNS = ("seq", *COLUMNS)


class JournalRow(NamedTuple):
    """One journal entry before it is written (field order = `COLUMNS`)."""

    click_id: str
    ts: datetime
    source: str
    code: str
    path: str
    method: str
    status: int
    ip: str
    user_agent: str
    referer: str
    accept_language: str
    headers: dict[str, str]
    visitor_id: str | None
    assigned_visitor_id: str | None
    external_id: str | None
    link_id: int | None
    campaign_id: int | None
    influencer_id: int | None
    post_id: int | None
    campaign_active: bool


Params = tuple[Any, ...]
"""A row as the INSERT's parameters for one dialect (`to_params`)."""

ROWS_PER_STATEMENT = 500  # 500 x 20 parameters stays under SQLite's 32,766


@lru_cache(maxsize=ROWS_PER_STATEMENT + 1)
def insert_sql(dialect: str, rows: int = 1) -> str:
    """The INSERT statement of `rows` rows for `dialect` (`sqlite` or `postgresql`) in its
    DB-API paramstyle. Several rows per statement: one call into the driver per group, so that
    the writer thread releases and re-takes the GIL once per group, not once per row."""
    names = ", ".join(COLUMNS)
    if dialect == "sqlite":
        marks = ", ".join("?" for _ in COLUMNS)
    else:
        marks = ", ".join("CAST(%s AS jsonb)" if c == "headers" else "%s" for c in COLUMNS)
    values = ", ".join(f"({marks})" for _ in range(rows))
    return f"INSERT INTO journal ({names}) VALUES {values} ON CONFLICT DO NOTHING"


def sqlite_ts(ts: datetime) -> str:
    """How SQLAlchemy stores an aware UTC datetime in SQLite (naive UTC text, microseconds),
    so that rows written with plain SQL read back through the ORM unchanged."""
    if ts.tzinfo is not UTC:
        ts = ts.astimezone(UTC)
    return ts.replace(tzinfo=None).isoformat(" ", "microseconds")


def headers_json(headers: dict[str, str]) -> str:
    """The `headers` column's value (JSON text; `{}` without a call for the common case)."""
    return orjson.dumps(headers).decode() if headers else "{}"


def to_params(row: JournalRow, dialect: str) -> Params:
    """The DB-API parameters of `row` for `dialect`."""
    headers = headers_json(row.headers)
    if dialect == "sqlite":
        return (*row[:1], sqlite_ts(row.ts), *row[2:11], headers, *row[12:19], int(row[19]))
    return (*row[:11], headers, *row[12:])


def row_to_event(row: Any) -> ClickEvent:
    """A journal row read back (columns in `READ_COLUMNS` order, `ts` a datetime) as a
    `ClickEvent`. Unpacked by position: the worker does this for every click."""
    (
        _seq,
        click_id,
        ts,
        _source,
        code,
        path,
        method,
        status,
        ip,
        user_agent,
        referer,
        accept_language,
        headers,
        visitor_id,
        assigned_visitor_id,
        external_id,
        link_id,
        campaign_id,
        influencer_id,
        post_id,
        _active,
    ) = row
    return ClickEvent(
        click_id=click_id,
        ts=ts,
        code=code,
        method=method,
        ip=ip,
        user_agent=user_agent,
        referer=referer,
        accept_language=accept_language,
        headers=headers or {},
        visitor_id=visitor_id,
        assigned_visitor_id=assigned_visitor_id,
        external_id=external_id,
        link_id=link_id,
        campaign_id=campaign_id,
        influencer_id=influencer_id,
        post_id=post_id,
        status=status,
        path=path,
    )
