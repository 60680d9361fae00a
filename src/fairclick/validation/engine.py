"""The validator: one engine for the live worker, `fairclick ingest` and `fairclick audit`.

`Validator.validate(clicks, context)` takes a batch, sorts it by (ts, click_id), enriches it
once, runs the pipeline of named rules (each timed, each hit counted), reads recent state once
and writes it once, and returns one `ClickDecision` per click in the order given.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fairclick.config import Settings
from fairclick.domain.click import ClickEvent
from fairclick.domain.reasons import Reason, Verdict
from fairclick.validation.columns import ClickColumns
from fairclick.validation.context import ValidationContext
from fairclick.validation.decide import DecisionBuilder, Outcomes, hit_rows
from fairclick.validation.decisions import ClickDecision, DecisionColumns
from fairclick.validation.enrich.batch import (
    EnrichedBatch,
    KnownIp,
    enrich,
    forget_alt_keys,
    load_hosting_asns,
)
from fairclick.validation.enrich.ip import IpRanges, load_ranges
from fairclick.validation.enrich.ua import UaClassifier, load_bot_lists
from fairclick.validation.rules import request, windows
from fairclick.validation.rules.request import Hits
from fairclick.validation.rules.windows import Snapshot, VelocityLimits
from fairclick.validation.state import MemoryState, RecentState, make_state

RequestRule = Callable[[EnrichedBatch, ValidationContext], Hits]

# Rules that look at one request, in pipeline order. `prefetch` yields to `link_preview`
# (a HEAD from a preview fetcher is a preview, not a prefetch).
REQUEST_RULES: tuple[tuple[Reason, RequestRule], ...] = (
    (Reason.KNOWN_CRAWLER, request.known_crawler),
    (Reason.LINK_PREVIEW, request.link_preview),
    (Reason.PREFETCH, request.prefetch),
    (Reason.NON_BROWSER, request.non_browser),
    (Reason.DATACENTER, request.datacenter),
    (Reason.AUTOMATION, request.automation),
    (Reason.SELF_CLICK, request.self_click),
    (Reason.INCITED, request.incited),
)
WINDOW_RULES = (Reason.DUPLICATE, Reason.VELOCITY)
PIPELINE: tuple[Reason, ...] = (
    *(reason for reason, _ in REQUEST_RULES),
    *WINDOW_RULES,
    Reason.LOW_ENGAGEMENT,
)
PLATFORM_RULES = frozenset({Reason.SELF_CLICK, Reason.INCITED, Reason.LOW_ENGAGEMENT})
RETRO_RULES = (Reason.BURST, Reason.CLICK_FARM, Reason.CLICK_RING)
_YIELDS = {Reason.PREFETCH: Reason.LINK_PREVIEW}
_CACHE_LIMIT = 200_000  # strings per cache (tens of MB at most); cleared, not evicted, past it


@dataclass
class Metrics:
    """Counters and timings since start (exposed by the worker in /metrics)."""

    clicks: int = 0
    batches: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    flags: Counter[str] = field(default_factory=Counter)
    step_seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))


class Validator:
    """The click validation engine. Thread-unsafe: one per worker process."""

    def __init__(
        self,
        *,
        secret_key: str,
        state: RecentState | None = None,
        ranges: IpRanges | None = None,
        classifier: UaClassifier | None = None,
        data_dir: Path | None = None,
        velocity: VelocityLimits | None = None,
    ) -> None:
        self.secret_key = secret_key
        self.state: RecentState = state if state is not None else MemoryState()
        self.ranges = ranges if ranges is not None else load_ranges(data_dir)
        self.classifier = classifier or UaClassifier(load_bot_lists(data_dir))
        self.hosting = load_hosting_asns()
        self.velocity = velocity or VelocityLimits()
        self.metrics = Metrics()
        # Per-string work kept across batches (returning visitors, busy subnets and links);
        # pure functions of the string, so caching cannot change a verdict.
        self._ip_cache: dict[str, KnownIp] = {}
        self._keys = windows.KeyMemo()
        self._decisions = DecisionBuilder(PIPELINE)
        # What `metrics.step_seconds` is measured with: wall time, or CPU time in benchmarks
        # run on a shared machine (`time.process_time`).
        self.clock: Callable[[], float] = time.perf_counter

    def applied_rules(self, context: ValidationContext) -> dict[str, bool]:
        """Every rule (real-time then retro) and whether it applies in `context`."""
        out = {r.value: context.platform or r not in PLATFORM_RULES for r in PIPELINE}
        out[Reason.LOW_ENGAGEMENT.value] = False  # needs the landing-page beacon (not built)
        out.update({r.value: True for r in RETRO_RULES})
        return out

    def data_versions(self) -> dict[str, str]:
        """The lists and datasets in use, with versions (for reports and /metrics)."""
        return {
            **self.classifier.list_versions,
            "ip-ranges": self.ranges.source,
            "fairclick-hosting-asns": f"{len(self.hosting)} networks",
        }

    def _timed(self, name: str, started: float) -> float:
        now = self.clock()
        self.metrics.step_seconds[name] += now - started
        return now

    def validate(
        self, clicks: Sequence[ClickEvent], context: ValidationContext
    ) -> list[ClickDecision]:
        """Decisions for `clicks` (one each, in the order given), processed in event-time order
        (ts, click_id). Raises `StateUnavailable` when shared state cannot be read or written:
        nothing was committed then, and the same batch can be retried."""
        run = self._run(clicks, context)
        t = self.clock()
        decisions = self._decisions.build(run.batch, run.results, run.outcomes, run.allowed)
        # Counted by enum member, then by code: `.value` on every click costs more than this.
        self._count(
            Counter(d.verdict for d in decisions),
            Counter(r for d in decisions if d.reasons for r in d.reasons),
            Counter(r for d in decisions if d.flags for r in d.flags),
            len(decisions),
        )
        self._timed("decide", t)
        if run.order is None:
            return decisions
        by_input: list[ClickDecision] = [None] * len(decisions)  # type: ignore[list-item]
        for position, original in enumerate(run.order):
            by_input[original] = decisions[position]
        return by_input

    def validate_columns(
        self, clicks: Sequence[ClickEvent] | ClickColumns, context: ValidationContext
    ) -> DecisionColumns:
        """`validate`'s verdicts, reasons, flags and enrichment as columns (row i is the i-th
        click given), without a `ClickDecision`, an `Enrichment` or evidence per click: for
        batch doors (the audit) that keep only those. Same pipeline, same state, same metrics:
        `validate` on the same clicks and state decides the same."""
        run = self._run(clicks, context)
        t = self.clock()
        batch, outcomes = run.batch, run.outcomes
        reasons, flags = outcomes.reasons, outcomes.flags
        invalid = reasons != 0
        n_invalid = int(np.count_nonzero(invalid))
        verdicts = Counter({Verdict.INVALID: n_invalid, Verdict.VALID: len(batch) - n_invalid})
        self._count(+verdicts, outcomes.counts(reasons), outcomes.counts(flags), len(batch))
        columns = DecisionColumns(
            click_id=batch.columns.click_id,
            invalid=invalid,
            reasons=outcomes.sparse(reasons),
            flags=outcomes.sparse(flags),
            enrichment=batch.enrichment_columns(),
        )
        self._timed("decide", t)
        return columns if run.order is None else columns.reordered(run.order)

    def _count(
        self,
        verdicts: Counter[Verdict],
        reasons: Counter[Reason],
        flags: Counter[Reason],
        clicks: int,
    ) -> None:
        metrics = self.metrics
        for verdict, count in verdicts.items():
            metrics.verdicts[verdict.value] += count
        for reason, count in reasons.items():
            metrics.reasons[reason.value] += count
        for flag, count in flags.items():
            metrics.flags[flag.value] += count
        metrics.clicks += clicks
        metrics.batches += 1

    def _run(self, clicks: Sequence[ClickEvent] | ClickColumns, context: ValidationContext) -> _Run:
        """The pipeline over `clicks` in event-time order: enrichment, every rule's hits, the
        campaigns' policies and allow-list matches; recent state read and written once."""
        table = clicks if isinstance(clicks, ClickColumns) else ClickColumns.of_events(clicks)
        order = None if table.in_order() else table.order()  # the journal's order: no sort
        ordered = table if order is None else table.take(order)
        t = self.clock()
        if len(self._ip_cache) > _CACHE_LIMIT:
            self._ip_cache.clear()
        if len(self._keys) > _CACHE_LIMIT:
            self._keys.clear()
        self._decisions.trim(_CACHE_LIMIT)
        batch = enrich(
            ordered,
            ranges=self.ranges,
            classifier=self.classifier,
            hosting=self.hosting,
            secret_key=self.secret_key,
            platform=context.platform,
            ip_cache=self._ip_cache,
        )
        t = self._timed("enrich", t)
        n = len(batch)
        campaigns = ordered.campaign_id
        by_campaign = {cid: context.policy_for(cid) for cid in set(campaigns)}
        policies = list(map(by_campaign.__getitem__, campaigns))
        allowed: list[str | None] = [None] * n
        if any(p.allow_cidrs or p.allow_ua_substrings for p in by_campaign.values()):
            allowed = [
                p.allows(batch.ip_address(i), agent)
                if (p.allow_cidrs or p.allow_ua_substrings)
                else None
                for i, (p, agent) in enumerate(zip(policies, ordered.user_agent, strict=True))
            ]
        results: dict[Reason, Hits] = {}
        for reason, rule in REQUEST_RULES:
            if reason in PLATFORM_RULES and not context.platform:
                continue
            hits = rule(batch, context)
            yielded = _YIELDS.get(reason)
            if yielded is not None:
                hits = {i: h for i, h in hits.items() if i not in results.get(yielded, {})}
            results[reason] = hits
            t = self._timed(reason.value, t)

        keys = windows.click_keys(batch, self._keys)
        t = self._timed("click_keys", t)
        wanted = keys.distinct()
        snap = Snapshot(wanted, self.state.load_columns(wanted, context.batch_seq))
        t = self._timed("state_load", t)
        results[Reason.LINK_PREVIEW] = windows.preview_timing(
            batch, context, snap, keys, results[Reason.LINK_PREVIEW]
        )
        t = self._timed("link_preview_timing", t)
        outcomes = Outcomes(PIPELINE, policies, allowed)
        for reason, hits in results.items():
            outcomes.add(reason, hits)
        invalid = outcomes.reasons != 0
        results[Reason.DUPLICATE] = windows.duplicate(batch, context, snap, keys, invalid)
        t = self._timed(Reason.DUPLICATE.value, t)
        duplicates = hit_rows(results[Reason.DUPLICATE])
        invalid[duplicates[~outcomes.listed[duplicates]]] = True
        results[Reason.VELOCITY] = windows.velocity(
            batch, context, snap, keys, invalid, self.velocity
        )
        t = self._timed(Reason.VELOCITY.value, t)
        outcomes.add(Reason.DUPLICATE, results[Reason.DUPLICATE])
        outcomes.add(Reason.VELOCITY, results[Reason.VELOCITY])
        watermark = windows.state_seconds(batch.ts_us[-1]) if n else 0
        self.state.commit_columns(*snap.writes(), watermark, context.batch_seq)
        self._timed("state_commit", t)
        return _Run(batch, results, allowed, outcomes, order)

    def forget_cached(self) -> None:
        """Drop the per-string caches kept across batches (addresses parsed and hashed, state
        keys, enrichments, cookie-less keys). They are pure functions of their strings, so a
        later batch decides the same, only slower: for a batch door that has validated
        everything (the audit, before its retro-analysis)."""
        self._ip_cache.clear()
        self._keys.clear()
        self._decisions.trim(0)
        forget_alt_keys()

    def close(self) -> None:
        """Release the state store."""
        self.state.close()


@dataclass(frozen=True, slots=True)
class _Run:
    """What the pipeline found on a batch (in event-time order); `order[k]` is the position
    in the caller's batch of the k-th click, None when it was given in that order."""

    batch: EnrichedBatch
    results: dict[Reason, Hits]
    allowed: list[str | None]
    outcomes: Outcomes
    order: list[int] | None


def build_validator(
    settings: Settings, *, state_prefix: str = "fairclick:v:", state: RecentState | None = None
) -> Validator:
    """The validator configured from settings: data from `settings.data_dir` (downloaded data
    when installed, else the shipped fallback), Redis state when `settings.redis_url` is set."""
    return Validator(
        secret_key=settings.secret_key,
        state=state if state is not None else make_state(settings, state_prefix),
        data_dir=Path(settings.data_dir),
    )
