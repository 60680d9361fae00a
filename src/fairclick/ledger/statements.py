"""Monthly statements (typed data) for an advertiser and for an influencer.

Months are calendar months in UTC. Charges count billed clicks by their event time; credits
count reversals and clawbacks by the time they were posted, so a click billed in November and
invalidated in December shows as a charge in November and a credit in December.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fairclick.accounts.models import Organisation
from fairclick.campaigns.models import Campaign
from fairclick.clicks.models import Click
from fairclick.domain.errors import InvalidInput, NotFound
from fairclick.domain.reasons import Verdict
from fairclick.influencers.models import Influencer
from fairclick.ledger import repository as repo
from fairclick.ledger.models import (
    AccountKind,
    ClickPosting,
    EntryKind,
    LedgerEntry,
    PayoutBatch,
    PayoutItem,
)

CORRECTIONS = (EntryKind.REVERSAL.value, EntryKind.CLAWBACK.value)


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[start, end) in UTC of a month written `YYYY-MM`; `InvalidInput` otherwise."""
    try:
        start = datetime.strptime(month.strip(), "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(f"{month!r} is not a month like 2025-11", field="month") from None
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, end


@dataclass
class StatementLine:
    """Charges and credits of one campaign × influencer in the month (minor units)."""

    campaign_key: str
    campaign_name: str
    influencer_key: str
    influencer_name: str
    currency: str
    clicks_billed: int = 0
    amount_billed: int = 0
    clicks_credited: int = 0
    amount_credited: int = 0
    payout: int = 0
    """The influencer's earnings on those billed clicks (influencer statements)."""
    payout_reversed: int = 0

    @property
    def net(self) -> int:
        return self.amount_billed - self.amount_credited

    @property
    def net_payout(self) -> int:
        return self.payout - self.payout_reversed


@dataclass(frozen=True, slots=True)
class CreditNote:
    """A credit to the advertiser for a click invalidated after the hold (a clawback)."""

    entry_id: int
    at: datetime
    click_id: str
    campaign_key: str
    amount_minor: int
    currency: str
    reason: str


@dataclass(frozen=True, slots=True)
class Total:
    """A sum over lines sharing a key (a campaign, an influencer, or everything) and a currency."""

    key: str
    currency: str
    clicks_billed: int
    amount_billed: int
    clicks_credited: int
    amount_credited: int
    net: int


@dataclass
class AdvertiserStatement:
    organisation_key: str
    organisation_name: str
    month: str
    lines: list[StatementLine]
    credit_notes: list[CreditNote]
    by_campaign: list[Total]
    by_influencer: list[Total]
    totals: list[Total]


@dataclass(frozen=True, slots=True)
class PayoutLine:
    batch_id: int
    created_at: datetime
    status: str
    amount_minor: int
    currency: str


@dataclass
class InfluencerStatement:
    influencer_key: str
    influencer_name: str
    month: str
    clicks: int
    valid_clicks: int
    invalid_clicks: int
    lines: list[StatementLine]
    payouts: list[PayoutLine]
    balances: dict[str, dict[str, int]] = field(default_factory=dict)
    """Balances now, by account kind (pending, available, clawback, in payout, paid) and currency."""

    @property
    def valid_rate(self) -> float:
        """Share of the month's clicks judged valid (0 when there were none)."""
        return round(self.valid_clicks / self.clicks, 4) if self.clicks else 0.0

    @property
    def earnings(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for line in self.lines:
            out[line.currency] += line.net_payout
        return dict(out)


def _totals(lines: list[StatementLine], key: str) -> list[Total]:
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for line in lines:
        name = {"campaign": line.campaign_key, "influencer": line.influencer_key}.get(key, "all")
        acc = sums[(name, line.currency)]
        acc[0] += line.clicks_billed
        acc[1] += line.amount_billed
        acc[2] += line.clicks_credited
        acc[3] += line.amount_credited
    return [Total(k, c, a, b, d, e, b - e) for (k, c), (a, b, d, e) in sorted(sums.items())]


def _lines(
    session: Session, owner_column: str, owner_id: int, start: datetime, end: datetime
) -> list[StatementLine]:
    """Charges (billed clicks by event time) and credits (corrections by posting time) of one
    organisation or influencer, by campaign × influencer."""
    owner = getattr(ClickPosting, owner_column)
    billed = session.execute(
        select(
            ClickPosting.campaign_id,
            ClickPosting.influencer_id,
            ClickPosting.currency,
            func.count(),
            func.sum(ClickPosting.amount_minor),
            func.sum(ClickPosting.payout_minor),
        )
        .where(owner == owner_id, ClickPosting.entry_id.is_not(None))
        .where(ClickPosting.ts >= start, ClickPosting.ts < end)
        .group_by(ClickPosting.campaign_id, ClickPosting.influencer_id, ClickPosting.currency)
    ).all()
    credited = session.execute(
        select(
            ClickPosting.campaign_id,
            ClickPosting.influencer_id,
            ClickPosting.currency,
            func.count(),
            func.sum(ClickPosting.amount_minor),
            func.sum(ClickPosting.payout_minor),
        )
        .join(LedgerEntry, LedgerEntry.click_id == ClickPosting.click_id)
        .where(owner == owner_id, LedgerEntry.kind.in_(CORRECTIONS))
        .where(LedgerEntry.at >= start, LedgerEntry.at < end)
        .group_by(ClickPosting.campaign_id, ClickPosting.influencer_id, ClickPosting.currency)
    ).all()
    campaign_ids = {row[0] for row in [*billed, *credited]}
    influencer_ids = {row[1] for row in [*billed, *credited]}
    campaigns = {
        c.id: c for c in session.scalars(select(Campaign).where(Campaign.id.in_(campaign_ids)))
    }
    people = {
        i.id: i
        for i in session.scalars(select(Influencer).where(Influencer.id.in_(influencer_ids)))
    }
    lines: dict[tuple[int, int, str], StatementLine] = {}

    def line(campaign_id: int, influencer_id: int, currency: str) -> StatementLine:
        key = (campaign_id, influencer_id, currency)
        if key not in lines:
            campaign, person = campaigns[campaign_id], people[influencer_id]
            lines[key] = StatementLine(
                campaign.key, campaign.name, person.key, person.display_name, currency
            )
        return lines[key]

    for campaign_id, influencer_id, currency, count, amount, payout in billed:
        item = line(campaign_id, influencer_id, currency)
        item.clicks_billed, item.amount_billed, item.payout = count, int(amount), int(payout)
    for campaign_id, influencer_id, currency, count, amount, payout in credited:
        item = line(campaign_id, influencer_id, currency)
        item.clicks_credited, item.amount_credited = count, int(amount)
        item.payout_reversed = int(payout)
    return [
        lines[k]
        for k in sorted(lines, key=lambda k: (lines[k].campaign_key, lines[k].influencer_key))
    ]


def advertiser_statement(
    session: Session, organisation_key: str, month: str
) -> AdvertiserStatement:
    """An organisation's month: billed clicks, credits for clicks invalidated later, credit
    notes, totals by campaign, by influencer and overall (per currency)."""
    start, end = month_bounds(month)
    org = session.scalar(select(Organisation).where(Organisation.key == organisation_key))
    if org is None:
        raise NotFound(f"no organisation with key {organisation_key!r}")
    lines = _lines(session, "organisation_id", org.id, start, end)
    notes = [
        CreditNote(entry.id, entry.at, entry.click_id or "", key, amount, currency, entry.memo)
        for entry, key, amount, currency in session.execute(
            select(LedgerEntry, Campaign.key, ClickPosting.amount_minor, ClickPosting.currency)
            .join(ClickPosting, ClickPosting.click_id == LedgerEntry.click_id)
            .join(Campaign, Campaign.id == ClickPosting.campaign_id)
            .where(
                LedgerEntry.kind == EntryKind.CLAWBACK.value,
                LedgerEntry.organisation_id == org.id,
                LedgerEntry.at >= start,
                LedgerEntry.at < end,
            )
            .order_by(LedgerEntry.at, LedgerEntry.id)
        )
    ]
    return AdvertiserStatement(
        org.key,
        org.name,
        month,
        lines,
        notes,
        _totals(lines, "campaign"),
        _totals(lines, "influencer"),
        _totals(lines, "all"),
    )


def influencer_statement(session: Session, influencer_key: str, month: str) -> InfluencerStatement:
    """An influencer's month: clicks and valid rate (from the clicks table), earnings and
    reversals by campaign, payout batches opened in the month, and balances now."""
    start, end = month_bounds(month)
    person = session.scalar(select(Influencer).where(Influencer.key == influencer_key))
    if person is None:
        raise NotFound(f"no influencer with key {influencer_key!r}")
    verdicts = dict(
        session.execute(
            select(Click.verdict, func.count())
            .where(Click.influencer_id == person.id, Click.ts >= start, Click.ts < end)
            .group_by(Click.verdict)
        ).all()
    )
    payouts = [
        PayoutLine(batch.id, batch.created_at, batch.status, item.amount_minor, item.currency)
        for item, batch in session.execute(
            select(PayoutItem, PayoutBatch)
            .join(PayoutBatch, PayoutBatch.id == PayoutItem.batch_id)
            .where(
                PayoutItem.influencer_id == person.id,
                PayoutBatch.created_at >= start,
                PayoutBatch.created_at < end,
            )
            .order_by(PayoutBatch.id)
        )
    ]
    kinds = [
        AccountKind.INFLUENCER_PENDING,
        AccountKind.INFLUENCER_AVAILABLE,
        AccountKind.INFLUENCER_CLAWBACK,
        AccountKind.INFLUENCER_IN_PAYOUT,
        AccountKind.INFLUENCER_PAID,
    ]
    balances: dict[str, dict[str, int]] = defaultdict(dict)
    for (kind, _, currency), amount in repo.balances(session, kinds, person.id).items():
        balances[kind.removeprefix("influencer_")][currency] = amount
    valid = int(verdicts.get(Verdict.VALID.value, 0))
    invalid = int(verdicts.get(Verdict.INVALID.value, 0))
    return InfluencerStatement(
        person.key,
        person.display_name,
        month,
        valid + invalid,
        valid,
        invalid,
        _lines(session, "influencer_id", person.id, start, end),
        payouts,
        dict(balances),
    )
