"""What the CLI, the API and the web pages ask of the ledger: balances, entries, overrides."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fairclick.accounts.models import Organisation
from fairclick.campaigns.models import Campaign
from fairclick.domain.errors import InvalidInput, NotFound
from fairclick.domain.influence import Network, Tier
from fairclick.influencers.models import Influencer
from fairclick.ledger import repository as repo
from fairclick.ledger.models import (
    AccountKind,
    LedgerAccount,
    LedgerEntry,
    LedgerLine,
    PayoutOverride,
)


@dataclass(frozen=True, slots=True)
class Balance:
    """One account's balance."""

    kind: str
    owner_id: int
    currency: str
    amount_minor: int


@dataclass(frozen=True, slots=True)
class CampaignBudget:
    """A campaign's budget as the spend counter and the ledger see it (they must agree)."""

    campaign_key: str
    currency: str
    budget_minor: int
    committed_minor: int
    spent_minor: int
    remaining_minor: int
    """Balance of the campaign's budget account: committed − spent."""


def _balances(session: Session, kinds: list[AccountKind], owner_id: int | None) -> list[Balance]:
    return [
        Balance(kind, owner, currency, amount)
        for (kind, owner, currency), amount in sorted(
            repo.balances(session, kinds, owner_id).items()
        )
    ]


def influencer_balances(session: Session, key: str) -> list[Balance]:
    """Pending, available, clawback, in-payout and paid balances of an influencer."""
    person = session.scalar(select(Influencer).where(Influencer.key == key))
    if person is None:
        raise NotFound(f"no influencer with key {key!r}")
    kinds = [k for k in AccountKind if k.value.startswith("influencer_")]
    return _balances(session, kinds, person.id)


def organisation_balances(session: Session, key: str) -> list[Balance]:
    """An organisation's funds (negative: committed to its campaigns) and credit notes."""
    org = session.scalar(select(Organisation).where(Organisation.key == key))
    if org is None:
        raise NotFound(f"no organisation with key {key!r}")
    return _balances(session, [AccountKind.ADVERTISER_FUNDS, AccountKind.ADVERTISER_CREDIT], org.id)


def platform_balances(session: Session) -> list[Balance]:
    """The platform's revenue by currency."""
    return _balances(session, [AccountKind.PLATFORM_REVENUE], 0)


def campaign_budget(session: Session, key: str) -> CampaignBudget:
    """Budget, committed, spent and remaining of a campaign."""
    campaign = session.scalar(select(Campaign).where(Campaign.key == key))
    if campaign is None:
        raise NotFound(f"no campaign with key {key!r}")
    row = repo.spend_row(session, campaign.id)
    remaining = repo.balance(session, AccountKind.CAMPAIGN_BUDGET, campaign.id, campaign.currency)
    return CampaignBudget(
        campaign.key,
        campaign.currency,
        campaign.budget_minor,
        row.committed_minor if row else 0,
        row.spent_minor if row else 0,
        remaining,
    )


def trial_balance(session: Session) -> dict[str, int]:
    """The sum of every line by currency: zero for each when the ledger is sound."""
    rows = session.execute(
        select(LedgerAccount.currency, func.sum(LedgerLine.amount_minor))
        .join(LedgerAccount, LedgerAccount.id == LedgerLine.account_id)
        .group_by(LedgerAccount.currency)
    )
    return {currency: int(total) for currency, total in rows}


@dataclass(frozen=True, slots=True)
class EntryView:
    """An entry with its lines (account kind, owner, currency, amount)."""

    entry: LedgerEntry
    lines: list[tuple[str, int, str, int]]


def list_entries(
    session: Session,
    *,
    click_id: str | None = None,
    campaign_key: str | None = None,
    influencer_key: str | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
) -> list[EntryView]:
    """Entries matching the filters, newest first, each with its lines."""
    campaign_id = influencer_id = None
    if campaign_key is not None:
        campaign_id = session.scalar(select(Campaign.id).where(Campaign.key == campaign_key))
        if campaign_id is None:
            raise NotFound(f"no campaign with key {campaign_key!r}")
    if influencer_key is not None:
        influencer_id = session.scalar(
            select(Influencer.id).where(Influencer.key == influencer_key)
        )
        if influencer_id is None:
            raise NotFound(f"no influencer with key {influencer_key!r}")
    found = repo.entries(
        session,
        click_id=click_id,
        campaign_id=campaign_id,
        influencer_id=influencer_id,
        kind=kind,
        since=since,
        until=until,
        limit=limit,
    )
    lines: dict[int, list[tuple[str, int, str, int]]] = defaultdict(list)
    if found:
        for entry_id, account, amount in session.execute(
            select(LedgerLine.entry_id, LedgerAccount, LedgerLine.amount_minor)
            .join(LedgerAccount, LedgerAccount.id == LedgerLine.account_id)
            .where(LedgerLine.entry_id.in_([e.id for e in found]))
            .order_by(LedgerLine.id)
        ):
            lines[entry_id].append((account.kind, account.owner_id, account.currency, int(amount)))
    return [EntryView(e, lines[e.id]) for e in found]


def add_override(
    session: Session,
    campaign_key: str,
    *,
    payout_minor: int,
    price_minor: int | None = None,
    tier: str | None = None,
    network: str | None = None,
    country: str | None = None,
) -> PayoutOverride:
    """Add a rate-card exception to a campaign (see `PayoutOverride`); at least one criterion,
    amounts ≥ 0 and a price, when given, not below the payout."""
    campaign = session.scalar(select(Campaign).where(Campaign.key == campaign_key))
    if campaign is None:
        raise NotFound(f"no campaign with key {campaign_key!r}")
    if tier is None and network is None and country is None:
        raise InvalidInput("an override needs a tier, a network or a country", field="tier")
    if payout_minor < 0 or (price_minor is not None and price_minor < payout_minor):
        raise InvalidInput("payout must be ≥ 0 and the price not below it", field="price")
    try:
        tier = Tier(tier).value if tier else None
        network = Network.parse(network).value if network else None
    except ValueError as exc:
        raise InvalidInput(str(exc), field="network") from None
    if country is not None and (len(country) != 2 or not country.isalpha()):
        raise InvalidInput(f"{country!r} is not an ISO 3166 country code", field="country")
    row = PayoutOverride(
        campaign_id=campaign.id,
        tier=tier,
        network=network,
        country=country.upper() if country else None,
        payout_minor=payout_minor,
        price_minor=price_minor,
    )
    session.add(row)
    session.flush()
    return row
