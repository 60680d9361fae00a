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

from sqlalchemy import Table, case, insert, select, update
from sqlalchemy.orm import Session

from fairclick.domain.reasons import UnbilledCause
from fairclick.ledger import repository as repo
from fairclick.ledger.models import (
    AccountKind,
    ClickPosting,
    EntryKind,
    LedgerEntry,
    LedgerLine,
    PostingState,
)

_POSTINGS: Table = ClickPosting.__table__  # type: ignore[assignment]
_ENTRIES: Table = LedgerEntry.__table__  # type: ignore[assignment]
_LINES: Table = LedgerLine.__table__  # type: ignore[assignment]


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


_CLAIMABLE = (PostingState.HELD.value, PostingState.PENDING.value, PostingState.AVAILABLE.value)


def reverse_click(
    session: Session, click_id: str, *, reason: str, at: datetime, by: str
) -> Reversal | None:
    """Undo the billing of a click that became invalid; None when there is nothing to undo
    (never billed, already reversed). A held click is simply dropped. Idempotent; never
    commits.

    Retro-analysis calls it for every billed click it invalidates, so it runs a fixed handful
    of Core statements and no ORM flush: one conditional UPDATE claims the posting (held →
    unbilled, pending → reversed, available → clawed back) and returns what it was, so two
    concurrent reversals (or a reversal racing maturity) cannot both post: the loser's UPDATE
    matches nothing."""
    conn = session.connection()
    state = _POSTINGS.c.state
    claimed = conn.execute(
        update(_POSTINGS)
        .where(_POSTINGS.c.click_id == click_id, state.in_(_CLAIMABLE))
        .values(
            state=case(
                (state == PostingState.PENDING.value, PostingState.REVERSED.value),
                (state == PostingState.AVAILABLE.value, PostingState.CLAWED_BACK.value),
                else_=PostingState.UNBILLED.value,
            ),
            cause=case(
                (state == PostingState.HELD.value, UnbilledCause.INVALID.value),
                else_=_POSTINGS.c.cause,
            ),
            settled_at=at,
        )
        .returning(
            state,
            _POSTINGS.c.entry_id,
            _POSTINGS.c.amount_minor,
            _POSTINGS.c.payout_minor,
            _POSTINGS.c.currency,
            _POSTINGS.c.organisation_id,
            _POSTINGS.c.campaign_id,
            _POSTINGS.c.influencer_id,
            _POSTINGS.c.day,
        )
    ).first()
    # A posting this session had loaded must not keep its old state.
    loaded = session.identity_map.get(session.identity_key(ClickPosting, click_id))
    if loaded is not None:
        session.expire(loaded)
    if claimed is None:
        return None
    new_state, entry_id, price, payout, cur, org, campaign_id, influencer_id, day = claimed
    if new_state == PostingState.UNBILLED.value:
        return None  # a held click: no money had moved
    assert entry_id is not None
    if new_state == PostingState.REVERSED.value:
        kind = EntryKind.REVERSAL
        lines = conn.execute(
            select(_LINES.c.account_id, _LINES.c.amount_minor)
            .where(_LINES.c.entry_id == entry_id)
            .order_by(_LINES.c.id)
        ).all()
        mirror = [(account, -amount) for account, amount in lines]
        repo.unspend_core(conn, campaign_id, influencer_id, day, price)
    else:
        kind = EntryKind.CLAWBACK
        accounts = repo.AccountCache(session)
        legs = [
            repo.Leg(AccountKind.ADVERTISER_CREDIT, org, cur, price),
            repo.Leg(AccountKind.INFLUENCER_CLAWBACK, influencer_id, cur, -payout),
            repo.Leg(AccountKind.PLATFORM_REVENUE, 0, cur, payout - price),
        ]
        repo.check_balanced(kind.value, legs)
        mirror = [
            (accounts.id_for(leg.kind, leg.owner_id, leg.currency), leg.amount_minor)
            for leg in legs
        ]
    if sum(amount for _, amount in mirror):
        raise repo.UnbalancedEntry(f"entry {kind.value} does not balance")
    new_entry = conn.execute(
        insert(_ENTRIES)
        .values(
            kind=kind.value,
            at=at,
            click_id=click_id,
            organisation_id=org,
            campaign_id=campaign_id,
            influencer_id=influencer_id,
            reverses_entry_id=entry_id,
            memo=reason[:300],
            by=by[:100],
        )
        .returning(_ENTRIES.c.id)
    ).scalar_one()
    rows = [
        {"entry_id": new_entry, "account_id": account, "amount_minor": amount}
        for account, amount in mirror
        if amount
    ]
    if rows:
        conn.execute(insert(_LINES), rows)
    return Reversal(
        click_id=click_id,
        kind=kind,
        entry_id=new_entry,
        reverses_entry_id=entry_id,
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
