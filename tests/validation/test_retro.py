"""Retro-analysis detectors on constructed traffic: each fires on its pattern and not on
organic traffic of the same volume."""

from __future__ import annotations

import itertools
import json
import random
from datetime import timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairclick.domain.reasons import Reason
from fairclick.validation.context import ValidationContext
from fairclick.validation.engine import Validator
from fairclick.validation.retro import (
    BurstSettings,
    RingSettings,
    analyse,
    burst,
    click_farm,
    click_ring,
    decisions_frame,
    velocity,
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


def test_click_farm_clicks_in_one_microsecond_have_json_evidence() -> None:
    # Every gap zero: the coefficient of variation is undefined, stored as null (a NaN would be
    # refused by PostgreSQL's jsonb and written as invalid JSON by json.dumps).
    data = organic(60, 3, seed=4)
    n0 = len(data["click_id"])
    for j in range(40):
        data["click_id"].append(f"z{j}")
        data["ts"].append(T0 + timedelta(minutes=30))
        data["link"].append(f"link:{100 + j % 20}")
        data["visitor_key"].append(f"h:z{j}")
        data["ip_prefix"].append("185.220.101.0/24")
    influencers = [1] * n0 + [10 + j % 7 for j in range(40)]
    found = click_farm(rows(**data, influencer_id=influencers))
    assert {r.click_id for r in found} == {f"z{j}" for j in range(40)}
    evidence = found[0].evidence["click_farm"]
    assert evidence["gap_cv"] is None
    json.dumps(evidence, allow_nan=False)


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


# --- click rings over the hold period: lockstep co-clicks on the bipartite graph -----------

Columns = dict[str, list[Any]]


def _empty() -> Columns:
    keys = ("click_id", "ts", "link", "visitor_key", "ip_prefix", "influencer_id")
    return {k: [] for k in keys}


def _add(data: Columns, cid: str, ts: Any, influencer: int, post: int, visitor: str, net: str):
    data["click_id"].append(cid)
    data["ts"].append(ts)
    data["link"].append(f"link:{influencer}-{post}")
    data["visitor_key"].append(visitor)
    data["ip_prefix"].append(net)
    data["influencer_id"].append(influencer)


def _posts(
    rng: random.Random, influencers: range, per: int, days: int
) -> list[tuple[int, int, Any]]:
    """(influencer, post, posted_at) over `days` days."""
    return [
        (inf, p, T0 + timedelta(hours=rng.random() * 24 * days))
        for inf in influencers
        for p in range(per)
    ]


def _organic_fans(data: Columns, rng: random.Random, posts: list[tuple[int, int, Any]], n: int):
    """Followers clicking one post (a few of them two or three) soon after it went out, each
    from their own home network."""
    for j in range(n):
        for k, (inf, p, at) in enumerate(rng.sample(posts, rng.choice([1] * 8 + [2, 3]))):
            delay = timedelta(minutes=rng.expovariate(1 / 90))
            _add(data, f"o{j}-{k}", at + delay, inf, p, f"v:fan{j}", f"90.{j % 250}.{k}.0/24")


def _exchange(
    data: Columns,
    rng: random.Random,
    posts: list[tuple[int, int, Any]],
    ring: int,
    share: float = 0.6,
):
    """A click exchange: the ring's influencers and three friends each click a `share` of the
    other members' posts 5-90 minutes after they go out, over a week."""
    members = [(inf, f"v:r{ring}-{inf}-{f}") for inf in {p[0] for p in posts} for f in range(4)]
    for inf, p, at in posts:
        for owner, visitor in members:
            if owner != inf and rng.random() < share:
                delay = timedelta(minutes=rng.uniform(5, 90))
                net = f"82.{hash(visitor) % 200}.{len(data['click_id']) % 7}.0/24"
                _add(data, f"g{ring}-{visitor}-{inf}-{p}", at + delay, inf, p, visitor, net)


def test_click_ring_exchange_over_a_week_is_found_and_fans_are_not() -> None:
    rng = random.Random(7)
    data = _empty()
    honest = _posts(rng, range(40), 3, 7)
    ring_posts = _posts(rng, range(100, 106), 2, 7)
    _organic_fans(data, rng, honest + ring_posts, 3000)
    _exchange(data, rng, ring_posts, 0)
    found = click_ring(rows(**data))
    ring_clicks = {c for c in data["click_id"] if c.startswith("g")}
    assert {r.click_id for r in found} == ring_clicks
    ev = next(r for r in found if r.click_id.startswith("g")).evidence["click_ring"]
    assert ev["ring_members"] == 24 and ev["influencers_clicked"] >= 3


def test_a_sparse_exchange_is_still_mostly_found() -> None:
    """Members who answer only a third of the posts (three or four clicks each in a week):
    pairs co-click two influencers, not three, but each member co-clicked three or more with
    the ring and the ring six; most of it is found, no fan is taken."""
    rng = random.Random(7)
    data = _empty()
    honest = _posts(rng, range(40), 3, 7)
    ring_posts = _posts(rng, range(100, 106), 2, 7)
    _organic_fans(data, rng, honest + ring_posts, 3000)
    _exchange(data, rng, ring_posts, 0, share=0.35)
    found = {r.click_id for r in click_ring(rows(**data))}
    ring_clicks = {c for c in data["click_id"] if c.startswith("g")}
    assert found <= ring_clicks
    assert len(found) >= 0.75 * len(ring_clicks)


def test_a_ring_members_clicks_on_other_influencers_stay_valid() -> None:
    rng = random.Random(8)
    data = _empty()
    _exchange(data, rng, _posts(rng, range(100, 106), 2, 5), 0)
    member = data["visitor_key"][0]
    _add(data, "own-taste", T0 + timedelta(days=2), 7, 0, member, "82.1.1.0/24")
    found = {r.click_id for r in click_ring(rows(**data))}
    assert "own-taste" not in found and data["click_id"][0] in found


def test_friends_who_click_two_friends_links_are_not_a_ring() -> None:
    """Eight friends, each on their home network, click the posts of two friends who are
    influencers within minutes of each other, and now and then a third influencer on their own
    time: they co-click two influencers, a ring needs three."""
    rng = random.Random(9)
    data = _empty()
    posts = _posts(rng, range(2), 3, 7)
    others = _posts(rng, range(10, 30), 1, 7)
    for f in range(8):
        visitor, net = f"v:friend{f}", f"78.{f}.3.0/24"
        for inf, p, at in posts:
            _add(
                data,
                f"f{f}-{inf}-{p}",
                at + timedelta(minutes=rng.uniform(1, 30)),
                inf,
                p,
                visitor,
                net,
            )
        for k, (inf, p, at) in enumerate(rng.sample(others, 3)):
            _add(data, f"x{f}-{k}", at + timedelta(hours=rng.uniform(3, 48)), inf, p, visitor, net)
    _organic_fans(data, rng, posts + others, 500)
    assert click_ring(rows(**data)) == []


def test_a_campus_nat_is_not_a_ring() -> None:
    """After each lecture, students behind the campus NAT (one /24) open the posts of the six
    influencers everybody follows. Cookie-less in-app browsers share one address + user agent
    key per app, so these keys reach every influencer in lockstep, but all on one network."""
    rng = random.Random(10)
    data = _empty()
    posts = _posts(rng, range(6), 2, 5)
    apps = [f"h:{'ab' * 15}{a:02d}" for a in range(5)]
    for s in range(400):
        visitor = apps[s % 5] if s % 3 == 0 else f"v:student{s}"
        for k, (inf, p, at) in enumerate(rng.sample(posts, rng.choice([1, 2]))):
            when = at + timedelta(minutes=rng.uniform(2, 60))
            _add(data, f"c{s}-{k}", when, inf, p, visitor, "193.54.12.0/24")
    _organic_fans(data, rng, posts, 300)
    assert click_ring(rows(**data)) == []


def test_one_prompt_superfan_is_not_the_hub_of_a_ring() -> None:
    """A superfan opens every post of six influencers within minutes; forty fans each opened
    three of those posts (no two the same three) within the hour. Each fan co-clicks three
    influencers with the superfan, and with nobody else: a star, not a ring."""
    rng = random.Random(12)
    data = _empty()
    posts = _posts(rng, range(6), 4, 7)
    for k, (inf, p, at) in enumerate(posts):
        _add(
            data,
            f"sf{k}",
            at + timedelta(minutes=rng.uniform(1, 10)),
            inf,
            p,
            "v:sf",
            "90.9.9.0/24",
        )
    triples = list(itertools.combinations(range(len(posts)), 3))
    rng.shuffle(triples)
    chosen: list[tuple[int, ...]] = []
    for t in triples:
        if len({posts[i][0] for i in t}) == 3 and all(len(set(t) & set(c)) < 2 for c in chosen):
            chosen.append(t)
        if len(chosen) == 40:
            break
    for f, triple in enumerate(chosen):
        for i in triple:
            inf, p, at = posts[i]
            when = at + timedelta(minutes=rng.uniform(5, 60))
            _add(data, f"fan{f}-{i}", when, inf, p, f"v:fan{f}", f"86.{f}.1.0/24")
    assert click_ring(rows(**data)) == []


def test_solo_rule_ignores_address_keys_on_the_platform_only() -> None:
    data = _empty()
    for inf in range(12):
        at = T0 + timedelta(minutes=20 * inf)
        _add(data, f"v{inf}", at, inf, 0, "v:collector", "90.1.2.0/24")
        _add(data, f"h{inf}", at, inf, 0, "h:" + "cd" * 16, "193.54.12.0/24")
    frame = rows(**data)
    assert {r.click_id for r in click_ring(frame)} == {f"v{i}" for i in range(12)}
    assert len(click_ring(frame, platform=False)) == 24


# --- click farms: overlapping windows ---------------------------------------------------------


def test_click_farm_shift_straddling_the_hour_is_seen_whole() -> None:
    """A farm shift 10:45-11:15 on one /24 (irregular gaps, 30 clicks over 10 links of 4
    influencers): 15 clicks in each clock hour, all 30 in the half-hour-shifted window."""
    rng = random.Random(11)
    data = organic(180, 2, seed=12)
    n0 = len(data["click_id"])
    start = T0.replace(hour=10, minute=45, second=0)
    at = start
    for j in range(30):
        data["click_id"].append(f"f{j}")
        data["ts"].append(at)
        data["link"].append(f"link:{200 + j % 10}")
        data["visitor_key"].append(f"h:farm{j}")
        data["ip_prefix"].append("80.214.7.0/24")
        at += timedelta(seconds=rng.uniform(20, 100))
    influencers = [1] * n0 + [20 + j % 4 for j in range(30)]
    assert at < start + timedelta(minutes=32)
    found = click_farm(rows(**data, influencer_id=influencers))
    assert {r.click_id for r in found} == {f"f{j}" for j in range(30)}


# --- velocity in hindsight ------------------------------------------------------------------


def test_velocity_takes_back_the_first_clicks_of_a_fast_run() -> None:
    """One browser clicking 20 links 1-8 s apart: the real-time rule let the first 5 through
    (it fires on the 6th within 60 s); looking back, those 5 belong to the same run."""
    rng = random.Random(13)
    data = organic(30, 3, seed=14)
    n0 = len(data["click_id"])
    at = T0 + timedelta(minutes=5)
    for j in range(20):
        data["click_id"].append(f"s{j}")
        data["ts"].append(at)
        data["link"].append(f"link:{300 + j}")
        data["visitor_key"].append("v:speedy")
        data["ip_prefix"].append("90.44.1.0/24")
        at += timedelta(seconds=rng.uniform(1, 8))
    verdicts = ["valid"] * n0 + ["valid"] * 5 + ["invalid"] * 15
    found = velocity(rows(**data, verdict=verdicts))
    assert {r.click_id for r in found} == {f"s{j}" for j in range(5)}
    assert found[0].new_reasons == (Reason.VELOCITY,)
    assert "more than 5 clicks in 60 s" in found[0].evidence["velocity"]["signal"]


def test_velocity_leaves_a_quick_reader_alone() -> None:
    """Five links in a minute, then five more ten minutes later, then six over two minutes:
    never more than 5 in 60 s nor 30 in an hour."""
    data: Columns = {k: [] for k in ("click_id", "ts", "link", "visitor_key", "ip_prefix")}
    offsets = [0, 10, 20, 30, 40, 600, 610, 620, 630, 640] + [1200 + 22 * k for k in range(6)]
    for j, s in enumerate(offsets):
        data["click_id"].append(f"q{j}")
        data["ts"].append(T0 + timedelta(seconds=s))
        data["link"].append(f"link:{j}")
        data["visitor_key"].append("v:reader")
        data["ip_prefix"].append("90.44.1.0/24")
    assert velocity(rows(**data)) == []


@given(
    gaps=st.lists(st.integers(min_value=0, max_value=120), min_size=1, max_size=40),
    invalid=st.lists(st.booleans(), min_size=40, max_size=40),
)
@settings(max_examples=60, deadline=None)
def test_velocity_flags_exactly_the_valid_clicks_of_dense_windows(
    gaps: list[int], invalid: list[bool]
) -> None:
    """Against a brute force: a click is flagged iff it is valid and some 60 s window holding
    it holds more than 5 of the visitor's clicks (or some hour more than 30)."""
    times = [sum(gaps[: i + 1]) for i in range(len(gaps))]
    n = len(times)
    data: Columns = {
        "click_id": [f"k{i:02d}" for i in range(n)],
        "ts": [T0 + timedelta(seconds=t) for t in times],
        "link": [f"link:{i}" for i in range(n)],
        "visitor_key": ["v:one"] * n,
        "ip_prefix": ["90.1.1.0/24"] * n,
    }
    verdicts = ["invalid" if invalid[i] else "valid" for i in range(n)]
    found = {r.click_id for r in velocity(rows(**data, verdict=verdicts))}

    def dense(i: int, limit: int, seconds: int) -> bool:
        return any(
            times[j + limit] - times[j] < seconds
            for j in range(max(0, i - limit), min(i, n - 1 - limit) + 1)
        )

    expected = {
        f"k{i:02d}"
        for i in range(n)
        if verdicts[i] == "valid" and (dense(i, 5, 60) or dense(i, 30, 3600))
    }
    assert found == expected


def _zipf_visitors(data: Columns, rng: random.Random, n: int, links: int, days: int) -> None:
    """Independent visitors, each clicking three to five links at their own random times over
    `days` days, the links drawn from a Zipf(1.6) popularity: a few links get most traffic."""
    weights = [1 / (rank + 1) ** 1.6 for rank in range(links)]
    for j in range(n):
        for k, inf in enumerate(rng.choices(range(links), weights, k=rng.randint(3, 5))):
            when = T0 + timedelta(hours=rng.random() * 24 * days)
            _add(data, f"z{j}-{k}", when, inf, 0, f"v:z{j}", f"90.{j % 250}.{j // 250}.0/24")


def test_independent_visitors_on_zipf_popular_links_are_not_a_ring() -> None:
    """Hundreds of independent visitors click the most popular links within any two hours: such
    co-clicks happen by chance, they are no lockstep. Counting them (no busy-link limit) makes
    rings of strangers; a busy link's bucket is not evidence."""
    rng = random.Random(16)
    data = _empty()
    _zipf_visitors(data, rng, 3000, 40, 3)
    frame = rows(**data)
    assert click_ring(frame) == []
    assert len(click_ring(frame, RingSettings(busy_link=10**9))) > 100


def test_a_ring_whose_members_also_click_a_viral_link_is_found() -> None:
    """A click exchange among Zipf-popular traffic, whose members also open the most popular
    (viral) link like everybody: the ring is found from its own links, and their viral clicks
    (co-clicked with hundreds of strangers, no evidence) stay valid."""
    rng = random.Random(17)
    data = _empty()
    _zipf_visitors(data, rng, 3000, 40, 3)
    _exchange(data, rng, _posts(rng, range(100, 106), 2, 3), 0)
    members = sorted({v for v in data["visitor_key"] if v.startswith("v:r0-")})
    for m, visitor in enumerate(members):
        for k in range(2):
            when = T0 + timedelta(hours=rng.random() * 72)
            _add(data, f"viral{m}-{k}", when, 0, 0, visitor, f"82.{m}.9.0/24")
    found = {r.click_id for r in click_ring(rows(**data))}
    assert found == {c for c in data["click_id"] if c.startswith("g")}
