"""`fairclick ingest` and `fairclick export clicks`: event time, idempotence, malformed lines,
and a 100,000-record round trip with external ids."""

from __future__ import annotations

import csv
import gzip
import io
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest
from sqlalchemy import func, select

from fairclick.campaigns.models import Campaign
from fairclick.clicks.export import (
    FIELDS,
    click_frames,
    iter_clicks,
    write_csv,
    write_jsonl,
    write_jsonl_frames,
    write_parquet,
)
from fairclick.clicks.ingest import StopIngest, ingest
from fairclick.clicks.models import Click, ClickCounter
from fairclick.clicks.pipeline import Decision, NoRulesValidator, PendingBiller, basic_enrichment
from fairclick.clicks.worker import ClickWorker
from fairclick.domain.click import ClickEvent
from fairclick.domain.errors import NotFound
from fairclick.influencers.models import Influencer
from tests.cli.conftest import Cli
from tests.conftest import TestDb
from tests.factories import TEST_SECRET, load_world

ROOT = Path(__file__).resolve().parents[2]


def _record(n: int, **extra: Any) -> bytes:
    record = {
        "id": f"ext-{n}",
        "ts": 1763359200 + n,  # 2025-11-17T06:00:00Z + n s
        "code": "bviabRurGt" if n % 3 else "camilleIG01",
        "ip": f"90.12.{n % 250}.{n % 200 + 1}",
        "method": "GET",
        "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/133.0",
        "referer": "https://t.co/x",
        "accept_language": "fr-FR",
        "headers": {"Sec-Fetch-Mode": "navigate"},
        "visitor_id": f"visitor-{n:010d}",
    } | extra
    return orjson.dumps(record) + b"\n"


def _worker(db: Any, validator: Any = None) -> ClickWorker:
    return ClickWorker(
        db, validator or NoRulesValidator(), PendingBiller(), secret_key=TEST_SECRET, clock=None
    )


def test_ingest_twice_adds_nothing_and_counts_in_event_time(test_db: TestDb) -> None:
    load_world(test_db.db)
    lines = [_record(n) for n in range(50)] + [_record(99, code="unknownCode")]
    first = ingest(test_db.db, lines, _worker(test_db.db), chunk_size=20)
    second = ingest(test_db.db, lines, _worker(test_db.db), chunk_size=20)
    assert (first.records, first.appended, first.validated, first.unknown_codes) == (51, 51, 51, 1)
    assert (second.appended, second.duplicates, second.validated) == (0, 51, 0)
    with test_db.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Click)) == 51
        hours = set(session.scalars(select(ClickCounter.hour)))
        unknown = session.scalars(select(Click).where(Click.code == "unknownCode")).one()
    assert {h.isoformat() for h in hours} == {"2025-11-17T06:00:00+00:00"}
    assert (unknown.status, unknown.campaign_id, unknown.external_id) == (404, None, "ext-99")


BAD = [
    b"{not json\n",
    b"[1, 2]\n",
    b'{"code": "bviabRurGt"}\n',
    b'{"ts": "2025-13-45T00:00:00Z", "code": "bviabRurGt"}\n',
    b'{"ts": 1763359200, "code": 42}\n',
    b'{"ts": 1763359200, "code": "bviabRurGt", "ip": "999.1.1.1"}\n',
    b'{"ts": 1763359200, "code": "bviabRurGt", "headers": [1]}\n',
]


def test_malformed_lines_are_skipped_and_reported_with_their_numbers(sqlite_db: TestDb) -> None:
    load_world(sqlite_db.db)
    lines = [_record(0), *BAD, b"\n", _record(1)]
    summary = ingest(sqlite_db.db, lines, _worker(sqlite_db.db))
    assert (summary.records, summary.malformed, summary.lines) == (2, 7, 10)
    assert [n for n, _ in summary.errors] == [2, 3, 4, 5, 6]  # the first five examples
    assert "not JSON" in summary.errors[0][1]
    assert "`ts` is missing" in summary.errors[2][1]


def test_stop_on_error_names_the_line(sqlite_db: TestDb) -> None:
    load_world(sqlite_db.db)
    with pytest.raises(StopIngest) as caught:
        ingest(
            sqlite_db.db,
            [_record(0), _record(1), BAD[5]],
            _worker(sqlite_db.db),
            stop_on_error=True,
        )
    assert caught.value.line == 3 and "999.1.1.1" in caught.value.reason


class _Judging(NoRulesValidator):
    """Every third click invalid with two reasons (to see them exported)."""

    def validate(self, clicks: Sequence[ClickEvent], context: Any) -> list[Decision]:
        out = []
        for click in clicks:
            number = (click.external_id or "")[4:]
            bad = number.isdigit() and int(number) % 3 == 0
            out.append(
                Decision(
                    click.click_id,
                    "invalid" if bad else "valid",
                    basic_enrichment(click, context.secret_key),
                    reasons=("duplicate", "velocity") if bad else (),
                )
            )
        return out


def test_export_formats_carry_every_field(test_db: TestDb, tmp_path: Path) -> None:
    load_world(test_db.db)
    ingest(test_db.db, [_record(n) for n in range(9)], _worker(test_db.db, _Judging()))
    rows = list(iter_clicks(test_db.db, "primaire-ou-voter"))
    assert len(rows) == 9

    buffer = io.BytesIO()
    write_jsonl(iter_clicks(test_db.db), buffer)
    first = orjson.loads(buffer.getvalue().splitlines()[0])
    assert list(first) == [
        "click_id",
        "id",
        "ts",
        "code",
        "campaign",
        "influencer",
        "post",
        "verdict",
        "reasons",
        "billing",
        "amount_minor",
        "currency",
        "country",
        "asn",
    ]
    assert (first["id"], first["ts"], first["code"]) == (
        "ext-0",
        "2025-11-17T06:00:00.000000Z",
        "camilleIG01",
    )
    assert (first["campaign"], first["influencer"]) == ("primaire-ou-voter", "camille.voyage")
    assert (first["verdict"], first["reasons"], first["billing"]) == (
        "invalid",
        ["duplicate", "velocity"],
        "unbilled",
    )

    text = io.StringIO()
    write_csv(iter_clicks(test_db.db), text)
    table = list(csv.DictReader(io.StringIO(text.getvalue())))
    assert table[0]["reasons"] == "duplicate;velocity" and table[1]["reasons"] == ""
    assert table[1]["post"] != ""  # bviabRurGt was shared through a declared post

    path = tmp_path / "clicks.parquet"
    assert write_parquet(iter_clicks(test_db.db), path) == 9
    frame = pl.read_parquet(path)
    assert frame["id"].to_list() == [f"ext-{n}" for n in range(9)]
    assert frame["reasons"].to_list()[0] == ["duplicate", "velocity"]


def _reference_rows(db: Any) -> list[dict[str, Any]]:
    """Export rows as the row-by-row reader built them (typed SQLAlchemy rows, one dict per
    click): what the frame reader must reproduce."""
    clicks, campaigns, influencers = Click.__table__, Campaign.__table__, Influencer.__table__
    query = (
        select(
            clicks.c.click_id, clicks.c.external_id, clicks.c.ts, clicks.c.code,
            campaigns.c.key.label("campaign"), influencers.c.key.label("influencer"),
            clicks.c.post_id, clicks.c.verdict, clicks.c.reasons, clicks.c.billing,
            clicks.c.amount_minor, clicks.c.currency, clicks.c.country, clicks.c.asn,
        )
        .select_from(
            clicks.outerjoin(campaigns, campaigns.c.id == clicks.c.campaign_id).outerjoin(
                influencers, influencers.c.id == clicks.c.influencer_id
            )
        )
        .order_by(clicks.c.seq)
    )  # fmt: skip
    with db.engine.connect() as conn:
        return [
            {
                "click_id": row.click_id, "id": row.external_id, "ts": row.ts, "code": row.code,
                "campaign": row.campaign, "influencer": row.influencer, "post": row.post_id,
                "verdict": row.verdict, "reasons": list(row.reasons or []),
                "billing": row.billing, "amount_minor": row.amount_minor,
                "currency": row.currency, "country": row.country, "asn": row.asn,
            }
            for row in conn.execute(query)
        ]  # fmt: skip


def test_the_frame_export_writes_what_the_row_by_row_export_wrote(test_db: TestDb) -> None:
    load_world(test_db.db)
    odd = ['q"uote', "back\\slash", "accentué", "emoji 😀", "</script>", "tab\tin"]
    lines = [_record(n) for n in range(12)]
    lines += [_record(100 + n, id=ident) for n, ident in enumerate(odd)]
    lines += [_record(200, code="no-such-code"), _record(201, id=None)]
    ingest(test_db.db, lines, _worker(test_db.db, _Judging()))
    expected = _reference_rows(test_db.db)
    assert len(expected) == 20 and {r["campaign"] for r in expected} >= {None}

    assert list(iter_clicks(test_db.db)) == expected
    frames = list(click_frames(test_db.db))
    assert [f.columns for f in frames] == [list(FIELDS)]
    rows_out, frames_out = io.BytesIO(), io.BytesIO()
    assert write_jsonl(iter(expected), rows_out) == 20
    assert write_jsonl_frames(frames, frames_out) == 20
    assert frames_out.getvalue() == rows_out.getvalue()
    with pytest.raises(NotFound):
        next(click_frames(test_db.db, "no-such-campaign"))


def _cli(args: list[str], url: str) -> subprocess.CompletedProcess[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "FAIRCLICK_DATABASE_URL": url,
        "FAIRCLICK_SECRET_KEY": TEST_SECRET,
    }
    return subprocess.run(
        [sys.executable, "-c", "from fairclick.cli.main import run; run()", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=1200,
    )


@pytest.mark.slow
def test_ingest_then_export_round_trips_100000_records(sqlite_db: TestDb, tmp_path: Path) -> None:
    load_world(sqlite_db.db)
    log = tmp_path / "clicks.jsonl.gz"
    with gzip.open(log, "wb", compresslevel=1) as handle:
        for n in range(100_000):
            handle.write(_record(n))
    ingested = _cli(["ingest", str(log), "--json"], sqlite_db.url)
    assert ingested.returncode == 0, ingested.stderr.decode()
    summary = orjson.loads(ingested.stdout)
    assert (summary["records"], summary["new_in_the_journal"], summary["clicks_validated"]) == (
        100_000,
        100_000,
        100_000,
    )
    again = orjson.loads(_cli(["ingest", str(log), "--json"], sqlite_db.url).stdout)
    assert (again["new_in_the_journal"], again["already_ingested"]) == (0, 100_000)

    out = tmp_path / "clicks.jsonl"
    exported = _cli(["export", "clicks", "--out", str(out)], sqlite_db.url)
    assert exported.returncode == 0, exported.stderr.decode()
    ids = [orjson.loads(line)["id"] for line in out.read_bytes().splitlines()]
    assert len(ids) == 100_000
    assert ids == [f"ext-{n}" for n in range(100_000)]


def test_export_command_writes_the_rows_and_refuses_an_unknown_campaign(
    test_db: TestDb, tmp_path: Path
) -> None:
    load_world(test_db.db)
    ingest(test_db.db, [_record(n) for n in range(9)], _worker(test_db.db, _Judging()))
    cli = Cli(env={"FAIRCLICK_DATABASE_URL": test_db.url, "FAIRCLICK_SECRET_KEY": TEST_SECRET})
    expected = io.BytesIO()
    write_jsonl(iter_clicks(test_db.db, "primaire-ou-voter"), expected)
    out = tmp_path / "clicks.jsonl"
    cli.ok("export", "clicks", "--campaign", "primaire-ou-voter", "--out", str(out))
    assert out.read_bytes() == expected.getvalue() and expected.getvalue().count(b"\n") == 9

    missing = tmp_path / "none.jsonl"
    error = cli.fails("export", "clicks", "--campaign", "nope", "--out", str(missing))
    assert "nope" in error and not missing.exists()
