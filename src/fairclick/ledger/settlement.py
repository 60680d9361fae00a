"""After billing: maturity of pending earnings, reversals inside the hold, clawbacks after it.

A reversal is the exact mirror of the click's entry (the campaign gets its budget back, the
spend counters go down, the influencer loses the pending amount). After maturity the money may
already be paid, so the click is clawed back instead: the influencer's clawback account goes
negative (netted against the next payouts) and the advertiser receives a credit note.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fairclick.domain.reasons import UnbilledCause
from fairclick.ledger import repository as repo
from fairclick.ledger.models import (
    AccountKind,
    ClickPosting,
    EntryKind,
    LedgerEntry,
    PostingState,
)


@dataclass(frozen=True, slots=True)
class Reversal:
    """A correction posted for an invalidated click: `reversal` (inside the hold) or
    `clawback` (after maturity, with a credit note to the advertiser)."""

    click_id: str
    kind: EntryKind
    entry_id: int
    reverses_entry_id: int
    amount_minor: int
    payout_minor: int
    currency: str


def reverse_click(
    session: Session, click_id: str, *, reason: str, at: datetime, by: str
) -> Reversal | None:
    """Undo the billing of a click that became invalid; None when there is nothing to undo
    (never billed, already reversed). A held click is simply dropped. Idempotent; never
    commits."""
    posting = session.scalars(
        select(ClickPosting).where(ClickPosting.click_id == click_id).with_for_update()
    ).first()
    if posting is None:
        return None
    # The conditional state change is what stops two concurrent reversals (or a reversal racing
    # maturity) from both posting: only one moves the row; the loser reads the new state again.
    while True:
        state = PostingState(posting.state)
        if state == PostingState.HELD:
            if repo.claim(session, click_id, state.value, PostingState.UNBILLED.value, at):
                posting.cause = UnbilledCause.INVALID.value
                session.flush()
                session.refresh(posting)
                return None
        elif state == PostingState.PENDING or state == PostingState.AVAILABLE:
            target = (
                PostingState.REVERSED if state == PostingState.PENDING else PostingState.CLAWED_BACK
            )
            if repo.claim(session, click_id, state.value, target.value, at):
                break
        else:
            return None
        session.refresh(posting)
    assert posting.entry_id is not None
    accounts = repo.AccountCache(session)
    price, payout, cur = posting.amount_minor, posting.payout_minor, posting.currency
    entry = LedgerEntry(
        at=at,
        click_id=click_id,
        organisation_id=posting.organisation_id,
        campaign_id=posting.campaign_id,
        influencer_id=posting.influencer_id,
        reverses_entry_id=posting.entry_id,
        memo=reason[:300],
        by=by[:100],
    )
    if state == PostingState.PENDING:
        entry.kind = EntryKind.REVERSAL.value
        legs = [
            repo.Leg(AccountKind(account.kind), account.owner_id, account.currency, -amount)
            for account, amount in repo.entry_lines(session, posting.entry_id)
        ]
        repo.unspend(session, posting.campaign_id, posting.influencer_id, posting.day, price)
    else:
        entry.kind = EntryKind.CLAWBACK.value
        legs = [
            repo.Leg(AccountKind.ADVERTISER_CREDIT, posting.organisation_id, cur, price),
            repo.Leg(AccountKind.INFLUENCER_CLAWBACK, posting.influencer_id, cur, -payout),
            repo.Leg(AccountKind.PLATFORM_REVENUE, 0, cur, payout - price),
        ]
    repo.post_entry(session, accounts, entry, legs)
    session.refresh(posting)
    return Reversal(
        click_id=click_id,
        kind=EntryKind(entry.kind),
        entry_id=entry.id,
        reverses_entry_id=posting.entry_id,
        amount_minor=price,
        payout_minor=payout,
        currency=cur,
    )


def reverser(session: Session, click_id: str, reason: str, at: datetime, by: str) -> object:
    """`reverse_click` with positional arguments: the hook `clicks.reverdict` calls."""
    return reverse_click(session, click_id, reason=reason, at=at, by=by)


def mature(session: Session, *, now: datetime) -> int:
    """Move the earnings of every billed click whose hold ended (matures_at ≤ now) from
    pending to available: one MATURITY entry per influencer and currency. Returns the number
    of clicks matured; a second call finds nothing left. Never commits."""
    repo.serialise(session, "maturity")
    rows = session.execute(
        select(
            ClickPosting.click_id,
            ClickPosting.influencer_id,
            ClickPosting.currency,
            ClickPosting.payout_minor,
        )
        .where(
            ClickPosting.state == PostingState.PENDING.value,
            ClickPosting.matures_at <= now,
        )
        .order_by(ClickPosting.click_id)
        .with_for_update()
    ).all()
    groups: dict[tuple[int, str], list[tuple[str, int]]] = defaultdict(list)
    for click_id, influencer_id, currency, payout in rows:
        groups[(influencer_id, currency)].append((click_id, payout))
    accounts = repo.AccountCache(session)
    for (influencer_id, currency), items in sorted(groups.items()):
        total = sum(payout for _, payout in items)
        entry = LedgerEntry(
            kind=EntryKind.MATURITY.value,
            at=now,
            influencer_id=influencer_id,
            memo=f"{len(items)} clicks out of their hold",
            by="ledger",
        )
        repo.post_entry(
            session,
            accounts,
            entry,
            [
                repo.Leg(AccountKind.INFLUENCER_PENDING, influencer_id, currency, -total),
                repo.Leg(AccountKind.INFLUENCER_AVAILABLE, influencer_id, currency, total),
            ],
        )
        ids = [click_id for click_id, _ in items]
        for start in range(0, len(ids), 500):
            session.execute(
                update(ClickPosting)
                .where(
                    ClickPosting.click_id.in_(ids[start : start + 500]),
                    ClickPosting.state == PostingState.PENDING.value,
                )
                .values(state=PostingState.AVAILABLE.value, settled_at=now)
                .execution_options(synchronize_session=False)
            )
    session.flush()
    # Postings already loaded in this session must not keep their old state.
    session.expire_all()
    return len(rows)
