"""Put the generators together: draw the world, make every kind of traffic in the scenario's
proportions, sort by time and label duplicates as a perfect validator would."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from fairclick.domain.reasons import Reason
from fairclick.simulate import bots, human
from fairclick.simulate.events import VALID, Batch, Tables, bit, reason_code
from fairclick.simulate.people import Context
from fairclick.simulate.scenario import GENERATED_KINDS, Scenario
from fairclick.simulate.timing import HOUR_US
from fairclick.simulate.world import Plan, build_plan

# Kinds whose clicks are made by a person with a stable identity: the dedupe pass applies.
PERSON_KINDS = (
    "organic",
    "returning",
    "duplicate",
    "incited",
    "click_ring",
    "self_click",
    "velocity",
)


@dataclass(slots=True)
class Generated:
    """A generated scenario: the world plan, the events in time order and their tables."""

    scenario: Scenario
    plan: Plan
    events: Batch
    tables: Tables


def allocate(scenario: Scenario, clicks: int) -> dict[str, int]:
    """How many records each generator makes; organic takes what the mix leaves."""
    counts = {k: round(clicks * scenario.traffic.mix.get(k, 0.0)) for k in GENERATED_KINDS}
    counts["organic"] = clicks - sum(counts.values())
    return counts


def generate(scenario: Scenario, clicks: int | None = None) -> Generated:
    """Generate `clicks` records (the scenario's default if None), deterministic for the
    scenario's seed: the same scenario and count give the same world and events, bit for bit."""
    total = scenario.traffic.clicks if clicks is None else clicks
    if total < 1:
        raise ValueError("clicks must be at least 1")
    rng = np.random.Generator(np.random.PCG64(scenario.seed))
    plan = build_plan(scenario, rng)
    ctx = Context(scenario, plan, rng)
    n = allocate(scenario, total)
    organic = human.organic(ctx, n["organic"])
    hours = scenario.traffic.returning_delay_hours * HOUR_US
    batches = [
        organic,
        human.repeats(ctx, organic, n["returning"], "returning", hours),
        human.repeats(ctx, organic, n["duplicate"], "duplicate", 60_000_000),
        bots.preview(ctx, n["preview"]),
        bots.crawler(ctx, n["crawler"]),
        bots.script(ctx, n["script"]),
        bots.datacenter_browser(ctx, n["datacenter_browser"]),
        human.velocity(ctx, n["velocity"]),
        bots.click_farm(ctx, n["click_farm"]),
        human.incited(ctx, n["incited"]),
        human.click_ring(ctx, n["click_ring"]),
        human.self_click(ctx, n["self_click"]),
        bots.headless(ctx, n["headless"]),
        human.prefetch(ctx, organic, n["prefetch"]),
    ]
    events = Batch.concat([b for b in batches if len(b)])
    events = events.take(np.argsort(events.t, kind="stable"))
    label_duplicates(events, ctx, scenario.campaign.dedupe_window_hours * HOUR_US)
    return Generated(scenario, plan, events, ctx.tables)


def label_duplicates(events: Batch, ctx: Context, window_us: int) -> None:
    """Mark clicks by the same person on the same link within the dedupe window of their
    previous click: `duplicate` when otherwise valid, a secondary reason otherwise. The
    person is the cookie, else the address and user agent (as the validator's visitor key)."""
    kinds = [ctx.kind(k) for k in PERSON_KINDS]
    idx = np.flatnonzero(np.isin(events.kind, kinds))
    if idx.size == 0:
        return
    frame = pl.DataFrame(
        {
            "i": idx,
            "visitor": pl.Series(events.visitor[idx].tolist(), dtype=pl.Utf8),
            "ip": pl.Series(events.ip[idx].tolist(), dtype=pl.Utf8),
            "agent": events.agent[idx],
            "link": events.link[idx],
            "t": events.t[idx],
        }
    )
    key = pl.coalesce(
        pl.col("visitor"),
        pl.concat_str([pl.col("ip"), pl.col("agent").cast(pl.Utf8)], separator="|"),
    )
    frame = frame.select("i", "link", "t", key=key).sort(["key", "link", "t", "i"])
    same = (pl.col("key") == pl.col("key").shift(1)) & (pl.col("link") == pl.col("link").shift(1))
    dup = frame.filter(same & ((pl.col("t") - pl.col("t").shift(1)) < window_us))["i"].to_numpy()
    valid = events.reason[dup] == VALID
    events.reason[dup[valid]] = reason_code(Reason.DUPLICATE)
    events.extra[dup[~valid]] |= bit(Reason.DUPLICATE)
