"""`burst`: a link's clicks per minute against what its own history and its reach explain.

For each link and minute with clicks, the baseline is the median (and MAD) of the link's
previous `history` active minutes; a minute is a burst when its count is at least
`min_clicks`, its robust z-score is above `z`, and (when the reach is known) the count is
above `reach_share` of the account's followers. A link with no history is judged on reach
alone. Every valid click of a burst minute is re-verdicted (the minute's traffic cannot be
told apart click by click; the evidence gives the baseline so a reviewer can judge).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from fairclick.domain.reasons import Reason
from fairclick.validation.retro.base import ReVerdict, to_reverdicts, valid_only


@dataclass(frozen=True, slots=True)
class BurstSettings:
    """Thresholds of `burst` (documented in docs/validation.md)."""

    bucket: str = "1m"
    history: int = 30  # previous active minutes forming the baseline
    min_history: int = 5  # fewer than this: judge on reach only
    z: float = 8.0
    min_clicks: int = 30
    reach_share: float = 0.01  # more than 1 % of followers in one minute is not organic


def burst(clicks: pl.DataFrame, settings: BurstSettings = BurstSettings()) -> list[ReVerdict]:
    """Re-verdicts for the valid clicks of burst minutes."""
    valid = valid_only(clicks).with_columns(
        pl.col("ts").dt.truncate(settings.bucket).alias("minute")
    )
    if valid.is_empty():
        return []
    has_reach = "reach" in valid.columns
    agg = [pl.len().alias("count")]
    if has_reach:
        agg.append(pl.col("reach").max().alias("reach"))
    per_minute = valid.group_by(["link", "minute"]).agg(agg).sort(["link", "minute"])
    if not has_reach:
        per_minute = per_minute.with_columns(pl.lit(None, pl.Float64).alias("reach"))
    count = pl.col("count").cast(pl.Float64)
    per_minute = (
        per_minute.with_columns(
            count.shift(1)
            .rolling_median(window_size=settings.history, min_samples=1)
            .over("link")
            .alias("baseline"),
            pl.int_range(pl.len()).over("link").alias("history_len"),
        )
        .with_columns(
            (count - pl.col("baseline"))
            .abs()
            .shift(1)
            .rolling_median(window_size=settings.history, min_samples=1)
            .over("link")
            .alias("mad"),
        )
        .with_columns(
            ((count - pl.col("baseline")) / (1.4826 * pl.col("mad").fill_null(0) + 1.0)).alias("z"),
            (pl.col("reach").cast(pl.Float64) * settings.reach_share).alias("reach_cap"),
        )
    )
    enough = pl.col("history_len") >= settings.min_history
    over_reach = pl.col("reach_cap").is_null() | (count > pl.col("reach_cap"))
    spiking = (
        pl.when(enough)
        .then(pl.col("z") > settings.z)
        .otherwise(pl.col("reach_cap").is_not_null() & (count > pl.col("reach_cap")))
    )
    bursts = per_minute.filter((pl.col("count") >= settings.min_clicks) & over_reach & spiking)
    if bursts.is_empty():
        return []
    hits = valid.join(
        bursts.select(["link", "minute", "count", "baseline", "z", "reach"]), on=["link", "minute"]
    )
    return to_reverdicts(
        hits,
        Reason.BURST,
        ["link", "minute", "count", "baseline", "z", "reach"],
        {
            "count": "clicks_in_minute",
            "baseline": "baseline_median_per_minute",
            "z": "robust_z",
            "reach": "followers",
        },
    )
