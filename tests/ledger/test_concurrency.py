"""Several processes billing one campaign at once never spend beyond its budget."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from fairclick.domain.reasons import Billing, UnbilledCause
from fairclick.ledger import repository as repo
from fairclick.ledger import service
from fairclick.ledger.models import AccountKind
from fairclick.ledger.posting import BillableClick, bill_clicks
from fairclick.store import Database
from tests.conftest import TestDb
from tests.ledger.conftest import START, ledger_world

PROCESSES = 4
CLICKS_EACH = 15
PRICE = 50
BUDGET = 20 * PRICE  # 20 of the 60 clicks fit


def _worker(url: str, clicks: list[BillableClick], barrier: Any, results: Any) -> None:
    db = Database.from_url(url)
    barrier.wait(timeout=60)
    outcomes = []
    for click in clicks:
        # One transaction per click: as many interleavings as the engines allow.
        with db.session() as session:
            outcome = bill_clicks(session, [click], now=START + timedelta(hours=1))[0]
        outcomes.append((outcome.billing.value, outcome.cause.value if outcome.cause else None))
    db.engine.dispose()
    results.put(outcomes)


@pytest.mark.timeout(300)
def test_concurrent_billing_stops_exactly_at_the_budget(test_db: TestDb) -> None:
    world = ledger_world(test_db.db, budget=BUDGET)
    test_db.db.engine.dispose()
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    processes = []
    for p in range(PROCESSES):
        who = "nina" if p % 2 else "noah"
        clicks = [world.click(p * 1000 + n, who) for n in range(CLICKS_EACH)]
        processes.append(ctx.Process(target=_worker, args=(test_db.url, clicks, barrier, results)))
    for process in processes:
        process.start()
    outcomes = [item for _ in processes for item in results.get(timeout=240)]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    counts = Counter(outcomes)
    assert counts == {
        (Billing.BILLED.value, None): BUDGET // PRICE,
        (Billing.UNBILLED.value, UnbilledCause.BUDGET_EXHAUSTED.value): PROCESSES * CLICKS_EACH
        - BUDGET // PRICE,
    }
    with test_db.db.session() as session:
        assert repo.spend_row(session, world.campaign_id).spent_minor == BUDGET  # type: ignore[union-attr]
        assert repo.balance(session, AccountKind.CAMPAIGN_BUDGET, world.campaign_id, "EUR") == 0
        assert service.trial_balance(session) == {"EUR": 0}
