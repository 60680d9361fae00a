"""`click_farm`: traffic concentrated on few networks or devices, spread across many links, or
clicking at machine-regular intervals.

Two signals per time window (default 1 h):
- spread: one /24-/48 subnet (or one ASN + device fingerprint outside big residential
  networks' noise, via `min_links`) whose valid clicks reach many different links and
  influencers: people behind one small network do not click dozens of unrelated promotions;
- regular timing: one subnet's clicks arriving at near-constant intervals (coefficient of
  variation of inter-click gaps below `max_cv`), where human traffic is bursty (CV around 1+).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from fairclick.domain.reasons import Reason
from fairclick.validation.retro.base import ReVerdict, to_reverdicts, valid_only


@dataclass(frozen=True, slots=True)
class FarmSettings:
    """Thresholds of `click_farm` (documented in docs/validation.md)."""

    window: str = "1h"
    min_clicks: int = 20
    min_links: int = 8
    min_influencers: int = 3
    max_cv: float = 0.15
    min_regular_clicks: int = 15


def click_farm(clicks: pl.DataFrame, settings: FarmSettings = FarmSettings()) -> list[ReVerdict]:
    """Re-verdicts for the valid clicks of farm-like subnets in each window. Windows overlap
    (each hour, and each hour shifted by half an hour) so that a farm shift straddling a window
    boundary is still seen whole in one of them."""
    valid = valid_only(clicks).filter(pl.col("ip_prefix") != "")
    if valid.is_empty():
        return []
    half = pl.duration(microseconds=_micros(settings.window) // 2)
    found = [
        _farms(
            valid.with_columns(pl.col("ts").dt.truncate(settings.window).alias("window")), settings
        ),
        _farms(
            valid.with_columns(
                ((pl.col("ts") + half).dt.truncate(settings.window) - half).alias("window")
            ),
            settings,
        ),
    ]
    hits = pl.concat(found).unique("click_id", keep="first", maintain_order=True)
    if hits.is_empty():
        return []
    return to_reverdicts(
        hits.sort("click_id"),
        Reason.CLICK_FARM,
        [
            "signal",
            "ip_prefix",
            "asn",
            "window",
            "clicks",
            "links",
            "influencers",
            "visitors",
            "gap_cv",
            "mean_gap_seconds",
        ],
        {
            "clicks": "clicks_in_window",
            "links": "distinct_links",
            "influencers": "distinct_influencers",
            "visitors": "distinct_visitors",
        },
    )


def _micros(window: str) -> int:
    """Length of a Polars duration string such as "1h" or "30m", in microseconds."""
    units = {"s": 1_000_000, "m": 60_000_000, "h": 3_600_000_000, "d": 86_400_000_000}
    return int(window[:-1]) * units[window[-1]]


def _farms(valid: pl.DataFrame, settings: FarmSettings) -> pl.DataFrame:
    """The valid clicks of farm-like (subnet, window) groups, with the group's figures."""
    groups = ["ip_prefix", "window"]
    # Only subnets busy enough to matter are examined further (most have a click or two).
    floor = min(settings.min_clicks, settings.min_regular_clicks)
    busy = valid.group_by(groups).agg(pl.len().alias("n")).filter(pl.col("n") >= floor)
    valid = valid.join(busy.select(groups), on=groups, how="semi")
    same_group = (pl.col("ip_prefix") == pl.col("ip_prefix").shift(1)) & (
        pl.col("window") == pl.col("window").shift(1)
    )
    stats = (
        valid.sort(["ip_prefix", "ts"])
        .with_columns(
            pl.when(same_group)
            .then(pl.col("ts").diff().dt.total_microseconds())
            .otherwise(None)
            .alias("gap_us")
        )
        .group_by(groups)
        .agg(
            pl.len().alias("clicks"),
            pl.col("link").n_unique().alias("links"),
            pl.col("owner").n_unique().alias("influencers"),
            pl.col("visitor_key").n_unique().alias("visitors"),
            # Undefined (null, never NaN: evidence is JSON) when every gap is zero.
            pl.when(pl.col("gap_us").mean() > 0)
            .then(pl.col("gap_us").std() / pl.col("gap_us").mean())
            .alias("gap_cv"),
            (pl.col("gap_us").mean() / 1e6).alias("mean_gap_seconds"),
        )
    )
    spread = (
        (pl.col("clicks") >= settings.min_clicks)
        & (pl.col("links") >= settings.min_links)
        & (pl.col("influencers") >= settings.min_influencers)
    )
    regular = (pl.col("clicks") >= settings.min_regular_clicks) & (
        pl.col("gap_cv") < settings.max_cv
    )
    farms = stats.filter(spread | regular).with_columns(
        pl.when(spread & regular)
        .then(pl.lit("many links from one subnet, at regular intervals"))
        .when(spread)
        .then(pl.lit("many links from one subnet"))
        .otherwise(pl.lit("regular intervals from one subnet"))
        .alias("signal")
    )
    return valid.join(farms, on=groups)
