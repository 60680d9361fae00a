"""Tables of validated clicks, verdict history and counters (DESIGN.md, click record)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fairclick.store.base import Base, BigId, JsonType, UTCDateTime, utcnow


class Click(Base):
    """One click as kept: no raw IP (prefix + keyed hash only), its verdict, reasons, billing."""

    __tablename__ = "clicks"
    __table_args__ = (
        Index("ix_clicks_campaign_ts", "campaign_id", "ts"),
        # A link's clicks are only ever listed in recording order (the API's pages by seq).
        Index("ix_clicks_link_seq", "link_id", "seq"),
        Index("ix_clicks_influencer_ts", "influencer_id", "ts"),
    )

    click_id: Mapped[str] = mapped_column(String(26), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    """The journal position it came from."""
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    """The id a replayed log gave it (ingest is idempotent on it)."""
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    """Event time, UTC, microseconds."""
    code: Mapped[str] = mapped_column(String(64))
    link_id: Mapped[int | None] = mapped_column(BigInteger)
    campaign_id: Mapped[int | None] = mapped_column(BigInteger)
    influencer_id: Mapped[int | None] = mapped_column(BigInteger)
    post_id: Mapped[int | None] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(8))
    status: Mapped[int] = mapped_column(Integer)
    """The HTTP status the redirect answered (302, 404, 410…)."""
    ip_prefix: Mapped[str] = mapped_column(String(64), default="")
    ip_hash: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(Text, default="")
    referer: Mapped[str] = mapped_column(Text, default="")
    accept_language: Mapped[str] = mapped_column(String(500), default="")
    headers: Mapped[dict[str, str]] = mapped_column(JsonType(), default=dict)
    """Client hints, Sec-Fetch-* and Purpose headers as received."""
    visitor_id: Mapped[str | None] = mapped_column(String(64))
    """The first-party visitor id (presented or assigned)."""
    visitor_key: Mapped[str] = mapped_column(String(64), default="")
    """What dedupe and velocity count by: cookie id, else keyed hash of IP + UA."""
    country: Mapped[str | None] = mapped_column(String(2))
    asn: Mapped[int | None] = mapped_column(BigInteger)
    as_org: Mapped[str | None] = mapped_column(String(200))
    browser: Mapped[str | None] = mapped_column(String(64))
    os: Mapped[str | None] = mapped_column(String(64))
    device: Mapped[str | None] = mapped_column(String(16))
    verdict: Mapped[str] = mapped_column(String(8))
    """`valid` or `invalid`."""
    reasons: Mapped[list[str]] = mapped_column(JsonType(), default=list)
    """Reason codes (DESIGN.md) when invalid, in pipeline order."""
    flags: Mapped[list[str]] = mapped_column(JsonType(), default=list)
    """Reasons noted for review without invalidating (lenient strictness)."""
    evidence: Mapped[dict[str, object]] = mapped_column(JsonType(), default=dict)
    billing: Mapped[str] = mapped_column(String(10), default="pending")
    """`billed`, `unbilled` or `pending`."""
    unbilled_cause: Mapped[str | None] = mapped_column(String(24))
    amount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    """What the advertiser was charged for it (0 unless billed)."""
    payout_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    """What the influencer earns for it (0 unless billed)."""
    currency: Mapped[str | None] = mapped_column(String(3))
    validated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VerdictChange(Base):
    """A re-verdict: never an overwrite without a trace (old, new, reasons, when, by what)."""

    __tablename__ = "verdict_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    click_id: Mapped[str] = mapped_column(String(26), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[str] = mapped_column(String(64))
    """What decided: `retro:burst`, `incitement:post-12`, `moderator:anna@…`."""
    old_verdict: Mapped[str] = mapped_column(String(8))
    new_verdict: Mapped[str] = mapped_column(String(8))
    old_reasons: Mapped[list[str]] = mapped_column(JsonType(), default=list)
    new_reasons: Mapped[list[str]] = mapped_column(JsonType(), default=list)
    evidence: Mapped[dict[str, object]] = mapped_column(JsonType(), default=dict)


class ClickCounter(Base):
    """Per-hour counts for a link or campaign. Several workers add to different `slot`s so that
    concurrent clicks do not fight over one row (Shlink's practice); readers sum the slots."""

    __tablename__ = "click_counters"

    scope: Mapped[str] = mapped_column(String(10), primary_key=True)
    """`link` or `campaign`."""
    scope_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    raw: Mapped[int] = mapped_column(BigInteger, default=0)
    valid: Mapped[int] = mapped_column(BigInteger, default=0)
    invalid: Mapped[int] = mapped_column(BigInteger, default=0)
    billed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
