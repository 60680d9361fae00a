"""Determinism: the same log gives the same verdicts, whatever the batching or the input order."""

from __future__ import annotations

import random
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from fairclick.domain.click import ClickEvent
from fairclick.domain.reasons import Reason, Verdict
from fairclick.validation.context import ValidationContext
from fairclick.validation.engine import Validator
from fairclick.validation.enrich.ip import load_fallback_ranges
from fairclick.validation.enrich.ua import UaClassifier

from .clicks import (
    ANDROID_CHROME,
    BROWSER_HEADERS,
    CURL,
    FREE_IP,
    HETZNER_IP,
    IPHONE_SAFARI,
    MASTODON,
    ORANGE_IP,
    SECRET,
    T0,
    TWITTER_IP,
    TWITTERBOT,
)

_RANGES = load_fallback_ranges()
_CLASSIFIER = UaClassifier([])
UAS = [IPHONE_SAFARI, ANDROID_CHROME, TWITTERBOT, CURL, MASTODON.format(host="m.example")]
IPS = [ORANGE_IP, FREE_IP, HETZNER_IP, TWITTER_IP, "90.12.4.8", "2a01:e0a:1d4:5e10::9"]


def workload(seed: int, n: int = 400) -> list[ClickEvent]:
    """A mixed log with repeats, fast clickers and previews (seeded)."""
    rng = random.Random(seed)
    ts = T0
    out = []
    for i in range(n):
        ts += timedelta(milliseconds=rng.choice([5, 50, 200, 800, 3000]))
        out.append(
            ClickEvent(
                click_id=f"w{seed}-{i:05d}",
                ts=ts,
                code="c",
                method=rng.choice(["GET"] * 9 + ["HEAD"]),
                ip=rng.choice(IPS),
                user_agent=rng.choice(UAS),
                accept_language=rng.choice(["fr-FR", ""]),
                headers=rng.choice([BROWSER_HEADERS, {}]),
                visitor_id=rng.choice([None, "a", "b", "c", f"u{i}"]),
                link_id=rng.randrange(60),
                campaign_id=1,
                influencer_id=rng.randrange(3),
                post_id=None,
            )
        )
    return out


def fresh() -> Validator:
    return Validator(secret_key=SECRET, ranges=_RANGES, classifier=_CLASSIFIER)


def verdicts(events: list[ClickEvent], batch: int) -> list[tuple[str, Verdict, tuple[Reason, ...]]]:
    """Validate `events` in batches of `batch` with a fresh in-memory validator."""
    validator = fresh()
    out = []
    for start in range(0, len(events), batch):
        out += [
            (d.click_id, d.verdict, d.reasons)
            for d in validator.validate(events[start : start + batch], ValidationContext())
        ]
    return out


def test_workload_exercises_several_rules() -> None:
    reasons = {r for _, _, rs in verdicts(workload(1), 100) for r in rs}
    assert {Reason.DUPLICATE, Reason.LINK_PREVIEW, Reason.NON_BROWSER, Reason.VELOCITY} <= reasons


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), cut=st.integers(1, 400))
def test_batch_splitting_does_not_change_verdicts(seed: int, cut: int) -> None:
    events = workload(seed, 300)
    assert verdicts(events, cut) == verdicts(events, len(events))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), shuffle=st.randoms(use_true_random=False))
def test_replay_and_input_order_do_not_change_verdicts(seed: int, shuffle: random.Random) -> None:
    events = workload(seed, 200)
    first = {d[0]: d for d in verdicts(events, 200)}
    shuffled = list(events)
    shuffle.shuffle(shuffled)
    again = verdicts(shuffled, 200)  # one batch: the engine sorts by (ts, click_id)
    assert {d[0]: d for d in again} == first
    assert [d[0] for d in again] == [e.click_id for e in shuffled]  # answers in input order
