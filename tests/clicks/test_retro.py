"""Retro-analysis through ingest: a click-exchange ring is found after the fact, each click's
re-verdict is recorded with its history, and the ledger reverses what had been billed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fairclick.clicks import retro
from fairclick.clicks.ingest import ingest
from fairclick.clicks.models import Click, VerdictChange
from fairclick.clicks.pipeline import LedgerBiller, default_validator
from fairclick.clicks.reverdict import Reverser, history, invalidate
from fairclick.clicks.worker import ClickWorker
from fairclick.config import load_settings
from fairclick.domain.reasons import Reason
from fairclick.influencers.models import SocialAccount
from fairclick.ledger import posting
from fairclick.ledger.models import ClickPosting
from fairclick.ledger.posting import bill_clicks, hold, mature, reverse_click
from fairclick.links.models import Link
from fairclick.moderation import service as moderation
from tests.conftest import TestDb
from tests.factories import TEST_SECRET, example_world, load_world
from tests.ledger.conftest import START as LEDGER_START
from tests.ledger.conftest import ledger_world
from tests.ledger.test_posting import _ledger_state

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


def _clicks_state(session: Session) -> dict[str, object]:
    return {
        "clicks": [
            (
                c.click_id,
                c.verdict,
                c.reasons,
                c.evidence,
                c.billing,
                c.unbilled_cause,
                c.amount_minor,
                c.payout_minor,
            )
            for c in session.scalars(select(Click).order_by(Click.click_id))
        ],
        "events": sorted(
            (
                e.click_id,
                e.at,
                e.by,
                e.old_verdict,
                e.new_verdict,
                e.old_reasons,
                e.new_reasons,
                e.evidence,
            )
            for e in session.scalars(select(VerdictChange))
        ),
        "ledger": _ledger_state(session),
    }


@pytest.mark.parametrize("hook", ["ledger", "moderation"])
def test_invalidate_reverses_in_batches_as_one_click_at_a_time_would(
    test_db: TestDb, hook: str
) -> None:
    # The ledger's hook (and moderation's, which imports it late) hands `invalidate` a batch
    # form; the result must be what a per-click hook gives: same events, clicks and ledger.
    world = ledger_world(test_db.db, budget=5000)
    at = LEDGER_START + timedelta(days=20)
    clicks = [world.click(n, "nina" if n % 2 else "noah") for n in range(12)]
    with test_db.db.session() as session:
        bill_clicks(session, clicks[:4], now=LEDGER_START)
        mature(session, now=LEDGER_START + timedelta(days=14))
        outcomes = bill_clicks(session, clicks[4:10], now=at)
        hold(session, clicks[10:], now=at)
        assert all(o.billing.value == "billed" for o in outcomes)
        for n, click in enumerate(clicks):
            held = n >= 10
            session.add(
                Click(
                    click_id=click.click_id, seq=n, ts=click.ts, code="x", link_id=click.link_id,
                    campaign_id=click.campaign_id, influencer_id=click.influencer_id,
                    method="GET", status=302, verdict="valid",
                    billing="unbilled" if held else "billed",
                    unbilled_cause="held_for_review" if held else None,
                    amount_minor=0 if held else 50, payout_minor=0 if held else 30,
                    country=click.country,
                )
            )  # fmt: skip
    ids = [c.click_id for c in clicks]
    evidence = {c: {"n": n} for n, c in enumerate(ids)}
    batch_hook: Reverser = posting.reverser if hook == "ledger" else moderation._ledger_reverser
    assert callable(getattr(batch_hook, "many", None))

    def one_at_a_time(
        session: Session, click_id: str, reason: str, at: datetime, by: str
    ) -> object:
        return reverse_click(session, click_id, reason=reason, at=at, by=by)

    def run(reverser: Reverser) -> tuple[dict[str, object], int]:
        with test_db.db.session() as session:
            done = invalidate(session, ids[:7], Reason.CLICK_RING, by="retro:click_ring", at=at,
                              reverser=reverser, evidence_by_click=evidence)  # fmt: skip
            again = invalidate(session, ids[3:], Reason.BURST, by="retro:burst", at=at,
                               reverser=reverser, evidence_by_click=evidence)  # fmt: skip
            state = _clicks_state(session)
            if reverser is one_at_a_time:
                session.rollback()
        return state, done.reversed_billed + again.reversed_billed

    expected = run(one_at_a_time)
    assert run(batch_hook) == expected
    assert expected[1] == 10  # every billed click, once: 0-6 then 7-9
    ledger = expected[0]["ledger"]
    assert isinstance(ledger, dict)
    assert len(ledger["corrections"]) == 10


def _reference_frame(session: Session, since: datetime, until: datetime) -> pl.DataFrame:
    """The retro-analysis input as the typed ORM query built it (the frame reader's reference)."""
    reach = (
        select(SocialAccount.influencer_id, func.max(SocialAccount.followers).label("reach"))
        .group_by(SocialAccount.influencer_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Click.click_id, Click.ts, Click.link_id, Click.code, Click.campaign_id,
            Click.influencer_id, Click.visitor_key, Click.ip_prefix, Click.asn, Click.browser,
            Click.os, Click.device, Click.verdict, reach.c.reach,
        )
        .outerjoin(reach, reach.c.influencer_id == Click.influencer_id)
        .where(Click.ts >= since, Click.ts < until, Click.status == 302)
    ).all()  # fmt: skip
    schema = {**retro._SCHEMA, "reach": pl.Int64}
    return retro.detector_input(pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row"))


def test_the_retro_input_is_what_the_typed_query_reads(test_db: TestDb, tmp_path: Path) -> None:
    load_world(test_db.db, _world())
    with test_db.db.session() as session:
        codes = list(session.scalars(select(Link.code).where(Link.is_default.is_(True))))
    lines = [
        _record(f"r-{n}", T0 + timedelta(minutes=n), codes[n % 6], f"90.{n}.1.2", f"v-{n % 7}")
        for n in range(40)
    ]
    lines.append(_record("unknown", T0, "no-such-code", "90.1.1.1", "v-x"))
    settings = load_settings(secret_key=TEST_SECRET, database_url=test_db.url, data_dir=tmp_path)
    worker = ClickWorker(
        test_db.db, default_validator(settings), LedgerBiller(), secret_key=TEST_SECRET, clock=None
    )
    ingest(test_db.db, lines, worker, retro=False)
    since, until = T0 + timedelta(minutes=3), T0 + timedelta(minutes=30)
    with test_db.db.session() as session:
        got = retro._frame(session, since, until)
        assert_frame_equal(got, _reference_frame(session, since, until), check_row_order=False)
    assert got.height == 27 and got["reach"].null_count() == 0


def test_invalidate_refreshes_the_clicks_the_session_had_loaded(test_db: TestDb) -> None:
    world = ledger_world(test_db.db, budget=5000)
    click = world.click(0, "nina")
    with test_db.db.session() as session:
        bill_clicks(session, [click], now=LEDGER_START)
        session.add(
            Click(
                click_id=click.click_id, seq=0, ts=click.ts, code="x", link_id=click.link_id,
                campaign_id=click.campaign_id, influencer_id=click.influencer_id, method="GET",
                status=302, verdict="valid", billing="billed", amount_minor=50, payout_minor=30,
                evidence={"_rules": {"velocity": "pass"}},
            )
        )  # fmt: skip
    with test_db.db.session() as session:
        loaded = session.get(Click, click.click_id)
        assert loaded is not None and loaded.verdict == "valid"
        done = invalidate(session, [click.click_id, "no-such-click"], Reason.BURST, by="retro:burst",
                          at=LEDGER_START, evidence={"z": 9.5}, reverser=posting.reverser)  # fmt: skip
        assert (done.changed, done.reversed_billed) == (1, 1)
        assert (loaded.verdict, loaded.reasons, loaded.billing) == (
            "invalid",
            ["burst"],
            "unbilled",
        )
        assert loaded.evidence == {"_rules": {"velocity": "pass"}, "burst": {"z": 9.5}}
        assert (loaded.unbilled_cause, loaded.amount_minor, loaded.payout_minor) == (
            "invalid",
            0,
            0,
        )
        again = invalidate(session, [click.click_id], Reason.BURST, by="retro:burst",
                           at=LEDGER_START, reverser=posting.reverser)  # fmt: skip
        assert again.changed == 0
        [change] = history(session, click.click_id)
        assert (change.old_verdict, change.new_verdict, change.old_reasons, change.new_reasons) == (
            "valid",
            "invalid",
            [],
            ["burst"],
        )
        assert change.evidence == {"z": 9.5}


def test_the_window_is_read_through_the_campaign_time_index(sqlite_db: TestDb) -> None:
    # A live worker analyses a recent window every few minutes: it must not scan every click.
    query = retro.window_query(datetime(2025, 11, 1, tzinfo=UTC), datetime(2025, 11, 2, tzinfo=UTC))
    sql = str(query.compile(sqlite_db.db.engine, compile_kwargs={"literal_binds": True}))
    with sqlite_db.db.engine.connect() as conn:
        plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
    assert "USING INDEX ix_clicks_campaign_ts" in plan, plan
    assert "SCAN clicks" not in plan, plan
