"""Billing valid clicks into the ledger: the validator worker's entry point.

`bill_clicks` runs inside the caller's transaction and never commits. Each click is checked
against the campaign (active, dates, link, enrolment, geography), then against the budget,
the daily cap and the per-influencer cap with conditional UPDATEs on spend counters, so that a
campaign never spends beyond its budget however many workers post at once. A billed click
becomes one balanced CLICK entry; reversals, clawbacks and maturity live in `settlement`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fairclick.campaigns.models import Campaign, Enrolment
from fairclick.domain.errors import NotFound
from fairclick.domain.influence import Tier
from fairclick.domain.reasons import Billing, UnbilledCause
from fairclick.influencers.service import tier_of
from fairclick.ledger import repository as repo
from fairclick.ledger.models import (
    AccountKind,
    CampaignSpend,
    ClickPosting,
    EntryKind,
    LedgerEntry,
    PayoutOverride,
    PostingState,
)
from fairclick.ledger.rates import CampaignWindow, Override, RateCard, gate, local_day, rate_for

# Re-exported so that the worker finds the whole interface here.
from fairclick.ledger.settlement import Reversal, mature, reverse_click, reverser

# Spend counters are always kept; without a cap their limit is simply out of reach.
NO_CAP = 2**62
BILLED_STATES = frozenset({PostingState.PENDING, PostingState.AVAILABLE})


@dataclass(frozen=True, slots=True)
class BillableClick:
    """A valid click handed to the ledger by the validator worker."""

    click_id: str
    ts: datetime
    campaign_id: int
    influencer_id: int
    link_id: int
    network: str | None
    country: str | None
    link_disabled: bool = False


@dataclass(frozen=True, slots=True)
class BillingOutcome:
    """What the ledger decided for a click: the worker copies it onto the click row."""

    click_id: str
    billing: Billing
    cause: UnbilledCause | None
    amount_minor: int
    payout_minor: int
    currency: str


def outcome_of(posting: ClickPosting) -> BillingOutcome:
    """The outcome a posting stands for now (a reversed click reads as unbilled/invalid)."""
    state = PostingState(posting.state)
    if state in BILLED_STATES:
        return BillingOutcome(
            posting.click_id,
            Billing.BILLED,
            None,
            posting.amount_minor,
            posting.payout_minor,
            posting.currency,
        )
    if state in (PostingState.REVERSED, PostingState.CLAWED_BACK):
        cause: UnbilledCause | None = UnbilledCause.INVALID
    else:
        cause = UnbilledCause(posting.cause) if posting.cause else None
    return BillingOutcome(posting.click_id, Billing.UNBILLED, cause, 0, 0, posting.currency)


@dataclass
class _CampaignInfo:
    campaign: Campaign
    card: RateCard
    window: CampaignWindow


class _Context:
    """Per-call caches of campaigns, tiers, enrolments and account ids."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.accounts = repo.AccountCache(session)
        self.campaigns: dict[int, _CampaignInfo] = {}
        self.tiers: dict[int, Tier] = {}
        self.enrolments: dict[tuple[int, int], str | None] = {}

    def campaign(self, campaign_id: int) -> _CampaignInfo:
        if campaign_id not in self.campaigns:
            campaign = self.session.get(Campaign, campaign_id)
            if campaign is None:
                raise NotFound(f"no campaign with id {campaign_id}")
            overrides = tuple(
                Override(o.id, o.tier, o.network, o.country, o.payout_minor, o.price_minor)
                for o in self.session.scalars(
                    select(PayoutOverride).where(PayoutOverride.campaign_id == campaign_id)
                )
            )
            self.campaigns[campaign_id] = _CampaignInfo(
                campaign=campaign,
                card=RateCard(
                    campaign.currency,
                    campaign.payout_by_tier,
                    campaign.advertiser_price_by_tier,
                    campaign.commission_percent,
                    overrides,
                ),
                window=CampaignWindow(
                    campaign.status,
                    campaign.start_at,
                    campaign.end_at,
                    tuple(campaign.target_countries or ()),
                ),
            )
        return self.campaigns[campaign_id]

    def tier(self, influencer_id: int) -> Tier:
        if influencer_id not in self.tiers:
            self.tiers[influencer_id] = tier_of(self.session, influencer_id)
        return self.tiers[influencer_id]

    def enrolment(self, campaign_id: int, influencer_id: int) -> str | None:
        key = (campaign_id, influencer_id)
        if key not in self.enrolments:
            self.enrolments[key] = self.session.scalar(
                select(Enrolment.status).where(
                    Enrolment.campaign_id == campaign_id, Enrolment.influencer_id == influencer_id
                )
            )
        return self.enrolments[key]


def _prepare(ctx: _Context, campaign_ids: Iterable[int], now: datetime) -> None:
    """Lock the campaigns' spend rows (id order) and move any budget change from the
    advertiser's funds to the campaign with a COMMIT entry."""
    ids = sorted(set(campaign_ids))
    repo.lock_campaign_spend(ctx.session, ids)
    committed = dict(
        ctx.session.execute(
            select(CampaignSpend.campaign_id, CampaignSpend.committed_minor).where(
                CampaignSpend.campaign_id.in_(ids)
            )
        ).all()
    )
    for campaign_id in ids:
        campaign = ctx.campaign(campaign_id).campaign
        delta = campaign.budget_minor - committed.get(campaign_id, 0)
        if not delta:
            continue
        org, cur = campaign.organisation_id, campaign.currency
        entry = LedgerEntry(
            kind=EntryKind.COMMIT.value,
            at=now,
            organisation_id=org,
            campaign_id=campaign_id,
            memo=f"budget committed: {campaign.budget_minor}",
            by="ledger",
        )
        repo.post_entry(
            ctx.session,
            ctx.accounts,
            entry,
            [
                repo.Leg(AccountKind.ADVERTISER_FUNDS, org, cur, -delta),
                repo.Leg(AccountKind.CAMPAIGN_BUDGET, campaign_id, cur, delta),
            ],
        )
        ctx.session.execute(
            update(CampaignSpend)
            .where(CampaignSpend.campaign_id == campaign_id)
            .values(committed_minor=campaign.budget_minor)
            .execution_options(synchronize_session=False)
        )


def _charge(
    ctx: _Context, info: _CampaignInfo, click: BillableClick, price: int
) -> UnbilledCause | None:
    """Raise the three spend counters atomically, or none of them; the cause when refused."""
    campaign, session = info.campaign, ctx.session
    day = local_day(click.ts, campaign.timezone)
    if not repo.spend_total(session, campaign.id, price, campaign.budget_minor):
        return UnbilledCause.BUDGET_EXHAUSTED
    if not repo.spend_day(session, campaign.id, day, price, campaign.daily_cap_minor or NO_CAP):
        repo.unspend(session, campaign.id, None, None, price)
        return UnbilledCause.DAILY_CAP
    cap = campaign.influencer_cap_minor or NO_CAP
    if not repo.spend_influencer(session, campaign.id, click.influencer_id, price, cap):
        repo.unspend(session, campaign.id, None, day, price)
        return UnbilledCause.INFLUENCER_CAP
    return None


def _bill(ctx: _Context, posting: ClickPosting, click: BillableClick, now: datetime) -> None:
    """Decide and post one click, filling `posting` with the outcome."""
    info = ctx.campaign(click.campaign_id)
    campaign = info.campaign
    cause = gate(
        info.window,
        ts=click.ts,
        country=click.country,
        link_disabled=click.link_disabled,
        enrolment_status=ctx.enrolment(click.campaign_id, click.influencer_id),
    )
    posting.posted_at = now
    if cause is None:
        rate = rate_for(info.card, ctx.tier(click.influencer_id), click.network, click.country)
        cause = _charge(ctx, info, click, rate.price.minor)
    if cause is not None:
        posting.state, posting.cause = PostingState.UNBILLED.value, cause.value
        posting.amount_minor = posting.payout_minor = 0
        return
    price, payout, cur = rate.price.minor, rate.payout.minor, campaign.currency
    entry = LedgerEntry(
        kind=EntryKind.CLICK.value,
        at=now,
        click_id=click.click_id,
        organisation_id=campaign.organisation_id,
        campaign_id=campaign.id,
        influencer_id=click.influencer_id,
        by="worker",
    )
    repo.post_entry(
        ctx.session,
        ctx.accounts,
        entry,
        [
            repo.Leg(AccountKind.CAMPAIGN_BUDGET, campaign.id, cur, -price),
            repo.Leg(AccountKind.INFLUENCER_PENDING, click.influencer_id, cur, payout),
            repo.Leg(AccountKind.PLATFORM_REVENUE, 0, cur, price - payout),
        ],
    )
    posting.state, posting.cause = PostingState.PENDING.value, None
    posting.amount_minor, posting.payout_minor = price, payout
    posting.day = local_day(click.ts, campaign.timezone)
    posting.entry_id = entry.id
    posting.matures_at = now + timedelta(days=campaign.hold_days)


def _new_posting(ctx: _Context, click: BillableClick) -> ClickPosting:
    campaign = ctx.campaign(click.campaign_id).campaign
    return ClickPosting(
        click_id=click.click_id,
        ts=click.ts,
        campaign_id=click.campaign_id,
        organisation_id=campaign.organisation_id,
        influencer_id=click.influencer_id,
        link_id=click.link_id,
        network=click.network,
        country=click.country,
        currency=campaign.currency,
        amount_minor=0,
        payout_minor=0,
    )


def _existing(session: Session, click_ids: Sequence[str]) -> dict[str, ClickPosting]:
    found: dict[str, ClickPosting] = {}
    for start in range(0, len(click_ids), 500):
        chunk = list(click_ids[start : start + 500])
        for posting in session.scalars(
            select(ClickPosting).where(ClickPosting.click_id.in_(chunk))
        ):
            found[posting.click_id] = posting
    return found


def bill_clicks(
    session: Session, clicks: Sequence[BillableClick], *, now: datetime
) -> list[BillingOutcome]:
    """Bill valid clicks in the order given (event-time order) and return one outcome each.

    Idempotent by click_id: a click already posted (or held) returns its existing outcome and
    posts nothing. Never commits; the caller's transaction holds the campaigns' spend rows
    locked until it ends.
    """
    existing = _existing(session, [c.click_id for c in clicks])
    ctx = _Context(session)
    _prepare(ctx, {c.campaign_id for c in clicks if c.click_id not in existing}, now)
    outcomes = []
    for click in clicks:
        posting = existing.get(click.click_id)
        if posting is None:
            posting = _new_posting(ctx, click)
            _bill(ctx, posting, click, now)
            session.add(posting)
            existing[click.click_id] = posting
        outcomes.append(outcome_of(posting))
    session.flush()
    return outcomes


def hold(
    session: Session, clicks: Sequence[BillableClick], *, now: datetime
) -> list[BillingOutcome]:
    """Record valid clicks held for moderation: unbilled `held_for_review`, no money moves,
    until `release_held` bills them or `drop_held` leaves them unbilled. Idempotent."""
    existing = _existing(session, [c.click_id for c in clicks])
    ctx = _Context(session)
    outcomes = []
    for click in clicks:
        posting = existing.get(click.click_id)
        if posting is None:
            posting = _new_posting(ctx, click)
            posting.state = PostingState.HELD.value
            posting.cause = UnbilledCause.HELD_FOR_REVIEW.value
            posting.posted_at = now
            session.add(posting)
            existing[click.click_id] = posting
        outcomes.append(outcome_of(posting))
    session.flush()
    return outcomes


def _held(session: Session, click_ids: Sequence[str]) -> list[ClickPosting]:
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
    ctx = _Context(session)
    _prepare(ctx, {p.campaign_id for p in held}, at)
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
        _bill(ctx, posting, click, at)
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


__all__ = [
    "BillableClick",
    "BillingOutcome",
    "Reversal",
    "bill_clicks",
    "drop_held",
    "hold",
    "mature",
    "outcome_of",
    "release_held",
    "reverse_click",
    "reverser",
]
