"""What the validator returns: a decision per click with its enrichment and evidence, and the
per-rule explanation built from it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np

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
class EnrichmentColumns:
    """Every click's `Enrichment` of a batch as columns. The address fields are kept once per
    distinct address of the batch (click i's is row `ip_row[i]` of `ip_prefix` … `is_datacenter`),
    the user-agent fields once per distinct agent (row `ua_row[i]` of `browser` … `bot_name`),
    the visitor key per click: a column of the batch is a gather, not a Python loop."""

    visitor_key: list[str]
    ip_row: np.ndarray
    ip_prefix: list[str]
    ip_hash: list[str]
    country: list[str | None]
    asn: list[int | None]
    as_org: list[str | None]
    is_datacenter: list[bool]
    ua_row: np.ndarray
    browser: list[str | None]
    browser_version: list[str | None]
    os: list[str | None]
    device: list[str]
    bot_name: list[str | None]

    def __len__(self) -> int:
        return len(self.visitor_key)

    def enrichment(self, i: int) -> Enrichment:
        """Click i's `Enrichment`."""
        a, u = int(self.ip_row[i]), int(self.ua_row[i])
        return Enrichment(
            ip_prefix=self.ip_prefix[a],
            ip_hash=self.ip_hash[a],
            visitor_key=self.visitor_key[i],
            country=self.country[a],
            asn=self.asn[a],
            as_org=self.as_org[a],
            is_datacenter=self.is_datacenter[a],
            browser=self.browser[u],
            browser_version=self.browser_version[u],
            os=self.os[u],
            device=self.device[u],
            bot_name=self.bot_name[u],
        )

    def reordered(self, order: Sequence[int]) -> EnrichmentColumns:
        """The rows moved so that row `order[k]` is the current row k."""
        back = _inverse(order)
        return dataclasses.replace(
            self,
            visitor_key=[self.visitor_key[k] for k in back.tolist()],
            ip_row=self.ip_row[back],
            ua_row=self.ua_row[back],
        )


@dataclass(frozen=True, slots=True)
class DecisionColumns:
    """The decisions on a batch as columns (row i is the i-th click given): what `ClickDecision`
    holds but evidence, with reasons and flags kept only for the clicks that have some."""

    click_id: list[str]
    invalid: np.ndarray  # bool: the verdict
    reasons: dict[int, tuple[Reason, ...]]  # row → reasons, for invalid rows only
    flags: dict[int, tuple[Reason, ...]]  # row → flags, for rows with some
    enrichment: EnrichmentColumns

    def __len__(self) -> int:
        return len(self.click_id)

    def verdict(self, i: int) -> Verdict:
        """Row i's verdict."""
        return Verdict.INVALID if self.invalid[i] else Verdict.VALID

    def reordered(self, order: Sequence[int]) -> DecisionColumns:
        """The rows moved so that row `order[k]` is the current row k."""
        back = _inverse(order)
        return DecisionColumns(
            click_id=[self.click_id[k] for k in back.tolist()],
            invalid=self.invalid[back],
            reasons={order[k]: found for k, found in self.reasons.items()},
            flags={order[k]: found for k, found in self.flags.items()},
            enrichment=self.enrichment.reordered(order),
        )


def _inverse(order: Sequence[int]) -> np.ndarray:
    back = np.empty(len(order), np.intp)
    back[np.asarray(order, np.intp)] = np.arange(len(order))
    return back


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
