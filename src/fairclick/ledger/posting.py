"""Billing valid clicks into the ledger: the interface the validator worker and moderation call.

Every function runs inside the caller's transaction and never commits. `bill_clicks` bills in
the order given (event-time order) and is idempotent by click id; `hold`, `release_held` and
`drop_held` handle clicks held for moderation; reversals, clawbacks and maturity come from
`settlement` and are re-exported here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, case, select, update
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
    AccountKind,
    ClickPosting,
    EntryKind,
    LedgerEntry,
    LedgerLine,
    PostingState,
)
from fairclick.ledger.settlement import Reversal, mature, reverse_click
from fairclick.links.models import Link
from fairclick.store.base import utcnow

_POSTINGS: Table = ClickPosting.__table__  # type: ignore[assignment]
_ENTRIES: Table = LedgerEntry.__table__  # type: ignore[assignment]
_LINES: Table = LedgerLine.__table__  # type: ignore[assignment]
_CLAIMABLE = (PostingState.HELD.value, PostingState.PENDING.value, PostingState.AVAILABLE.value)
_CHUNK = 500
_REVERSAL_COLUMNS = (
    "kind", "at", "click_id", "organisation_id", "campaign_id", "influencer_id",
    "reverses_entry_id", "memo", "by", "created_at",
)  # fmt: skip


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


def _claim(session: Session, click_ids: Sequence[str], at: datetime) -> list[Any]:
    """Claim the reversible postings of `click_ids` (held → unbilled, pending → reversed,
    available → clawed back) with one conditional UPDATE ... RETURNING per chunk: a posting
    another reversal (or maturity) moved first is not matched, so each is claimed once."""
    conn = session.connection()
    state = _POSTINGS.c.state
    claimed: list[Any] = []
    ordered = sorted(set(click_ids))  # one lock order for concurrent batches (PostgreSQL)
    for start in range(0, len(ordered), _CHUNK):
        claimed += conn.execute(
            update(_POSTINGS)
            .where(_POSTINGS.c.click_id.in_(ordered[start : start + _CHUNK]), state.in_(_CLAIMABLE))
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
                _POSTINGS.c.click_id,
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
        ).all()
        # Postings this session had loaded must not keep their old state.
        for click_id in ordered[start : start + _CHUNK]:
            loaded = session.identity_map.get(session.identity_key(ClickPosting, click_id))
            if loaded is not None:
                session.expire(loaded)
    return claimed


def reverse_clicks(
    session: Session, click_ids: Sequence[str], *, reason: str, at: datetime, by: str
) -> list[Reversal]:
    """`reverse_click` for many clicks at once, with the same result as calling it for each
    (in the order given): the Reversals posted, in that order; clicks with nothing to undo
    (never billed, already reversed, held: simply dropped) are left out. Idempotent; never
    commits.

    A fixed handful of statements whatever the number of clicks: one conditional UPDATE ...
    RETURNING per 500 clicks claims the postings (so two racing reversals cannot both post),
    one SELECT reads the lines to mirror, the counters go down with one executemany UPDATE
    per counter table, and the entries and lines are inserted with multi-row INSERTs."""
    claimed = {str(row[0]): row for row in _claim(session, click_ids, at)}
    order = list(dict.fromkeys(c for c in click_ids if c in claimed))
    billed = [
        claimed[c] for c in order if claimed[c][1] != PostingState.UNBILLED.value
    ]  # held clicks: no money had moved
    if not billed:
        return []
    conn = session.connection()
    reversed_ = [row for row in billed if row[1] == PostingState.REVERSED.value]
    originals: dict[int, list[tuple[int, int]]] = defaultdict(list)
    entry_ids = sorted({int(row[2]) for row in reversed_})
    for start in range(0, len(entry_ids), _CHUNK):
        for entry_id, account, amount in conn.execute(
            select(_LINES.c.entry_id, _LINES.c.account_id, _LINES.c.amount_minor)
            .where(_LINES.c.entry_id.in_(entry_ids[start : start + _CHUNK]))
            .order_by(_LINES.c.entry_id, _LINES.c.id)
        ):
            originals[int(entry_id)].append((int(account), int(amount)))
    totals: dict[int, int] = defaultdict(int)
    days: dict[tuple[int, date], int] = defaultdict(int)
    influencers: dict[tuple[int, int], int] = defaultdict(int)
    for _, _, _, price, _, _, _, campaign_id, influencer_id, day in reversed_:
        totals[campaign_id] += price
        if day is not None:
            days[(campaign_id, day)] += price
        if influencer_id is not None:
            influencers[(campaign_id, influencer_id)] += price
    repo.unspend_many(conn, totals, days, influencers)
    accounts = repo.AccountCache(session)
    accounts.preload(
        key
        for row in billed
        if row[1] == PostingState.CLAWED_BACK.value
        for key in (
            (AccountKind.ADVERTISER_CREDIT, row[6], row[5]),
            (AccountKind.INFLUENCER_CLAWBACK, row[8], row[5]),
            (AccountKind.PLATFORM_REVENUE, 0, row[5]),
        )
    )
    mirrors: list[list[tuple[int, int]]] = []
    kinds: list[EntryKind] = []
    for click_id, new_state, entry_id, price, payout, cur, org, _, influencer_id, _ in billed:
        assert entry_id is not None
        if new_state == PostingState.REVERSED.value:
            kind = EntryKind.REVERSAL
            mirror = [(account, -amount) for account, amount in originals[int(entry_id)]]
        else:
            kind = EntryKind.CLAWBACK
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
            raise repo.UnbalancedEntry(f"entry {kind.value} of click {click_id} does not balance")
        mirrors.append(mirror)
        kinds.append(kind)
    created, memo, who = utcnow(), reason[:300], by[:100]
    returned = repo.insert_values(
        conn,
        _ENTRIES,
        _REVERSAL_COLUMNS,
        [
            (kind.value, at, row[0], row[6], row[7], row[8], row[2], memo, who, created)
            for kind, row in zip(kinds, billed, strict=True)
        ],
        returning=("id", "click_id"),
    )
    new_ids = {str(click_id): int(entry) for entry, click_id in returned}
    repo.insert_values(
        conn,
        _LINES,
        ("entry_id", "account_id", "amount_minor"),
        [
            (new_ids[str(row[0])], account, amount)
            for row, mirror in zip(billed, mirrors, strict=True)
            for account, amount in mirror
            if amount
        ],
    )
    return [
        Reversal(
            click_id=str(row[0]),
            kind=kind,
            entry_id=new_ids[str(row[0])],
            reverses_entry_id=int(row[2]),
            amount_minor=int(row[3]),
            payout_minor=int(row[4]),
            currency=str(row[5]),
        )
        for kind, row in zip(kinds, billed, strict=True)
    ]


class LedgerReverser:
    """The hook `clicks.reverdict.invalidate` calls for billed clicks that became invalid:
    called with one click id it is `reverse_click`; its `many` takes a batch (`reverse_clicks`),
    which `invalidate` prefers."""

    def __call__(
        self, session: Session, click_id: str, reason: str, at: datetime, by: str
    ) -> object:
        return reverse_click(session, click_id, reason=reason, at=at, by=by)

    def many(
        self, session: Session, click_ids: Sequence[str], reason: str, at: datetime, by: str
    ) -> list[Reversal]:
        return reverse_clicks(session, click_ids, reason=reason, at=at, by=by)


reverser = LedgerReverser()


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
