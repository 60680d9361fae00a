"""Retro-analysis detectors on constructed traffic: each fires on its pattern and not on
organic traffic of the same volume."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import polars as pl
import pytest

from fairclick.domain.reasons import Reason
from fairclick.validation.context import ValidationContext
from fairclick.validation.engine import Validator
from fairclick.validation.retro import (
    BurstSettings,
    analyse,
    burst,
    click_farm,
    click_ring,
    decisions_frame,
)
from fairclick.validation.retro.base import RetroInputError

from .clicks import T0, click


def rows(**columns: list[Any]) -> pl.DataFrame:
    n = len(columns["click_id"])
    base: dict[str, Any] = {
        "campaign_id": [1] * n,
        "influencer_id": [1] * n,
        "asn": [3215] * n,
        "device": ["Safari/iOS/mobile"] * n,
        "verdict": ["valid"] * n,
    }
    base.update(columns)
    return pl.DataFrame(
        base, schema_overrides={"campaign_id": pl.Int64, "influencer_id": pl.Int64, "asn": pl.Int64}
    )


def organic(
    n_minutes: int, per_minute: int, link: str = "link:1", seed: int = 1, start_id: int = 0
) -> dict[str, list[Any]]:
    rng = random.Random(seed)
    out: dict[str, list[Any]] = {
        k: [] for k in ("click_id", "ts", "link", "visitor_key", "ip_prefix")
    }
    i = start_id
    for minute in range(n_minutes):
        for _ in range(rng.randint(max(per_minute - 2, 0), per_minute + 2)):
            out["click_id"].append(f"o{i}")
            out["ts"].append(T0 + timedelta(minutes=minute, seconds=rng.random() * 59))
            out["link"].append(link)
            out["visitor_key"].append(f"h:{i}")
            out["ip_prefix"].append(f"90.{rng.randrange(256)}.{rng.randrange(256)}.0/24")
            i += 1
    return out


def test_burst_against_history() -> None:
    data = organic(60, 5)
    spike_at = T0 + timedelta(minutes=60)
    for j in range(120):
        data["click_id"].append(f"s{j}")
        data["ts"].append(spike_at + timedelta(seconds=j * 0.4))
        data["link"].append("link:1")
        data["visitor_key"].append(f"h:s{j}")
        data["ip_prefix"].append("90.1.1.0/24")
    found = burst(rows(**data))
    ids = {r.click_id for r in found}
    assert {f"s{j}" for j in range(120)} <= ids
    assert not any(i.startswith("o") for i in ids)
    evidence = found[0].evidence["burst"]
    assert evidence["clicks_in_minute"] >= 120 and evidence["baseline_median_per_minute"] <= 7


def test_no_burst_in_steady_organic_traffic() -> None:
    assert burst(rows(**organic(120, 40))) == []


def test_burst_explained_by_reach_is_not_a_burst() -> None:
    data = organic(3, 60)  # a brand-new link, 60 clicks a minute
    big = rows(**data, reach=[50_000] * len(data["click_id"]))
    small = rows(**data, reach=[800] * len(data["click_id"]))
    assert burst(big) == []
    assert len(burst(small)) == len(data["click_id"])


def test_click_farm_one_subnet_across_many_links() -> None:
    data = organic(60, 3, seed=2)
    n0 = len(data["click_id"])
    for j in range(40):
        data["click_id"].append(f"f{j}")
        data["ts"].append(T0 + timedelta(minutes=j, seconds=random.Random(j).random() * 50))
        data["link"].append(f"link:{100 + j % 20}")
        data["visitor_key"].append(f"h:f{j}")
        data["ip_prefix"].append("185.220.101.0/24")
    influencers = [1] * n0 + [10 + j % 7 for j in range(40)]
    found = click_farm(rows(**data, influencer_id=influencers))
    assert {r.click_id for r in found} == {f"f{j}" for j in range(40)}
    assert found[0].evidence["click_farm"]["distinct_links"] == 20


def test_click_farm_regular_timing() -> None:
    data = organic(30, 3, seed=3)
    for j in range(30):
        data["click_id"].append(f"r{j}")
        data["ts"].append(T0 + timedelta(seconds=60 * j + 0.01 * (j % 3)))
        data["link"].append("link:1")
        data["visitor_key"].append(f"h:r{j}")
        data["ip_prefix"].append("5.39.1.0/24")
    found = click_farm(rows(**data))
    assert {r.click_id for r in found} == {f"r{j}" for j in range(30)}
    assert found[0].evidence["click_farm"]["signal"] == "regular intervals from one subnet"


def test_click_ring_visitors_clicking_each_others_links() -> None:
    data: dict[str, list[Any]] = {
        k: [] for k in ("click_id", "ts", "link", "visitor_key", "ip_prefix")
    }
    influencers: list[int] = []
    ring = [f"v:ring{m}" for m in range(6)]
    for m, visitor in enumerate(ring):
        for inf in range(6):
            if inf == m:
                continue
            data["click_id"].append(f"g{m}-{inf}")
            data["ts"].append(T0 + timedelta(hours=1, minutes=m * 7 + inf))
            data["link"].append(f"link:{inf}")
            data["visitor_key"].append(visitor)
            data["ip_prefix"].append(f"90.{m}.0.0/24")
            influencers.append(inf)
    rng = random.Random(4)
    for j in range(300):  # fans: each clicks one or two influencers
        for inf in rng.sample(range(6), rng.choice([1, 1, 2])):
            data["click_id"].append(f"n{j}-{inf}")
            data["ts"].append(T0 + timedelta(hours=rng.random() * 20))
            data["link"].append(f"link:{inf}")
            data["visitor_key"].append(f"v:fan{j}")
            data["ip_prefix"].append("82.64.0.0/24")
            influencers.append(inf)
    found = click_ring(rows(**data, influencer_id=influencers))
    assert {r.click_id for r in found} == {c for c in data["click_id"] if c.startswith("g")}
    ev = found[0].evidence["click_ring"]
    assert ev["ring_members"] == 6 and ev["influencers_clicked"] == 5


def test_only_valid_clicks_are_reverdicted_and_columns_are_checked() -> None:
    data = organic(3, 60)
    frame = rows(**data, reach=[800] * len(data["click_id"]))
    frame = frame.with_columns(pl.lit("invalid").alias("verdict"))
    assert burst(frame) == []
    with pytest.raises(RetroInputError):
        burst(frame.drop("visitor_key"))


def test_analyse_from_engine_decisions(validator: Validator) -> None:
    """The engine's decisions feed the retro-analysis through `decisions_frame`."""
    events = [
        click(0.5 * j, visitor_id=f"x{j}", link_id=1, ip=f"90.12.{j % 200}.{j % 250 + 1}")
        for j in range(200)
    ]
    decisions = validator.validate(events, ValidationContext())
    frame = decisions_frame(events, decisions, reach={1: 300})
    found = analyse(frame, burst_settings=BurstSettings(min_clicks=30))
    assert found and all(Reason.BURST in r.new_reasons for r in found)
    assert {r.click_id for r in found} <= {d.click_id for d in decisions if d.verdict == "valid"}
