"""The retro-analysis on categorical columns (as the audit hands them over: paths, visitors,
subnets and devices categorical, the verdict an enum) finds the same re-verdicts, with the
same evidence, as on strings; on the platform (influencers) and in an audit (URL paths)."""

from __future__ import annotations

import random
from datetime import timedelta

import polars as pl
import pytest

from fairclick.domain.reasons import Reason
from fairclick.validation.retro import RingSettings, analyse
from fairclick.validation.retro.base import valid_only

from .clicks import T0
from .test_retro import _empty, _exchange, _organic_fans, _posts, _zipf_visitors, organic, rows

CATEGORICAL = ("link", "visitor_key", "ip_prefix", "device")


def _traffic(seed: int) -> pl.DataFrame:
    """Organic fans, Zipf-popular visitors, an exchange, a burst, a farm, a fast clicker and
    some invalid clicks: something for every detector."""
    rng = random.Random(seed)
    data = _empty()
    posts = _posts(rng, range(20), 3, 3)
    _organic_fans(data, rng, posts, 600)
    _zipf_visitors(data, rng, 400, 20, 3)
    _exchange(data, rng, _posts(rng, range(100, 106), 2, 3), 0)
    spike = organic(40, 2, link="link:900", seed=seed)
    for j in range(60):
        spike["click_id"].append(f"b{j}")
        spike["ts"].append(T0 + timedelta(minutes=40, seconds=j / 2))
        spike["link"].append("link:900")
        spike["visitor_key"].append(f"h:b{j}")
        spike["ip_prefix"].append(f"90.1.{j}.0/24")
    for j in range(40):
        spike["click_id"].append(f"f{j}")
        spike["ts"].append(T0 + timedelta(minutes=j, seconds=rng.random() * 50))
        spike["link"].append(f"link:{500 + j % 20}")
        spike["visitor_key"].append(f"h:f{j}" if j % 5 else "v:speedy")
        spike["ip_prefix"].append("185.220.101.0/24")
    for key, values in spike.items():
        data[key].extend(values)
    data["influencer_id"].extend(
        [900] * (len(spike["click_id"]) - 40) + [500 + j % 7 for j in range(40)]
    )
    n = len(data["click_id"])
    verdicts = ["invalid" if rng.random() < 0.1 else "valid" for _ in range(n)]
    nulls = pl.Series([rng.random() < 0.01 for _ in range(n)])
    frame = rows(**data, verdict=verdicts)
    return frame.with_columns(frame["ip_prefix"].set(nulls, None))


def _categorical(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        *(pl.col(name).cast(pl.Categorical) for name in CATEGORICAL),
        pl.col("verdict").cast(pl.Enum(["invalid", "valid"])),
    )


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("platform", [True, False])
def test_categorical_input_gives_the_same_reverdicts(seed: int, platform: bool) -> None:
    strings = _traffic(seed)
    if not platform:  # an audit: no influencers, the paths stand in for them
        strings = strings.with_columns(pl.lit(None, pl.Int64).alias("influencer_id"))
    settings = RingSettings(busy_link=10**9) if seed == 2 else None
    expected = analyse(strings, ring_settings=settings, platform=platform)
    found = analyse(_categorical(strings), ring_settings=settings, platform=platform)
    assert found == expected
    reasons = {r for rv in expected for r in rv.new_reasons}
    assert {Reason.CLICK_RING, Reason.CLICK_FARM, Reason.BURST} <= reasons


def test_owners_are_told_apart_as_their_strings() -> None:
    """`owner` (an integer) groups the clicks as "i:<influencer>" / "p:<link>" did."""
    frame = _traffic(3).with_columns(
        pl.when(pl.int_range(pl.len()) % 2 == 0)
        .then(pl.col("influencer_id"))
        .alias("influencer_id")
    )
    for clicks in (frame, _categorical(frame)):
        valid = valid_only(clicks)
        text = pl.coalesce(
            pl.lit("i:") + pl.col("influencer_id").cast(pl.Utf8),
            pl.lit("p:") + pl.col("link").cast(pl.Utf8),
        )
        pairs = valid.select(text.alias("text"), "owner").unique()
        assert pairs["text"].n_unique() == pairs["owner"].n_unique() == pairs.height
