"""The retro-analysis's `velocity` against a plain per-visitor reading of its definition: a
click is in a run when it lies among `limit + 1` consecutive clicks of one visitor spanning
less than the window; a click without a visitor key is in no run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from fairclick.validation.retro import VelocitySettings, velocity

T0 = datetime(2025, 11, 17, 8, tzinfo=UTC)
SETTINGS = VelocitySettings(limits=((3, 60), (5, 600)))


def _reference(rows: list[tuple[str | None, int, bool]]) -> dict[str, str]:
    """{click id: signal} of the valid clicks inside a run, worked out visitor by visitor."""
    by_visitor: dict[str | None, list[tuple[int, int]]] = {}
    for k, (visitor, second, _) in enumerate(rows):
        if visitor is None:
            continue
        by_visitor.setdefault(visitor, []).append((second * 1_000_000, k))
    found: dict[int, list[str]] = {}
    for clicks in by_visitor.values():
        clicks.sort()
        for limit, seconds in SETTINGS.limits:
            inside: set[int] = set()
            for j in range(len(clicks) - limit):
                if clicks[j + limit][0] - clicks[j][0] < seconds * 1_000_000:
                    inside.update(k for _, k in clicks[j : j + limit + 1])
            for k in sorted(inside):
                found.setdefault(k, []).append(f"more than {limit} clicks in {seconds} s")
    return {f"c{k:04d}": "; ".join(s) for k, s in found.items() if rows[k][2]}


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["v:a", "v:b", "h:c", None]),
            st.integers(0, 900),
            st.booleans(),
        ),
        max_size=60,
    )
)
def test_runs_match_the_per_visitor_definition(rows: list[tuple[str | None, int, bool]]) -> None:
    n = len(rows)
    frame = pl.DataFrame(
        {
            "click_id": [f"c{k:04d}" for k in range(n)],
            # distinct times per visitor would hide ties: equal seconds are kept
            "ts": [T0 + timedelta(seconds=s) for _, s, _ in rows],
            "link": ["link:1"] * n,
            "campaign_id": [1] * n,
            "influencer_id": [1] * n,
            "visitor_key": [v for v, _, _ in rows],
            "ip_prefix": ["90.1.2.0/24"] * n,
            "asn": [3215] * n,
            "device": ["d"] * n,
            "verdict": ["valid" if ok else "invalid" for _, _, ok in rows],
        },
        schema_overrides={"ts": pl.Datetime("us", "UTC"), "visitor_key": pl.String},
    )
    got = {r.click_id: r.evidence["velocity"]["signal"] for r in velocity(frame, SETTINGS)}
    assert got == _reference(rows)
