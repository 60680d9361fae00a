"""Read-only views of the ledger for the pages: balances and payout batches.

The ledger is the only source of balances; when its tables are not in this database yet (an
older schema), the pages say so instead of deriving balances from clicks.
"""

from __future__ import annotations

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

INFLUENCER_KINDS = ("pending", "available", "in_payout", "paid", "clawback")


def ledger_ready(session: Session) -> bool:
    """Whether this database has the ledger's tables."""
    return bool(inspect(session.connection()).has_table("ledger_accounts"))


def influencer_balances(session: Session, influencer_id: int) -> dict[str, dict[str, int]] | None:
    """Balances by currency then by kind (`pending`, `available`, `in_payout`, `paid`,
    `clawback`) in minor units; None when the ledger is not installed."""
    if not ledger_ready(session):
        return None
    from fairclick.ledger.models import AccountKind
    from fairclick.ledger.repository import balances

    kinds = [AccountKind(f"influencer_{kind}") for kind in INFLUENCER_KINDS]
    out: dict[str, dict[str, int]] = {}
    for (kind, _owner, currency), amount in balances(session, kinds, influencer_id).items():
        out.setdefault(currency, dict.fromkeys(INFLUENCER_KINDS, 0))[
            kind.removeprefix("influencer_")
        ] = amount
    return out


def payout_batches(
    session: Session, influencer_id: int | None = None
) -> list[dict[str, object]] | None:
    """Payout batches, newest first (only those paying `influencer_id` when given, with that
    influencer's amount); None when the ledger is not installed."""
    if not ledger_ready(session):
        return None
    from fairclick.ledger.models import PayoutBatch, PayoutItem

    if influencer_id is None:
        batches = session.scalars(select(PayoutBatch).order_by(PayoutBatch.id.desc()).limit(200))
        return [{"batch": b, "amount_minor": b.total_minor} for b in batches]
    rows = session.execute(
        select(PayoutBatch, PayoutItem.amount_minor)
        .join(PayoutItem, PayoutItem.batch_id == PayoutBatch.id)
        .where(PayoutItem.influencer_id == influencer_id)
        .order_by(PayoutBatch.id.desc())
        .limit(200)
    )
    return [{"batch": b, "amount_minor": amount} for b, amount in rows]
