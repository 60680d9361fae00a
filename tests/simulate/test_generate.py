"""Generation: determinism, counts, label mix and the realism of each kind of traffic."""

from __future__ import annotations

import ipaddress
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from fairclick.domain.reasons import Reason
from fairclick.simulate import Scenario, generate, run
from fairclick.simulate.generate import allocate
from fairclick.simulate.network import pool
from fairclick.simulate.output import RunSummary
from fairclick.simulate.scenario import parse_scenario
from tests.simulate.conftest import small_document

# What the generators label; `burst` needs a validator's model of reach, `low_engagement` a
# landing-page beacon: neither is simulated.
GENERATED_REASONS = set(Reason) - {Reason.BURST, Reason.LOW_ENGAGEMENT}


def _lines(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_same_seed_same_bytes_other_seed_other_traffic(small: Scenario, tmp_path: Path) -> None:
    a = run(small, tmp_path / "a", clicks=3_000)
    b = run(small, tmp_path / "b", clicks=3_000)
    for name in ("world.yaml", "clicks.jsonl", "labels.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert a.by_reason == b.by_reason
    doc = small_document()
    doc["seed"] = 99
    run(parse_scenario(doc), tmp_path / "c", clicks=3_000)
    assert (tmp_path / "a" / "clicks.jsonl").read_bytes() != (
        tmp_path / "c" / "clicks.jsonl"
    ).read_bytes()


def test_counts_follow_the_mix(small: Scenario) -> None:
    generated = generate(small, 10_000)
    assert len(generated.events) == 10_000
    kinds = Counter(generated.tables.kinds.values[k] for k in generated.events.kind.tolist())
    expected = {k: v for k, v in allocate(small, 10_000).items() if v}
    assert dict(kinds) == expected
    # Time order, all inside the campaign window.
    t = generated.events.t
    assert (t[1:] >= t[:-1]).all()
    clock = generated.plan.clock
    assert t.min() >= clock.start_us and t.max() < clock.end_us


def test_default_scenario_label_mix(default_run: tuple[RunSummary, Path]) -> None:
    summary, out = default_run
    assert summary.clicks == 20_000
    assert 0.25 <= summary.invalid_share <= 0.45
    labels = _lines(out / "labels.jsonl")
    seen = {r for label in labels for r in label["reasons"]}
    assert seen >= {r.value for r in GENERATED_REASONS}
    for label in labels:
        if label["label"] == "valid":
            assert label["reasons"] == [] and label["reason"] == "valid"
        else:
            assert label["reasons"][0] == label["reason"]
            assert Reason(label["reason"]).ivt_class  # a real reason code
    assert {label["kind"] for label in labels} >= {"organic", "preview", "click_farm", "incited"}


def test_click_records_have_the_ingest_shape(default_run: tuple[RunSummary, Path]) -> None:
    _, out = default_run
    clicks = _lines(out / "clicks.jsonl")
    fields = {"id", "ts", "code", "ip", "method", "user_agent", "referer", "accept_language"}
    fields |= {"headers", "visitor_id"}
    for click in clicks[:2000]:
        assert set(click) == fields
        when = datetime.strptime(click["ts"], "%Y-%m-%dT%H:%M:%S.%fZ")
        assert when.microsecond >= 0
        ipaddress.ip_address(click["ip"])
        assert click["method"] in {"GET", "HEAD"}
        assert all(k == k.lower() for k in click["headers"])
    assert len({c["id"] for c in clicks}) == len(clicks)


def test_browsers_send_matching_client_hints(default_run: tuple[RunSummary, Path]) -> None:
    _, out = default_run
    labels = {label["id"]: label for label in _lines(out / "labels.jsonl")}
    for click in _lines(out / "clicks.jsonl"):
        if labels[click["id"]]["kind"] != "organic":
            continue
        ua, headers = click["user_agent"], click["headers"]
        assert headers["sec-fetch-mode"] == "navigate"
        if "Chrome/" in ua and "iPhone" not in ua:
            assert "sec-ch-ua" in headers
            mobile = "Mobile" in ua
            assert headers["sec-ch-ua-mobile"] == ("?1" if mobile else "?0")
        else:
            assert "sec-ch-ua" not in headers
        assert click["accept_language"].startswith(("fr", "en-GB"))


def _in_pool(ip: str, names: list[str]) -> bool:
    address = ipaddress.ip_address(ip)
    return any(address in p.network for name in names for p in pool(name))


def test_people_come_from_french_isps_and_previews_from_twitter(
    default_run: tuple[RunSummary, Path],
) -> None:
    _, out = default_run
    isps = ["orange_fr", "free_fr", "free_mobile_fr", "sfr_fr", "bouygues_fr"]
    labels = {label["id"]: label for label in _lines(out / "labels.jsonl")}
    x_heads = 0
    for click in _lines(out / "clicks.jsonl"):
        label = labels[click["id"]]
        if label["kind"] == "organic":
            assert _in_pool(click["ip"], isps), click["ip"]
        if label["kind"] == "preview" and click["method"] == "HEAD":
            # X's browser-UA preview: Twitter's network, no Sec-Fetch, no Accept-Language.
            x_heads += 1
            assert _in_pool(click["ip"], ["twitter"])
            assert click["user_agent"].startswith("Mozilla/5.0")
            assert click["accept_language"] is None and click["headers"] == {}
    assert x_heads > 0


def test_duplicates_repeat_a_visitor_on_a_link_within_the_window(
    default_run: tuple[RunSummary, Path],
) -> None:
    _, out = default_run
    labels = {label["id"]: label for label in _lines(out / "labels.jsonl")}
    last: dict[tuple[str, str], datetime] = {}
    window = timedelta(hours=24)
    person = {"organic", "returning", "duplicate", "incited", "click_ring", "self_click"}
    duplicates = 0
    for click in _lines(out / "clicks.jsonl"):
        label = labels[click["id"]]
        if label["kind"] not in person | {"velocity"}:
            continue
        who = click["visitor_id"] or f"{click['ip']}|{click['user_agent']}"
        when = datetime.strptime(click["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        key = (who, click["code"])
        is_dup = key in last and when - last[key] < window
        assert is_dup == ("duplicate" in label["reasons"]), click["id"]
        duplicates += is_dup
        last[key] = when
    assert duplicates > 500


def test_self_clicks_come_from_the_influencers_own_sessions(
    default_run: tuple[RunSummary, Path],
) -> None:
    import yaml

    _, out = default_run
    world = yaml.safe_load((out / "world.yaml").read_text())
    sessions = {
        i["key"]: {(s["ip"], s["visitor_id"], s["user_agent"]) for s in i["sessions"]}
        for i in world["influencers"]
    }
    labels = {label["id"]: label for label in _lines(out / "labels.jsonl")}
    count = 0
    for click in _lines(out / "clicks.jsonl"):
        label = labels[click["id"]]
        if label["reason"] == "self_click":
            count += 1
            assert label["cheater"]
            own = (click["ip"], click["visitor_id"], click["user_agent"])
            assert own in sessions[label["influencer"]]
    assert count > 0


@pytest.mark.parametrize("clicks", [1, 137])
def test_tiny_runs(small: Scenario, tmp_path: Path, clicks: int) -> None:
    summary = run(small, tmp_path, clicks=clicks)
    assert summary.clicks == clicks
    assert len((tmp_path / "clicks.jsonl").read_bytes().splitlines()) == clicks


def test_progress_is_reported(small: Scenario, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    run(small, tmp_path, clicks=2_000, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (2_000, 2_000)


def test_the_other_scenario_has_a_farm_and_no_incitement(tmp_path: Path) -> None:
    from fairclick.simulate import load_scenario

    summary = run(load_scenario("other-scenario"), tmp_path, clicks=10_000)
    assert summary.by_reason.get("click_farm", 0) > 500
    assert "incited" not in summary.by_reason and "click_ring" not in summary.by_reason
    labels = _lines(tmp_path / "labels.jsonl")
    clicks = _lines(tmp_path / "clicks.jsonl")
    farm_ips = {
        c["ip"] for c, lab in zip(clicks, labels, strict=True) if lab["kind"] == "click_farm"
    }
    subnets = {ip.rsplit(".", 1)[0] for ip in farm_ips}
    assert len(subnets) <= 4 < len(farm_ips)
    assert any(c["accept_language"].startswith("de") for c in clicks if c["accept_language"])
