"""The worker's click rows and counters: the tuple layout equals the reference (a dict per row,
converted per column, as the worker wrote them before), and a batch whose clicks turn out to
have rows already is written again, billed and counted once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from fairclick.clicks import repository as clicks_repo
from fairclick.clicks.models import Click, ClickCounter
from fairclick.clicks.pipeline import NoRulesValidator
from fairclick.clicks.rows import COLUMNS, RowMaker, hour_counts
from fairclick.clicks.worker import ClickWorker
from fairclick.domain.click import BillableClick, ClickEvent
from fairclick.domain.reasons import Billing, Reason, UnbilledCause, Verdict
from fairclick.journal import repository as journal_repo
from fairclick.journal.rows import sqlite_ts
from fairclick.validation.decisions import ClickDecision, Enrichment, FrozenDict
from tests.clicks.test_worker import _assert_exactly_once, _journal
from tests.conftest import TestDb
from tests.factories import TEST_SECRET, load_world

T0 = datetime(2025, 11, 17, 6, 59, 58, 123456, tzinfo=UTC)
PARIS = timezone(timedelta(hours=1))


@dataclass(frozen=True)
class Outcome:
    click_id: str
    billing: str
    cause: str | None
    amount_minor: int
    payout_minor: int
    currency: str


def _reference_row(
    event: ClickEvent,
    decision: Any,
    seq: int,
    outcome: Outcome | None,
    campaign_active: bool,
    validated_at: datetime,
    dialect: str,
) -> tuple[Any, ...]:
    """The row as the worker laid it out before tuples: a dict, then converted per column."""
    e = decision.enrichment
    if decision.verdict != Verdict.VALID:
        billing = ("unbilled", "invalid", 0, 0, None)
    elif event.campaign_id is None or event.link_id is None:
        billing = ("unbilled", None, 0, 0, None)
    elif event.status != 302 or not campaign_active:
        billing = ("unbilled", "campaign_inactive", 0, 0, None)
    elif outcome is None:
        billing = ("pending", None, 0, 0, None)
    else:
        cause = str(outcome.cause) if outcome.cause is not None else None
        billing = (str(outcome.billing), cause, outcome.amount_minor, outcome.payout_minor,
                   outcome.currency)  # fmt: skip
    row = {
        "click_id": event.click_id, "seq": seq, "external_id": event.external_id,
        "ts": event.ts, "code": event.code, "link_id": event.link_id,
        "campaign_id": event.campaign_id, "influencer_id": event.influencer_id,
        "post_id": event.post_id, "method": event.method, "status": event.status,
        "ip_prefix": e.ip_prefix, "ip_hash": e.ip_hash, "user_agent": event.user_agent,
        "referer": event.referer, "accept_language": event.accept_language,
        "headers": dict(event.headers), "visitor_id": event.visitor_id or event.assigned_visitor_id,
        "visitor_key": e.visitor_key, "country": e.country, "asn": e.asn, "as_org": e.as_org,
        "browser": e.browser, "os": e.os, "device": e.device, "verdict": str(decision.verdict),
        "reasons": [str(r) for r in decision.reasons], "flags": [str(f) for f in decision.flags],
        "evidence": dict(decision.evidence), "billing": billing[0], "unbilled_cause": billing[1],
        "amount_minor": billing[2], "payout_minor": billing[3], "currency": billing[4],
        "validated_at": validated_at,
    }  # fmt: skip
    for name in ("headers", "reasons", "flags", "evidence"):
        value = row[name]
        row[name] = orjson.dumps(value).decode() if value else "{}" if name in (
            "headers", "evidence") else "[]"  # fmt: skip
    if dialect == "sqlite":
        row["ts"], row["validated_at"] = sqlite_ts(row["ts"]), sqlite_ts(row["validated_at"])
    return tuple(row[name] for name in clicks_repo.CLICK_COLUMNS)


def _cases() -> list[tuple[ClickEvent, ClickDecision, Outcome | None, bool]]:
    clean = FrozenDict({"_rules": {"known_crawler": "pass", "duplicate": "pass"}})
    shared_headers = {"sec-fetch-mode": "navigate", "sec-ch-ua": '"Chromium";v="131"'}
    enrichment = Enrichment("90.12.4.0/24", "h" * 32, "vk", "FR", 3215, "Orange", False,
                            "Safari", "17", "iOS", "mobile")  # fmt: skip
    bare = Enrichment("", "", "")
    ids = {"link_id": 7, "campaign_id": 3, "influencer_id": 5, "post_id": 11}
    cases: list[tuple[ClickEvent, ClickDecision, Outcome | None, bool]] = []
    headers_of: list[Mapping[str, str]] = [
        *[shared_headers] * 3,
        {},
        MappingProxyType({"purpose": "prefetch"}),
    ]
    for n in range(40):
        kind = n % 8
        ts = T0 + timedelta(seconds=n)
        event = ClickEvent(
            click_id=f"c{n:025d}",
            ts=ts.astimezone(PARIS) if kind == 6 else ts,
            code="nosuchcode" if kind == 5 else "bviabRurGt",
            headers=headers_of[min(kind, 4)],
            visitor_id="cookie" if kind == 2 else None,
            assigned_visitor_id=None if kind == 2 else f"assigned-{n}",
            external_id=f"ext-{n}" if n % 2 else None,
            status=404 if kind == 5 else 302,
            **({} if kind == 5 else ids),
        )
        if kind in (1, 4):
            reasons = (Reason.DATACENTER, Reason.NON_BROWSER) if kind == 1 else (Reason.DUPLICATE,)
            evidence: Mapping[str, Any] = {"duplicate": {"window_h": 24, "seen": [1, 2]},
                                           "_rules": {"duplicate": "hit"}}  # fmt: skip
            decision = ClickDecision(event.click_id, Verdict.INVALID, reasons, (), evidence,
                                     enrichment)  # fmt: skip
        else:
            flags = (Reason.VELOCITY,) if kind == 7 else ()
            found = clean if kind != 3 else {}
            learnt = enrichment if n % 3 else bare
            decision = ClickDecision(event.click_id, Verdict.VALID, (), flags, found, learnt)
        outcome = None
        if kind == 0:
            outcome = Outcome(event.click_id, Billing.BILLED, None, 45, 31, "EUR")
        elif kind == 7:
            outcome = Outcome(event.click_id, Billing.UNBILLED, UnbilledCause.DAILY_CAP, 0, 0,
                              "EUR")  # fmt: skip
        cases.append((event, decision, outcome, kind != 2 or n % 4 == 0))
    return cases


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_rows_equal_the_reference_layout(dialect: str) -> None:
    validated_at = datetime(2026, 11, 29, 11, 0, 0, 654321, tzinfo=UTC)
    make = RowMaker(dialect, validated_at)
    assert set(COLUMNS) == set(clicks_repo.CLICK_COLUMNS)
    for seq, (event, decision, outcome, active) in enumerate(_cases(), start=1):
        row = dict(zip(COLUMNS, make.row(event, decision, seq, outcome, active), strict=True))
        reference = _reference_row(event, decision, seq, outcome, active, validated_at, dialect)
        assert tuple(row[name] for name in clicks_repo.CLICK_COLUMNS) == reference


def _reference_counts(rows: Sequence[Mapping[str, Any]], slot: int) -> list[tuple[Any, ...]]:
    sums: dict[tuple[str, int, datetime], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for row in rows:
        hour = row["ts"].replace(minute=0, second=0, microsecond=0)
        valid = row["verdict"] == Verdict.VALID
        for scope, scope_id in (("link", row["link_id"]), ("campaign", row["campaign_id"])):
            if scope_id is None:
                continue
            acc = sums[(scope, scope_id, hour)]
            acc[0] += 1
            acc[1] += valid
            acc[2] += not valid
            acc[3] += row["amount_minor"]
    return sorted((s, i, h, slot, *acc) for (s, i, h), acc in sums.items())


def test_hour_counts_equal_the_reference() -> None:
    cases = _cases()
    # Two links of one campaign, over an hour boundary, in event-time order as a batch is.
    events = [
        replace(
            e,
            ts=T0 + timedelta(minutes=7 * n),
            link_id=None if e.link_id is None else e.link_id + n % 2,
        )
        for n, (e, _, _, _) in enumerate(cases)
    ]
    make = RowMaker("sqlite", T0)
    rows = [
        make.row(e, d, n, o, a)
        for n, (e, (_, d, o, a)) in enumerate(zip(events, cases, strict=True))
    ]
    as_dicts = [
        {**dict(zip(COLUMNS, r, strict=True)), "ts": e.ts}
        for e, r in zip(events, rows, strict=True)
    ]
    assert sorted(hour_counts(events, rows, 3)) == _reference_counts(as_dicts, 3)


class _FlatBiller:
    """Bills every click it is handed 10 minor units, and remembers what it was handed."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def bill(self, session: Any, clicks: Sequence[BillableClick], now: datetime) -> list[Outcome]:
        self.calls.append([c.click_id for c in clicks])
        return [Outcome(c.click_id, Billing.BILLED, None, 10, 7, "EUR") for c in clicks]

    def hold(self, session: Any, clicks: Sequence[BillableClick], now: datetime) -> list[Outcome]:
        return []


def test_a_second_consumer_bills_and_counts_only_the_clicks_without_a_row(
    test_db: TestDb,
) -> None:
    db = test_db.db
    load_world(db)
    _journal(db, 100)
    first = _FlatBiller()
    ClickWorker(db, NoRulesValidator(), first, secret_key=TEST_SECRET, batch_size=40).drain(
        max_batches=1
    )
    second = _FlatBiller()
    other = ClickWorker(db, NoRulesValidator(), second, secret_key=TEST_SECRET, name="other",
                        batch_size=60)  # fmt: skip
    total = other.drain()
    assert (total.entries, total.clicks, total.billed) == (100, 60, 60)
    first_batch = set(first.calls[0])
    # The first batch of 60 was tried as new, rolled back, then billed without the 40 written.
    assert set(second.calls[0]) >= first_batch
    assert set(second.calls[1]).isdisjoint(first_batch) and len(second.calls[1]) == 20
    ClickWorker(db, NoRulesValidator(), first, secret_key=TEST_SECRET, batch_size=40).drain()
    _assert_exactly_once(db, 100)
    with db.engine.connect() as conn:
        billed = dict(
            conn.execute(
                select(ClickCounter.scope, func.sum(ClickCounter.billed_minor)).group_by(
                    ClickCounter.scope
                )
            ).all()
        )
        amounts = conn.scalar(select(func.sum(Click.amount_minor)))
    assert billed == {"link": 1000, "campaign": 1000}
    assert amounts == 1000


def test_a_row_that_conflicts_on_another_unique_column_is_skipped_as_before(
    test_db: TestDb,
) -> None:
    """A click whose seq is taken by another click row is left out, as the insert always did
    (ON CONFLICT DO NOTHING); the second, checked attempt accepts that instead of retrying."""
    db = test_db.db
    load_world(db)
    _journal(db, 10)
    with db.engine.connect() as conn:
        entry = journal_repo.fetch_after(conn, 0, limit=1)[0]
    with db.session() as session:
        session.add(Click(click_id="x" * 26, seq=entry.seq, ts=T0, code="bviabRurGt",
                          method="GET", status=302, verdict="valid"))  # fmt: skip
    total = ClickWorker(db, NoRulesValidator(), _FlatBiller(), secret_key=TEST_SECRET).drain()
    assert total.entries == 10
    with db.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Click)) == 10
