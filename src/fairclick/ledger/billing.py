"""How one valid click is billed: the gates, the atomic spend counters, the CLICK entry.

Each click is checked against the campaign (active, dates, link, enrolment, geography), then
against the budget, the daily cap and the per-influencer cap with conditional UPDATEs on spend
counters, so that a campaign never spends beyond its budget however many workers post at once.
The public entry points are in `posting`.
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
class CampaignInfo:
    campaign: Campaign
    card: RateCard
    window: CampaignWindow


class Context:
    """Per-call caches of campaigns, tiers, enrolments and account ids (one unit of work)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.accounts = repo.AccountCache(session)
        self.campaigns: dict[int, CampaignInfo] = {}
        self.tiers: dict[int, Tier] = {}
        self.enrolments: dict[tuple[int, int], str | None] = {}

    def campaign(self, campaign_id: int) -> CampaignInfo:
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
            self.campaigns[campaign_id] = CampaignInfo(
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


def prepare(ctx: Context, campaign_ids: Iterable[int], now: datetime) -> None:
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


def charge(
    ctx: Context, info: CampaignInfo, click: BillableClick, price: int
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


def bill_one(ctx: Context, posting: ClickPosting, click: BillableClick, now: datetime) -> None:
    """Decide and post one click, filling `posting` with the outcome (call `prepare` first)."""
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
        cause = charge(ctx, info, click, rate.price.minor)
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


def new_posting(ctx: Context, click: BillableClick) -> ClickPosting:
    """An unsaved posting row for a click, not yet decided."""
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


def existing_postings(session: Session, click_ids: Sequence[str]) -> dict[str, ClickPosting]:
    """Postings already recorded for these clicks, by click id."""
    found: dict[str, ClickPosting] = {}
    for start in range(0, len(click_ids), 500):
        chunk = list(click_ids[start : start + 500])
        for posting in session.scalars(
            select(ClickPosting).where(ClickPosting.click_id.in_(chunk))
        ):
            found[posting.click_id] = posting
    return found
