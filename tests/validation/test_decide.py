"""Enrichment, request rules and decisions against the reference (the code before it was made
faster, `reference_request.py`): identical columns, hits, evidence and decisions on generated
batches; and the shared evidence of clean clicks is read-only yet stored like a plain dict."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
from datetime import timedelta
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairclick.domain.click import ClickEvent
from fairclick.domain.reasons import Reason, Verdict
from fairclick.influencers.service import ip_hash as platform_ip_hash
from fairclick.validation.columns import ClickColumns
from fairclick.validation.context import (
    CampaignPolicy,
    SelfClickEvidence,
    Strictness,
    ValidationContext,
)
from fairclick.validation.decide import DecisionBuilder, Outcomes
from fairclick.validation.decisions import RULES_KEY, FrozenDict
from fairclick.validation.engine import _YIELDS, PIPELINE, PLATFORM_RULES, REQUEST_RULES, Validator
from fairclick.validation.enrich.batch import EnrichedBatch, enrich, load_hosting_asns
from fairclick.validation.enrich.ip import load_fallback_ranges
from fairclick.validation.enrich.ua import UaClassifier
from fairclick.validation.rules import request
from fairclick.validation.rules.request import Hits

from . import reference_request as ref
from .clicks import (
    ANDROID_CHROME,
    BINGBOT,
    BROWSER_HEADERS,
    CHROME_HINTS,
    CURL,
    FACEBOOK,
    FIREFOX,
    FREE_IP,
    FREE_IP6,
    GO_HTTP,
    GOOGLEBOT,
    HEADLESS,
    HETZNER_IP,
    HETZNER_IP6,
    IPHONE_SAFARI,
    MASTODON,
    META_IP,
    ORANGE_IP,
    PYTHON_REQUESTS,
    SECRET,
    TWITTER_IP,
    TWITTERBOT,
    WINDOWS_CHROME,
    click,
)

_RANGES = load_fallback_ranges()
_CLASSIFIER = UaClassifier([])
_HOSTING = load_hosting_asns()

IPS = [
    ORANGE_IP,
    FREE_IP,
    FREE_IP6,
    HETZNER_IP,
    HETZNER_IP6,
    TWITTER_IP,
    META_IP,
    "::ffff:90.12.4.7",
    "",
    "not-an-ip",
    "256.1.1.1",
    "090.12.4.7",
    " 2a01:e0a::1 ",
    "::",
    "10.0.0.1",
    "0.0.0.0",
]
UAS = [
    IPHONE_SAFARI,
    ANDROID_CHROME,
    WINDOWS_CHROME,
    FIREFOX,
    TWITTERBOT,
    FACEBOOK,
    GOOGLEBOT,
    BINGBOT,
    MASTODON.format(host="m.example"),
    HEADLESS,
    CURL,
    PYTHON_REQUESTS,
    GO_HTTP,
    "",
    "x",
    "Mozilla/5.0",
]
HEADERS: list[dict[str, str]] = [
    {},
    BROWSER_HEADERS,
    CHROME_HINTS,
    {"sec-purpose": "prefetch;prerender"},
    {"purpose": "preview"},
    {"x-moz": "prefetch"},
    {"x-purpose": "nothing"},
    {"sec-ch-ua": '"HeadlessChrome";v="120"'},
    {"x-webdriver-id": "1"},
    {**CHROME_HINTS, "sec-ch-ua-platform": '"Windows"'},
    {**CHROME_HINTS, "sec-ch-ua-mobile": "?0"},
    {"sec-ch-ua": '"Chromium";v="119", "Google Chrome";v="119"', "sec-fetch-mode": "navigate"},
]

addresses = st.one_of(
    st.sampled_from(IPS),
    st.ip_addresses().map(str),
    st.integers(0, 255).map(lambda n: f"90.12.{n}.7"),
    st.text(alphabet="0123456789.:abcdef ", max_size=20),
)
user_agents = st.one_of(st.sampled_from(UAS), st.text(max_size=30))
cookies = st.one_of(st.none(), st.sampled_from(["", "c1", "c2", "self"]))


@st.composite
def clicks(draw: st.DrawFn) -> ClickEvent:
    """One click drawn from pools that make repeats (same address, agent, link) likely."""
    link = draw(st.integers(1, 4))
    return click(
        offset_s=draw(st.floats(0, 3600, allow_nan=False)),
        method=draw(st.sampled_from(["GET", "GET", "HEAD", "head", "post"])),
        ip=draw(addresses),
        user_agent=draw(user_agents),
        accept_language=draw(st.sampled_from(["", "fr-FR,fr;q=0.9"])),
        headers=draw(st.sampled_from(HEADERS)),
        visitor_id=draw(cookies),
        assigned_visitor_id=draw(cookies),
        link_id=draw(st.sampled_from([link, link, None])),
        code=f"L{link}",
        campaign_id=draw(st.sampled_from([None, 1, 2, 3])),
        influencer_id=draw(st.sampled_from([None, 7, 8])),
        post_id=draw(st.sampled_from([None, 70, 71])),
        path=draw(st.sampled_from([f"/c/L{link}", f"/c/L{link}?utm=x", ""])),
    )


batches = st.lists(clicks(), max_size=40).map(lambda cs: sorted(cs, key=lambda c: c.ts))

POLICIES = {
    1: CampaignPolicy(strictness=Strictness.STRICT),
    2: CampaignPolicy(strictness=Strictness.LENIENT, allow_cidrs=("90.12.0.0/16",)),
    3: CampaignPolicy(allow_ua_substrings=("curl", "Twitterbot"), dedupe_window=timedelta(hours=1)),
}
CONTEXTS = [
    ValidationContext(
        policies=POLICIES,
        self_clicks={
            7: SelfClickEvidence(
                visitor_ids=frozenset({"self"}),
                ip_hashes=frozenset({platform_ip_hash(FREE_IP, SECRET)}),
                prefix_user_agents=frozenset({("90.12.4.0/24", CURL)}),
            )
        },
        incited_posts=frozenset({71}),
    ),
    ValidationContext(policies=POLICIES, headers_recorded=False),
    ValidationContext.audit(headers_recorded=True),
    ValidationContext.audit(),
]


# What the reference's batch holds (the rows of distinct values are the engine's own;
# `enrichment_columns` is checked against `enrichment(i)` instead).
_REFERENCE_COLUMNS = (
    "columns",
    "ts_us",
    "methods",
    "ua",
    "parsed_ip",
    "ip_info",
    "ip_hash",
    "visitor_key",
    "alt_key",
    "hosting",
    "scope",
)


# Per-click columns, read through the batch's accessor of one click.
_PER_CLICK = {
    "ua": "agent",
    "parsed_ip": "parsed",
    "ip_info": "info",
    "ip_hash": "hashed",
    "hosting": "hosted",
}


def _columns(batch: EnrichedBatch) -> dict[str, Any]:
    return {
        name: (
            list(map(getattr(batch, _PER_CLICK[name]), range(len(batch))))
            if name in _PER_CLICK
            else getattr(batch, name)
        )
        for name in _REFERENCE_COLUMNS
    }


def _both(events: list[ClickEvent], platform: bool) -> tuple[EnrichedBatch, EnrichedBatch]:
    common: dict[str, Any] = {
        "ranges": _RANGES,
        "classifier": _CLASSIFIER,
        "hosting": _HOSTING,
        "secret_key": SECRET,
        "platform": platform,
    }
    return enrich(events, **common), ref.enrich(events, **common)


@settings(max_examples=100, deadline=None)
@given(batches, batches, st.booleans())
def test_enrich_matches_the_reference(
    first: list[ClickEvent], second: list[ClickEvent], platform: bool
) -> None:
    cache: dict[str, Any] = {}  # kept across two batches, as the engine does
    for events in (first, second):
        common: dict[str, Any] = {
            "ranges": _RANGES,
            "classifier": _CLASSIFIER,
            "hosting": _HOSTING,
            "secret_key": SECRET,
            "platform": platform,
        }
        got = enrich(events, ip_cache=cache, **common)
        want = ref.enrich(events, **common)
        assert _columns(got) == _columns(want)
        columns = got.enrichment_columns()
        for i in range(len(events)):
            assert ref.enrichment(got, i) == ref.enrichment(want, i) == columns.enrichment(i)
            assert got.prefix(i) == ref.batch_prefix(want, i)
            assert got.agent(i) == want.agent(i)
            assert got.info(i) == want.info(i)
            assert got.hashed(i) == want.hashed(i)
            assert got.hosted(i) == want.hosted(i)


def _request_hits(
    batch: EnrichedBatch, ctx: ValidationContext, rules: dict[Reason, Any]
) -> dict[Reason, Hits]:
    """The engine's request stage (yielding included) with the rules given."""
    results: dict[Reason, Hits] = {}
    for reason, _ in REQUEST_RULES:
        if reason in PLATFORM_RULES and not ctx.platform:
            continue
        hits = rules[reason](batch, ctx)
        yielded = _YIELDS.get(reason)
        if yielded is not None:
            hits = {i: h for i, h in hits.items() if i not in results.get(yielded, {})}
        results[reason] = hits
    return results


NEW_RULES = dict(REQUEST_RULES)
REF_RULES = {reason: getattr(ref, reason.value) for reason, _ in REQUEST_RULES}


@settings(max_examples=100, deadline=None)
@given(batches, st.sampled_from(range(len(CONTEXTS))))
def test_request_rules_match_the_reference(events: list[ClickEvent], which: int) -> None:
    ctx = CONTEXTS[which]
    batch, reference = _both(events, ctx.platform)
    want = _request_hits(batch, ctx, REF_RULES)
    assert _request_hits(batch, ctx, NEW_RULES) == want
    # The reference's batch has no rows of distinct values: the rules work click by click.
    assert reference.ip_row is None and reference.ua_row is None
    assert _request_hits(reference, ctx, NEW_RULES) == want
    for i in range(len(batch)):
        assert request.client_hint_problems(batch, i) == ref.client_hint_problems(batch, i)
        assert request.missing_browser_headers(batch, i, ctx) == ref.missing_browser_headers(
            batch, i, ctx
        )


@settings(max_examples=100, deadline=None)
@given(batches, st.sampled_from(range(len(CONTEXTS))), st.data())
def test_decisions_match_the_reference(
    events: list[ClickEvent], which: int, data: st.DataObject
) -> None:
    ctx = CONTEXTS[which]
    batch, _ = _both(events, ctx.platform)
    results = _request_hits(batch, ctx, REF_RULES)
    # Window rules are not run here: their hits are drawn (any click, any strength).
    for reason in (Reason.DUPLICATE, Reason.VELOCITY):
        picked = data.draw(st.sets(st.integers(0, max(len(batch) - 1, 0))))
        strength = data.draw(st.sampled_from(["certain", "strong", "weak"]))
        results[reason] = {i: request.Hit(strength, {"n": i}) for i in picked if i < len(batch)}
    policies = [ctx.policy_for(c.campaign_id) for c in batch.clicks]
    allowed = [
        p.allows(batch.ip_address(i), c.user_agent)
        if (p.allow_cidrs or p.allow_ua_substrings)
        else None
        for i, (p, c) in enumerate(zip(policies, batch.clicks, strict=True))
    ]
    outcomes = Outcomes(PIPELINE, policies, allowed)
    for reason, hits in results.items():
        outcomes.add(reason, hits)
    builder, reference = DecisionBuilder(PIPELINE), ref.DecisionBuilder(PIPELINE)
    for _ in range(2):  # the second time from the builders' caches
        got = builder.build(batch, results, outcomes, allowed)
        want = reference.build(batch, results, policies, allowed)
        assert got == want
        assert [json.dumps(d.evidence) for d in got] == [json.dumps(d.evidence) for d in want]


def test_clean_clicks_share_one_read_only_evidence(validator: Validator) -> None:
    decisions = validator.validate(
        [click(offset_s=s, ip=f"90.12.{s}.7", link_id=s) for s in range(3)], ValidationContext()
    )
    assert all(d.verdict is Verdict.VALID and not d.reasons for d in decisions)
    evidence = decisions[0].evidence
    assert all(d.evidence is evidence for d in decisions)
    assert isinstance(evidence, FrozenDict) and isinstance(evidence[RULES_KEY], FrozenDict)
    assert list(evidence[RULES_KEY]) == [r.value for r in PIPELINE]
    for change in (
        lambda: evidence[RULES_KEY].__setitem__("duplicate", "hit"),
        lambda: evidence[RULES_KEY].update(duplicate="hit"),
        lambda: evidence.pop(RULES_KEY),
        lambda: evidence.setdefault("x", {}),
        evidence.clear,
    ):
        with pytest.raises(TypeError):
            change()
    # Stored and copied like a plain dict (the worker stores dict(evidence) through orjson).
    plain = {RULES_KEY: dict(evidence[RULES_KEY])}
    assert evidence == plain and orjson.loads(orjson.dumps(dict(evidence))) == plain
    assert json.loads(json.dumps(evidence)) == plain
    assert pickle.loads(pickle.dumps(evidence)) == plain == copy.deepcopy(evidence)
    assert decisions[0].outcomes["duplicate"] == "pass"


def test_hit_clicks_keep_their_own_evidence(validator: Validator) -> None:
    first, second = validator.validate(
        [click(user_agent=CURL), click(offset_s=1, user_agent=CURL, visitor_id="x")],
        ValidationContext(),
    )
    assert first.evidence is not second.evidence
    assert first.evidence[RULES_KEY]["non_browser"] == "hit"
    assert second.evidence[RULES_KEY]["non_browser"] == "hit"
    assert type(first.evidence) is dict


def _validators(shared_data: tuple[object, UaClassifier]) -> tuple[Validator, Validator]:
    ranges, classifier = shared_data
    return (
        Validator(secret_key=SECRET, ranges=ranges, classifier=classifier),  # type: ignore[arg-type]
        Validator(secret_key=SECRET, ranges=ranges, classifier=classifier),  # type: ignore[arg-type]
    )


@settings(max_examples=60, deadline=None)
@given(batches, batches, st.sampled_from(range(len(CONTEXTS))), st.randoms())
def test_columns_equal_the_decisions(
    shared_data: tuple[object, UaClassifier],
    first: list[ClickEvent],
    second: list[ClickEvent],
    which: int,
    rnd: Any,
) -> None:
    """`validate_columns` decides as `validate` on the same clicks and state: verdict, reasons,
    flags and enrichment of every click, in the order given (shuffled batches included), and
    the same metrics."""
    ctx = CONTEXTS[which]
    with_decisions, with_columns = _validators(shared_data)
    _, with_table = _validators(shared_data)
    for events in (first, second):
        events = list(events)
        rnd.shuffle(events)
        decisions = with_decisions.validate(events, ctx)
        columns = with_columns.validate_columns(events, ctx)
        # columns given without events (as the audit gives them) decide the same
        table = dataclasses.replace(ClickColumns.of_events(events), events=None)
        from_table = with_table.validate_columns(table, ctx)
        assert from_table.click_id == columns.click_id
        assert from_table.invalid.tolist() == columns.invalid.tolist()
        assert (from_table.reasons, from_table.flags) == (columns.reasons, columns.flags)
        assert [from_table.enrichment.enrichment(i) for i in range(len(columns))] == [
            columns.enrichment.enrichment(i) for i in range(len(columns))
        ]
        assert len(columns) == len(decisions)
        for i, d in enumerate(decisions):
            assert columns.click_id[i] == d.click_id == events[i].click_id
            assert columns.verdict(i) is d.verdict
            assert columns.reasons.get(i, ()) == d.reasons
            assert columns.flags.get(i, ()) == d.flags
            assert columns.enrichment.enrichment(i) == d.enrichment
    assert with_columns.metrics.verdicts == with_decisions.metrics.verdicts
    assert with_columns.metrics.reasons == with_decisions.metrics.reasons
    assert with_columns.metrics.flags == with_decisions.metrics.flags
    assert with_columns.metrics.clicks == with_decisions.metrics.clicks
