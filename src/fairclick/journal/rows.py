"""Journal rows as plain tuples and the plain SQL that appends them (no ORM on the hot path).

The redirect builds one `JournalRow` per request; the group-commit writer and ingest append
them with `executemany`, `ON CONFLICT DO NOTHING` making a re-append of a click id (or of an
ingested external id) a no-op.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache, partial
from typing import Any, NamedTuple

import orjson

from fairclick.domain.click import ClickEvent, build_events

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
    so that rows written with plain SQL read back through the ORM unchanged. Cut from the
    aware text (no naive copy): every journal, click and ledger time goes through here."""
    if ts.tzinfo is not UTC:
        ts = ts.astimezone(UTC)
    return ts.isoformat(" ", "microseconds")[:26]


def headers_json(headers: dict[str, str]) -> str:
    """The `headers` column's value (JSON text; `{}` without a call for the common case)."""
    return orjson.dumps(headers).decode() if headers else "{}"


def to_params(row: JournalRow, dialect: str) -> Params:
    """The DB-API parameters of `row` for `dialect`."""
    headers = headers_json(row.headers)
    if dialect == "sqlite":
        return (*row[:1], sqlite_ts(row.ts), *row[2:11], headers, *row[12:19], int(row[19]))
    return (*row[:11], headers, *row[12:])


def many_params(rows: Sequence[JournalRow], dialect: str) -> list[Params]:
    """The DB-API parameters of `rows` for `dialect`, equal to `to_params` of each, built a
    column at a time (ingest appends thousands of rows per call). A headers dict that several
    rows share (ingest hands one dict to every row with the same headers) is serialized once."""
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
    texts: dict[int, str] = {}  # id() is stable here: `rows` holds every dict for the call
    headers: list[str] = []
    for value in columns[11]:
        text = texts.get(id(value))
        if text is None:
            text = texts[id(value)] = headers_json(value)
        headers.append(text)
    columns[11] = headers
    if dialect == "sqlite":
        columns[1] = list(map(sqlite_ts, columns[1]))
        columns[19] = list(map(int, columns[19]))
    return list(zip(*columns, strict=True))


class StoredRow(NamedTuple):
    """A journal entry as read back (field order = `READ_COLUMNS`; `ts` aware UTC, `headers`
    a dict, `campaign_active` a bool), what `rows_to_events` turns into `ClickEvent`s."""

    seq: int
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


_stored_row = partial(tuple.__new__, StoredRow)


_SQLITE_READ = {
    "ts": "ts || '+00:00'",  # naive UTC text: with the offset, one `fromisoformat` call
    "headers": "CAST(headers AS BLOB)",  # bytes: cheaper to fetch, and orjson reads them
}


@lru_cache(maxsize=4)
def select_sql(dialect: str, upto: bool) -> str:
    """The read of `fetch_after` in `dialect`'s paramstyle: entries after a `seq` (and at most
    another with `upto`), in `seq` order, up to a limit."""
    if dialect == "sqlite":
        names = ", ".join(_SQLITE_READ.get(c, c) for c in READ_COLUMNS)
    else:
        names = ", ".join(READ_COLUMNS)
    mark = "?" if dialect == "sqlite" else "%s"
    bound = f" AND seq <= {mark}" if upto else ""
    return f"SELECT {names} FROM journal WHERE seq > {mark}{bound} ORDER BY seq LIMIT {mark}"


def stored_rows(raw: Sequence[Sequence[Any]], dialect: str) -> list[StoredRow]:
    """The driver's tuples of `select_sql` as `StoredRow`s, converted a column at a time (what
    the ORM's column types would give: aware UTC `ts`, parsed `headers`, boolean `active`)."""
    if not raw:
        return []
    columns: list[Sequence[Any]] = list(zip(*raw, strict=True))
    if dialect == "sqlite":
        columns[2] = list(map(datetime.fromisoformat, columns[2]))
        columns[12] = _parse_headers(columns[12])
    else:
        columns[2] = [ts if ts.tzinfo is UTC else ts.astimezone(UTC) for ts in columns[2]]
    columns[20] = list(map(bool, columns[20]))
    return list(map(_stored_row, zip(*columns, strict=True)))


def _parse_headers(texts: Sequence[bytes | None]) -> list[Any]:
    # A log has few distinct header sets: each text is parsed once per batch, and the rows
    # that share it share the dict (events never change their headers).
    parsed: dict[bytes | None, Any] = {}
    out = []
    for text in texts:
        try:
            value = parsed[text]
        except KeyError:
            value = parsed[text] = orjson.loads(text) if text is not None else None
        out.append(value)
    return out


_EVENT_FIELDS = (  # ClickEvent field ← its index in READ_COLUMNS
    ("click_id", 1),
    ("ts", 2),
    ("code", 4),
    ("path", 5),
    ("method", 6),
    ("status", 7),
    ("ip", 8),
    ("user_agent", 9),
    ("referer", 10),
    ("accept_language", 11),
    ("visitor_id", 13),
    ("assigned_visitor_id", 14),
    ("external_id", 15),
    ("link_id", 16),
    ("campaign_id", 17),
    ("influencer_id", 18),
    ("post_id", 19),
)


def rows_to_events(rows: Sequence[Any]) -> list[ClickEvent]:
    """The events of journal rows read back (`StoredRow`s, or tuples in `READ_COLUMNS` order;
    null headers become {}), built a field at a time over the whole batch (`build_events`:
    half the CPU of one `ClickEvent(...)` call per row)."""
    if not rows:
        return []
    columns = list(zip(*rows, strict=True))
    fields: dict[str, Any] = {name: columns[index] for name, index in _EVENT_FIELDS}
    fields["headers"] = [headers or {} for headers in columns[12]]
    return build_events(fields, len(rows))
