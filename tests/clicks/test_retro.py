"""Retro-analysis through ingest: a click-exchange ring is found after the fact, each click's
re-verdict is recorded with its history, and the ledger reverses what had been billed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import func, select

from fairclick.clicks.ingest import ingest
from fairclick.clicks.models import Click, VerdictChange
from fairclick.clicks.pipeline import LedgerBiller, default_validator
from fairclick.clicks.worker import ClickWorker
from fairclick.config import load_settings
from fairclick.ledger.models import ClickPosting
from fairclick.links.models import Link
from tests.conftest import TestDb
from tests.factories import TEST_SECRET, example_world, load_world

T0 = datetime(2025, 11, 18, 9, tzinfo=UTC)
UA = (
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.6778.81 Mobile Safari/537.36"
)
HEADERS = {
    "sec-fetch-mode": "navigate",
    "sec-fetch-dest": "document",
    "sec-ch-ua": '"Chromium";v="131", "Google Chrome";v="131", "Not_A Brand";v="24"',
    "sec-ch-ua-mobile": "?1",
    "sec-ch-ua-platform": '"Android"',
}


def _world() -> dict[str, Any]:
    world = example_world()
    for n in range(4):
        key = f"ring{n}"
        world["influencers"].append(
            {
                "key": key,
                "display_name": f"Ring {n}",
                "country": "FR",
                "social_accounts": [{"network": "x", "handle": key, "followers": 50_000}],
            }
        )
        world["enrolments"].append(
            {"campaign": "primaire-ou-voter", "influencer": key, "status": "approved"}
        )
    return world


def _record(ident: str, ts: datetime, code: str, ip: str, visitor: str) -> bytes:
    return orjson.dumps(
        {
            "id": ident,
            "ts": ts.isoformat(),
            "code": code,
            "ip": ip,
            "user_agent": UA,
            "referer": "https://t.co/",
            "accept_language": "fr-FR,fr;q=0.9",
            "headers": HEADERS,
            "visitor_id": visitor,
        }
    )


def test_a_click_ring_is_reverdicted_and_reversed_after_ingest(
    test_db: TestDb, tmp_path: Path
) -> None:
    load_world(test_db.db, _world())
    with test_db.db.session() as session:
        codes = list(session.scalars(select(Link.code).where(Link.is_default.is_(True))))
    assert len(codes) == 6
    lines = []
    # four friends click every influencer's link within the hour, all day long: an exchange
    for member in range(4):
        for i, code in enumerate(codes):
            ts = T0 + timedelta(minutes=member * 3 + i * 9)
            lines.append(_record(f"ring-{member}-{i}", ts, code, f"90.{40 + member}.1.{member + 2}",
                                 f"friend-{member}"))  # fmt: skip
    # ordinary people: one click each, on one link
    for n in range(40):
        ts = T0 + timedelta(minutes=5 * n)
        lines.append(_record(f"org-{n}", ts, codes[n % 6], f"90.{60 + n}.{n}.9", f"person-{n}"))
    # the data shipped in the repo only, whatever `fairclick data update` installed locally
    settings = load_settings(secret_key=TEST_SECRET, database_url=test_db.url, data_dir=tmp_path)
    worker = ClickWorker(
        test_db.db, default_validator(settings), LedgerBiller(), secret_key=TEST_SECRET, clock=None
    )
    summary = ingest(test_db.db, lines, worker)
    assert summary.retro_by_reason.get("click_ring") == 24
    with test_db.db.session() as session:
        ring = session.scalars(select(Click).where(Click.external_id.like("ring-%"))).all()
        assert {c.verdict for c in ring} == {"invalid"}
        assert all("click_ring" in c.reasons and c.amount_minor == 0 for c in ring)
        organic = session.scalars(select(Click).where(Click.external_id.like("org-%"))).all()
        assert {c.verdict for c in organic} == {"valid"}
        # every ring click keeps its history: valid → invalid by the retro-analysis
        changes = session.scalars(
            select(VerdictChange).where(VerdictChange.by == "retro:click_ring")
        ).all()
        assert len(changes) == 24
        assert {(c.old_verdict, c.new_verdict) for c in changes} == {("valid", "invalid")}
        # what had been billed for them is reversed in the ledger
        live = session.scalar(
            select(func.count(ClickPosting.click_id)).where(
                ClickPosting.click_id.in_([c.click_id for c in ring]),
                ClickPosting.state == "pending",
            )
        )
        assert live == 0


def test_the_first_clicks_of_a_fast_run_are_taken_back_after_ingest(
    test_db: TestDb, tmp_path: Path
) -> None:
    """Real time lets the first five clicks of a visitor through and rejects the sixth
    (`velocity`, more than 5 in 60 s); the retro-analysis re-verdicts the first five too."""
    load_world(test_db.db, _world())
    with test_db.db.session() as session:
        codes = list(session.scalars(select(Link.code).where(Link.is_default.is_(True))))
    lines = [
        _record(f"fast-{i}", T0 + timedelta(seconds=5 * i), code, "90.41.7.3", "speedy")
        for i, code in enumerate(codes)
    ]
    lines += [
        _record(
            f"org-{n}",
            T0 + timedelta(minutes=5 * n),
            codes[n % 6],
            f"90.{60 + n}.{n}.9",
            f"person-{n}",
        )
        for n in range(20)
    ]
    settings = load_settings(secret_key=TEST_SECRET, database_url=test_db.url, data_dir=tmp_path)
    worker = ClickWorker(
        test_db.db, default_validator(settings), LedgerBiller(), secret_key=TEST_SECRET, clock=None
    )
    summary = ingest(test_db.db, lines, worker)
    assert summary.retro_by_reason.get("velocity") == 5
    with test_db.db.session() as session:
        fast = session.scalars(select(Click).where(Click.external_id.like("fast-%"))).all()
        assert {c.verdict for c in fast} == {"invalid"}
        assert all("velocity" in c.reasons and c.amount_minor == 0 for c in fast)
        organic = session.scalars(select(Click).where(Click.external_id.like("org-%"))).all()
        assert {c.verdict for c in organic} == {"valid"}
        changes = session.scalars(
            select(VerdictChange).where(VerdictChange.by == "retro:velocity")
        ).all()
        assert len(changes) == 5
