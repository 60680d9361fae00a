"""Re-verdicts: a click judged again (retro-analysis, incitement, moderation) keeps its history.

A change is recorded as a `VerdictChange` event, never an overwrite without a trace, and
billing is told: a billed click that becomes invalid is reversed (or clawed back after maturity).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from fairclick.clicks.models import Click, VerdictChange
from fairclick.domain.reasons import Billing, Reason, UnbilledCause, Verdict

# Called for each billed click that became invalid: (session, click_id, reason, at, by). When
# the hook also has a `many(session, click_ids, reason, at, by)` method (the ledger's
# `posting.reverser` does), `invalidate` calls that once per chunk of clicks instead.
Reverser = Callable[[Session, str, str, datetime, str], object]


@dataclass(frozen=True, slots=True)
class ReverdictResult:
    changed: int
    reversed_billed: int


_CLICKS: Table = Click.__table__  # type: ignore[assignment]
_CHANGES: Table = VerdictChange.__table__  # type: ignore[assignment]
_CHUNK = 500
_INVALIDATE = (
    update(_CLICKS)
    .where(_CLICKS.c.click_id == bindparam("b_click_id"))
    .values(
        verdict=Verdict.INVALID.value,
        reasons=bindparam("b_reasons", type_=_CLICKS.c.reasons.type),
        evidence=bindparam("b_evidence", type_=_CLICKS.c.evidence.type),
        billing=Billing.UNBILLED.value,
        unbilled_cause=UnbilledCause.INVALID.value,
        amount_minor=0,
        payout_minor=0,
    )
)


_ORDER = {r.value: i for i, r in enumerate(Reason)}


def _ordered(reasons: Iterable[str]) -> list[str]:
    return sorted(set(reasons), key=lambda r: _ORDER.get(r, len(_ORDER)))


def invalidate(
    session: Session,
    click_ids: Sequence[str],
    reason: Reason,
    *,
    by: str,
    at: datetime,
    evidence: Mapping[str, object] | None = None,
    reverser: Reverser | None = None,
    evidence_by_click: Mapping[str, Mapping[str, object]] | None = None,
) -> ReverdictResult:
    """Add `reason` to each click (making it invalid) and record the change; clicks that
    already carry the reason are left alone, so the call is idempotent. Evidence is `evidence`
    for every click, or each click's own from `evidence_by_click`.

    Per chunk of 500 clicks: one SELECT of the columns that change, one executemany INSERT of
    the changes and one executemany UPDATE of the clicks (a retro-analysis re-verdicts tens of
    thousands at once); click objects the session had loaded are expired, not left stale."""
    changed = reversed_billed = 0
    many = getattr(reverser, "many", None)
    session.flush()  # what the session changed in these clicks is read below
    conn = session.connection()
    for start in range(0, len(click_ids), _CHUNK):
        chunk = click_ids[start : start + _CHUNK]
        changes: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        to_reverse: list[str] = []
        billed = Billing.BILLED.value
        for click_id, verdict, reasons, old_evidence, billing in conn.execute(
            select(
                _CLICKS.c.click_id,
                _CLICKS.c.verdict,
                _CLICKS.c.reasons,
                _CLICKS.c.evidence,
                _CLICKS.c.billing,
            ).where(_CLICKS.c.click_id.in_(chunk))
        ):
            if reason.value in reasons:
                continue
            new_reasons = _ordered([*reasons, reason.value])
            own = dict((evidence_by_click or {}).get(click_id, evidence or {}))
            changes.append(
                {
                    "click_id": click_id,
                    "at": at,
                    "by": by,
                    "old_verdict": verdict,
                    "new_verdict": Verdict.INVALID.value,
                    "old_reasons": list(reasons),
                    "new_reasons": new_reasons,
                    "evidence": own,
                }
            )
            updates.append(
                {
                    "b_click_id": click_id,
                    "b_reasons": new_reasons,
                    "b_evidence": {**old_evidence, reason.value: own},
                }
            )
            if billing == billed and many is not None:
                to_reverse.append(click_id)
            elif billing == billed and reverser is not None:
                reverser(session, click_id, reason.value, at, by)
                reversed_billed += 1
        if changes:
            conn.execute(insert(_CHANGES), changes)
            conn.execute(_INVALIDATE, updates)
            changed += len(changes)
            for change in changes:
                loaded = session.identity_map.get(session.identity_key(Click, change["click_id"]))
                if loaded is not None:
                    session.expire(loaded)
        if to_reverse and many is not None:
            many(session, to_reverse, reason.value, at, by)
            reversed_billed += len(to_reverse)
    return ReverdictResult(changed=changed, reversed_billed=reversed_billed)


def history(session: Session, click_id: str) -> list[VerdictChange]:
    """Every re-verdict of a click, oldest first."""
    return list(
        session.scalars(
            select(VerdictChange)
            .where(VerdictChange.click_id == click_id)
            .order_by(VerdictChange.at, VerdictChange.id)
        )
    )
