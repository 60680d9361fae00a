"""Raw query results into Polars frames: the same frame as SQLAlchemy's typed rows give, on
every engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
from polars.testing import assert_frame_equal
from sqlalchemy import Table, select

from fairclick.clicks.models import Click
from fairclick.store.frames import frame, frames, raw
from tests.conftest import TestDb

CLICKS: Table = Click.__table__  # type: ignore[assignment]
SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "click_id": pl.String,
    "ts": pl.Datetime("us", "UTC"),
    "link_id": pl.Int64,
    "reasons": pl.List(pl.String),
    "asn": pl.Int64,
}
T0 = datetime(2025, 11, 17, 6, 0, 0, 123456, tzinfo=UTC)


def _add(test_db: TestDb, n: int) -> None:
    with test_db.db.session() as session:
        for i in range(n):
            session.add(
                Click(
                    click_id=f"c{i:03d}",
                    seq=i,
                    ts=T0 + timedelta(seconds=i, microseconds=i),
                    code="x",
                    link_id=None if i % 3 == 0 else i,
                    method="GET",
                    status=302,
                    verdict="invalid" if i % 2 else "valid",
                    reasons=["duplicate", "velocity"] if i % 2 else [],
                    asn=None if i % 4 == 0 else 3215,
                )
            )


def _query() -> Any:
    return select(*(raw(CLICKS.c[name]) for name in SCHEMA)).order_by(CLICKS.c.seq)


def test_a_raw_frame_holds_what_the_typed_rows_hold(test_db: TestDb) -> None:
    _add(test_db, 7)
    with test_db.db.engine.connect() as conn:
        got = frame(conn, _query(), SCHEMA)
        typed = conn.execute(select(*(CLICKS.c[name] for name in SCHEMA)).order_by(CLICKS.c.seq))
        expected = pl.DataFrame([tuple(row) for row in typed], schema=SCHEMA, orient="row")
    assert_frame_equal(got, expected)
    assert got["ts"][1] == T0 + timedelta(seconds=1, microseconds=1)
    assert got["reasons"].to_list()[:2] == [[], ["duplicate", "velocity"]]


def test_frames_stream_in_chunks_and_an_empty_result_keeps_the_schema(test_db: TestDb) -> None:
    _add(test_db, 5)
    with test_db.db.engine.connect() as conn:
        parts = list(frames(conn, _query(), SCHEMA, chunk=2))
        assert [p.height for p in parts] == [2, 2, 1]
        assert_frame_equal(pl.concat(parts), frame(conn, _query(), SCHEMA))
        empty = frame(conn, _query().where(CLICKS.c.seq < 0), SCHEMA)
    assert empty.is_empty() and empty.schema == pl.Schema(SCHEMA)
