"""The vectorised window path gives the verdicts, evidence and state of the per-click one.

`reference_windows.py` keeps the window rules and the engine's window path as they were before
they were vectorised; these tests run both over generated logs (repeated visitors, IPs, subnets
and links, timestamps on bucket and window edges, preview bursts and fan-outs, strictness and
allow-lists that change which clicks are already invalid, several batch splits and replays out
of order) and compare every decision and every state entry written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairclick.domain.click import ClickEvent
from fairclick.domain.reasons import Reason
from fairclick.validation.context import CampaignPolicy, Strictness, ValidationContext
from fairclick.validation.engine import Validator
from fairclick.validation.enrich.ip import load_fallback_ranges
from fairclick.validation.enrich.ua import UaClassifier
from fairclick.validation.rules.windows import VelocityLimits
from fairclick.validation.state import MemoryState

from .clicks import (
    ANDROID_CHROME,
    BROWSER_HEADERS,
    CURL,
    FREE_IP6,
    HETZNER_IP,
    HETZNER_IP6,
    IPHONE_SAFARI,
    MASTODON,
    ORANGE_IP,
    SECRET,
    TWITTER_IP,
    TWITTERBOT,
)
from .reference_windows import ReferenceValidator

_RANGES = load_fallback_ranges()
_CLASSIFIER = UaClassifier([])
# One hour boundary minus 2 s: the first seconds cross 60 s and 3600 s bucket edges.
T0 = datetime(2025, 11, 17, 5, 59, 58, tzinfo=UTC)
US = timedelta(microseconds=1)
DELTAS_US = [
    0,
    1,
    250_000,
    999_999,
    1_000_000,
    4_000_000,
    9_999_999,
    10_000_001,
    29_999_999,
    59_999_999,
    60_000_000,
    61_000_000,
    1_799_000_000,
    3_599_999_999,
    3_600_000_000,
    86_400_000_000,
]
UAS = [IPHONE_SAFARI, ANDROID_CHROME, TWITTERBOT, CURL, MASTODON.format(host="m.example")]
IPS = [
    ORANGE_IP,
    "90.12.4.8",  # same /24 as ORANGE_IP
    "90.12.4.9",
    HETZNER_IP,
    HETZNER_IP6,
    TWITTER_IP,
    FREE_IP6,
    "2a01:e0a:1d4:5e10::8",  # same /48 as FREE_IP6
    "",  # no address: no IP or subnet key
    "not-an-ip",
]
POLICIES = {
    1: CampaignPolicy(dedupe_window=timedelta(hours=24)),
    2: CampaignPolicy(dedupe_window=timedelta(seconds=30), strictness=Strictness.LENIENT),
    3: CampaignPolicy(dedupe_window=timedelta(minutes=1), strictness=Strictness.STRICT),
    4: CampaignPolicy(allow_cidrs=("90.12.4.0/24",)),
}
LIMITS = [
    VelocityLimits(),
    VelocityLimits(visitor=(1, 3), ip=(2, 4), subnet=(3, 5)),
    VelocityLimits(visitor=(0, 1), ip=(1, 1), subnet=(1, 2), windows=(10, 60)),
]

click_fields = st.fixed_dictionaries(
    {
        "delta": st.sampled_from(DELTAS_US),
        "ua": st.integers(0, len(UAS) - 1),
        "ip": st.integers(0, len(IPS) - 1),
        "visitor": st.sampled_from([None, None, "a", "b", "c"]),
        "bare": st.booleans(),
        "head": st.integers(0, 9),
        "link": st.integers(0, 3),
        "campaign": st.sampled_from([None, 1, 2, 3, 4]),
        "copies": st.sampled_from([1, 1, 1, 2, 12]),
    }
)


def build_log(drawn: list[dict[str, Any]]) -> list[ClickEvent]:
    """Clicks from drawn fields; `copies` repeats a click at once (preview bursts, fan-outs)."""
    ts = T0
    out = []
    for f in drawn:
        ts += f["delta"] * US
        for _ in range(f["copies"]):
            out.append(
                ClickEvent(
                    click_id=f"q{len(out):05d}",
                    ts=ts,
                    code=f"c{f['link']}",
                    method="HEAD" if f["head"] == 0 else "GET",
                    ip=IPS[f["ip"]],
                    user_agent=UAS[f["ua"]],
                    accept_language="" if f["bare"] else "fr-FR",
                    headers={} if f["bare"] else BROWSER_HEADERS,
                    visitor_id=f["visitor"],
                    link_id=f["link"],
                    campaign_id=f["campaign"],
                    influencer_id=1,
                    post_id=None,
                    path=f"/c/c{f['link']}",
                )
            )
    return out


def run_both(
    events: list[ClickEvent], cuts: list[int], context: ValidationContext, limits: VelocityLimits
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], Validator, ReferenceValidator]:
    """Validate `events` split at `cuts` with the engine and with the reference."""
    kwargs: dict[str, Any] = {
        "secret_key": SECRET,
        "ranges": _RANGES,
        "classifier": _CLASSIFIER,
        "velocity": limits,
    }
    engine, reference = Validator(state=MemoryState(), **kwargs), ReferenceValidator(**kwargs)
    bounds = [0, *sorted({c % (len(events) + 1) for c in cuts}), len(events)]
    got, expected = [], []
    for start, end in pairwise(bounds):
        if start == end:
            continue
        chunk = events[start:end]
        got += [_decision(d) for d in engine.validate(chunk, context)]
        expected += [_decision(d) for d in reference.validate(chunk, context)]
    return got, expected, engine, reference


def _decision(d: Any) -> tuple[Any, ...]:
    return (d.click_id, d.verdict, d.reasons, d.flags, d.evidence)


def assert_same_state(engine: Validator, reference: ReferenceValidator) -> None:
    """Every entry the reference wrote is in the engine's state, equal (expiry and value)."""
    keys = list(reference.ref_state.entries)
    assert engine.state.load(keys) == [reference.ref_state.entries[k] for k in keys]
    assert len(engine.state) == len(keys)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    drawn=st.lists(click_fields, min_size=1, max_size=40),
    cuts=st.lists(st.integers(0, 1000), max_size=4),
    platform=st.booleans(),
    headers_recorded=st.booleans(),
    limits=st.sampled_from(LIMITS),
    shuffle=st.randoms(use_true_random=False),
    out_of_order=st.booleans(),
)
def test_engine_matches_the_reference(
    drawn: list[dict[str, Any]],
    cuts: list[int],
    platform: bool,
    headers_recorded: bool,
    limits: VelocityLimits,
    shuffle: Any,
    out_of_order: bool,
) -> None:
    events = build_log(drawn)
    if out_of_order:  # a log replayed out of order: batches overlap in time
        shuffle.shuffle(events)
    context = ValidationContext(
        platform=platform, policies=POLICIES, headers_recorded=headers_recorded
    )
    got, expected, engine, reference = run_both(events, cuts, context, limits)
    assert got == expected
    assert_same_state(engine, reference)


def _fanout_log() -> list[ClickEvent]:
    """A Mastodon fan-out on link 0 with hosting browser fetches, a Twitterbot preview with a
    bare browser fetch right after, repeats by cookie and by IP+UA, and a fast clicker."""
    drawn: list[dict[str, Any]] = []
    base = {"visitor": None, "bare": False, "head": 5, "link": 0, "campaign": 1, "copies": 1}
    drawn.append({**base, "delta": 0, "ua": 4, "ip": 5, "copies": 12})  # fan-out
    drawn.append({**base, "delta": 1_000_000, "ua": 0, "ip": 3})  # hosting browser fetch
    drawn.append({**base, "delta": 1_000_000, "ua": 2, "ip": 5, "link": 1})  # preview
    drawn.append({**base, "delta": 4_000_000, "ua": 1, "ip": 0, "link": 1, "bare": True})
    drawn.append({**base, "delta": 1_000_000, "ua": 1, "ip": 6, "link": 2, "visitor": "a"})
    drawn.append({**base, "delta": 1_000_000, "ua": 1, "ip": 6, "link": 2})  # same IP+UA
    drawn.append({**base, "delta": 1, "ua": 0, "ip": 1, "link": 3, "visitor": "b", "copies": 2})
    for link in range(4):  # a fast clicker over every link
        drawn.append({**base, "delta": 250_000, "ua": 0, "ip": 2, "link": link, "visitor": "c"})
    return build_log(drawn)


def test_known_log_exercises_every_window_signal() -> None:
    """The oracle is not compared on empty results: this log fires each window signal."""
    events = _fanout_log()
    context = ValidationContext(policies=POLICIES)
    limits = LIMITS[1]
    for cuts in ([], [5], [3, 13, 16], list(range(len(events)))):
        got, expected, engine, reference = run_both(events, cuts, context, limits)
        assert got == expected
        assert_same_state(engine, reference)
    evidence = [e for *_, e in expected]
    previews = [e.get(Reason.LINK_PREVIEW.value, {}) for e in evidence]
    assert any("fanout_requests_60s" in p and "asn" in p for p in previews)  # hosting in fan-out
    assert any("follows_preview" in p for p in previews)
    matched = {e[Reason.DUPLICATE.value]["matched_on"] for e in evidence if "duplicate" in e}
    assert matched == {"visitor cookie", "ip+user agent"}
    sources = {x["source"] for e in evidence if "velocity" in e for x in e["velocity"]["exceeded"]}
    assert sources == {"visitor", "ip", "subnet"}
