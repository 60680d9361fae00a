"""Scenario files: the shipped ones load, and a bad field is named in the error."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fairclick.simulate import ScenarioError, builtin_scenarios, load_scenario
from fairclick.simulate.scenario import parse_scenario
from tests.simulate.conftest import shipped


def test_shipped_scenarios_load() -> None:
    assert {"primaire-2017.yaml", "other-scenario.yaml"} <= set(builtin_scenarios())
    default = load_scenario()
    assert default.name == "primaire-2017"
    assert default.campaign.payout_by_tier["nano"] == 35
    other = load_scenario("other-scenario")
    assert other.influencers.country == "DE"
    assert other.cheaters.inciting == 0 and other.cheaters.farm_clients > 0


def test_a_file_path_loads(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    doc = shipped("other-scenario.yaml")
    doc["seed"] = 7
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    assert load_scenario(path).seed == 7


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d["campaign"].update(days="two weeks"), "campaign.days"),
        (lambda d: d["campaign"]["payout_by_tier"].pop("mega"), "payout_by_tier misses mega"),
        (lambda d: d["traffic"]["mix"].update(teleport=0.1), "unknown generator(s) teleport"),
        (lambda d: d["traffic"]["mix"].update(incited=0.9), "no room for organic"),
        (lambda d: d["influencers"].update(count=10), "cheaters need"),
        (lambda d: d.update(colour="blue"), "colour"),
        (lambda d: d.pop("seed"), "seed"),
    ],
)
def test_bad_fields_are_named(change, named: str) -> None:  # type: ignore[no-untyped-def]
    doc = shipped("primaire-2017.yaml")
    change(doc)
    with pytest.raises(ScenarioError, match=named.replace("(", r"\(").replace(")", r"\)")):
        parse_scenario(doc, "test.yaml")


def test_unknown_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: [1, 2\n")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(bad)
    listy = tmp_path / "list.yaml"
    listy.write_text("- 1\n")
    with pytest.raises(ScenarioError, match="mapping"):
        load_scenario(listy)
