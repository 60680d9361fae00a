"""Click rows as the worker writes them: a tuple per click in `COLUMNS` order, ready for the
driver, and the per-hour counts that a batch of them adds.

The worker's hottest loop, so a tuple per click rather than a dict, and no value converted twice:
JSON is dumped once per distinct object of the batch (the evidence of every click that no rule
hit is one shared object, journal reads share one headers dict between the clicks that sent the
same headers, reason lists repeat), the batch's validation time is formatted once, and a click's
hour is computed once per run of clicks in the same hour (a batch is in event-time order).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson

from fairclick.clicks import repository as clicks_repo
from fairclick.clicks.pipeline import DecisionLike, OutcomeLike
from fairclick.domain.click import ClickEvent
from fairclick.domain.reasons import Billing, UnbilledCause, Verdict

COLUMNS = (
    "click_id", "seq", "external_id", "ts", "code", "link_id", "campaign_id", "influencer_id",
    "post_id", "method", "status", "ip_prefix", "ip_hash", "user_agent", "referer",
    "accept_language", "headers", "visitor_id", "visitor_key", "country", "asn", "as_org",
    "browser", "os", "device", "verdict", "reasons", "flags", "evidence", "billing",
    "unbilled_cause", "amount_minor", "payout_minor", "currency", "validated_at",
)  # fmt: skip
"""The columns of `RowMaker.row`'s tuples, in order (every column of `clicks`)."""

Row = tuple[Any, ...]
CounterRow = tuple[str, int, datetime, int, int, int, int, int]

_VERDICT = COLUMNS.index("verdict")
_BILLING = COLUMNS.index("billing")
_AMOUNT = COLUMNS.index("amount_minor")
_VALID = Verdict.VALID.value
_HOUR = timedelta(hours=1)
_INVALID = (Billing.UNBILLED.value, UnbilledCause.INVALID.value, 0, 0, None)
_UNKNOWN = (Billing.UNBILLED.value, None, 0, 0, None)
_INACTIVE = (Billing.UNBILLED.value, UnbilledCause.CAMPAIGN_INACTIVE.value, 0, 0, None)
_PENDING = (Billing.PENDING.value, None, 0, 0, None)


class RowMaker:
    """Lays out one batch's click rows for the driver of `dialect` (one maker per batch: it
    remembers the JSON text of the objects it has seen, by identity, while it lives)."""

    def __init__(self, dialect: str, validated_at: datetime) -> None:
        self._time = clicks_repo.time_param(dialect)
        self._validated_at = self._time(validated_at)
        self._objects: dict[int, tuple[object, str]] = {}  # id → (the object, kept alive; text)
        self._codes: dict[Sequence[str], str] = {}

    def row(
        self,
        event: ClickEvent,
        decision: DecisionLike,
        seq: int,
        outcome: OutcomeLike | None,
        campaign_active: bool,
    ) -> Row:
        """The click row of `event` judged by `decision` and billed as `outcome` (None when
        the ledger did not decide on it), in `COLUMNS` order."""
        enrichment = decision.enrichment
        billing, cause, amount, payout, currency = billing_of(
            event, decision, outcome, campaign_active
        )
        return (
            event.click_id,
            seq,
            event.external_id,
            self._time(event.ts),
            event.code,
            event.link_id,
            event.campaign_id,
            event.influencer_id,
            event.post_id,
            event.method,
            event.status,
            enrichment.ip_prefix,
            enrichment.ip_hash,
            event.user_agent,
            event.referer,
            event.accept_language,
            self._object_json(event.headers),
            event.visitor_id or event.assigned_visitor_id,
            enrichment.visitor_key,
            enrichment.country,
            enrichment.asn,
            enrichment.as_org,
            enrichment.browser,
            enrichment.os,
            enrichment.device,
            str(decision.verdict),
            self._codes_json(decision.reasons),
            self._codes_json(decision.flags),
            self._object_json(decision.evidence),
            billing,
            cause,
            amount,
            payout,
            currency,
            self._validated_at,
        )

    def _object_json(self, value: Mapping[str, Any]) -> str:
        if not value:
            return "{}"
        seen = self._objects.get(id(value))
        if seen is not None:
            return seen[1]
        text = orjson.dumps(dict(value)).decode()
        self._objects[id(value)] = (value, text)
        return text

    def _codes_json(self, codes: Sequence[str]) -> str:
        if not codes:
            return "[]"
        try:
            return self._codes[codes]
        except KeyError:
            text = self._codes[codes] = orjson.dumps([str(c) for c in codes]).decode()
            return text
        except TypeError:  # not hashable (a list): not remembered
            return orjson.dumps([str(c) for c in codes]).decode()


def billing_of(
    event: ClickEvent, decision: DecisionLike, outcome: OutcomeLike | None, campaign_active: bool
) -> tuple[str, str | None, int, int, str | None]:
    """(billing, unbilled cause, amount, payout, currency) of a click row."""
    if decision.verdict != Verdict.VALID:
        return _INVALID
    if event.campaign_id is None or event.link_id is None:
        return _UNKNOWN  # unknown code: nothing to bill
    if event.status != 302 or not campaign_active:
        return _INACTIVE
    if outcome is None:
        return _PENDING
    cause = str(outcome.cause) if outcome.cause is not None else None
    return (
        str(outcome.billing),
        cause,
        int(outcome.amount_minor),
        int(outcome.payout_minor),
        outcome.currency,
    )


def is_valid(row: Row) -> bool:
    """Whether a click row's verdict is valid."""
    return bool(row[_VERDICT] == _VALID)


def is_billed(row: Row) -> bool:
    """Whether a click row is billed."""
    return bool(row[_BILLING] == Billing.BILLED.value)


def hour_counts(events: Sequence[ClickEvent], rows: Sequence[Row], slot: int) -> list[CounterRow]:
    """What `rows` (the click rows of `events`, in event-time order) add to the counters of
    their links and campaigns: (scope, id, hour, slot, raw, valid, invalid, billed_minor)."""
    sums: dict[tuple[int | None, int | None, datetime], list[int]] = {}
    hour = end = None
    for event, row in zip(events, rows, strict=True):
        ts = event.ts
        if hour is None or end is None or not hour <= ts < end:
            hour = clicks_repo.hour_of(ts)
            end = hour + _HOUR
        key = (event.link_id, event.campaign_id, hour)
        acc = sums.get(key)
        if acc is None:
            acc = sums[key] = [0, 0, 0]
        acc[0] += 1
        acc[1] += row[_VERDICT] == _VALID
        acc[2] += row[_AMOUNT]
    scopes: dict[tuple[str, int, datetime], list[int]] = {}
    for (link_id, campaign_id, at), (raw, valid, billed) in sums.items():
        for scope, scope_id in (("link", link_id), ("campaign", campaign_id)):
            if scope_id is None:
                continue
            acc = scopes.get((scope, scope_id, at))
            if acc is None:
                scopes[(scope, scope_id, at)] = [raw, valid, billed]
            else:
                acc[0] += raw
                acc[1] += valid
                acc[2] += billed
    return [
        (scope, scope_id, at, slot, raw, valid, raw - valid, billed)
        for (scope, scope_id, at), (raw, valid, billed) in scopes.items()
    ]
