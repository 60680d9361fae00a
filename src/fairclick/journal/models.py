"""The journal table: raw click events in arrival order (the only place raw IPs live)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from fairclick.store.base import Base, BigId, JsonType, UTCDateTime


class JournalEntry(Base):
    """One request to a tracked link, appended by the redirect (or by ingest) in arrival order.

    `seq` is the order the validator worker consumes; `click_id` makes the append idempotent.
    The raw `ip` is blanked by the retention purge; everything else is kept until processed.
    """

    __tablename__ = "journal"
    __table_args__ = (
        # Unique among ingested rows only: live clicks (NULL) stay out of the index, which
        # spares every group commit a leaf page of WAL (15 % of its bytes; docs/redirect.md).
        Index(
            "uq_journal_external_id",
            "external_id",
            unique=True,
            sqlite_where=text("external_id IS NOT NULL"),
            postgresql_where=text("external_id IS NOT NULL"),
        ),
    )

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    click_id: Mapped[str] = mapped_column(String(26), unique=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    source: Mapped[str] = mapped_column(String(8), default="live")
    """`live` (the redirect) or `ingest` (a replayed log)."""
    code: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(2000), default="")
    method: Mapped[str] = mapped_column(String(8))
    status: Mapped[int] = mapped_column(Integer)
    ip: Mapped[str] = mapped_column(String(45))
    user_agent: Mapped[str] = mapped_column(Text, default="")
    referer: Mapped[str] = mapped_column(Text, default="")
    accept_language: Mapped[str] = mapped_column(String(500), default="")
    headers: Mapped[dict[str, str]] = mapped_column(JsonType(), default=dict)
    visitor_id: Mapped[str | None] = mapped_column(String(64))
    assigned_visitor_id: Mapped[str | None] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(128))
    """The id a replayed log gave the click: unique (`uq_journal_external_id`), so that a
    second ingest adds nothing; None for live clicks."""
    link_id: Mapped[int | None] = mapped_column(BigInteger)
    campaign_id: Mapped[int | None] = mapped_column(BigInteger)
    influencer_id: Mapped[int | None] = mapped_column(BigInteger)
    post_id: Mapped[int | None] = mapped_column(BigInteger)
    campaign_active: Mapped[bool] = mapped_column(Boolean, default=True)
    """Whether the campaign was running at click time; when not, the click went to the
    fallback URL or a 410 page and is never billable."""


class WorkerCursor(Base):
    """How far a consumer has processed the journal (advanced in the same transaction as the
    clicks it wrote, which makes processing exactly-once)."""

    __tablename__ = "worker_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
