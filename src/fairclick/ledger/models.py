"""Tables of the double-entry ledger, the atomic spend counters, click postings and payouts.

The journal (`ledger_entries` + `ledger_lines`) is append-only: nothing here is ever updated
or deleted; a correction is a new entry whose `reverses_entry_id` names what it corrects.
The other tables are working state that the journal explains (spend counters, the posting
state of each click, payout batches).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from fairclick.store.base import Base, BigId, UTCDateTime, utcnow


class AccountKind(StrEnum):
    """What a ledger account holds. Balance = sum of its lines; positive = money held there."""

    ADVERTISER_FUNDS = "advertiser_funds"  # owner: organisation; negative = committed by it
    ADVERTISER_CREDIT = "advertiser_credit"  # owner: organisation; credit notes owed to it
    CAMPAIGN_BUDGET = "campaign_budget"  # owner: campaign; committed budget not yet spent
    INFLUENCER_PENDING = "influencer_pending"  # owner: influencer; earned, inside the hold
    INFLUENCER_AVAILABLE = "influencer_available"  # owner: influencer; matured, payable
    INFLUENCER_CLAWBACK = "influencer_clawback"  # owner: influencer; negative = owed back
    INFLUENCER_IN_PAYOUT = "influencer_in_payout"  # owner: influencer; in an open batch
    INFLUENCER_PAID = "influencer_paid"  # owner: influencer; paid out to date
    PLATFORM_REVENUE = "platform_revenue"  # owner: none; price − payout of billed clicks


class EntryKind(StrEnum):
    """Why an entry was posted."""

    COMMIT = "commit"  # advertiser funds → campaign budget (budget set or changed)
    CLICK = "click"  # a billed click
    REVERSAL = "reversal"  # a click invalidated inside the hold: the mirror of its CLICK entry
    CLAWBACK = "clawback"  # a click invalidated after maturity: credit note + influencer debt
    MATURITY = "maturity"  # pending → available when the hold ends
    PAYOUT = "payout"  # available (net of clawbacks) → in payout, when a batch is run
    PAYOUT_PAID = "payout_paid"  # in payout → paid
    PAYOUT_RETURN = "payout_return"  # in payout → available (batch failed or cancelled)


class PostingState(StrEnum):
    """Where a click stands in the ledger."""

    HELD = "held"  # valid but held for moderation: not billed until a decision
    UNBILLED = "unbilled"  # valid, met no budget (or dropped after review)
    PENDING = "pending"  # billed, inside the hold period
    AVAILABLE = "available"  # billed and matured
    REVERSED = "reversed"  # billed then invalidated inside the hold
    CLAWED_BACK = "clawed_back"  # billed, matured, then invalidated


class BatchStatus(StrEnum):
    OPEN = "open"  # money moved to in-payout; file exported or not yet
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"


class LedgerAccount(Base):
    """One account of the ledger: a kind, an owner and a currency."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (UniqueConstraint("kind", "owner_id", "currency"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    """One of `AccountKind`."""
    owner_id: Mapped[int] = mapped_column(BigInteger, default=0)
    """Organisation, campaign or influencer id by kind; 0 for the platform."""
    currency: Mapped[str] = mapped_column(String(3))


class LedgerEntry(Base):
    """A balanced journal entry (its lines sum to zero per currency). Never updated."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_kind_at", "kind", "at"),
        Index("ix_ledger_entries_campaign_at", "campaign_id", "at"),
        Index("ix_ledger_entries_influencer_at", "influencer_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    """One of `EntryKind`."""
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    """Business time of the posting (billing, invalidation, maturity, payout decision)."""
    click_id: Mapped[str | None] = mapped_column(String(26), index=True)
    organisation_id: Mapped[int | None] = mapped_column(BigInteger)
    campaign_id: Mapped[int | None] = mapped_column(BigInteger)
    influencer_id: Mapped[int | None] = mapped_column(BigInteger)
    batch_id: Mapped[int | None] = mapped_column(BigInteger)
    reverses_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    """The entry this one corrects (reversal and clawback entries)."""
    memo: Mapped[str] = mapped_column(String(300), default="")
    by: Mapped[str] = mapped_column(String(100), default="")
    """Who or what posted it: `worker`, `retro:burst`, `operator:anna@…`."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerLine(Base):
    """One leg of an entry: a signed amount on one account (in the account's currency)."""

    __tablename__ = "ledger_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)


class CampaignSpend(Base):
    """Spend counter of a campaign, raised only by a conditional UPDATE that keeps it ≤ budget."""

    __tablename__ = "campaign_spend"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    spent_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    committed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    """Budget moved from the advertiser's funds by COMMIT entries so far."""


class CampaignDailySpend(Base):
    """Spend of a campaign on one day of its own timezone (by event time)."""

    __tablename__ = "campaign_daily_spend"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    spent_minor: Mapped[int] = mapped_column(BigInteger, default=0)


class CampaignInfluencerSpend(Base):
    """Spend of a campaign on one influencer (for the per-influencer cap)."""

    __tablename__ = "campaign_influencer_spend"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    influencer_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    spent_minor: Mapped[int] = mapped_column(BigInteger, default=0)


class PayoutOverride(Base):
    """A rate-card exception: the payout (and optionally the price) for clicks matching every
    non-null criterion. The most specific match wins; ties go to the oldest row."""

    __tablename__ = "payout_overrides"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    tier: Mapped[str | None] = mapped_column(String(8))
    network: Mapped[str | None] = mapped_column(String(16))
    country: Mapped[str | None] = mapped_column(String(2))
    payout_minor: Mapped[int] = mapped_column(BigInteger)
    price_minor: Mapped[int | None] = mapped_column(BigInteger)
    """Advertiser price; None = the campaign's rule (price card, else payout + commission)."""


class ClickPosting(Base):
    """The ledger's record of one valid click: its outcome (idempotency key) and its state."""

    __tablename__ = "click_postings"
    # Every index costs each billed click an insertion: maturity reads by state, influencer
    # statements by influencer and month; nothing reads postings by campaign.
    __table_args__ = (
        Index("ix_click_postings_state_matures", "state", "matures_at"),
        Index("ix_click_postings_influencer_ts", "influencer_id", "ts"),
    )

    click_id: Mapped[str] = mapped_column(String(26), primary_key=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    """Event time of the click."""
    campaign_id: Mapped[int] = mapped_column(BigInteger)
    organisation_id: Mapped[int] = mapped_column(BigInteger)
    influencer_id: Mapped[int] = mapped_column(BigInteger)
    link_id: Mapped[int] = mapped_column(BigInteger)
    network: Mapped[str | None] = mapped_column(String(16))
    country: Mapped[str | None] = mapped_column(String(2))
    state: Mapped[str] = mapped_column(String(12))
    """One of `PostingState`."""
    cause: Mapped[str | None] = mapped_column(String(24))
    """`UnbilledCause` when not billed."""
    amount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    payout_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    day: Mapped[date | None] = mapped_column(Date)
    """The campaign-timezone day its spend was counted on (to undo it on reversal)."""
    entry_id: Mapped[int | None] = mapped_column(BigInteger)
    """The CLICK entry that billed it."""
    matures_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When it matured, was reversed or clawed back."""


class BankAccount(Base):
    """Where an influencer is paid: holder, IBAN and BIC (validated with schwifty)."""

    __tablename__ = "bank_accounts"

    influencer_id: Mapped[int] = mapped_column(
        ForeignKey("influencers.id", ondelete="CASCADE"), primary_key=True
    )
    holder: Mapped[str] = mapped_column(String(70))
    iban: Mapped[str] = mapped_column(String(34))
    """Compact form, no spaces."""
    bic: Mapped[str] = mapped_column(String(11))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PayoutBatch(Base):
    """A payout run: one item per influencer paid, in one currency."""

    __tablename__ = "payout_batches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(10), default=BatchStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    item_count: Mapped[int] = mapped_column(Integer, default=0)


class PayoutItem(Base):
    """One transfer of a batch; bank details are copied so the file can be re-exported."""

    __tablename__ = "payout_items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("payout_batches.id", ondelete="RESTRICT"), index=True
    )
    influencer_id: Mapped[int] = mapped_column(BigInteger, index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    holder: Mapped[str] = mapped_column(String(70))
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str] = mapped_column(String(11))
    end_to_end_id: Mapped[str] = mapped_column(String(35))
    entry_id: Mapped[int] = mapped_column(BigInteger)
    """The PAYOUT entry that moved the money."""


class LedgerLock(Base):
    """A named mutex row. Updating it first makes runs that read balances and then move them
    (maturity, payouts, moderation releases) take turns on SQLite and PostgreSQL alike."""

    __tablename__ = "ledger_locks"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    taken: Mapped[int] = mapped_column(BigInteger, default=0)
    """How many times it was taken (the write is what matters)."""
