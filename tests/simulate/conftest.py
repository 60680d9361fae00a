"""Small scenarios built from the shipped ones, and their generated output."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from fairclick.simulate import Scenario, run
from fairclick.simulate.output import RunSummary
from fairclick.simulate.scenario import parse_scenario


def shipped(name: str) -> dict[str, Any]:
    """A shipped scenario file as a plain document, to be modified by a test."""
    text = (resources.files("fairclick.simulate") / "scenarios" / name).read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def small_document() -> dict[str, Any]:
    """The 2017 scenario shrunk to 60 influencers (cheaters scaled down accordingly)."""
    doc = shipped("primaire-2017.yaml")
    doc["influencers"]["count"] = 60
    doc["cheaters"].update(inciting=5, self_clickers=3, ring_groups=2, ring_size=4, farm_clients=3)
    return doc


@pytest.fixture
def small() -> Scenario:
    return parse_scenario(small_document())


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunSummary, Path]:
    """The default scenario at 20,000 clicks, generated once per module."""
    from fairclick.simulate import load_scenario

    out = tmp_path_factory.mktemp("primaire")
    return run(load_scenario(), out, clicks=20_000), out
