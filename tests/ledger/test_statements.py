"""Monthly statements for an advertiser and an influencer, as JSON, CSV and HTML."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from fairclick.clicks.models import Click
from fairclick.domain.errors import InvalidInput, NotFound
from fairclick.ledger.payouts import run_payouts, set_bank_account
from fairclick.ledger.posting import BillableClick, bill_clicks, mature, reverse_click
from fairclick.ledger.render import render, to_csv, to_html, to_json
from fairclick.ledger.statements import advertiser_statement, influencer_statement, month_bounds
from tests.conftest import TestDb
from tests.ledger.conftest import LedgerWorld, ledger_world

NOV = datetime(2025, 11, 20, 10, 0, tzinfo=UTC)
DEC = datetime(2025, 12, 10, 10, 0, tzinfo=UTC)


def _record(
    session: Session, world: LedgerWorld, clicks: list[BillableClick], invalid: int = 0
) -> None:
    outcomes = bill_clicks(session, clicks, now=clicks[0].ts)
    for click, outcome in zip(clicks, outcomes, strict=True):
        session.add(
            Click(
                click_id=click.click_id, seq=int(click.click_id[1:]), ts=click.ts, code="x",
                link_id=click.link_id, campaign_id=click.campaign_id, influencer_id=click.influencer_id,
                method="GET", status=302, verdict="valid", billing=outcome.billing.value,
                amount_minor=outcome.amount_minor, payout_minor=outcome.payout_minor, currency="EUR",
            )
        )  # fmt: skip
    for k in range(invalid):
        session.add(
            Click(
                click_id=f"i{k:025d}", seq=900000 + k, ts=clicks[0].ts, code="x", method="GET",
                status=302, verdict="invalid", reasons=["known_crawler"],
                influencer_id=world.influencers["nina"], campaign_id=world.campaign_id,
            )
        )  # fmt: skip


@pytest.fixture
def history(test_db: TestDb) -> LedgerWorld:
    """November: nina 6 clicks, noah 2, one of nina's reversed in the hold; December: one of
    noah's clawed back after maturity, and a payout batch for nina."""
    world = ledger_world(test_db.db, hold_days=5)
    with test_db.db.session() as session:
        clicks = [world.click(n, "nina", ts=NOV + timedelta(minutes=n)) for n in range(1, 7)]
        clicks += [world.click(n, "noah", ts=NOV + timedelta(minutes=n)) for n in (7, 8)]
        _record(session, world, clicks, invalid=2)
        reverse_click(
            session,
            world.click(1).click_id,
            reason="burst",
            at=NOV + timedelta(hours=1),
            by="retro",
        )
        mature(session, now=DEC)
        reverse_click(session, world.click(7).click_id, reason="click_ring", at=DEC, by="retro")
        set_bank_account(session, world.influencers["nina"], "Nina", "DE89 3704 0044 0532 0130 00")
        run_payouts(session, currency="EUR", at=DEC, by="op", min_minor=100)
    return world


def test_advertiser_statement(test_db: TestDb, history: LedgerWorld) -> None:
    with test_db.db.session() as session:
        nov = advertiser_statement(session, "acme", "2025-11")
        dec = advertiser_statement(session, "acme", "2025-12")
    assert [
        (t.key, t.clicks_billed, t.amount_billed, t.clicks_credited, t.net)
        for t in nov.by_influencer
    ] == [
        ("nina", 6, 300, 1, 250),
        ("noah", 2, 100, 0, 100),
    ]
    assert [(t.clicks_billed, t.amount_billed, t.amount_credited, t.net) for t in nov.totals] == [
        (8, 400, 50, 350)
    ]
    assert nov.credit_notes == []
    assert [(t.clicks_billed, t.amount_credited, t.net) for t in dec.totals] == [(0, 50, -50)]
    assert [(n.campaign_key, n.amount_minor, n.reason) for n in dec.credit_notes] == [
        ("camp", 50, "click_ring")
    ]
    data = json.loads(to_json(nov))
    assert data["kind"] == "advertiser" and data["lines"][0]["net"] == 250
    rows = list(csv.DictReader(io.StringIO(to_csv(nov))))
    assert [(r["influencer_key"], r["amount_billed"], r["net"]) for r in rows] == [
        ("nina", "300", "250"),
        ("noah", "100", "100"),
    ]
    page = to_html(dec)
    assert "Acme" in page and "0.50 EUR" in page and "click_ring" in page


def test_influencer_statement(test_db: TestDb, history: LedgerWorld) -> None:
    with test_db.db.session() as session:
        nov = influencer_statement(session, "nina", "2025-11")
        dec = influencer_statement(session, "nina", "2025-12")
    assert (nov.clicks, nov.valid_clicks, nov.invalid_clicks, nov.valid_rate) == (8, 6, 2, 0.75)
    assert nov.earnings == {"EUR": 150}  # 6 × 0.30 earned, one reversed
    assert nov.payouts == [] and [p.amount_minor for p in dec.payouts] == [150]
    assert dec.balances["in_payout"] == {"EUR": 150}
    data = json.loads(render(nov, "json"))
    assert data["valid_rate"] == 0.75 and data["earnings"] == {"EUR": 150}
    assert "75.0 %" in render(nov, "html")


def test_bad_month_and_unknown_owner(test_db: TestDb) -> None:
    assert month_bounds("2025-12") == (
        datetime(2025, 12, 1, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    with pytest.raises(InvalidInput):
        month_bounds("November")
    with test_db.db.session() as session, pytest.raises(NotFound):
        advertiser_statement(session, "nobody", "2025-11")
