"""`velocity` in hindsight: the whole run of a visitor who clicked faster than a person does.

The real-time rule (`fairclick.validation.rules.windows`) can only fire from the click that
goes over the limit: with 5 clicks allowed per 60 s, the first 5 clicks of a visitor who then
clicks 40 links in two minutes stay valid. Looking back, every click of a run of more than
`limit` clicks inside `window` belongs to the same machine-speed session, so the valid ones
are re-verdicted too. Same limits as the real-time rule (`VelocityLimits.visitor`), per
visitor key only: addresses and subnets may be shared (a NAT, a campus), a visitor is one
browser.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from fairclick.domain.reasons import Reason
from fairclick.validation.retro.base import REQUIRED, RetroInputError, ReVerdict, to_reverdicts
from fairclick.validation.rules.windows import VelocityLimits

_LIMITS = VelocityLimits()


@dataclass(frozen=True, slots=True)
class VelocitySettings:
    """(clicks allowed, window seconds) pairs per visitor; more is a run (docs/validation.md)."""

    limits: tuple[tuple[int, int], ...] = tuple(zip(_LIMITS.visitor, _LIMITS.windows, strict=True))


def velocity(
    clicks: pl.DataFrame, settings: VelocitySettings = VelocitySettings()
) -> list[ReVerdict]:
    """Re-verdicts for the valid clicks inside a visitor's over-the-limit run. Every click of
    the visitor counts towards the run (the real-time rule counted them too), valid or not."""
    missing = [c for c in REQUIRED if c not in clicks.columns]
    if missing:
        raise RetroInputError(f"retro-analysis needs columns {missing}")
    if clicks.is_empty():
        return []
    floor = min(limit for limit, _ in settings.limits) + 1
    # Only visitors with enough clicks to make a run are sorted and scanned.
    busy = (
        clicks.group_by("visitor_key")
        .agg(pl.len().alias("n"))
        .filter(pl.col("n") >= floor)
        .select("visitor_key")
    )
    frame = (
        clicks.join(busy, on="visitor_key", how="semi")
        .select("click_id", "visitor_key", "verdict", pl.col("ts").dt.epoch("us").alias("us"))
        .sort(["visitor_key", "us"])
    )
    if frame.is_empty():
        return []
    flags = []
    visitor = pl.col("visitor_key")
    for limit, seconds in settings.limits:
        # Click j starts a run when the click `limit` places later is the same visitor's (the
        # frame is sorted by visitor, then time) and less than `seconds` after it; clicks
        # j..j+limit are then all in the run. A click is in a run when one of the `limit`
        # clicks before it, or itself, starts one: such a start is always the same visitor's
        # (its run reaches this click), so neither needs a window per visitor.
        later = pl.col("us").shift(-limit)
        span = pl.when(visitor.shift(-limit).eq_missing(visitor)).then(later - pl.col("us"))
        starts = (span < seconds * 1_000_000).fill_null(False)
        in_run = starts.cast(pl.Int8).rolling_max(window_size=limit + 1, min_samples=1)
        flags.append(in_run.cast(pl.Boolean).alias(f"run_{seconds}s"))
    frame = frame.with_columns(flags)
    names = [f"run_{seconds}s" for _, seconds in settings.limits]
    hits = frame.filter(pl.any_horizontal(names) & (pl.col("verdict") == "valid"))
    if hits.is_empty():
        return []
    window = pl.concat_str(
        [
            pl.when(pl.col(name)).then(pl.lit(f"more than {limit} clicks in {seconds} s"))
            for (limit, seconds), name in zip(settings.limits, names, strict=True)
        ],
        separator="; ",
        ignore_nulls=True,
    )
    hits = hits.with_columns(window.alias("signal"))
    return to_reverdicts(hits, Reason.VELOCITY, ["signal"])
