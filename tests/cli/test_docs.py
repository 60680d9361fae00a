"""The docs cannot drift: the CLI reference is generated, and every setting is documented."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from fairclick.config import Settings

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import gen_cli_docs  # noqa: E402


@pytest.fixture(scope="module")
def reference() -> str:
    """What `make docs` would write to docs/cli.md now."""
    return gen_cli_docs.render()


def test_cli_reference_is_up_to_date(reference: str) -> None:
    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == reference, "docs/cli.md is out of date: run `make docs`"


def test_cli_reference_covers_every_command(reference: str) -> None:
    text = reference
    for command in ("init", "load", "demo", "db status", "org create", "user token revoke",
                    "influencer add-account", "campaign suspend", "link show", "post add"):  # fmt: skip
        assert f"`fairclick {command}`" in text


def _documented_defaults() -> dict[str, str]:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(FAIRCLICK_[A-Z_]+)` \| ([^|]+) \|", text, flags=re.MULTILINE)
    return {name: default.strip() for name, default in rows}


def _default_text(name: str) -> str:
    field = Settings.model_fields[name]
    value = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
    if value is None:
        return "unset"
    if value == []:
        return "empty"
    return f"`{value}`"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented_with_its_default(name: str) -> None:
    documented = _documented_defaults()
    variable = f"FAIRCLICK_{name.upper()}"
    assert variable in documented, f"{variable} is missing from docs/configuration.md"
    assert documented[variable] == _default_text(name)


def test_each_setting_has_one_row() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(FAIRCLICK_[A-Z_]+)` \|", text, flags=re.MULTILINE)
    assert sorted(rows) == sorted(set(rows)), "a setting has two rows in docs/configuration.md"


def test_the_docs_describe_no_setting_that_does_not_exist() -> None:
    known = {f"FAIRCLICK_{name.upper()}" for name in Settings.model_fields}
    assert set(_documented_defaults()) <= known


def test_the_world_file_docs_show_the_example_as_it_is() -> None:
    text = (ROOT / "docs" / "world-file.md").read_text(encoding="utf-8")
    example = (ROOT / "examples" / "world.yaml").read_text(encoding="utf-8")
    assert f"```yaml\n{example}```" in text


def test_the_world_file_docs_cover_every_field_of_the_schema() -> None:
    from pydantic import BaseModel

    from fairclick.world.schema import World

    text = (ROOT / "docs" / "world-file.md").read_text(encoding="utf-8")
    seen: set[type[BaseModel]] = set()

    def fields(model: type[BaseModel]) -> set[str]:
        names: set[str] = set()
        if model in seen:
            return names
        seen.add(model)
        for name, info in model.model_fields.items():
            names.add(name)
            for inner in _models(info.annotation):
                names |= fields(inner)
        return names

    missing = sorted(name for name in fields(World) if f"`{name}`" not in text)
    assert not missing, f"docs/world-file.md does not document: {missing}"


def _models(annotation: object) -> list[type]:
    from typing import get_args

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models(arg)]
