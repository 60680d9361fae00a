"""Tables of campaigns and enrolments."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fairclick.store.base import Base, BigId, JsonType, UTCDateTime, utcnow


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class Openness(StrEnum):
    INVITE_ONLY = "invite_only"
    ON_APPROVAL = "on_approval"
    OPEN = "open"


class Strictness(StrEnum):
    STRICT = "strict"
    STANDARD = "standard"
    LENIENT = "lenient"


class EnrolmentStatus(StrEnum):
    INVITED = "invited"
    APPLIED = "applied"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class Campaign(Base):
    """What an advertiser pays for: a destination, a rate card, a budget, caps and dates."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80))
    """`utm_campaign` value."""
    destination_url: Mapped[str] = mapped_column(String(2000))
    fallback_url: Mapped[str | None] = mapped_column(String(2000))
    """Where a click goes while the campaign is paused or ended (else a 410 page)."""
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    payout_by_tier: Mapped[dict[str, int]] = mapped_column(JsonType())
    """Influencer payout per valid click by tier, in minor units."""
    advertiser_price_by_tier: Mapped[dict[str, int] | None] = mapped_column(JsonType())
    """Advertiser price per valid click by tier (minor units); else derived from commission."""
    commission_percent: Mapped[int | None] = mapped_column(Integer)
    """Platform commission on top of the payout, when no explicit advertiser price is set."""
    budget_minor: Mapped[int] = mapped_column(BigInteger)
    daily_cap_minor: Mapped[int | None] = mapped_column(BigInteger)
    influencer_cap_minor: Mapped[int | None] = mapped_column(BigInteger)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    dedupe_window_hours: Mapped[int] = mapped_column(Integer, default=24)
    allowed_networks: Mapped[list[str]] = mapped_column(JsonType(), default=list)
    """Empty = every network."""
    target_countries: Mapped[list[str]] = mapped_column(JsonType(), default=list)
    """Empty = every country."""
    min_followers: Mapped[int] = mapped_column(Integer, default=0)
    openness: Mapped[str] = mapped_column(String(16), default=Openness.ON_APPROVAL)
    status: Mapped[str] = mapped_column(String(16), default=CampaignStatus.DRAFT)
    strictness: Mapped[str] = mapped_column(String(16), default=Strictness.STANDARD)
    hold_days: Mapped[int] = mapped_column(Integer, default=14)
    allow_list: Mapped[list[str]] = mapped_column(JsonType(), default=list)
    """IP ranges or user-agent substrings never judged invalid (the advertiser's own monitoring)."""
    violation_limit: Mapped[int] = mapped_column(Integer, default=2)
    """Incitement violations after which an enrolment is suspended."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Enrolment(Base):
    """An influencer's membership of a campaign."""

    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("campaign_id", "influencer_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    influencer_id: Mapped[int] = mapped_column(
        ForeignKey("influencers.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
