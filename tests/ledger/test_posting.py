"""Billing valid clicks: prices, budgets, caps, gates, idempotency, hold for review."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from fairclick.campaigns.models import Campaign, Enrolment
from fairclick.clicks.models import Click
from fairclick.domain.reasons import Billing, UnbilledCause
from fairclick.ledger import repository as repo
from fairclick.ledger import service
from fairclick.ledger.models import (
    AccountKind,
    CampaignDailySpend,
    CampaignInfluencerSpend,
    CampaignSpend,
    ClickPosting,
    LedgerAccount,
    LedgerEntry,
    LedgerLine,
)
from fairclick.ledger.posting import (
    BillableClick,
    BillingOutcome,
    bill_clicks,
    drop_held,
    hold,
    mature,
    release_clicks,
    release_held,
    reverse_click,
    reverse_clicks,
)
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


def _causes(outcomes: list[BillingOutcome]) -> list[str | None]:
    return [o.cause.value if o.cause else o.billing.value for o in outcomes]


def test_daily_cap_counts_days_in_the_campaign_timezone(test_db: TestDb) -> None:
    # Paris is UTC+1 in November: 22:59 UTC is still the 20th, 23:00 UTC is the 21st.
    world = ledger_world(test_db.db, daily_cap=100, budget=1000)
    before = datetime(2025, 11, 20, 22, 59, tzinfo=UTC)
    after = datetime(2025, 11, 20, 23, 0, tzinfo=UTC)
    clicks = [world.click(n, ts=before) for n in range(3)] + [
        world.click(n, ts=after) for n in range(3, 6)
    ]
    with test_db.db.session() as session:
        outcomes = bill_clicks(session, clicks, now=NOW)
    assert _causes(outcomes) == ["billed", "billed", "daily_cap"] * 2
    with test_db.db.session() as session:
        days = dict(
            session.execute(
                select(CampaignDailySpend.day, CampaignDailySpend.spent_minor).where(
                    CampaignDailySpend.campaign_id == world.campaign_id
                )
            ).all()
        )
        assert days == {date(2025, 11, 20): 100, date(2025, 11, 21): 100}
        assert repo.spend_row(session, world.campaign_id).spent_minor == 200  # type: ignore[union-attr]


def test_influencer_cap_stops_one_influencer_not_the_other(test_db: TestDb) -> None:
    world = ledger_world(test_db.db, influencer_cap=100)
    clicks = [world.click(n, "nina") for n in range(3)] + [world.click(9, "noah")]
    with test_db.db.session() as session:
        outcomes = bill_clicks(session, clicks, now=NOW)
    assert _causes(outcomes) == ["billed", "billed", "influencer_cap", "billed"]
    with test_db.db.session() as session:
        # The refused click gave back what it had taken from the total and the day.
        assert repo.spend_row(session, world.campaign_id).spent_minor == 150  # type: ignore[union-attr]


def test_gates_geo_paused_dates_link_and_enrolment(test_db: TestDb) -> None:
    world = ledger_world(test_db.db)
    with test_db.db.session() as session:
        outcomes = bill_clicks(
            session,
            [
                world.click(0, country="DE"),
                world.click(1, country=None),
                world.click(2, country="BE"),
                world.click(3, link_disabled=True),
                world.click(4, ts=START - timedelta(seconds=1)),
                world.click(5, ts=datetime(2025, 12, 23, 23, 0, tzinfo=UTC)),
            ],
            now=NOW,
        )
    assert _causes(outcomes) == [
        "geo_not_targeted",
        "geo_not_targeted",
        "billed",
        "campaign_inactive",
        "campaign_inactive",
        "campaign_inactive",
    ]
    with test_db.db.session() as session:
        session.execute(
            update(Enrolment)
            .where(Enrolment.influencer_id == world.influencers["noah"])
            .values(status="suspended")
        )
    with test_db.db.session() as session:
        assert _causes(bill_clicks(session, [world.click(6, "noah")], now=NOW)) == [
            "campaign_inactive"
        ]
        session.execute(update(Campaign).values(status="paused"))
    with test_db.db.session() as session:
        assert _causes(bill_clicks(session, [world.click(7)], now=NOW)) == ["campaign_inactive"]
        assert repo.spend_row(session, world.campaign_id).spent_minor == 50  # type: ignore[union-attr]


def test_overrides_by_network_and_country(test_db: TestDb) -> None:
    world = ledger_world(test_db.db, advertiser_price_by_tier=None, commission_percent=50)
    with test_db.db.session() as session:
        service.add_override(session, "camp", payout_minor=40, network="tiktok")
        service.add_override(
            session, "camp", payout_minor=60, price_minor=100, network="tiktok", country="BE"
        )
    with test_db.db.session() as session:
        outcomes = bill_clicks(
            session,
            [
                world.click(0),
                world.click(1, network="tiktok"),
                world.click(2, network="tiktok", country="BE"),
            ],
            now=NOW,
        )
    # Tier card: 30 + 50 % = 45; tiktok: 40 + 50 % = 60; tiktok from Belgium: explicit 100.
    assert [(o.amount_minor, o.payout_minor) for o in outcomes] == [(45, 30), (60, 40), (100, 60)]


def test_one_click_entry_per_influencer_sums_its_postings_and_moves_what_clicks_one_by_one_do(
    test_db: TestDb,
) -> None:
    # A batch posts one CLICK entry per campaign and influencer; the money must be what one
    # call per click (one entry each) moves, and each entry's lines the sums of its postings.
    world = ledger_world(
        test_db.db, advertiser_price_by_tier=None, commission_percent=50, budget=1000
    )
    with test_db.db.session() as session:
        service.add_override(session, "camp", payout_minor=40, network="tiktok")
        service.add_override(session, "camp", payout_minor=60, price_minor=60, country="BE")
    clicks = [
        world.click(
            n,
            "nina" if n % 3 else "noah",
            ts=START + timedelta(hours=1, minutes=n),
            network="tiktok" if n % 4 == 0 else "x",
            country="BE" if n % 5 == 0 else "FR",
        )
        for n in range(30)
    ]

    def state(session: Session) -> tuple[object, ...]:
        return (
            {k: v for k, v in repo.balances(session, list(AccountKind)).items() if v},
            session.execute(
                select(
                    ClickPosting.click_id,
                    ClickPosting.state,
                    ClickPosting.cause,
                    ClickPosting.amount_minor,
                    ClickPosting.payout_minor,
                ).order_by(ClickPosting.click_id)
            ).all(),
            repo.spend_row(session, world.campaign_id).spent_minor,  # type: ignore[union-attr]
        )

    with test_db.db.session() as session:
        one_by_one = [bill_clicks(session, [c], now=NOW)[0] for c in clicks]
        expected = state(session)
        session.rollback()
    with test_db.db.session() as session:
        assert bill_clicks(session, clicks, now=NOW) == one_by_one
        assert state(session) == expected
        assert {o.amount_minor for o in one_by_one} == {0, 45, 60}  # budget ran out
        entries = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "click")).all()
        assert sorted(e.influencer_id for e in entries) == sorted(world.influencers.values())
        for entry in entries:
            price, payout, count = session.execute(
                select(
                    func.sum(ClickPosting.amount_minor),
                    func.sum(ClickPosting.payout_minor),
                    func.count(),
                ).where(ClickPosting.entry_id == entry.id)
            ).one()
            lines = {
                account.kind: amount for account, amount in repo.entry_lines(session, entry.id)
            }
            assert lines == {
                "campaign_budget": -price,
                "influencer_pending": payout,
                "platform_revenue": price - payout,
            }
            assert (entry.click_id, entry.memo) == (None, f"{count} clicks")
        assert service.trial_balance(session) == {"EUR": 0}


def test_budget_raise_is_committed_from_the_advertiser_funds(test_db: TestDb) -> None:
    world = ledger_world(test_db.db, budget=100)
    with test_db.db.session() as session:
        bill_clicks(session, [world.click(n) for n in range(3)], now=NOW)
        session.execute(update(Campaign).values(budget_minor=150))
    with test_db.db.session() as session:
        assert _causes(bill_clicks(session, [world.click(3)], now=NOW)) == ["billed"]
        funds = repo.balance(session, AccountKind.ADVERTISER_FUNDS, world.organisation_id, "EUR")
        assert funds == -150
        assert repo.balance(session, AccountKind.CAMPAIGN_BUDGET, world.campaign_id, "EUR") == 0


def test_hold_then_release_or_drop(test_db: TestDb) -> None:
    world = ledger_world(test_db.db, budget=100)
    with test_db.db.session() as session:
        held = hold(session, [world.click(0), world.click(1)], now=NOW)
        assert _causes(held) == ["held_for_review"] * 2
        # Billing a held click again does not bill it: it waits for the decision.
        assert _causes(bill_clicks(session, [world.click(0)], now=NOW)) == ["held_for_review"]
        assert _causes(bill_clicks(session, [world.click(2)], now=NOW)) == ["billed"]
    with test_db.db.session() as session:
        assert _causes(release_held(session, [world.click(0).click_id], at=NOW)) == ["billed"]
        assert drop_held(session, [world.click(1).click_id], at=NOW) == 1
        assert release_held(session, [world.click(1).click_id], at=NOW) == []
        assert _causes(bill_clicks(session, [world.click(1)], now=NOW)) == ["invalid"]
        assert repo.balance(session, AccountKind.CAMPAIGN_BUDGET, world.campaign_id, "EUR") == 0


def test_release_clicks_bills_held_click_rows_and_copies_the_outcome(test_db: TestDb) -> None:
    world = ledger_world(test_db.db, budget=100)
    held_by_ledger, held_by_worker, too_many = world.click(0), world.click(1), world.click(2)
    with test_db.db.session() as session:
        hold(session, [held_by_ledger], now=NOW)
        for n, click in enumerate((held_by_ledger, held_by_worker, too_many)):
            session.add(
                Click(
                    click_id=click.click_id, seq=n, ts=click.ts, code="x", link_id=click.link_id,
                    campaign_id=click.campaign_id, influencer_id=click.influencer_id,
                    method="GET", status=302, verdict="valid", billing="unbilled",
                    unbilled_cause="held_for_review", country=click.country,
                )
            )  # fmt: skip
    with test_db.db.session() as session:
        rows = list(session.scalars(select(Click).order_by(Click.seq)))
        release_clicks(session, rows, NOW)
    with test_db.db.session() as session:
        found = [
            (c.billing, c.unbilled_cause, c.amount_minor, c.payout_minor)
            for c in session.scalars(select(Click).order_by(Click.seq))
        ]
    assert found == [
        ("billed", None, 50, 30),
        ("billed", None, 50, 30),
        ("unbilled", "budget_exhausted", 0, 0),
    ]


def test_one_batch_bills_as_clicks_one_by_one_would_across_days_and_caps(
    test_db: TestDb,
) -> None:
    # The batch reads every counter it needs up front and writes the increments once at the
    # end: it must decide exactly what the rules say in event-time order, click by click.
    world = ledger_world(test_db.db, budget=1200, daily_cap=400, influencer_cap=650)
    days = [datetime(2025, 11, 18, 9, tzinfo=UTC) + timedelta(days=d) for d in range(3)]
    clicks = [
        world.click(n, "nina" if n % 3 else "noah", ts=days[n // 12] + timedelta(minutes=n))
        for n in range(36)
    ]
    with test_db.db.session() as session:
        outcomes = bill_clicks(session, clicks, now=NOW)
    spent, per_day, per_person, expected = 0, dict[date, int](), dict[int, int](), []
    for click in clicks:
        day = click.ts.date()  # 09:00 UTC is the same day in Paris
        if spent + 50 > 1200:
            expected.append("budget_exhausted")
        elif per_day.get(day, 0) + 50 > 400:
            expected.append("daily_cap")
        elif per_person.get(click.influencer_id, 0) + 50 > 650:
            expected.append("influencer_cap")
        else:
            spent += 50
            per_day[day] = per_day.get(day, 0) + 50
            per_person[click.influencer_id] = per_person.get(click.influencer_id, 0) + 50
            expected.append("billed")
    assert _causes(outcomes) == expected
    with test_db.db.session() as session:
        assert repo.spend_row(session, world.campaign_id).spent_minor == spent  # type: ignore[union-attr]
        assert repo.balance(session, AccountKind.CAMPAIGN_BUDGET, world.campaign_id, "EUR") == (
            1200 - spent
        )
        counted = dict(
            session.execute(select(CampaignDailySpend.day, CampaignDailySpend.spent_minor)).all()
        )
        assert counted == per_day
        assert bill_clicks(session, clicks, now=NOW) == outcomes  # idempotent, nothing posted
        assert repo.spend_row(session, world.campaign_id).spent_minor == spent  # type: ignore[union-attr]


def _ledger_state(session: Session) -> dict[str, object]:
    """Everything a reversal may change, without the ids that depend on insertion order."""
    accounts = {
        a.id: (a.kind, a.owner_id, a.currency) for a in session.scalars(select(LedgerAccount))
    }
    corrections = []
    for entry in session.scalars(
        select(LedgerEntry).where(LedgerEntry.kind.in_(["reversal", "clawback"]))
    ):
        lines = session.execute(
            select(LedgerLine.account_id, LedgerLine.amount_minor).where(
                LedgerLine.entry_id == entry.id
            )
        ).all()
        corrections.append(
            (
                entry.click_id, entry.kind, entry.reverses_entry_id, entry.at, entry.memo,
                entry.by, entry.campaign_id, entry.influencer_id, entry.organisation_id,
                sorted((accounts[a], amount) for a, amount in lines),
            )
        )  # fmt: skip
    return {
        "balances": {k: v for k, v in repo.balances(session, list(AccountKind)).items() if v},
        "postings": session.execute(
            select(
                ClickPosting.click_id,
                ClickPosting.state,
                ClickPosting.cause,
                ClickPosting.settled_at,
                ClickPosting.entry_id,
                ClickPosting.amount_minor,
            ).order_by(ClickPosting.click_id)
        ).all(),
        "total": session.execute(
            select(CampaignSpend.campaign_id, CampaignSpend.spent_minor)
        ).all(),
        "days": session.execute(
            select(CampaignDailySpend.day, CampaignDailySpend.spent_minor).order_by(
                CampaignDailySpend.day
            )
        ).all(),
        "influencers": session.execute(
            select(
                CampaignInfluencerSpend.influencer_id, CampaignInfluencerSpend.spent_minor
            ).order_by(CampaignInfluencerSpend.influencer_id)
        ).all(),
        "corrections": sorted(corrections, key=lambda c: (str(c[0]), str(c[1]))),
    }


def test_reversing_a_batch_equals_reversing_the_clicks_one_by_one(test_db: TestDb) -> None:
    # Clicks in every posting state: available (matured), pending, held, already reversed,
    # unbilled (over the influencer cap), never posted; on three days and two influencers;
    # one click given twice. The batch must post exactly what one call per click posts.
    world = ledger_world(test_db.db, budget=5000, influencer_cap=400)
    billed_at, later = NOW, NOW + timedelta(days=20)

    def click(n: int) -> BillableClick:
        ts = START + timedelta(days=n % 3, minutes=30 + n)
        return world.click(n, "nina" if n % 2 else "noah", ts=ts)

    with test_db.db.session() as session:
        bill_clicks(session, [click(n) for n in range(6)], now=billed_at)
        assert mature(session, now=billed_at + timedelta(days=14)) == 6
        outcomes = bill_clicks(session, [click(n) for n in range(6, 20)], now=later)
        assert _causes(outcomes).count("influencer_cap") == 4  # 16, 17, 18, 19
        hold(session, [click(20), click(21)], now=later)
        assert reverse_clicks(session, [click(7).click_id], reason="burst", at=later, by="t")
    ids = [click(n).click_id for n in (3, 7, 20, 99, 8, 0, 8, 17, 21, 12, 5, 1, 9, 18, 13, 2)]
    with test_db.db.session() as session:
        one_by_one = [
            reverse_click(session, c, reason="click_ring", at=later, by="retro:click_ring")
            for c in ids
        ]
        expected = _ledger_state(session)
        session.rollback()
    with test_db.db.session() as session:
        before = _ledger_state(session)
        batch = reverse_clicks(session, ids, reason="click_ring", at=later, by="retro:click_ring")
        found = _ledger_state(session)
    assert found == expected != before
    assert [
        (r.click_id, r.kind, r.reverses_entry_id, r.amount_minor, r.payout_minor, r.currency)
        for r in batch
    ] == [
        (r.click_id, r.kind, r.reverses_entry_id, r.amount_minor, r.payout_minor, r.currency)
        for r in one_by_one
        if r is not None
    ]
    kinds = [r.kind.value for r in batch]
    # clawed back: 3, 0, 5, 1, 2 (matured); reversed: 8, 12, 9, 13 (7 was already)
    assert (kinds.count("clawback"), kinds.count("reversal")) == (5, 4)
    with test_db.db.session() as session:
        # A click reversed twice is reversed once.
        assert reverse_clicks(session, ids, reason="again", at=later, by="t") == []
        assert _ledger_state(session) == found
        assert service.trial_balance(session) == {"EUR": 0}


def test_two_racing_batch_reversals_reverse_each_click_once(test_db: TestDb) -> None:
    world = ledger_world(test_db.db, budget=5000)
    clicks = [world.click(n, "nina" if n % 2 else "noah") for n in range(24)]
    with test_db.db.session() as session:
        bill_clicks(session, clicks, now=NOW)
    ids = [c.click_id for c in clicks]
    barrier, posted = threading.Barrier(2), list[list[str]]()

    def reverse(chosen: list[str]) -> None:
        barrier.wait(timeout=30)
        with test_db.db.session() as session:
            done = reverse_clicks(session, chosen, reason="burst", at=NOW, by="retro")
        posted.append([r.click_id for r in done])

    threads = [
        threading.Thread(target=reverse, args=(ids[:16],)),
        threading.Thread(target=reverse, args=(list(reversed(ids[8:])),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(c for done in posted for c in done) == sorted(ids)
    with test_db.db.session() as session:
        assert repo.spend_row(session, world.campaign_id).spent_minor == 0  # type: ignore[union-attr]
        assert repo.balance(session, AccountKind.CAMPAIGN_BUDGET, world.campaign_id, "EUR") == 5000
        assert service.trial_balance(session) == {"EUR": 0}
