"""Pure billing rules: what a click costs and earns, which day it counts on, whether it may be
billed at all. No I/O: the posting service feeds them rows it has read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from fairclick.campaigns.models import CampaignStatus, EnrolmentStatus
from fairclick.campaigns.rules import payout_for, price_for
from fairclick.domain.influence import Tier
from fairclick.domain.money import Money
from fairclick.domain.reasons import UnbilledCause


@dataclass(frozen=True, slots=True)
class Override:
    """A rate-card exception (see `PayoutOverride`): None criteria match anything."""

    id: int
    tier: str | None
    network: str | None
    country: str | None
    payout_minor: int
    price_minor: int | None

    def matches(self, tier: Tier, network: str | None, country: str | None) -> bool:
        return (
            (self.tier is None or self.tier == tier.value)
            and (self.network is None or self.network == network)
            and (self.country is None or self.country == country)
        )

    @property
    def specificity(self) -> int:
        return sum(x is not None for x in (self.tier, self.network, self.country))


@dataclass(frozen=True, slots=True)
class RateCard:
    """A campaign's prices: tier cards, commission and overrides."""

    currency: str
    payout_by_tier: Mapping[str, int]
    advertiser_price_by_tier: Mapping[str, int] | None
    commission_percent: int | None
    overrides: Sequence[Override] = ()


@dataclass(frozen=True, slots=True)
class Rate:
    """What one click costs the advertiser (price) and earns the influencer (payout)."""

    price: Money
    payout: Money


def rate_for(card: RateCard, tier: Tier, network: str | None, country: str | None) -> Rate:
    """The price and payout of a click: the most specific matching override (oldest on a tie)
    sets the payout and, if it has one, the price; otherwise the tier cards decide
    (`campaigns.rules.price_for`: explicit price card, else payout + commission)."""
    matching = [o for o in card.overrides if o.matches(tier, network, country)]
    if matching:
        best = min(matching, key=lambda o: (-o.specificity, o.id))
        payout = Money(best.payout_minor, card.currency)
        if best.price_minor is not None:
            price = Money(best.price_minor, card.currency)
        elif card.advertiser_price_by_tier:
            price = Money(int(card.advertiser_price_by_tier[tier.value]), card.currency)
        else:
            price = payout + payout.percent(card.commission_percent or 0)
        return Rate(price=price, payout=payout)
    return Rate(
        price=price_for(
            card.payout_by_tier,
            card.advertiser_price_by_tier,
            card.commission_percent,
            tier,
            card.currency,
        ),
        payout=payout_for(card.payout_by_tier, tier, card.currency),
    )


def local_day(ts: datetime, timezone: str) -> date:
    """The calendar day of event time `ts` in the campaign's timezone (daily caps count by it)."""
    return ts.astimezone(ZoneInfo(timezone)).date()


@dataclass(frozen=True, slots=True)
class CampaignWindow:
    """What decides whether a campaign may be billed at a given time and place."""

    status: str
    start_at: datetime
    end_at: datetime
    target_countries: Sequence[str]


def gate(
    window: CampaignWindow,
    *,
    ts: datetime,
    country: str | None,
    link_disabled: bool,
    enrolment_status: str | None,
) -> UnbilledCause | None:
    """Why a valid click may not be billed before any budget is looked at, or None.

    Inactive first (status not active, outside [start, end), link disabled, enrolment not
    approved), then geography: a campaign that targets countries does not pay for a click
    from elsewhere or from an unknown country.
    """
    if (
        window.status != CampaignStatus.ACTIVE
        or not (window.start_at <= ts < window.end_at)
        or link_disabled
        or enrolment_status != EnrolmentStatus.APPROVED
    ):
        return UnbilledCause.CAMPAIGN_INACTIVE
    if window.target_countries and country not in window.target_countries:
        return UnbilledCause.GEO_NOT_TARGETED
    return None
