"""Factories that build worlds for tests through the real world loader and services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from fairclick.store import Database
from fairclick.world.loader import LoadSummary, apply_world

EXAMPLE_WORLD = Path(__file__).resolve().parents[1] / "examples" / "world.yaml"
TEST_SECRET = "test-secret-key-0123456789"


def load_world(db: Database, world: str | dict[str, Any] | Path = EXAMPLE_WORLD) -> LoadSummary:
    """Load a world (YAML text, a dict, or a file) in one committed transaction."""
    if isinstance(world, Path):
        text = world.read_text()
    elif isinstance(world, dict):
        text = yaml.safe_dump(world, allow_unicode=True)
    else:
        text = world
    with db.session() as session:
        return apply_world(session, text, secret_key=TEST_SECRET)


def example_world() -> dict[str, Any]:
    """The documented example world as a dict (tests modify copies of it)."""
    data: dict[str, Any] = yaml.safe_load(EXAMPLE_WORLD.read_text())
    return data
