"""Every query of the ledger: accounts, entries, balances, the atomic spend counters."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Table,
    TypeDecorator,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fairclick.domain.errors import FairclickError
from fairclick.journal.rows import sqlite_ts
from fairclick.ledger.models import (
    AccountKind,
    CampaignDailySpend,
    CampaignInfluencerSpend,
    CampaignSpend,
    ClickPosting,
    LedgerAccount,
    LedgerEntry,
    LedgerLine,
    LedgerLock,
)


class UnbalancedEntry(FairclickError):
    """A programming error: an entry whose lines do not sum to zero per currency."""

    status = 500
    type = "unbalanced-entry"
    title = "Unbalanced ledger entry"


@dataclass(frozen=True, slots=True)
class Leg:
    """One line to post: an account (by kind, owner, currency) and a signed amount."""

    kind: AccountKind
    owner_id: int
    currency: str
    amount_minor: int


_LINES: Table = LedgerLine.__table__  # type: ignore[assignment]

# SQLite accepts at most 32,766 parameters per statement; PostgreSQL 65,535.
_MAX_PARAMETERS = 32_000


def insert_values(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert `rows` (tuples in `columns` order) with plain multi-row INSERTs, and the
    `returning` columns of every inserted row (in no promised order: return a key with them).

    The ledger's hot writes (entries, lines, postings of a batch) go through here rather than
    through SQLAlchemy's per-row parameter processing, which cost more than the inserts. Values
    are converted as SQLAlchemy would store them: on SQLite, aware datetimes as naive UTC text
    and dates as ISO text (only the table's date and time columns are looked at, and a value
    repeated in the batch, such as its posting time, is converted once)."""
    if not rows:
        return []
    dialect = conn.dialect.name
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    mark = "?" if dialect == "sqlite" else "%s"
    one = "(" + ", ".join(mark for _ in columns) + ")"
    tail = f" RETURNING {', '.join(quote(c) for c in returning)}" if returning else ""
    per_statement = max(1, _MAX_PARAMETERS // len(columns))
    temporal = _temporal_positions(table, tuple(columns)) if dialect == "sqlite" else ()
    converted: dict[Any, str] = {}
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        params: list[Any] = []
        if temporal:
            for row in chunk:
                values = list(row)
                for position in temporal:
                    value = values[position]
                    if value is not None:
                        text = converted.get(value)
                        if text is None:
                            text = converted[value] = _sqlite_value(value)
                        values[position] = text
                params += values
        else:
            for row in chunk:
                params += row
        sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES {', '.join([one] * len(chunk))}"
        result = conn.exec_driver_sql(sql + tail, tuple(params))
        if returning:
            found += [tuple(row) for row in result]
    return found


@lru_cache(maxsize=64)
def _temporal_positions(table: Table, columns: tuple[str, ...]) -> tuple[int, ...]:
    """Where `columns` has a date or datetime column of `table` (what SQLite stores as text)."""
    found = []
    for position, name in enumerate(columns):
        kind = table.c[name].type
        if isinstance(kind, TypeDecorator):  # stored as its implementation type
            kind = kind.impl_instance
        if isinstance(kind, Date | DateTime):
            found.append(position)
    return tuple(found)


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return sqlite_ts(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def insert_ignore(session: Session, table: Table, values: dict[str, Any], keys: list[str]) -> None:
    """INSERT a row unless one with the same `keys` exists (ON CONFLICT DO NOTHING), so that
    concurrent workers creating the same row do not fail."""
    dialect = session.get_bind().dialect.name
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        dialect_insert(table).values(**values).on_conflict_do_nothing(index_elements=keys)
    )


def serialise(session: Session, name: str) -> None:
    """Take the named lock until the transaction ends. It is a real write, so SQLite takes its
    write lock here (before any read whose result the caller acts on) and PostgreSQL a row lock."""
    insert_ignore(
        session,
        LedgerLock.__table__,  # type: ignore[arg-type]
        {"name": name, "taken": 0},
        ["name"],
    )
    session.execute(
        update(LedgerLock)
        .where(LedgerLock.name == name)
        .values(taken=LedgerLock.taken + 1)
        .execution_options(synchronize_session=False)
    )


def claim(session: Session, click_id: str, old: str, new: str, at: datetime) -> bool:
    """Move a click posting from state `old` to `new` if nobody did first; True when it did."""
    result = session.execute(
        update(ClickPosting)
        .where(ClickPosting.click_id == click_id, ClickPosting.state == old)
        .values(state=new, settled_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


class AccountCache:
    """Account ids by (kind, owner, currency), created on first use; one per unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._ids: dict[tuple[str, int, str], int] = {}

    def preload(self, keys: Iterable[tuple[AccountKind, int, str]]) -> None:
        """Find (creating the missing ones) the accounts of `keys` in a few queries, so that
        `id_for` answers from memory for a whole batch."""
        wanted: dict[tuple[str, str], set[int]] = defaultdict(set)
        for kind, owner, currency in keys:
            if (kind.value, owner, currency) not in self._ids:
                wanted[(kind.value, currency)].add(owner)
        for (kind_value, currency), owners in wanted.items():
            for attempt in range(2):
                ordered = sorted(owners)
                for start in range(0, len(ordered), 900):
                    for account, owner in self.session.execute(
                        select(LedgerAccount.id, LedgerAccount.owner_id).where(
                            LedgerAccount.kind == kind_value,
                            LedgerAccount.currency == currency,
                            LedgerAccount.owner_id.in_(ordered[start : start + 900]),
                        )
                    ):
                        self._ids[(kind_value, owner, currency)] = int(account)
                        owners.discard(owner)
                if not owners or attempt:
                    break
                for owner in sorted(owners):
                    insert_ignore(
                        self.session,
                        LedgerAccount.__table__,  # type: ignore[arg-type]
                        {"kind": kind_value, "owner_id": owner, "currency": currency},
                        ["kind", "owner_id", "currency"],
                    )

    def id_for(self, kind: AccountKind, owner_id: int, currency: str) -> int:
        key = (kind.value, owner_id, currency)
        if key not in self._ids:
            self._ids[key] = account_id(self.session, kind, owner_id, currency)
        return self._ids[key]


def account_id(session: Session, kind: AccountKind, owner_id: int, currency: str) -> int:
    """The id of an account, creating it if needed."""
    where = (
        LedgerAccount.kind == kind.value,
        LedgerAccount.owner_id == owner_id,
        LedgerAccount.currency == currency,
    )
    found = session.scalar(select(LedgerAccount.id).where(*where))
    if found is None:
        insert_ignore(
            session,
            LedgerAccount.__table__,  # type: ignore[arg-type]
            {"kind": kind.value, "owner_id": owner_id, "currency": currency},
            ["kind", "owner_id", "currency"],
        )
        found = session.scalar(select(LedgerAccount.id).where(*where))
    assert found is not None
    return int(found)


def check_balanced(kind: str, legs: Sequence[Leg]) -> None:
    """Raise `UnbalancedEntry` unless the legs sum to zero in every currency."""
    sums: dict[str, int] = defaultdict(int)
    for leg in legs:
        sums[leg.currency] += leg.amount_minor
    if any(sums.values()):
        raise UnbalancedEntry(f"entry {kind} does not balance: {dict(sums)}")


def post_entry(
    session: Session, accounts: AccountCache, entry: LedgerEntry, legs: Sequence[Leg]
) -> LedgerEntry:
    """Insert `entry` with its lines after checking that they balance per currency; zero
    legs are dropped. Raises `UnbalancedEntry` otherwise (nothing is written)."""
    check_balanced(entry.kind, legs)
    session.add(entry)
    session.flush()
    rows = [
        {
            "entry_id": entry.id,
            "account_id": accounts.id_for(leg.kind, leg.owner_id, leg.currency),
            "amount_minor": leg.amount_minor,
        }
        for leg in legs
        if leg.amount_minor
    ]
    if rows:
        session.execute(insert(_LINES), rows)
    return entry


def balance(session: Session, kind: AccountKind, owner_id: int, currency: str) -> int:
    """The balance of one account (0 when it does not exist yet)."""
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerLine.amount_minor), 0))
        .join(LedgerAccount, LedgerAccount.id == LedgerLine.account_id)
        .where(
            LedgerAccount.kind == kind.value,
            LedgerAccount.owner_id == owner_id,
            LedgerAccount.currency == currency,
        )
    )
    return int(total or 0)


def balances(
    session: Session, kinds: Iterable[AccountKind], owner_id: int | None = None
) -> dict[tuple[str, int, str], int]:
    """Balances of every account of `kinds` (optionally of one owner), by (kind, owner, currency)."""
    query = (
        select(
            LedgerAccount.kind,
            LedgerAccount.owner_id,
            LedgerAccount.currency,
            func.coalesce(func.sum(LedgerLine.amount_minor), 0),
        )
        .join(LedgerLine, LedgerLine.account_id == LedgerAccount.id, isouter=True)
        .where(LedgerAccount.kind.in_([k.value for k in kinds]))
        .group_by(LedgerAccount.kind, LedgerAccount.owner_id, LedgerAccount.currency)
    )
    if owner_id is not None:
        query = query.where(LedgerAccount.owner_id == owner_id)
    return {(k, o, c): int(total) for k, o, c, total in session.execute(query)}


def entry_lines(session: Session, entry_id: int) -> list[tuple[LedgerAccount, int]]:
    """The lines of an entry with their accounts."""
    rows = session.execute(
        select(LedgerAccount, LedgerLine.amount_minor)
        .join(LedgerLine, LedgerLine.account_id == LedgerAccount.id)
        .where(LedgerLine.entry_id == entry_id)
        .order_by(LedgerLine.id)
    )
    return [(account, int(amount)) for account, amount in rows]


# -- spend counters: the atomic budget checks -------------------------------------------------


def lock_campaign_spend(session: Session, campaign_ids: Iterable[int]) -> None:
    """Make sure each campaign has a spend row and lock them in id order (PostgreSQL), so that
    batches touching several campaigns cannot deadlock on them."""
    ids = sorted(set(campaign_ids))
    for campaign_id in ids:
        insert_ignore(
            session,
            CampaignSpend.__table__,  # type: ignore[arg-type]
            {"campaign_id": campaign_id, "spent_minor": 0, "committed_minor": 0},
            ["campaign_id"],
        )
    if ids:
        session.execute(
            select(CampaignSpend.campaign_id)
            .where(CampaignSpend.campaign_id.in_(ids))
            .order_by(CampaignSpend.campaign_id)
            .with_for_update()
        ).all()


def spend_total(session: Session, campaign_id: int, amount: int, limit: int) -> bool:
    """Add `amount` to the campaign's spend if it stays ≤ `limit`; True when it did."""
    result = session.execute(
        update(CampaignSpend)
        .where(
            CampaignSpend.campaign_id == campaign_id,
            CampaignSpend.spent_minor + amount <= limit,
        )
        .values(spent_minor=CampaignSpend.spent_minor + amount)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def spend_many(
    session: Session, scope: str, increments: Sequence[tuple[int, Any, int, int]]
) -> bool:
    """Add to the campaign's spend on a day (scope `day`) or on one influencer (scope
    `influencer`), for many rows at once: (campaign id, day or influencer id, amount, limit)
    each, each added only if it stays ≤ its limit; one INSERT of the missing counters and one
    conditional UPDATE executed for all (a single driver call each). True when every increment
    was applied, False when any would have passed its limit."""
    if not increments:
        return True
    table: Table
    if scope == "day":
        table, key = CampaignDailySpend.__table__, "day"  # type: ignore[assignment]
    else:
        table, key = CampaignInfluencerSpend.__table__, "influencer_id"  # type: ignore[assignment]
    conn = session.connection()
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    conn.execute(
        dialect_insert(table).on_conflict_do_nothing(index_elements=["campaign_id", key]),
        [{"campaign_id": c, key: k, "spent_minor": 0} for c, k, _, _ in increments],
    )
    spent = table.c.spent_minor
    result = conn.execute(
        update(table)
        .where(
            table.c.campaign_id == bindparam("c"),
            table.c[key] == bindparam("k"),
            spent + bindparam("a") <= bindparam("cap"),
        )
        .values(spent_minor=spent + bindparam("a")),
        [{"c": c, "k": k, "a": amount, "cap": cap} for c, k, amount, cap in increments],
    )
    return int(result.rowcount) == len(increments)


def unspend_many(
    conn: Connection,
    totals: dict[int, int],
    days: dict[tuple[int, date], int],
    influencers: dict[tuple[int, int], int],
) -> None:
    """Give amounts back to the spend counters (reversals in bulk): summed per campaign, per
    (campaign, day) and per (campaign, influencer), one executemany UPDATE per counter table,
    rows in key order (so concurrent batches lock them in the same order)."""
    spend: Table = CampaignSpend.__table__  # type: ignore[assignment]
    daily: Table = CampaignDailySpend.__table__  # type: ignore[assignment]
    per_influencer: Table = CampaignInfluencerSpend.__table__  # type: ignore[assignment]
    for table, key, amounts in (
        (spend, None, {(c, None): a for c, a in totals.items()}),
        (daily, "day", days),
        (per_influencer, "influencer_id", influencers),
    ):
        rows = [{"c": c, "k": k, "a": a} for (c, k), a in sorted(amounts.items()) if a]
        if not rows:
            continue
        where = [table.c.campaign_id == bindparam("c")]
        if key is not None:
            where.append(table.c[key] == bindparam("k"))
        else:
            rows = [{"c": r["c"], "a": r["a"]} for r in rows]
        conn.execute(
            update(table).where(*where).values(spent_minor=table.c.spent_minor - bindparam("a")),
            rows,
        )


def spend_row(session: Session, campaign_id: int) -> CampaignSpend | None:
    """The spend counter of a campaign, if it has spent or committed anything."""
    return session.get(CampaignSpend, campaign_id, populate_existing=True)


def entries(
    session: Session,
    *,
    click_id: str | None = None,
    campaign_id: int | None = None,
    influencer_id: int | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
) -> list[LedgerEntry]:
    """Entries matching every given filter, newest first; `click_id` finds the click's
    corrections and the CLICK entry that billed it."""
    query = select(LedgerEntry).order_by(LedgerEntry.id.desc()).limit(limit)
    if click_id is not None:
        # Corrections name their click; the CLICK entry that billed it (with the influencer's
        # other clicks of the same batch) is named by the click's posting.
        billed_by = select(ClickPosting.entry_id).where(ClickPosting.click_id == click_id)
        query = query.where(or_(LedgerEntry.click_id == click_id, LedgerEntry.id.in_(billed_by)))
    if campaign_id is not None:
        query = query.where(LedgerEntry.campaign_id == campaign_id)
    if influencer_id is not None:
        query = query.where(LedgerEntry.influencer_id == influencer_id)
    if kind is not None:
        query = query.where(LedgerEntry.kind == kind)
    if since is not None:
        query = query.where(LedgerEntry.at >= since)
    if until is not None:
        query = query.where(LedgerEntry.at < until)
    return list(session.scalars(query))
