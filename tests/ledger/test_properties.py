"""Property tests: random sequences of clicks, invalidations, maturity, payouts and
cancellations keep the ledger sound and equal to the clicks table."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from fairclick.clicks.models import Click
from fairclick.clicks.reverdict import invalidate
from fairclick.domain.reasons import Billing, Reason
from fairclick.ledger import repository as repo
from fairclick.ledger.models import (
    AccountKind,
    BatchStatus,
    CampaignDailySpend,
    CampaignInfluencerSpend,
    ClickPosting,
    LedgerAccount,
    LedgerLine,
    PayoutBatch,
    PostingState,
)
from fairclick.ledger.payouts import cancel_batch, mark_paid, run_payouts, set_bank_account
from fairclick.ledger.posting import bill_clicks, mature, reverser
from fairclick.store import Database
from fairclick.store.models import Base
from tests.conftest import POSTGRES_URL, require
from tests.ledger.conftest import START, LedgerWorld, ledger_world

BUDGET, DAILY_CAP, INFLUENCER_CAP = 700, 300, 450

clicks_op = st.tuples(
    st.just("clicks"),
    st.lists(st.sampled_from(["nina", "noah", "nina-DE"]), min_size=1, max_size=4),
)
invalidate_op = st.tuples(st.just("invalidate"), st.integers(0, 40))
advance_op = st.tuples(st.just("advance"), st.integers(1, 200))  # hours, then mature
payout_op = st.tuples(st.just("payout"), st.integers(0, 300))  # minimum
decide_op = st.tuples(st.just("decide"), st.sampled_from(["paid", "cancelled", "failed"]))
operations = st.lists(
    st.one_of(clicks_op, invalidate_op, advance_op, payout_op, decide_op), max_size=30
)


@dataclass
class Run:
    db: Database
    world: LedgerWorld
    now: datetime = START + timedelta(minutes=5)
    n: int = 0
    click_ids: list[str] = field(default_factory=list)


def _write_clicks(session: Session, run: Run, people: list[str]) -> None:
    batch = []
    for who in people:
        run.n += 1
        name, _, country = who.partition("-")
        batch.append(
            run.world.click(
                run.n, name, ts=run.now + timedelta(seconds=run.n), country=country or "FR"
            )
        )
    for click, outcome in zip(batch, bill_clicks(session, batch, now=run.now), strict=True):
        session.add(
            Click(
                click_id=click.click_id, seq=run.n * 10 + len(run.click_ids), ts=click.ts,
                code="x", link_id=click.link_id, campaign_id=click.campaign_id,
                influencer_id=click.influencer_id, method="GET", status=302, verdict="valid",
                billing=outcome.billing.value, unbilled_cause=outcome.cause.value if outcome.cause else None,
                amount_minor=outcome.amount_minor, payout_minor=outcome.payout_minor, currency=outcome.currency,
            )
        )  # fmt: skip
        run.click_ids.append(click.click_id)


def _apply(session: Session, run: Run, op: tuple[str, object]) -> None:
    kind, arg = op
    if kind == "clicks":
        _write_clicks(session, run, arg)  # type: ignore[arg-type]
    elif kind == "invalidate" and run.click_ids:
        click_id = run.click_ids[int(arg) % len(run.click_ids)]  # type: ignore[call-overload]
        invalidate(session, [click_id], Reason.BURST, by="retro", at=run.now, reverser=reverser)
    elif kind == "advance":
        run.now += timedelta(hours=int(arg))  # type: ignore[call-overload]
        mature(session, now=run.now)
    elif kind == "payout":
        run_payouts(session, currency="EUR", at=run.now, by="op", min_minor=int(arg))  # type: ignore[call-overload]
    elif kind == "decide":
        batch = session.scalars(
            select(PayoutBatch)
            .where(PayoutBatch.status == BatchStatus.OPEN.value)
            .order_by(PayoutBatch.id)
        ).first()
        if batch is not None and arg == "paid":
            mark_paid(session, batch.id, at=run.now, by="op")
        elif batch is not None:
            cancel_batch(session, batch.id, at=run.now, by="op", failed=arg == "failed")


def _check(session: Session, run: Run) -> None:
    world, cur = run.world, "EUR"
    # Every entry balances.
    unbalanced = session.execute(
        select(LedgerLine.entry_id).join(LedgerAccount, LedgerAccount.id == LedgerLine.account_id)
        .group_by(LedgerLine.entry_id, LedgerAccount.currency).having(func.sum(LedgerLine.amount_minor) != 0)
    ).all()  # fmt: skip
    assert unbalanced == []
    # Spend never beyond the budget or a cap, and equal to the ledger's view of it.
    row = repo.spend_row(session, world.campaign_id)
    spent, committed = (row.spent_minor, row.committed_minor) if row else (0, 0)
    assert 0 <= spent <= BUDGET
    remaining = repo.balance(session, AccountKind.CAMPAIGN_BUDGET, world.campaign_id, cur)
    assert committed - remaining == spent
    days = session.scalars(select(CampaignDailySpend.spent_minor)).all()
    assert all(0 <= d <= DAILY_CAP for d in days) and sum(days) == spent
    per_influencer = session.scalars(select(CampaignInfluencerSpend.spent_minor)).all()
    assert all(0 <= s <= INFLUENCER_CAP for s in per_influencer)
    # The ledger's totals equal the clicks table's billed totals.
    billed = Click.billing == Billing.BILLED.value
    amount, payout = session.execute(
        select(func.coalesce(func.sum(Click.amount_minor), 0), func.coalesce(func.sum(Click.payout_minor), 0)).where(billed)
    ).one()  # fmt: skip
    credit = repo.balance(session, AccountKind.ADVERTISER_CREDIT, world.organisation_id, cur)
    assert spent - credit == amount
    assert repo.balance(session, AccountKind.PLATFORM_REVENUE, 0, cur) == amount - payout
    for person in world.influencers.values():
        b = {
            k: repo.balance(session, k, person, cur)
            for k in AccountKind
            if k.value.startswith("influencer_")
        }
        earned = session.scalar(
            select(func.coalesce(func.sum(Click.payout_minor), 0)).where(
                billed, Click.influencer_id == person
            )
        )
        assert sum(b.values()) == earned
        assert b[AccountKind.INFLUENCER_AVAILABLE] >= 0 and b[AccountKind.INFLUENCER_IN_PAYOUT] >= 0
        # Never paid twice: what left (or is leaving) is covered by what matured, net of clawbacks.
        matured = session.scalar(
            select(func.coalesce(func.sum(ClickPosting.payout_minor), 0)).where(
                ClickPosting.influencer_id == person,
                ClickPosting.state.in_(
                    [PostingState.AVAILABLE.value, PostingState.CLAWED_BACK.value]
                ),
            )
        )
        clawed = -b[AccountKind.INFLUENCER_CLAWBACK]
        paid_or_paying = b[AccountKind.INFLUENCER_PAID] + b[AccountKind.INFLUENCER_IN_PAYOUT]
        assert paid_or_paying + b[AccountKind.INFLUENCER_AVAILABLE] - clawed <= matured


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
@example(  # a history that surely meets every path: caps, reversal, clawback, paid, cancelled
    ops=[
        ("clicks", ["nina"] * 4),
        ("clicks", ["noah", "nina-DE", "nina", "noah"]),
        ("advance", 80),
        ("payout", 0),
        ("invalidate", 0),
        ("decide", "cancelled"),
        ("clicks", ["noah"] * 4),
        ("invalidate", 9),
        ("payout", 50),
        ("decide", "paid"),
        ("invalidate", 1),
        ("clicks", ["nina"] * 4),
        ("clicks", ["noah"] * 4),
        ("advance", 100),
        ("payout", 0),
        ("decide", "failed"),
    ]
)
def test_random_histories_keep_the_ledger_sound(
    sqlite_template: Path, ops: list[tuple[str, object]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.db"
        shutil.copy(sqlite_template, path)
        db = Database.from_url(f"sqlite:///{path}")
        try:
            _play(db, ops)
        finally:
            db.engine.dispose()


@pytest.mark.postgres
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=operations)
def test_random_histories_keep_the_ledger_sound_on_postgresql(
    ops: list[tuple[str, object]],
) -> None:
    require("postgresql")
    schema = f"fct_{uuid.uuid4().hex[:16]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database.from_url(f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema}')}")
    try:
        Base.metadata.create_all(db.engine)
        _play(db, ops)
    finally:
        db.engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _play(db: Database, ops: list[tuple[str, object]]) -> None:
    world = ledger_world(
        db, budget=BUDGET, daily_cap=DAILY_CAP, influencer_cap=INFLUENCER_CAP, hold_days=3
    )
    run = Run(db, world)
    with db.session() as session:
        for name, iid in world.influencers.items():
            set_bank_account(session, iid, name.title(), "DE89 3704 0044 0532 0130 00")
    for op in ops:
        with db.session() as session:
            _apply(session, run, op)
        with db.session() as session:
            _check(session, run)
