"""Reversals inside the hold, maturity, clawbacks and credit notes after it."""

from __future__ import annotations

from datetime import timedelta

from fairclick.ledger import repository as repo
from fairclick.ledger import service
from fairclick.ledger.models import AccountKind, EntryKind
from fairclick.ledger.posting import bill_clicks, mature, reverse_click
from tests.conftest import TestDb
from tests.ledger.conftest import START, ledger_world

NOW = START + timedelta(hours=2)


def test_reversal_inside_the_hold_gives_the_budget_back(test_db: TestDb) -> None:
    world = ledger_world(test_db.db, budget=100, influencer_cap=100, daily_cap=100)
    nina = world.influencers["nina"]
    with test_db.db.session() as session:
        bill_clicks(session, [world.click(0), world.click(1)], now=NOW)
    with test_db.db.session() as session:
        reversal = reverse_click(
            session, world.click(0).click_id, reason="burst", at=NOW, by="retro"
        )
        assert reversal is not None and reversal.kind == EntryKind.REVERSAL
        assert (reversal.amount_minor, reversal.payout_minor) == (50, 30)
        # Idempotent: a second invalidation finds nothing to undo.
        assert (
            reverse_click(session, world.click(0).click_id, reason="burst", at=NOW, by="retro")
            is None
        )
    with test_db.db.session() as session:
        assert repo.balance(session, AccountKind.CAMPAIGN_BUDGET, world.campaign_id, "EUR") == 50
        assert repo.balance(session, AccountKind.INFLUENCER_PENDING, nina, "EUR") == 30
        assert repo.balance(session, AccountKind.PLATFORM_REVENUE, 0, "EUR") == 20
        assert repo.spend_row(session, world.campaign_id).spent_minor == 50  # type: ignore[union-attr]
        # The freed budget, day and influencer allowance can be spent again.
        assert bill_clicks(session, [world.click(2)], now=NOW)[0].amount_minor == 50
        views = service.list_entries(session, click_id=world.click(0).click_id)
        assert [v.entry.kind for v in views] == ["reversal", "click"]
        assert views[0].entry.reverses_entry_id == views[1].entry.id
        # The CLICK entry billed both of nina's clicks; the reversal mirrors click 0's share.
        assert views[1].entry.memo == "2 clicks"
        assert {line[0]: line[3] for line in views[1].lines} == {
            "campaign_budget": -100,
            "influencer_pending": 60,
            "platform_revenue": 40,
        }
        assert {line[0]: line[3] for line in views[0].lines} == {
            "campaign_budget": 50,
            "influencer_pending": -30,
            "platform_revenue": -20,
        }


def test_maturity_then_clawback_and_credit_note(test_db: TestDb) -> None:
    world = ledger_world(test_db.db, hold_days=14)
    nina = world.influencers["nina"]
    with test_db.db.session() as session:
        bill_clicks(session, [world.click(n) for n in range(3)], now=NOW)
    with test_db.db.session() as session:
        assert mature(session, now=NOW + timedelta(days=13)) == 0
        assert mature(session, now=NOW + timedelta(days=14)) == 3
        assert mature(session, now=NOW + timedelta(days=15)) == 0
        assert repo.balance(session, AccountKind.INFLUENCER_PENDING, nina, "EUR") == 0
        assert repo.balance(session, AccountKind.INFLUENCER_AVAILABLE, nina, "EUR") == 90
    later = NOW + timedelta(days=20)
    with test_db.db.session() as session:
        clawback = reverse_click(
            session, world.click(1).click_id, reason="click_ring", at=later, by="retro"
        )
        assert clawback is not None and clawback.kind == EntryKind.CLAWBACK
    with test_db.db.session() as session:
        assert repo.balance(session, AccountKind.INFLUENCER_CLAWBACK, nina, "EUR") == -30
        credit = repo.balance(session, AccountKind.ADVERTISER_CREDIT, world.organisation_id, "EUR")
        assert credit == 50
        assert repo.balance(session, AccountKind.PLATFORM_REVENUE, 0, "EUR") == 40
        # The campaign's spend stays: the advertiser is refunded by the credit note instead.
        assert repo.spend_row(session, world.campaign_id).spent_minor == 150  # type: ignore[union-attr]
        assert service.trial_balance(session) == {"EUR": 0}
