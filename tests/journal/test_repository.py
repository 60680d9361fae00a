"""The journal's bulk append and read: what the plain-SQL paths write and read back is what the
ORM sees, on every engine."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select

from fairclick.domain.click import ClickEvent
from fairclick.journal import repository
from fairclick.journal.models import JournalEntry
from fairclick.journal.rows import (
    READ_COLUMNS,
    JournalRow,
    StoredRow,
    many_params,
    rows_to_events,
    to_params,
)
from tests.conftest import TestDb
from tests.journal.factories import journal_row

SHARED = {"sec-fetch-mode": "navigate", "accept": "text/html"}


def _rows() -> list[JournalRow]:
    rows = [journal_row(n, external_id=f"ext-{n}") for n in range(1200)]
    # what ingest hands over: rows sharing one headers dict, odd values, other time zones
    rows[1] = rows[1]._replace(headers=SHARED, visitor_id="v-1")
    rows[2] = rows[2]._replace(headers=SHARED, campaign_active=False, external_id=None)
    rows[3] = rows[3]._replace(headers={}, link_id=None, campaign_id=None, status=404)
    paris = timezone(timedelta(hours=1))
    rows[4] = rows[4]._replace(ts=datetime(2025, 11, 17, 8, 30, 0, 1, tzinfo=paris))
    rows[5] = rows[5]._replace(ts=datetime(2025, 11, 17, 6, 0, tzinfo=UTC))
    rows[6] = rows[6]._replace(user_agent="é ü 漢", headers={"x-n": "1", "sec-ch-ua": '"A";v="1"'})
    return rows


def test_many_params_equal_to_params_of_each_row() -> None:
    rows = _rows()
    for dialect in ("sqlite", "postgresql"):
        assert many_params(rows, dialect) == [to_params(r, dialect) for r in rows]


def test_append_then_fetch_reads_what_the_orm_reads(test_db: TestDb) -> None:
    rows = _rows()
    with test_db.db.engine.begin() as conn:
        assert repository.append_rows(conn, rows) == len(rows)
    with test_db.db.engine.begin() as conn:
        again = [*rows[:3], journal_row(5000, external_id="ext-7")]  # known click or external id
        assert repository.append_rows(conn, again) == 0
    with test_db.db.session() as session:
        stored = session.scalars(select(JournalEntry).order_by(JournalEntry.seq)).all()
    with test_db.db.engine.connect() as conn:
        read = repository.fetch_after(conn, 0, limit=5000)
        page = repository.fetch_after(conn, read[9].seq, limit=5, upto=read[12].seq)
    assert [r.seq for r in page] == [e.seq for e in stored[10:13]]
    assert len(read) == len(stored) == len(rows)
    for got, entry in zip(read, stored, strict=True):
        assert isinstance(got, StoredRow)
        assert tuple(got) == tuple(getattr(entry, name) for name in READ_COLUMNS)
        assert got.ts.tzinfo is UTC and type(got.campaign_active) is bool
    assert [r.ts for r in read] == [r.ts for r in rows]
    assert [r.headers for r in read] == [r.headers for r in rows]


def _reference_event(row: StoredRow) -> ClickEvent:
    """The event of a row read back, by keyword from its named fields (null headers: {})."""
    values = {f.name: getattr(row, f.name) for f in dataclasses.fields(ClickEvent)}
    return ClickEvent(**values | {"headers": row.headers or {}})


def test_rows_to_events_sets_each_field_from_its_column() -> None:
    values = {name: f"{name}-value" for name in READ_COLUMNS}
    row = StoredRow(**values)  # type: ignore[arg-type]
    [event] = rows_to_events([row])
    fields = [f.name for f in dataclasses.fields(ClickEvent)]
    assert event == ClickEvent(**{name: values[name] for name in fields})
    assert rows_to_events([row._replace(headers=None)])[0].headers == {}


def test_rows_to_events_equals_one_event_per_row(test_db: TestDb) -> None:
    with test_db.db.engine.begin() as conn:
        repository.append_rows(conn, _rows())
    with test_db.db.engine.connect() as conn:
        read = repository.fetch_after(conn, 0, limit=5000)
    read[3] = read[3]._replace(headers=None)
    assert rows_to_events(read) == [_reference_event(r) for r in read]
    assert rows_to_events([]) == []
