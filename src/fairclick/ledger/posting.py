"""Billing valid clicks into the ledger: the interface the validator worker and moderation call.

Every function runs inside the caller's transaction and never commits. `bill_clicks` bills in
the order given (event-time order) and is idempotent by click id; `hold`, `release_held` and
`drop_held` handle clicks held for moderation; reversals, clawbacks and maturity come from
`settlement` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fairclick.clicks.models import Click
from fairclick.domain.reasons import UnbilledCause
from fairclick.ledger import repository as repo
from fairclick.ledger.billing import (
    BillableClick,
    BillingOutcome,
    Context,
    Draft,
    Posting,
    decide,
    existing_postings,
    finish,
    insert_drafts,
    new_posting,
    outcome_of,
    prepare,
)
from fairclick.ledger.models import (
    ClickPosting,
    PostingState,
)
from fairclick.ledger.settlement import (
    LedgerReverser,
    Reversal,
    mature,
    reverse_click,
    reverse_clicks,
    reverser,
)
from fairclick.links.models import Link


def bill_clicks(
    session: Session, clicks: Sequence[BillableClick], *, now: datetime
) -> list[BillingOutcome]:
    """Bill valid clicks in the order given (event-time order) and return one outcome each.

    Idempotent by click_id: a click already posted (or held) returns its existing outcome and
    posts nothing. Never commits; the caller's transaction holds the campaigns' spend rows
    locked until it ends.
    """
    existing: dict[str, Posting] = dict(existing_postings(session, [c.click_id for c in clicks]))
    ctx = Context(session)
    prepare(ctx, {c.campaign_id for c in clicks if c.click_id not in existing}, now)
    ctx.preload([c for c in clicks if c.click_id not in existing])
    fresh: list[Draft] = []
    for click in clicks:
        if click.click_id not in existing:
            posting = new_posting(ctx, click)
            decide(ctx, posting, click, now)
            existing[click.click_id] = posting
            fresh.append(posting)
    # Entries first, so that each posting row is inserted once, already linked to its entry.
    finish(ctx, fresh, now)
    insert_drafts(session, fresh)
    return [outcome_of(existing[click.click_id]) for click in clicks]


def hold(
    session: Session, clicks: Sequence[BillableClick], *, now: datetime
) -> list[BillingOutcome]:
    """Record valid clicks held for moderation: unbilled `held_for_review`, no money moves,
    until `release_held` bills them or `drop_held` leaves them unbilled. Idempotent."""
    existing: dict[str, Posting] = dict(existing_postings(session, [c.click_id for c in clicks]))
    ctx = Context(session)
    fresh: list[Draft] = []
    for click in clicks:
        if click.click_id not in existing:
            posting = new_posting(ctx, click)
            posting.state = PostingState.HELD.value
            posting.cause = UnbilledCause.HELD_FOR_REVIEW.value
            posting.posted_at = now
            existing[click.click_id] = posting
            fresh.append(posting)
    insert_drafts(session, fresh)
    return [outcome_of(existing[click.click_id]) for click in clicks]


def _held(session: Session, click_ids: Sequence[str]) -> list[ClickPosting]:
    # The named lock makes two moderators' decisions take turns on SQLite as on PostgreSQL.
    repo.serialise(session, "holds")
    return list(
        session.scalars(
            select(ClickPosting)
            .where(
                ClickPosting.click_id.in_(list(click_ids)),
                ClickPosting.state == PostingState.HELD.value,
            )
            .order_by(ClickPosting.ts, ClickPosting.click_id)
            .with_for_update()
        )
    )


def release_held(
    session: Session, click_ids: Sequence[str], *, at: datetime
) -> list[BillingOutcome]:
    """Bill held clicks that moderation cleared, in event-time order, against the budgets as
    they stand at `at` (caps still count by each click's own event day). Clicks not held are
    skipped; returns the outcomes of the clicks released."""
    held = _held(session, click_ids)
    ctx = Context(session)
    prepare(ctx, {p.campaign_id for p in held}, at)
    for posting in held:
        click = BillableClick(
            posting.click_id,
            posting.ts,
            posting.campaign_id,
            posting.influencer_id,
            posting.link_id,
            posting.network,
            posting.country,
        )
        decide(ctx, posting, click, at)
    finish(ctx, held, at)
    session.flush()
    return [outcome_of(p) for p in held]


def drop_held(
    session: Session,
    click_ids: Sequence[str],
    *,
    at: datetime,
    cause: UnbilledCause = UnbilledCause.INVALID,
) -> int:
    """Leave held clicks unbilled for good (moderation rejected them); returns how many."""
    held = _held(session, click_ids)
    for posting in held:
        posting.state, posting.cause, posting.settled_at = (
            PostingState.UNBILLED.value,
            cause.value,
            at,
        )
    session.flush()
    return len(held)


def release_clicks(session: Session, clicks: Sequence[Click], now: datetime) -> None:
    """Moderation cleared these held clicks (`moderation.service.decide_case`'s `release_held`
    hook): bill them (held postings are released; clicks the ledger never saw are billed now)
    and copy each outcome onto its click row."""
    rows = [c for c in clicks if c.campaign_id and c.influencer_id and c.link_id]
    postings = existing_postings(session, [c.click_id for c in rows])
    outcomes = {o.click_id: o for o in release_held(session, [c.click_id for c in rows], at=now)}
    fresh = [c for c in rows if c.click_id not in postings]
    if fresh:
        networks = dict(
            session.execute(
                select(Link.id, Link.network).where(Link.id.in_({c.link_id for c in fresh}))
            ).all()
        )
        billable = [
            BillableClick(
                c.click_id,
                c.ts,
                int(c.campaign_id or 0),
                int(c.influencer_id or 0),
                int(c.link_id or 0),
                networks.get(c.link_id or 0),
                c.country,
            )
            for c in sorted(fresh, key=lambda c: (c.ts, c.click_id))
        ]
        outcomes.update((o.click_id, o) for o in bill_clicks(session, billable, now=now))
    for click in rows:
        outcome = outcomes.get(click.click_id)
        if outcome is None:
            continue
        click.billing = outcome.billing.value
        click.unbilled_cause = outcome.cause.value if outcome.cause else None
        click.amount_minor, click.payout_minor = outcome.amount_minor, outcome.payout_minor
        click.currency = outcome.currency
    session.flush()


__all__ = [
    "BillableClick",
    "BillingOutcome",
    "LedgerReverser",
    "Reversal",
    "bill_clicks",
    "drop_held",
    "hold",
    "mature",
    "outcome_of",
    "release_clicks",
    "release_held",
    "reverse_click",
    "reverse_clicks",
    "reverser",
]
