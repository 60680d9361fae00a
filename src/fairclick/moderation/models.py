"""Tables of post assessments, moderation cases and influencers' violations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fairclick.store.base import Base, BigId, JsonType, UTCDateTime, utcnow


class PostAssessment(Base):
    """One judgement of a post's text: by the classifier (with its version) or a moderator."""

    __tablename__ = "post_assessments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    label: Mapped[str] = mapped_column(String(16))
    """`incitement`, `ok` or `review`."""
    score: Mapped[float | None] = mapped_column(Float)
    language: Mapped[str | None] = mapped_column(String(8))
    evidence: Mapped[list[dict[str, object]]] = mapped_column(JsonType(), default=list)
    source: Mapped[str] = mapped_column(String(16))
    """`model` or `moderator`."""
    model_version: Mapped[str | None] = mapped_column(String(64))
    text_excerpt: Mapped[str] = mapped_column(Text, default="")
    """The text as judged (a later edit is judged again)."""


class ModerationCase(Base):
    """A post the classifier could not settle, waiting for the advertiser or the operator."""

    __tablename__ = "moderation_cases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int] = mapped_column(BigInteger, index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="open")
    """`open` or `decided`."""
    decision: Mapped[str | None] = mapped_column(String(16))
    """`incitement` or `ok`."""
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    """User id of the moderator."""
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    """Why, in the moderator's words."""


class Violation(Base):
    """An influencer's breach of the incitement policy, and what followed."""

    __tablename__ = "violations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    influencer_id: Mapped[int] = mapped_column(
        ForeignKey("influencers.id", ondelete="CASCADE"), index=True
    )
    campaign_id: Mapped[int] = mapped_column(BigInteger)
    post_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    """One violation per post, however often it is judged."""
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(16))
    consequence: Mapped[str] = mapped_column(String(16))
    """`warning` or `suspension` (the campaign's `violation_limit` decides)."""
