"""How valid clicks are billed: the gates, the spend counters, the CLICK entries.

Each click is checked against the campaign (active, dates, link, enrolment, geography), then
against the budget, the daily cap and the per-influencer cap. The batch first locks its
campaigns' spend rows (PostgreSQL `FOR UPDATE`; on SQLite the first write takes the database's
write lock), so while it runs nobody else moves those counters: the checks are done on exact
figures in memory, and the batch's increments are written at the end by conditional UPDATEs
(`spent + Δ <= limit`) that would refuse, and abort the transaction, if that protocol were ever
broken. Entries, lines and postings are inserted in bulk. The public entry points are in
`posting`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from operator import attrgetter

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from fairclick.campaigns.models import Campaign, Enrolment
from fairclick.domain.click import BillableClick
from fairclick.domain.errors import NotFound
from fairclick.domain.influence import Tier, tier_for_reach
from fairclick.domain.reasons import Billing, UnbilledCause
from fairclick.influencers.models import SocialAccount
from fairclick.influencers.service import tier_of
from fairclick.ledger import repository as repo
from fairclick.ledger.models import (
    AccountKind,
    CampaignDailySpend,
    CampaignInfluencerSpend,
    CampaignSpend,
    ClickPosting,
    EntryKind,
    LedgerEntry,
    LedgerLine,
    PayoutOverride,
    PostingState,
)
from fairclick.ledger.rates import CampaignWindow, Override, RateCard, gate, local_day, rate_for
from fairclick.store.base import utcnow

# Spend counters are always kept; without a cap their limit is simply out of reach.
NO_CAP = 2**62
BILLED_STATES = frozenset({PostingState.PENDING, PostingState.AVAILABLE})

# Enum values as plain strings: reading `.value` of an enum member costs a descriptor call,
# which the per-click loop would pay several times per click.
_UNBILLED, _PENDING = PostingState.UNBILLED.value, PostingState.PENDING.value
_BILLED_VALUES = frozenset(state.value for state in BILLED_STATES)
_CORRECTED_VALUES = frozenset({PostingState.REVERSED.value, PostingState.CLAWED_BACK.value})
_CAUSES = {cause.value: cause for cause in UnbilledCause}

# Core tables: bulk inserts skip the ORM's per-row bookkeeping on the hot path.
_ENTRIES: Table = LedgerEntry.__table__  # type: ignore[assignment]
_LINES: Table = LedgerLine.__table__  # type: ignore[assignment]
_POSTINGS: Table = ClickPosting.__table__  # type: ignore[assignment]
_ENTRY_COLUMNS = (
    "kind", "at", "click_id", "organisation_id", "campaign_id", "influencer_id", "memo", "by",
    "created_at",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class BillingOutcome:
    """What the ledger decided for a click: the worker copies it onto the click row."""

    click_id: str
    billing: Billing
    cause: UnbilledCause | None
    amount_minor: int
    payout_minor: int
    currency: str


@dataclass(slots=True)
class Draft:
    """A posting being decided: the columns of `ClickPosting`, inserted in bulk by `bill_clicks`
    (cheaper than one ORM object per click on the hot path)."""

    click_id: str
    ts: datetime
    campaign_id: int
    organisation_id: int
    influencer_id: int
    link_id: int
    network: str | None
    country: str | None
    currency: str
    state: str = PostingState.UNBILLED.value
    cause: str | None = None
    amount_minor: int = 0
    payout_minor: int = 0
    day: date | None = None
    entry_id: int | None = None
    matures_at: datetime | None = None
    posted_at: datetime | None = None
    settled_at: datetime | None = None


Posting = ClickPosting | Draft
_DRAFT_COLUMNS = Draft.__slots__
_draft_columns = attrgetter(*_DRAFT_COLUMNS)


def outcome_of(posting: Posting) -> BillingOutcome:
    """The outcome a posting stands for now (a reversed click reads as unbilled/invalid)."""
    state = posting.state
    if state in _BILLED_VALUES:
        return BillingOutcome(
            posting.click_id,
            Billing.BILLED,
            None,
            posting.amount_minor,
            posting.payout_minor,
            posting.currency,
        )
    if state in _CORRECTED_VALUES:
        cause: UnbilledCause | None = UnbilledCause.INVALID
    else:
        cause = _CAUSES[posting.cause] if posting.cause else None
    return BillingOutcome(posting.click_id, Billing.UNBILLED, cause, 0, 0, posting.currency)


@dataclass(slots=True)
class CampaignInfo:
    """A campaign as billing reads it, once per batch: its rules, and its figures as plain
    values (an ORM attribute costs a descriptor call on every read of every click)."""

    campaign: Campaign
    card: RateCard
    window: CampaignWindow
    id: int
    organisation_id: int
    currency: str
    timezone: str
    budget: int
    daily_limit: int
    influencer_limit: int
    hold: timedelta


class Context:
    """Per-call caches of campaigns, tiers, enrolments and account ids (one unit of work)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.accounts = repo.AccountCache(session)
        self.campaigns: dict[int, CampaignInfo] = {}
        self.tiers: dict[int, Tier] = {}
        self.enrolments: dict[tuple[int, int], str | None] = {}
        # Spend as it stands inside this transaction, and what this batch added to it.
        self.spent: dict[int, int] = {}
        self.day_spent: dict[tuple[int, date], int] = {}
        self.influencer_spent: dict[tuple[int, int], int] = {}
        self.added: dict[int, int] = defaultdict(int)
        self.day_added: dict[tuple[int, date], int] = defaultdict(int)
        self.influencer_added: dict[tuple[int, int], int] = defaultdict(int)
        # Memos of pure functions that every click of a batch would otherwise recompute.
        self.rates: dict[tuple[int, Tier, str | None, str | None], tuple[int, int]] = {}
        self.days: dict[tuple[str, int], date] = {}
        self.maturities: dict[tuple[int, datetime], datetime] = {}

    def preload(self, clicks: Sequence[BillableClick]) -> None:
        """Read what `decide` will ask about these clicks in a few queries instead of one per
        influencer: tiers, enrolments, influencer spend (day spend is read on first use: a
        batch in event-time order spans a day or two). Call after `prepare` (the spend figures
        are exact only under the campaigns' lock)."""
        session = self.session
        campaign_ids = sorted({c.campaign_id for c in clicks})
        people = sorted({c.influencer_id for c in clicks} - set(self.tiers))
        for chunk in _chunks(people):
            reach = dict(
                session.execute(
                    select(SocialAccount.influencer_id, func.sum(SocialAccount.followers))
                    .where(SocialAccount.influencer_id.in_(chunk))
                    .group_by(SocialAccount.influencer_id)
                ).all()
            )
            for person in chunk:
                self.tiers[person] = tier_for_reach(int(reach.get(person) or 0))
        pairs = {(c.campaign_id, c.influencer_id) for c in clicks} - set(self.enrolments)
        everyone = sorted({person for _, person in pairs})
        for chunk in _chunks(everyone):
            found = session.execute(
                select(Enrolment.campaign_id, Enrolment.influencer_id, Enrolment.status).where(
                    Enrolment.campaign_id.in_(campaign_ids), Enrolment.influencer_id.in_(chunk)
                )
            ).all()
            statuses = {(c, i): status for c, i, status in found}
            for pair in pairs:
                if pair[1] in chunk:
                    self.enrolments[pair] = statuses.get(pair)
        spent_pairs = {(c.campaign_id, c.influencer_id) for c in clicks} - set(
            self.influencer_spent
        )
        for chunk in _chunks(sorted({person for _, person in spent_pairs})):
            rows = session.execute(
                select(
                    CampaignInfluencerSpend.campaign_id,
                    CampaignInfluencerSpend.influencer_id,
                    CampaignInfluencerSpend.spent_minor,
                ).where(
                    CampaignInfluencerSpend.campaign_id.in_(campaign_ids),
                    CampaignInfluencerSpend.influencer_id.in_(chunk),
                )
            ).all()
            spent = {(c, i): int(amount) for c, i, amount in rows}
            for pair in spent_pairs:
                if pair[1] in chunk:
                    self.influencer_spent[pair] = spent.get(pair, 0)

    def rate(self, info: CampaignInfo, click: BillableClick) -> tuple[int, int]:
        """(price, payout) in minor units of a click (`rates.rate_for`, memoised)."""
        tier = self.tiers.get(click.influencer_id) or self.tier(click.influencer_id)
        key = (info.id, tier, click.network, click.country)
        found = self.rates.get(key)
        if found is None:
            rate = rate_for(info.card, tier, click.network, click.country)
            found = self.rates[key] = (rate.price.minor, rate.payout.minor)
        return found

    def matures_at(self, info: CampaignInfo, now: datetime) -> datetime:
        """When a click of this campaign billed at `now` leaves its hold."""
        key = (info.id, now)
        found = self.maturities.get(key)
        if found is None:
            found = self.maturities[key] = now + info.hold
        return found

    def day(self, ts: datetime, timezone: str) -> date:
        """`rates.local_day`, memoised per quarter hour (every UTC offset and every offset
        change is a whole number of quarter hours)."""
        key = (timezone, int(ts.timestamp()) // 900)
        found = self.days.get(key)
        if found is None:
            found = self.days[key] = local_day(ts, timezone)
        return found

    def campaign(self, campaign_id: int) -> CampaignInfo:
        found = self.campaigns.get(campaign_id)
        if found is not None:
            return found
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
            id=campaign.id,
            organisation_id=campaign.organisation_id,
            currency=campaign.currency,
            timezone=campaign.timezone,
            budget=campaign.budget_minor,
            daily_limit=_limit(campaign.daily_cap_minor),
            influencer_limit=_limit(campaign.influencer_cap_minor),
            hold=timedelta(days=campaign.hold_days),
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

    def spent_on_day(self, campaign_id: int, day: date) -> int:
        key = (campaign_id, day)
        if key not in self.day_spent:
            self.day_spent[key] = int(
                self.session.scalar(
                    select(CampaignDailySpend.spent_minor).where(
                        CampaignDailySpend.campaign_id == campaign_id, CampaignDailySpend.day == day
                    )
                )
                or 0
            )
        return self.day_spent[key]

    def spent_on_influencer(self, campaign_id: int, influencer_id: int) -> int:
        key = (campaign_id, influencer_id)
        if key not in self.influencer_spent:
            self.influencer_spent[key] = int(
                self.session.scalar(
                    select(CampaignInfluencerSpend.spent_minor).where(
                        CampaignInfluencerSpend.campaign_id == campaign_id,
                        CampaignInfluencerSpend.influencer_id == influencer_id,
                    )
                )
                or 0
            )
        return self.influencer_spent[key]


def _chunks(ids: Sequence[int], size: int = 900) -> list[set[int]]:
    return [set(ids[start : start + size]) for start in range(0, len(ids), size)]


class SpendProtocolBroken(RuntimeError):
    """A spend counter moved under a batch that held its campaign's lock: a bug, never a
    business case. Raised so that the transaction aborts rather than overspends."""


def prepare(ctx: Context, campaign_ids: Iterable[int], now: datetime) -> None:
    """Lock the campaigns' spend rows (id order, so batches cannot deadlock), read their spend,
    and move any budget change from the advertiser's funds to the campaign (COMMIT entry)."""
    ids = sorted(set(campaign_ids) - set(ctx.spent))
    if not ids:
        return
    repo.lock_campaign_spend(ctx.session, ids)
    rows = ctx.session.execute(
        select(
            CampaignSpend.campaign_id, CampaignSpend.spent_minor, CampaignSpend.committed_minor
        ).where(CampaignSpend.campaign_id.in_(ids))
    ).all()
    committed = {campaign_id: c for campaign_id, _, c in rows}
    ctx.spent.update((campaign_id, spent) for campaign_id, spent, _ in rows)
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


def _limit(cap: int | None) -> int:
    return NO_CAP if cap is None else cap


def charge(
    ctx: Context, info: CampaignInfo, influencer_id: int, price: int, day: date
) -> UnbilledCause | None:
    """Count `price` against the budget, the `day`'s cap and the influencer's cap, all three
    or none; the cause when one refuses. `prepare` must have locked the campaign."""
    campaign_id = info.id
    if ctx.spent[campaign_id] + price > info.budget:
        return UnbilledCause.BUDGET_EXHAUSTED
    day_key = (campaign_id, day)
    if ctx.spent_on_day(campaign_id, day) + price > info.daily_limit:
        return UnbilledCause.DAILY_CAP
    influencer_key = (campaign_id, influencer_id)
    if ctx.spent_on_influencer(campaign_id, influencer_id) + price > info.influencer_limit:
        return UnbilledCause.INFLUENCER_CAP
    ctx.spent[campaign_id] += price
    ctx.added[campaign_id] += price
    ctx.day_spent[day_key] += price
    ctx.day_added[day_key] += price
    ctx.influencer_spent[influencer_key] += price
    ctx.influencer_added[influencer_key] += price
    return None


def decide(ctx: Context, posting: Posting, click: BillableClick, now: datetime) -> None:
    """Decide one click and fill `posting` with the outcome; a billed click's entry is written
    by `finish`. Call `prepare` for its campaign first."""
    info = ctx.campaign(click.campaign_id)
    posting.posted_at = now
    cause = gate(
        info.window,
        ts=click.ts,
        country=click.country,
        link_disabled=click.link_disabled,
        enrolment_status=ctx.enrolment(click.campaign_id, click.influencer_id),
    )
    if cause is None:
        price, payout = ctx.rate(info, click)
        day = ctx.day(click.ts, info.timezone)
        cause = charge(ctx, info, click.influencer_id, price, day)
    if cause is not None:
        posting.state, posting.cause = _UNBILLED, cause.value
        posting.amount_minor = posting.payout_minor = 0
        return
    posting.state, posting.cause = _PENDING, None
    posting.amount_minor, posting.payout_minor = price, payout
    posting.day = day
    posting.matures_at = ctx.matures_at(info, now)


def finish(ctx: Context, postings: Sequence[Posting], now: datetime) -> None:
    """Write the CLICK entries of the billed postings, one per campaign and influencer (its
    lines are the sums of their prices and payouts; each posting keeps its own amounts and
    names its entry), and add the batch's increments to the spend counters with conditional
    UPDATEs."""
    session = ctx.session
    groups: dict[tuple[int, int], list[Posting]] = defaultdict(list)
    for posting in postings:
        if posting.state == _PENDING and posting.entry_id is None:
            groups[(posting.campaign_id, posting.influencer_id)].append(posting)
    if groups:
        conn = session.connection()
        created = utcnow()
        click = EntryKind.CLICK.value
        keys = sorted(groups)
        entries = [
            (click, now, None, groups[key][0].organisation_id, key[0], key[1],
             f"{len(groups[key])} clicks", "worker", created)
            for key in keys
        ]  # fmt: skip
        returned = repo.insert_values(
            conn,
            _ENTRIES,
            _ENTRY_COLUMNS,
            entries,
            returning=("id", "campaign_id", "influencer_id"),
        )
        ids = {(int(row[1]), int(row[2])): int(row[0]) for row in returned}
        ctx.accounts.preload(
            account
            for (campaign_id, influencer_id), group in groups.items()
            for account in (
                (AccountKind.CAMPAIGN_BUDGET, campaign_id, group[0].currency),
                (AccountKind.INFLUENCER_PENDING, influencer_id, group[0].currency),
                (AccountKind.PLATFORM_REVENUE, 0, group[0].currency),
            )
        )
        account_id = ctx.accounts.id_for
        line_rows: list[tuple[int, int, int]] = []
        for key in keys:
            group, entry_id = groups[key], ids[key]
            price = payout = 0
            for posting in group:
                posting.entry_id = entry_id
                price += posting.amount_minor
                payout += posting.payout_minor
            campaign_id, influencer_id = key
            currency = group[0].currency
            # The three legs balance by construction: -price + payout + (price - payout) = 0.
            for kind, owner, amount in (
                (AccountKind.CAMPAIGN_BUDGET, campaign_id, -price),
                (AccountKind.INFLUENCER_PENDING, influencer_id, payout),
                (AccountKind.PLATFORM_REVENUE, 0, price - payout),
            ):
                if amount:
                    line_rows.append((entry_id, account_id(kind, owner, currency), amount))
        repo.insert_values(conn, _LINES, ("entry_id", "account_id", "amount_minor"), line_rows)
    _write_spend(ctx)


def _write_spend(ctx: Context) -> None:
    session = ctx.session
    for campaign_id, amount in ctx.added.items():
        campaign = ctx.campaign(campaign_id).campaign
        if amount and not repo.spend_total(session, campaign_id, amount, campaign.budget_minor):
            raise SpendProtocolBroken(f"campaign {campaign_id} spend moved during a batch")
    days = [
        (campaign_id, day, amount, _limit(ctx.campaign(campaign_id).campaign.daily_cap_minor))
        for (campaign_id, day), amount in sorted(ctx.day_added.items())
        if amount
    ]
    if not repo.spend_many(session, "day", days):
        raise SpendProtocolBroken(f"daily spend moved during a batch: {days}")
    people = [
        (
            campaign_id,
            person,
            amount,
            _limit(ctx.campaign(campaign_id).campaign.influencer_cap_minor),
        )
        for (campaign_id, person), amount in sorted(ctx.influencer_added.items())
        if amount
    ]
    if not repo.spend_many(session, "influencer", people):
        raise SpendProtocolBroken("influencer spend moved during a batch")
    ctx.added.clear()
    ctx.day_added.clear()
    ctx.influencer_added.clear()


def new_posting(ctx: Context, click: BillableClick) -> Draft:
    """A posting for a click, not yet decided."""
    info = ctx.campaign(click.campaign_id)
    return Draft(
        click.click_id,
        click.ts,
        click.campaign_id,
        info.organisation_id,
        click.influencer_id,
        click.link_id,
        click.network,
        click.country,
        info.currency,
    )


def insert_drafts(session: Session, drafts: Sequence[Draft]) -> None:
    """Insert decided postings in bulk (multi-row INSERTs)."""
    if drafts:
        columns = _draft_columns
        repo.insert_values(
            session.connection(), _POSTINGS, _DRAFT_COLUMNS, [columns(d) for d in drafts]
        )


def existing_postings(session: Session, click_ids: Sequence[str]) -> dict[str, ClickPosting]:
    """Postings already recorded for these clicks, by click id. Usually none: the ids are
    looked up with plain SQL first, and only the postings found are loaded."""
    conn = session.connection()
    quote = conn.dialect.identifier_preparer.quote
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    ids = list(dict.fromkeys(click_ids))
    known: list[str] = []
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        sql = (
            f"SELECT click_id FROM {quote(_POSTINGS.name)} "
            f"WHERE click_id IN ({', '.join([mark] * len(chunk))})"
        )
        known += [str(row[0]) for row in conn.exec_driver_sql(sql, tuple(chunk))]
    found: dict[str, ClickPosting] = {}
    for start in range(0, len(known), 500):
        for posting in session.scalars(
            select(ClickPosting).where(ClickPosting.click_id.in_(known[start : start + 500]))
        ):
            found[posting.click_id] = posting
    return found
