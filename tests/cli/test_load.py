"""`fairclick load`: idempotent, atomic, and precise about the bad line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from tests.cli.conftest import Cli, dump
from tests.factories import EXAMPLE_WORLD, example_world

WriteFile = Callable[[str, str | bytes], Path]


def test_loading_the_example_twice_gives_the_same_database(cli: Cli) -> None:
    assert cli.db is not None
    first = cli.json("load", str(EXAMPLE_WORLD))
    assert first["created"] == {
        "organisations": 1,
        "users": 2,
        "influencers": 2,
        "campaigns": 1,
        "enrolments": 2,
        "links": 2,
    }
    rows = dump(cli.db)
    second = cli.json("load", str(EXAMPLE_WORLD))
    assert second["created"] == {}
    assert second["unchanged_or_updated"] == first["created"]
    assert dump(cli.db) == rows


def test_the_summary_table_counts_each_section(cli: Cli) -> None:
    out = cli.ok("load", str(EXAMPLE_WORLD)).stdout
    assert "Loaded" in out
    for section in ("organisations", "users", "influencers", "campaigns", "enrolments", "links"):
        assert section in out


def test_a_malformed_file_changes_nothing_and_names_its_line(cli: Cli, write: WriteFile) -> None:
    assert cli.db is not None
    cli.ok("load", str(EXAMPLE_WORLD))
    before = dump(cli.db)
    world = example_world()
    world["organisations"].append({"key": "new-org", "name": "New"})  # valid, must not stay
    world["campaigns"][0]["budget"] = -5
    text = yaml.safe_dump(world, allow_unicode=True, sort_keys=False)
    path = write("bad.yaml", text)
    budget_line = next(
        n for n, line in enumerate(text.splitlines(), 1) if line.strip() == "budget: -5"
    )
    line = cli.fails("load", str(path))
    assert line.startswith(f"error: {path} line {budget_line}: campaigns"), line
    assert "budget" in line
    assert dump(cli.db) == before


def test_a_reference_to_nothing_names_the_entry_and_changes_nothing(
    cli: Cli, write: WriteFile
) -> None:
    assert cli.db is not None
    before = dump(cli.db)
    world = example_world()
    world["enrolments"][1]["influencer"] = "nobody"
    path = write("w.yaml", yaml.safe_dump(world, allow_unicode=True, sort_keys=False))
    line = cli.fails("load", str(path))
    assert f"{path} line " in line
    assert "enrolments[1]" in line
    assert "no influencer with key 'nobody'" in line
    assert dump(cli.db) == before


def test_yaml_syntax_errors_name_the_line(cli: Cli, write: WriteFile) -> None:
    path = write("broken.yaml", "organisations:\n  - {key: a, name: A}\nusers: [\n  {email: x\n")
    line = cli.fails("load", str(path))
    assert f"{path} line " in line
    assert "not valid YAML" in line


def test_json_and_stdin_are_accepted(cli: Cli) -> None:
    document = '{"organisations": [{"key": "acme", "name": "Acme", "country": "DE"}]}'
    result = cli.ok("load", "-", input=document)
    assert "organisations" in result.stdout
    orgs = cli.json("org", "list")
    assert [o["key"] for o in orgs] == ["acme"]


def test_unreadable_inputs_are_one_line(cli: Cli, write: WriteFile, tmp_path: Path) -> None:
    assert "no such file" in cli.fails("load", str(tmp_path / "missing.yaml"))
    assert "folder" in cli.fails("load", str(tmp_path))
    path = write("latin1.yaml", "organisations:\n  - {key: a, name: \xe9t\xe9}\n".encode("latin-1"))
    line = cli.fails("load", str(path))
    assert "line 2: not UTF-8" in line


def test_a_file_that_is_not_a_mapping_is_refused(cli: Cli, write: WriteFile) -> None:
    line = cli.fails("load", str(write("list.yaml", "- a\n- b\n")))
    assert "mapping of sections" in line


def test_unknown_sections_and_fields_are_refused(cli: Cli, write: WriteFile) -> None:
    line = cli.fails("load", str(write("extra.yaml", "organisations: []\nplanets: [mars]\n")))
    assert "line 2" in line
    assert "planets" in line
