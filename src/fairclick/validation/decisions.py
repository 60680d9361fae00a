"""What the validator returns: a decision per click with its enrichment and evidence, and the
per-rule explanation built from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from fairclick.domain.reasons import Reason, Verdict

RULES_KEY = "_rules"
_CODES = {r.value for r in Reason}


class FrozenDict(dict[str, Any]):
    """A dict that refuses changes: evidence that many decisions share (the one of every click
    no rule hit). Still a dict for whoever reads it: `json`/`orjson` store it as it is, `dict(e)`
    or `{**e}` copy it, and it compares equal to a plain dict with the same items."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("evidence shared by several decisions is read-only: copy it first")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[type[FrozenDict], tuple[dict[str, Any]]]:
        return (type(self), (dict(self),))  # pickling must not go through __setitem__


@dataclass(frozen=True, slots=True)
class Enrichment:
    """What the validator learnt about a click (kept on the click row)."""

    ip_prefix: str
    ip_hash: str
    visitor_key: str
    country: str | None = None
    asn: int | None = None
    as_org: str | None = None
    is_datacenter: bool = False
    browser: str | None = None
    browser_version: str | None = None
    os: str | None = None
    device: str = "other"
    bot_name: str | None = None


@dataclass(frozen=True, slots=True)
class ClickDecision:
    """The verdict on one click. `reasons` make it invalid; `flags` are hits that the campaign's
    strictness only flags for review. `evidence[reason]` says what matched (JSON-able);
    `evidence["_rules"]` maps every rule of the pipeline, in order, to hit | flagged | pass |
    not_applied | allowed, so storing `evidence` is enough to explain the click later.
    Evidence is read, never changed: clicks that no rule hit share one `FrozenDict`."""

    click_id: str
    verdict: Verdict
    reasons: tuple[Reason, ...]
    flags: tuple[Reason, ...]
    evidence: Mapping[str, dict[str, Any]]
    enrichment: Enrichment

    @property
    def outcomes(self) -> Mapping[str, str]:
        """Rule name → outcome, in pipeline order."""
        return self.evidence.get(RULES_KEY, {})


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """One rule's outcome on one click, with its evidence and a plain sentence."""

    rule: str
    outcome: str  # hit | flagged | pass | not_applied | allowed
    ivt_class: str | None
    evidence: dict[str, Any]
    sentence: str


_PASS_SENTENCE = {
    "pass": "Checked: nothing found.",
    "not_applied": "Not applied: this rule needs data that was not available.",
    "allowed": "Matched, but the campaign's allow-list covers this traffic.",
}


def explain(decision: ClickDecision) -> list[RuleOutcome]:
    """Every rule of the pipeline in order, with outcome, evidence and a plain sentence (the
    reason's meaning for hits and flags)."""
    return explain_evidence(decision.evidence)


def explain_evidence(evidence: Mapping[str, Mapping[str, Any]]) -> list[RuleOutcome]:
    """The explanation from a stored click's evidence (what `ClickDecision.evidence` held, plus
    any re-verdict evidence merged by reason code)."""
    out = []
    for rule, outcome in evidence.get(RULES_KEY, {}).items():
        reason = Reason(rule)
        found = dict(evidence.get(rule, {}))
        if outcome in ("hit", "flagged"):
            sentence = reason.meaning
            if outcome == "flagged":
                sentence += " (flagged for review: not invalid under this campaign's strictness)"
        else:
            sentence = _PASS_SENTENCE.get(outcome, outcome)
        out.append(RuleOutcome(rule, outcome, reason.ivt_class.value, found, sentence))
    ruled = set(evidence.get(RULES_KEY, {}))
    for code, extra in evidence.items():  # re-verdicts of the retro-analysis
        if code in ruled or code not in _CODES:
            continue
        reason = Reason(code)
        out.append(RuleOutcome(code, "hit", reason.ivt_class.value, dict(extra), reason.meaning))
    return out
