"""Billing valid clicks: prices, budgets, caps, gates, idempotency, hold for review."""

from __future__ import annotations

from datetime import timedelta

from fairclick.domain.reasons import Billing, UnbilledCause
from fairclick.ledger import repository as repo
from fairclick.ledger.models import AccountKind
from fairclick.ledger.posting import bill_clicks
from tests.conftest import TestDb
from tests.ledger.conftest import START, ledger_world

NOW = START + timedelta(days=1)


def test_budget_runs_out_exactly(test_db: TestDb) -> None:
    world = ledger_world(test_db.db, budget=100)
    with test_db.db.session() as session:
        outcomes = bill_clicks(session, [world.click(n) for n in range(4)], now=NOW)
    assert [o.billing for o in outcomes] == [Billing.BILLED] * 2 + [Billing.UNBILLED] * 2
    assert outcomes[2].cause == UnbilledCause.BUDGET_EXHAUSTED
    assert (outcomes[0].amount_minor, outcomes[0].payout_minor) == (50, 30)
    with test_db.db.session() as session:
        assert repo.balance(session, AccountKind.CAMPAIGN_BUDGET, world.campaign_id, "EUR") == 0
        assert repo.balance(session, AccountKind.PLATFORM_REVENUE, 0, "EUR") == 40
        nina = world.influencers["nina"]
        assert repo.balance(session, AccountKind.INFLUENCER_PENDING, nina, "EUR") == 60
        again = bill_clicks(session, [world.click(0), world.click(3)], now=NOW)
    assert again == [outcomes[0], outcomes[3]]
