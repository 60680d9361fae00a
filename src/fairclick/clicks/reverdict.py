"""Re-verdicts: a click judged again (retro-analysis, incitement, moderation) keeps its history.

A change is recorded as a `VerdictChange` event, never an overwrite without a trace, and
billing is told: a billed click that becomes invalid is reversed (or clawed back after maturity).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
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


def _ordered(reasons: Iterable[str]) -> list[str]:
    order = {r.value: i for i, r in enumerate(Reason)}
    return sorted(set(reasons), key=lambda r: order.get(r, len(order)))


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
    for every click, or each click's own from `evidence_by_click`."""
    changed = reversed_billed = 0
    many = getattr(reverser, "many", None)
    for start in range(0, len(click_ids), 500):
        chunk = click_ids[start : start + 500]
        to_reverse: list[str] = []
        for click in session.scalars(select(Click).where(Click.click_id.in_(chunk))):
            if reason.value in click.reasons:
                continue
            new_reasons = _ordered([*click.reasons, reason.value])
            own = dict((evidence_by_click or {}).get(click.click_id, evidence or {}))
            session.add(
                VerdictChange(
                    click_id=click.click_id,
                    at=at,
                    by=by,
                    old_verdict=click.verdict,
                    new_verdict=Verdict.INVALID.value,
                    old_reasons=list(click.reasons),
                    new_reasons=new_reasons,
                    evidence=own,
                )
            )
            was_billed = click.billing == Billing.BILLED
            click.verdict = Verdict.INVALID.value
            click.reasons = new_reasons
            click.evidence = {**click.evidence, reason.value: own}
            if was_billed and many is not None:
                to_reverse.append(click.click_id)
            elif was_billed and reverser is not None:
                reverser(session, click.click_id, reason.value, at, by)
                reversed_billed += 1
            click.billing = Billing.UNBILLED.value
            click.unbilled_cause = UnbilledCause.INVALID.value
            click.amount_minor = 0
            click.payout_minor = 0
            changed += 1
        if to_reverse and many is not None:
            many(session, to_reverse, reason.value, at, by)
            reversed_billed += len(to_reverse)
    session.flush()
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
