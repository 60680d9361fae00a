"""Turn the rules' hits into one `ClickDecision` per click: the campaign's strictness decides
between invalid and flagged, its allow-list between hit and allowed, and every rule's outcome
is kept in the evidence so that the click can be explained later."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fairclick.domain.reasons import Reason, Verdict
from fairclick.validation.context import CampaignPolicy, Strictness
from fairclick.validation.decisions import RULES_KEY, ClickDecision, Enrichment, FrozenDict
from fairclick.validation.enrich.batch import EnrichedBatch
from fairclick.validation.rules.request import Hit, Hits

_NO_HITS: Hits = {}

_STRENGTHS = {"certain": 0, "strong": 1, "weak": 2}
_STRICTNESS = {s: k for k, s in enumerate(Strictness)}
# `Strictness.invalidates` of every (strictness, hit strength), by their codes.
_INVALIDATES = np.array([[s.invalidates(h) for h in _STRENGTHS] for s in Strictness], bool)


def hit_rows(hits: Hits) -> np.ndarray:
    """The rows (click positions) of a rule's hits, as an array."""
    return np.fromiter(hits, np.intp, len(hits))


class Outcomes:
    """Per click of a batch, the rules whose hits make it invalid (`reasons`) and those whose
    hits only flag it under its campaign's strictness (`flags`), as bit masks (`bits[reason]`:
    bit k for the k-th rule of `pipeline`). A hit on a click that an allow-list covers is
    neither. The one place where strictness turns a hit into invalid or flagged."""

    def __init__(
        self,
        pipeline: Sequence[Reason],
        policies: Sequence[CampaignPolicy],
        allowed: Sequence[str | None],
    ) -> None:
        self.bits = {reason: 1 << k for k, reason in enumerate(pipeline)}
        n = len(policies)
        self.reasons = np.zeros(n, np.int32)
        self.flags = np.zeros(n, np.int32)
        self.strictness = np.fromiter((_STRICTNESS[p.strictness] for p in policies), np.intp, n)
        self.listed = np.fromiter((a is not None for a in allowed), bool, n)
        self._tuples: dict[int, tuple[Reason, ...]] = {0: ()}

    def add(self, reason: Reason, hits: Hits) -> None:
        """Count the hits of the rule `reason`."""
        if not hits:
            return
        rows = hit_rows(hits)
        strength = np.fromiter((_STRENGTHS[h.strength] for h in hits.values()), np.intp, rows.size)
        invalidates = _INVALIDATES[self.strictness[rows], strength]
        counted = ~self.listed[rows]
        bit = self.bits[reason]
        self.reasons[rows[invalidates & counted]] |= bit
        self.flags[rows[~invalidates & counted]] |= bit

    def sparse(self, masks: np.ndarray) -> dict[int, tuple[Reason, ...]]:
        """{row: its rules in pipeline order} for the rows of `masks` with some."""
        rows = np.flatnonzero(masks)
        tuples = self._tuples
        out = {}
        for i, mask in zip(rows.tolist(), masks[rows].tolist(), strict=True):
            found = tuples.get(mask)
            if found is None:
                found = tuples[mask] = tuple(r for r, bit in self.bits.items() if mask & bit)
            out[i] = found
        return out

    def counts(self, masks: np.ndarray) -> Counter[Reason]:
        """How many rows of `masks` have each rule."""
        return +Counter(
            {reason: int(np.count_nonzero(masks & bit)) for reason, bit in self.bits.items()}
        )


class DecisionBuilder:
    """Builds decisions for a validator; keeps one frozen `Enrichment` per (address, user
    agent, visitor key) across batches (returning visitors share it), and one read-only
    evidence mapping per set of applied rules, shared by every click that no rule hit."""

    def __init__(self, pipeline: Sequence[Reason]) -> None:
        self._codes = tuple((r, r.value) for r in pipeline)
        self._enrichments: dict[str, tuple[str, str, Enrichment]] = {}
        self._clean: dict[frozenset[Reason], Mapping[str, dict[str, str]]] = {}

    def trim(self, limit: int) -> None:
        """Forget the cached enrichments past `limit` entries (cleared, not evicted)."""
        if len(self._enrichments) > limit:
            self._enrichments.clear()

    def build(
        self,
        batch: EnrichedBatch,
        results: Mapping[Reason, Hits],
        outcomes: Outcomes,
        allowed: Sequence[str | None],
    ) -> list[ClickDecision]:
        """One decision per click of `batch`, in batch order. `results` holds the hits of the
        rules that ran (a rule absent from it was not applied), `outcomes` what they make of
        each click under its campaign's strictness, `allowed` the allow-list entry that covers
        each click (None for most)."""
        clean = self._clean_evidence(frozenset(results))
        template = clean[RULES_KEY]
        # Each click's hits in pipeline order: only the clicks some rule hit, or that an
        # allow-list covers, need more than the shared clean decision.
        hits_of: dict[int, list[tuple[Reason, str, Hit]]] = {}
        for reason, code in self._codes:
            for i, hit in results.get(reason, _NO_HITS).items():
                found = hits_of.get(i)
                if found is None:
                    hits_of[i] = [(reason, code, hit)]
                else:
                    found.append((reason, code, hit))
        for i, entry in enumerate(allowed):
            if entry is not None:
                hits_of.setdefault(i, [])
        enrichments = self._enrichments_of(batch)
        valid = Verdict.VALID
        masks = outcomes.reasons.tolist()
        bits = outcomes.bits
        return [
            ClickDecision(click_id, valid, (), (), clean, enrichment)
            if i not in hits_of
            else self._decide(
                click_id, hits_of[i], template, masks[i], bits, allowed[i], enrichment
            )
            for i, (click_id, enrichment) in enumerate(
                zip(batch.columns.click_id, enrichments, strict=True)
            )
        ]

    def _clean_evidence(self, ran: frozenset[Reason]) -> Mapping[str, dict[str, str]]:
        """The evidence of a click no rule hit when the rules in `ran` ran: `{"_rules": {rule:
        pass | not_applied}}`, one read-only dict shared by all such decisions."""
        found = self._clean.get(ran)
        if found is None:
            template = {code: ("pass" if r in ran else "not_applied") for r, code in self._codes}
            found = self._clean[ran] = FrozenDict({RULES_KEY: FrozenDict(template)})
        return found

    def _enrichments_of(self, batch: EnrichedBatch) -> list[Enrichment]:
        # An enrichment is a function of (address, user agent, visitor key) for this validator's
        # data and secret: returning visitors share one (frozen) object. Keyed by the visitor
        # key alone, the entry holding the address and agent it was built for (no key tuple
        # per click: fewer objects for the garbage collector).
        cache = self._enrichments
        out = []
        columns = batch.columns
        addresses, hashes, infos, hosting, agents = (
            batch.addresses,
            batch.address_hashes,
            batch.address_infos,
            batch.address_hosting,
            batch.agents,
        )
        for ip, agent, visitor, a, u in zip(
            columns.ip,
            columns.user_agent,
            batch.visitor_key,
            batch.row_list("ip"),
            batch.row_list("ua"),
            strict=True,
        ):
            entry = cache.get(visitor)
            if entry is None or entry[0] != ip or entry[1] != agent:
                info, ua, parsed = infos[a], agents[u], addresses[a]
                made = Enrichment(
                    parsed.prefix if parsed else "", hashes[a], visitor,
                    info.country or None, info.asn or None, info.as_org or None,
                    hosting[a] is not None,
                    ua.browser, ua.browser_version, ua.os, ua.device, ua.bot_name,
                )  # fmt: skip
                entry = cache[visitor] = (ip, agent, made)
            out.append(entry[2])
        return out

    def _decide(
        self,
        click_id: str,
        hits: list[tuple[Reason, str, Hit]],
        template: Mapping[str, str],
        invalidating: int,
        bits: Mapping[Reason, int],
        allowed: str | None,
        enrichment: Enrichment,
    ) -> ClickDecision:
        # `invalidating`: the click's `Outcomes.reasons` mask (its rules that invalidate).
        reasons: list[Reason] = []
        flags: list[Reason] = []
        evidence: dict[str, dict[str, Any]] = {}
        outcomes = dict(template)
        for reason, code, hit in hits:
            evidence[code] = {**hit.evidence, "strength": hit.strength}
            if allowed is not None:
                outcomes[code] = "allowed"
            elif invalidating & bits[reason]:
                outcomes[code] = "hit"
                reasons.append(reason)
            else:
                outcomes[code] = "flagged"
                flags.append(reason)
        if allowed is not None:
            evidence["allow_list"] = {"matched": allowed}
        evidence[RULES_KEY] = outcomes
        verdict = Verdict.INVALID if reasons else Verdict.VALID
        return ClickDecision(click_id, verdict, tuple(reasons), tuple(flags), evidence, enrichment)
