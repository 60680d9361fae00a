"""Payouts: bank details, payout batches, SEPA credit-transfer (pain.001) and CSV exports.

Running a batch moves each eligible influencer's available balance, net of clawbacks, into
`influencer_in_payout`; marking the batch paid moves it to `influencer_paid`; a failed or
cancelled batch moves it back to available. A balance is therefore in exactly one place, and
cannot be paid twice.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sepaxml import SepaTransfer
from sqlalchemy import select
from sqlalchemy.orm import Session

from fairclick.domain.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from fairclick.domain.money import Money, check_currency
from fairclick.influencers.models import Influencer
from fairclick.ledger import repository as repo
from fairclick.ledger.models import (
    AccountKind,
    BankAccount,
    BatchStatus,
    EntryKind,
    LedgerEntry,
    PayoutBatch,
    PayoutItem,
)

PAIN_SCHEMA = "pain.001.001.03"


@dataclass(frozen=True, slots=True)
class BankDetails:
    """A validated account: holder trimmed, IBAN compact, BIC from input or from the IBAN."""

    holder: str
    iban: str
    bic: str


def check_bank_details(holder: str, iban: str, bic: str | None = None) -> BankDetails:
    """Validate with schwifty; raise `InvalidInput` naming the field that is wrong."""
    name = " ".join(holder.split())
    if not 1 <= len(name) <= 70:
        raise InvalidInput("the account holder needs 1 to 70 characters", field="holder")
    try:
        parsed = IBAN(iban)
    except SchwiftyException as exc:
        raise InvalidInput(f"invalid IBAN {iban!r}: {exc}", field="iban") from None
    if bic:
        try:
            parsed_bic = BIC(bic)
        except SchwiftyException as exc:
            raise InvalidInput(f"invalid BIC {bic!r}: {exc}", field="bic") from None
    else:
        found = parsed.bic
        if found is None:
            raise InvalidInput(f"no BIC known for {parsed.compact}; give it", field="bic")
        parsed_bic = found
    return BankDetails(name, parsed.compact, parsed_bic.compact)


def set_bank_account(
    session: Session, influencer_id: int, holder: str, iban: str, bic: str | None = None
) -> BankAccount:
    """Create or replace an influencer's bank details after validating them."""
    details = check_bank_details(holder, iban, bic)
    if session.get(Influencer, influencer_id) is None:
        raise NotFound(f"no influencer with id {influencer_id}")
    row = session.get(BankAccount, influencer_id)
    if row is None:
        row = BankAccount(influencer_id=influencer_id)
        session.add(row)
    row.holder, row.iban, row.bic = details.holder, details.iban, details.bic
    session.flush()
    return row


@dataclass
class PayoutRun:
    """What a run did: the batch (None when nobody was due) and who was due but has no bank
    details (their balance stays available)."""

    batch: PayoutBatch | None
    missing_bank_details: list[int] = field(default_factory=list)


def payable(session: Session, currency: str) -> dict[int, tuple[int, int]]:
    """(available, clawback) balances by influencer in `currency` (clawback ≤ 0)."""
    rows = repo.balances(
        session, [AccountKind.INFLUENCER_AVAILABLE, AccountKind.INFLUENCER_CLAWBACK]
    )
    out: dict[int, tuple[int, int]] = {}
    for (kind, owner, cur), amount in rows.items():
        if cur != currency:
            continue
        available, clawback = out.get(owner, (0, 0))
        if kind == AccountKind.INFLUENCER_AVAILABLE:
            available = amount
        else:
            clawback = amount
        out[owner] = (available, clawback)
    return out


def run_payouts(
    session: Session, *, currency: str, at: datetime, by: str, min_minor: int
) -> PayoutRun:
    """Open a batch paying every influencer whose available balance net of clawbacks is at
    least `min_minor` (and above zero) and who has bank details. Never commits."""
    currency = check_currency(currency)
    repo.serialise(session, "payouts")
    due = {
        owner: (available, clawback)
        for owner, (available, clawback) in payable(session, currency).items()
        if available + clawback >= max(min_minor, 1)
    }
    banks = {
        b.influencer_id: b
        for b in session.scalars(
            select(BankAccount).where(BankAccount.influencer_id.in_(list(due)))
        )
    }
    missing = sorted(owner for owner in due if owner not in banks)
    if not banks:
        return PayoutRun(None, missing)
    batch = PayoutBatch(
        currency=currency, status=BatchStatus.OPEN.value, created_at=at, created_by=by
    )
    session.add(batch)
    session.flush()
    accounts = repo.AccountCache(session)
    total = 0
    for owner in sorted(banks):
        available, clawback = due[owner]
        net, bank = available + clawback, banks[owner]
        entry = repo.post_entry(
            session,
            accounts,
            LedgerEntry(
                kind=EntryKind.PAYOUT.value, at=at, influencer_id=owner, batch_id=batch.id, by=by
            ),
            [
                repo.Leg(AccountKind.INFLUENCER_AVAILABLE, owner, currency, -available),
                repo.Leg(AccountKind.INFLUENCER_CLAWBACK, owner, currency, -clawback),
                repo.Leg(AccountKind.INFLUENCER_IN_PAYOUT, owner, currency, net),
            ],
        )
        session.add(
            PayoutItem(
                batch_id=batch.id,
                influencer_id=owner,
                amount_minor=net,
                currency=currency,
                holder=bank.holder,
                iban=bank.iban,
                bic=bank.bic,
                end_to_end_id=f"FAIRCLICK-{batch.id}-{owner}",
                entry_id=entry.id,
            )
        )
        total += net
    batch.total_minor, batch.item_count = total, len(banks)
    session.flush()
    return PayoutRun(batch, missing)


def get_batch(session: Session, batch_id: int) -> PayoutBatch:
    """The batch, or `NotFound`."""
    batch = session.get(PayoutBatch, batch_id)
    if batch is None:
        raise NotFound(f"no payout batch {batch_id}")
    return batch


def list_batches(session: Session, limit: int = 200) -> list[PayoutBatch]:
    """Payout batches, newest first."""
    return list(session.scalars(select(PayoutBatch).order_by(PayoutBatch.id.desc()).limit(limit)))


def batch_items(session: Session, batch_id: int) -> list[PayoutItem]:
    """The transfers of a batch, by influencer id."""
    return list(
        session.scalars(
            select(PayoutItem)
            .where(PayoutItem.batch_id == batch_id)
            .order_by(PayoutItem.influencer_id)
        )
    )


def _close(
    session: Session, batch_id: int, status: BatchStatus, at: datetime, by: str
) -> PayoutBatch:
    repo.serialise(session, "payouts")
    batch = get_batch(session, batch_id)
    session.refresh(batch)
    if batch.status != BatchStatus.OPEN:
        raise IllegalTransition(f"payout batch {batch_id} is {batch.status}, not open")
    accounts = repo.AccountCache(session)
    target, kind = (
        (AccountKind.INFLUENCER_PAID, EntryKind.PAYOUT_PAID)
        if status == BatchStatus.PAID
        else (AccountKind.INFLUENCER_AVAILABLE, EntryKind.PAYOUT_RETURN)
    )
    for item in batch_items(session, batch_id):
        repo.post_entry(
            session,
            accounts,
            LedgerEntry(
                kind=kind.value,
                at=at,
                influencer_id=item.influencer_id,
                batch_id=batch_id,
                reverses_entry_id=item.entry_id if kind == EntryKind.PAYOUT_RETURN else None,
                by=by,
            ),
            [
                repo.Leg(
                    AccountKind.INFLUENCER_IN_PAYOUT,
                    item.influencer_id,
                    item.currency,
                    -item.amount_minor,
                ),
                repo.Leg(target, item.influencer_id, item.currency, item.amount_minor),
            ],
        )
    batch.status, batch.decided_at, batch.decided_by = status.value, at, by
    session.flush()
    return batch


def mark_paid(session: Session, batch_id: int, *, at: datetime, by: str) -> PayoutBatch:
    """The bank executed the batch: in-payout balances become paid. Only an open batch."""
    return _close(session, batch_id, BatchStatus.PAID, at, by)


def cancel_batch(
    session: Session, batch_id: int, *, at: datetime, by: str, failed: bool = False
) -> PayoutBatch:
    """The batch was cancelled (or failed at the bank): its money returns to available."""
    return _close(
        session, batch_id, BatchStatus.FAILED if failed else BatchStatus.CANCELLED, at, by
    )


@dataclass(frozen=True, slots=True)
class Debtor:
    """The platform's account that pays (from settings or the CLI)."""

    name: str
    iban: str
    bic: str


def debtor_from(name: str, iban: str | None, bic: str | None) -> Debtor:
    """Validate the debtor account; `InvalidInput` when it is missing or wrong."""
    if not iban:
        raise InvalidInput(
            "no debtor IBAN: set FAIRCLICK_PAYOUT_DEBTOR_IBAN or pass --debtor-iban", field="iban"
        )
    details = check_bank_details(name, iban, bic)
    return Debtor(details.holder, details.iban, details.bic)


def export_sepa(session: Session, batch_id: int, *, debtor: Debtor, execution_date: date) -> bytes:
    """The batch as an ISO 20022 pain.001.001.03 credit-transfer file (validated by sepaxml
    against the schema it ships). Only EUR batches can go through SEPA."""
    batch = get_batch(session, batch_id)
    if batch.currency != "EUR":
        raise Conflict(f"SEPA transfers are in EUR; batch {batch_id} is in {batch.currency}")
    items = batch_items(session, batch_id)
    if not items:
        raise Conflict(f"payout batch {batch_id} has no transfers")
    transfer = SepaTransfer(
        {
            "name": debtor.name,
            "IBAN": debtor.iban,
            "BIC": debtor.bic,
            "batch": True,
            "currency": "EUR",
        },
        schema=PAIN_SCHEMA,
        clean=True,
    )
    for item in items:
        transfer.add_payment(
            {
                "name": item.holder,
                "IBAN": item.iban,
                "BIC": item.bic,
                "amount": item.amount_minor,
                "execution_date": execution_date,
                "description": f"fairclick payout {batch.id}",
                "endtoend_id": item.end_to_end_id,
            }
        )
    out: bytes = transfer.export(validate=True)
    return out


def export_csv(session: Session, batch_id: int) -> str:
    """The batch as CSV: one row per transfer, amounts in minor units and in major units."""
    batch = get_batch(session, batch_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "batch_id",
            "influencer_id",
            "holder",
            "iban",
            "bic",
            "amount_minor",
            "amount",
            "currency",
            "end_to_end_id",
        ]
    )
    for item in batch_items(session, batch_id):
        writer.writerow(
            [
                batch.id,
                item.influencer_id,
                item.holder,
                item.iban,
                item.bic,
                item.amount_minor,
                str(Money(item.amount_minor, item.currency).to_decimal()),
                item.currency,
                item.end_to_end_id,
            ]
        )
    return buffer.getvalue()
