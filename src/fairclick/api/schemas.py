"""The API's own inputs (those the capability schemas do not cover) and every response shape.

Money is integer minor units; every object holding money says its `currency` beside it.
Times are RFC 3339 in UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, EmailStr, Field, StringConstraints, field_validator

from fairclick.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from fairclick.campaigns.models import CampaignStatus
from fairclick.domain.influence import Network
from fairclick.domain.values import Country, Key, Name, Strict, Url
from fairclick.influencers.schemas import Language, SocialAccountIn, UtcTime

T = TypeVar("T")

MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
"""A row id as clients send it: positive and within BIGINT, so no id reaches the database
that it cannot compare (an overflow would otherwise be an error inside the driver)."""

Password = Annotated[str, Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class Page(BaseModel, Generic[T]):
    """One page of a list; pass `next_cursor` back as `cursor` for the next (null: the end)."""

    items: list[T]
    next_cursor: str | None


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An error (RFC 9457), served as `application/problem+json`."""

    type: str = Field(examples=["https://fairclick.dev/problems/validation-error"])
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


def _problem_response(description: str) -> dict[str, object]:
    return {
        "model": Problem,
        "description": description,
        "content": {"application/problem+json": {}},
    }


PROBLEM_RESPONSES: dict[int | str, dict[str, object]] = {
    400: _problem_response("Malformed JSON body"),
    401: _problem_response("No token, or a bad, expired or revoked one"),
    403: _problem_response("Action denied on an object you can see"),
    404: _problem_response("Unknown, or not yours to see"),
    409: _problem_response("Conflict or illegal state transition"),
    413: _problem_response("Body over 1 MiB"),
    422: _problem_response("Invalid input, every field at fault in `errors`"),
}


# --- inputs --------------------------------------------------------------------------------


class TokenRequest(Strict):
    """Credentials for a new API token."""

    email: EmailStr
    password: Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = (
        "api"
    )
    days: int | None = Field(default=None, ge=1, le=3650)


class SignupIn(Strict):
    """An influencer's self-service signup."""

    email: EmailStr
    password: Password
    display_name: DisplayName
    country: Country
    languages: list[Language] = Field(default_factory=list, max_length=20)
    social_accounts: list[SocialAccountIn] = Field(default_factory=list, max_length=50)


class OrganisationUpdate(Strict):
    name: Name | None = None
    country: Country | None = None


class UserUpdate(Strict):
    """What an operator may change on a login."""

    is_active: bool | None = None
    password: Password | None = None


class InfluencerUpdate(Strict):
    """Profile changes. `status` and `trust_score` are the operator's alone."""

    display_name: DisplayName | None = None
    country: Country | None = None
    languages: list[Language] | None = Field(default=None, max_length=20)
    status: Literal["pending", "active", "suspended"] | None = None
    trust_score: Annotated[int, Field(ge=0, le=100)] | None = None


class StatusChange(Strict):
    """A campaign lifecycle transition: draft → active ⇄ paused → ended."""

    status: CampaignStatus


class EnrolmentCreate(Strict):
    """An influencer applies (give only `campaign_id`); an advertiser or operator invites
    (give `influencer_key` too)."""

    campaign_id: Id
    influencer_key: Key | None = None


class EnrolmentDecision(Strict):
    status: Literal["approved", "rejected", "suspended"]


class LinkCreate(Strict):
    """Another link for an approved enrolment (optionally for one network)."""

    enrolment_id: Id
    network: Network | None = None

    @field_validator("network", mode="before")
    @classmethod
    def _alias(cls, value: object) -> object:
        return Network.parse(value) if isinstance(value, str) else value


class PostCreate(Strict):
    """A post where the influencer shares a link: it gets its own link, so every click through
    it is attributable to it."""

    enrolment_id: Id
    network: Network
    url: Url | None = None
    text: Annotated[str, StringConstraints(max_length=20_000)] = ""
    posted_at: UtcTime | None = None

    @field_validator("network", mode="before")
    @classmethod
    def _alias(cls, value: object) -> object:
        return Network.parse(value) if isinstance(value, str) else value


# --- outputs -------------------------------------------------------------------------------


class OrganisationOut(BaseModel):
    id: int
    key: str
    name: str
    country: str
    created_at: datetime


class UserOut(BaseModel):
    id: int
    email: str
    role: str
    organisation_id: int | None
    is_active: bool
    created_at: datetime


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreated(TokenOut):
    token: str
    """The bearer token itself: shown this once, only its hash is stored."""


class SocialAccountOut(BaseModel):
    id: int
    network: str
    handle: str
    profile_url: str | None
    followers: int


class InfluencerOut(BaseModel):
    """An influencer profile. `email` and `session_count` are private: null unless the reader
    is the influencer or an operator."""

    id: int
    key: str
    display_name: str
    country: str
    languages: list[str]
    status: str
    tier: str
    followers: int
    trust_score: int
    social_accounts: list[SocialAccountOut]
    created_at: datetime
    email: str | None = None
    session_count: int | None = None


class CampaignOut(BaseModel):
    """A campaign. The advertiser's side (budget, caps, prices, commission, allow list) is null
    for influencers, who see the payout rate card."""

    id: int
    key: str
    organisation_id: int
    name: str
    slug: str
    destination_url: str
    fallback_url: str | None
    currency: str
    payout_by_tier: dict[str, int]
    start: datetime
    end: datetime
    timezone: str
    dedupe_window_hours: int
    allowed_networks: list[str]
    target_countries: list[str]
    min_followers: int
    openness: str
    status: str
    strictness: str
    hold_days: int
    violation_limit: int
    created_at: datetime
    updated_at: datetime
    advertiser_price_by_tier: dict[str, int] | None = None
    commission_percent: int | None = None
    budget: int | None = None
    daily_cap: int | None = None
    influencer_cap: int | None = None
    allow_list: list[str] | None = None


class EnrolmentOut(BaseModel):
    id: int
    campaign_id: Id
    influencer_id: int
    status: str
    created_at: datetime
    decided_at: datetime | None


class LinkOut(BaseModel):
    id: int
    code: str
    short_url: str
    campaign_id: Id
    influencer_id: int
    enrolment_id: Id
    network: str | None
    is_default: bool
    target_url: str
    post_id: int | None
    created_at: datetime
    disabled_at: datetime | None


class PostOut(BaseModel):
    id: int
    link_id: int
    code: str
    short_url: str
    influencer_id: int
    campaign_id: Id
    network: str
    url: str | None
    text: str
    posted_at: datetime | None
    incitement_label: str | None
    created_at: datetime


class MeOut(BaseModel):
    user: UserOut
    organisation: OrganisationOut | None
    influencer: InfluencerOut | None


class SignupOut(BaseModel):
    user: UserOut
    influencer: InfluencerOut


class ReasonOut(BaseModel):
    code: str
    ivt_class: str | None
    meaning: str | None


class ClickOut(BaseModel):
    """A click as kept (no raw IP). `amount` is what the advertiser was charged (shown to the
    campaign's advertisers), `payout` what the influencer earns (shown to the influencer);
    both in minor units of `currency`, 0 unless billed; operators see both."""

    click_id: str
    ts: datetime
    code: str
    link_id: int | None
    campaign_id: int | None
    influencer_id: int | None
    post_id: int | None
    method: str
    country: str | None
    device: str | None
    browser: str | None
    verdict: str
    reasons: list[ReasonOut]
    billing: str
    unbilled_cause: str | None
    currency: str | None
    amount: int | None = None
    payout: int | None = None


class BalanceOut(BaseModel):
    """An influencer's money in one currency, in minor units (from the ledger)."""

    currency: str
    pending: int
    """Earned by billed clicks still inside their campaign's hold period."""
    available: int
    """Matured: payable at the next payout run."""
    clawback: int
    """Negative when clicks invalidated after maturity are owed back."""
    in_payout: int
    paid: int


class EarningsOut(BaseModel):
    influencer_id: int
    balances: list[BalanceOut]
