"""Validated campaign inputs: rate card, money, dates, targeting."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

from pydantic import AfterValidator, Field, field_validator, model_validator

from fairclick.campaigns.models import CampaignStatus, Openness, Strictness
from fairclick.domain.clock import ensure_utc
from fairclick.domain.influence import Network, Tier
from fairclick.domain.values import Country, Currency, Key, Name, Strict, TimeZoneName, Url

UtcTime = Annotated[datetime, AfterValidator(ensure_utc)]
MinorAmount = Annotated[int, Field(ge=0, le=10**15)]
RateCard = dict[Tier, Annotated[int, Field(ge=0, le=10**9)]]


def _full_card(card: dict[Tier, int] | None, name: str) -> dict[Tier, int] | None:
    if card is None:
        return None
    missing = [tier.value for tier in Tier if tier not in card]
    if missing:
        raise ValueError(f"{name} needs a rate for every tier; missing: {', '.join(missing)}")
    return card


class CampaignFields(Strict):
    """Fields shared by creation and update; every one optional on update."""

    name: Name | None = None
    destination_url: Url | None = None
    fallback_url: Url | None = None
    payout_by_tier: RateCard | None = None
    advertiser_price_by_tier: RateCard | None = None
    commission_percent: Annotated[int, Field(ge=0, le=500)] | None = None
    budget: MinorAmount | None = None
    daily_cap: MinorAmount | None = None
    influencer_cap: MinorAmount | None = None
    start: UtcTime | None = None
    end: UtcTime | None = None
    timezone: TimeZoneName | None = None
    dedupe_window_hours: Annotated[int, Field(ge=0, le=24 * 90)] | None = None
    allowed_networks: list[Network] | None = None
    target_countries: list[Country] | None = None
    min_followers: Annotated[int, Field(ge=0)] | None = None
    openness: Openness | None = None
    strictness: Strictness | None = None
    hold_days: Annotated[int, Field(ge=0, le=365)] | None = None
    allow_list: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = None
    violation_limit: Annotated[int, Field(ge=1, le=100)] | None = None

    @field_validator("allowed_networks", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        if isinstance(value, list):
            return [Network.parse(v) if isinstance(v, str) else v for v in value]
        return value

    @field_validator("payout_by_tier")
    @classmethod
    def _payout_full(cls, value: dict[Tier, int] | None) -> dict[Tier, int] | None:
        return _full_card(value, "payout_by_tier")

    @field_validator("advertiser_price_by_tier")
    @classmethod
    def _price_full(cls, value: dict[Tier, int] | None) -> dict[Tier, int] | None:
        return _full_card(value, "advertiser_price_by_tier")


class CampaignIn(CampaignFields):
    """A new campaign: name, destination, rate card, budget and dates are required."""

    key: Key | None = None
    organisation: Key | None = None
    """Key of the advertiser's organisation (admins choose; advertisers get their own)."""
    name: Name
    destination_url: Url
    currency: Currency = "EUR"
    payout_by_tier: RateCard
    budget: MinorAmount
    start: UtcTime
    end: UtcTime
    status: CampaignStatus = CampaignStatus.DRAFT

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        check_coherence(self)
        return self


class CampaignUpdate(CampaignFields):
    """A change to some fields of a campaign; status changes go through transitions."""


def check_coherence(data: CampaignFields) -> None:
    """Cross-field rules: dates in order, prices cover payouts, caps within the budget."""
    if data.start and data.end and data.end <= data.start:
        raise ValueError("end must be after start")
    if data.payout_by_tier and data.advertiser_price_by_tier:
        for tier, payout in data.payout_by_tier.items():
            if data.advertiser_price_by_tier[tier] < payout:
                raise ValueError(
                    f"advertiser price for {tier.value} is below the influencer payout"
                )
    if data.budget is not None:
        for name in ("daily_cap", "influencer_cap"):
            cap = getattr(data, name)
            if cap is not None and cap > data.budget:
                raise ValueError(f"{name} cannot exceed the budget")
