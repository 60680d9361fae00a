"""Retro-analysis: windowed SIVT detection over already-validated clicks (vectorised, Polars).

Input: a Polars DataFrame with one row per click and the columns of `REQUIRED` (plus `reach`,
the followers of the post's account, when known). Only clicks whose verdict is `valid` are
re-verdicted; each detector returns `ReVerdict`s that the caller records as events
(`fairclick.clicks.reverdict.invalidate`) and tells billing.
"""

from __future__ import annotations

import polars as pl

from fairclick.validation.retro.base import REQUIRED, ReVerdict, merge
from fairclick.validation.retro.burst import BurstSettings, burst
from fairclick.validation.retro.farm import FarmSettings, click_farm
from fairclick.validation.retro.frame import decisions_frame
from fairclick.validation.retro.ring import RingSettings, click_ring
from fairclick.validation.retro.velocity import VelocitySettings, velocity

__all__ = [
    "REQUIRED",
    "BurstSettings",
    "FarmSettings",
    "ReVerdict",
    "RingSettings",
    "VelocitySettings",
    "analyse",
    "burst",
    "click_farm",
    "click_ring",
    "decisions_frame",
    "velocity",
]


def analyse(
    clicks: pl.DataFrame,
    *,
    burst_settings: BurstSettings | None = None,
    farm_settings: FarmSettings | None = None,
    ring_settings: RingSettings | None = None,
    velocity_settings: VelocitySettings | None = None,
    platform: bool = True,
) -> list[ReVerdict]:
    """Every detector over `clicks`, merged to one re-verdict per click (reasons in the `Reason`
    order: velocity, burst, click_farm, click_ring). Without a platform (audit), rings are sought across URL paths of
    one site instead of influencers of one campaign."""
    found = [
        *burst(clicks, burst_settings or BurstSettings()),
        *click_farm(clicks, farm_settings or FarmSettings()),
        *click_ring(clicks, ring_settings or RingSettings(), platform=platform),
        *velocity(clicks, velocity_settings or VelocitySettings()),
    ]
    return merge(found)
