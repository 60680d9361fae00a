"""Tables of influencer profiles, social accounts and the influencers' own sessions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fairclick.store.base import Base, BigId, JsonType, UTCDateTime, utcnow


class InfluencerStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Influencer(Base):
    """Someone who shares tracked links and is paid per valid click."""

    __tablename__ = "influencers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    """Stable external key (the handle used in world files and UTM parameters)."""
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    display_name: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2))
    languages: Mapped[list[str]] = mapped_column(JsonType(), default=list)
    status: Mapped[str] = mapped_column(String(16), default=InfluencerStatus.PENDING)
    trust_score: Mapped[int] = mapped_column(Integer, default=100)
    """0–100; lowered by violations (incitement, fraud). 100 for a new profile."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SocialAccount(Base):
    """An account of the influencer on one network; followers drive the tier."""

    __tablename__ = "social_accounts"
    __table_args__ = (UniqueConstraint("network", "handle"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    influencer_id: Mapped[int] = mapped_column(
        ForeignKey("influencers.id", ondelete="CASCADE"), index=True
    )
    network: Mapped[str] = mapped_column(String(16))
    handle: Mapped[str] = mapped_column(String(100))
    profile_url: Mapped[str | None] = mapped_column(String(500))
    followers: Mapped[int] = mapped_column(Integer, default=0)


class InfluencerSession(Base):
    """One of the influencer's own logins or declared devices: evidence for `self_click`."""

    __tablename__ = "influencer_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    influencer_id: Mapped[int] = mapped_column(
        ForeignKey("influencers.id", ondelete="CASCADE"), index=True
    )
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    """Keyed hash of the full IP (the raw IP is never stored here)."""
    ip_prefix: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(1000))
    visitor_id: Mapped[str | None] = mapped_column(String(64), index=True)
