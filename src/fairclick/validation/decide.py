"""Turn the rules' hits into one `ClickDecision` per click: the campaign's strictness decides
between invalid and flagged, its allow-list between hit and allowed, and every rule's outcome
is kept in the evidence so that the click can be explained later."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fairclick.domain.reasons import Reason, Verdict
from fairclick.validation.context import CampaignPolicy
from fairclick.validation.decisions import RULES_KEY, ClickDecision, Enrichment
from fairclick.validation.enrich.batch import EnrichedBatch
from fairclick.validation.rules.request import Hits


class DecisionBuilder:
    """Builds decisions for a validator; keeps one frozen `Enrichment` per (address, user
    agent, visitor key) across batches (returning visitors share it)."""

    def __init__(self, pipeline: Sequence[Reason]) -> None:
        self._codes = tuple((r, r.value) for r in pipeline)
        self._enrichments: dict[tuple[str, str, str], Enrichment] = {}

    def trim(self, limit: int) -> None:
        """Forget the cached enrichments past `limit` entries (cleared, not evicted)."""
        if len(self._enrichments) > limit:
            self._enrichments.clear()

    def build(
        self,
        batch: EnrichedBatch,
        results: Mapping[Reason, Hits],
        policies: Sequence[CampaignPolicy],
        allowed: Sequence[str | None],
    ) -> list[ClickDecision]:
        """One decision per click of `batch`, in batch order. `results` holds the hits of the
        rules that ran (a rule absent from it was not applied)."""
        applied = [(r, code, results[r]) for r, code in self._codes if r in results]
        template = {code: ("pass" if r in results else "not_applied") for r, code in self._codes}
        touched = set().union(*(hits for _, _, hits in applied))
        return [
            self._decide(batch, i, applied, template, policies[i], allowed[i])
            if i in touched or allowed[i] is not None
            else self._clean(batch, i, template)
            for i in range(len(batch))
        ]

    def _enrichment(self, batch: EnrichedBatch, i: int) -> Enrichment:
        # An enrichment is a function of (address, user agent, visitor key) for this validator's
        # data and secret: returning visitors share one (frozen) object.
        click = batch.clicks[i]
        key = (click.ip, click.user_agent, batch.visitor_key[i])
        found = self._enrichments.get(key)
        if found is None:
            found = self._enrichments[key] = batch.enrichment(i)
        return found

    def _clean(self, batch: EnrichedBatch, i: int, template: dict[str, str]) -> ClickDecision:
        """The decision of a click no rule hit (what `_decide` returns for it, cheaper)."""
        return ClickDecision(
            batch.clicks[i].click_id,
            Verdict.VALID,
            (),
            (),
            {RULES_KEY: dict(template)},
            self._enrichment(batch, i),
        )

    def _decide(
        self,
        batch: EnrichedBatch,
        i: int,
        applied: list[tuple[Reason, str, Hits]],
        template: dict[str, str],
        policy: CampaignPolicy,
        allowed: str | None,
    ) -> ClickDecision:
        reasons: list[Reason] = []
        flags: list[Reason] = []
        evidence: dict[str, dict[str, Any]] = {}
        outcomes = dict(template)
        for reason, code, hits in applied:
            hit = hits.get(i)
            if hit is None:
                continue
            evidence[code] = {**hit.evidence, "strength": hit.strength}
            if allowed is not None:
                outcomes[code] = "allowed"
            elif policy.strictness.invalidates(hit.strength):
                outcomes[code] = "hit"
                reasons.append(reason)
            else:
                outcomes[code] = "flagged"
                flags.append(reason)
        if allowed is not None:
            evidence["allow_list"] = {"matched": allowed}
        evidence[RULES_KEY] = outcomes
        verdict = Verdict.INVALID if reasons else Verdict.VALID
        return ClickDecision(
            batch.clicks[i].click_id,
            verdict,
            tuple(reasons),
            tuple(flags),
            evidence,
            self._enrichment(batch, i),
        )
