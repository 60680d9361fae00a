"""Tables of tracked links and declared posts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fairclick.store.base import Base, BigId, JsonType, UTCDateTime, utcnow


class Link(Base):
    """A short code that redirects to the campaign's destination, attributed to one influencer
    (and, for per-post links, one post)."""

    __tablename__ = "links"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    influencer_id: Mapped[int] = mapped_column(
        ForeignKey("influencers.id", ondelete="CASCADE"), index=True
    )
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolments.id", ondelete="CASCADE"), index=True
    )
    network: Mapped[str | None] = mapped_column(String(16))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    target_url: Mapped[str] = mapped_column(String(4000))
    """The destination with UTM parameters merged, computed when the link is made or the
    campaign's destination changes: the redirect reads it and never builds URLs from input."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Post(Base):
    """A post where an influencer shares a link, declared so that every click is attributable."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    link_id: Mapped[int] = mapped_column(
        ForeignKey("links.id", ondelete="CASCADE"), unique=True, index=True
    )
    influencer_id: Mapped[int] = mapped_column(
        ForeignKey("influencers.id", ondelete="CASCADE"), index=True
    )
    network: Mapped[str] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(2000))
    text: Mapped[str] = mapped_column(Text, default="")
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    incitement_label: Mapped[str | None] = mapped_column(String(16))
    """`incitement`, `ok` or `review` as the classifier (or a moderator) decided."""
    incitement_score: Mapped[float | None] = mapped_column(Float)
    incitement_evidence: Mapped[list[dict[str, object]] | None] = mapped_column(JsonType())
    model_version: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
