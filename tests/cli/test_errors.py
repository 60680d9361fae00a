"""Errors are one line on stderr and a non-zero exit, never a traceback; bad configuration
names the setting and exits 2. Also run through the installed console script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import Cli

SCRIPT = Path(sys.executable).parent / "fairclick"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("FAIRCLICK_PORT", "abc"),
        ("FAIRCLICK_PORT", "70000"),
        ("FAIRCLICK_DATABASE_URL", "mysql://x/y"),
        ("FAIRCLICK_BASE_URL", "ftp://fc.example"),
        ("FAIRCLICK_TRUSTED_PROXIES", "10.0.0.0/8,not-an-ip"),
        ("FAIRCLICK_SECRET_KEY", "short"),
        ("FAIRCLICK_RAW_IP_RETENTION_DAYS", "-1"),
    ],
)
def test_bad_configuration_names_the_setting_and_exits_2(
    cli: Cli, variable: str, value: str
) -> None:
    line = cli.fails("org", "list", code=2, **{variable: value})
    assert f"bad setting {variable}" in line


def test_bad_configuration_stops_load_and_demo_too(cli: Cli, tmp_path: Path) -> None:
    assert "FAIRCLICK_PORT" in cli.fails("load", "-", code=2, FAIRCLICK_PORT="abc")
    line = cli.fails("demo", "--no-serve", "--dir", str(tmp_path / "d"), code=2,
                     FAIRCLICK_PORT="abc")  # fmt: skip
    assert "FAIRCLICK_PORT" in line
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["no-such-command"],
        ["user", "create"],
        ["user", "create", "a@b.example", "--role", "boss"],
        ["campaign", "list", "--limit", "0"],
        ["org", "create", "x", "--name", "X", "--no-such-option"],
    ],
)
def test_usage_errors_are_one_line_with_exit_2(cli: Cli, args: list[str]) -> None:
    line = cli.fails(*args, code=2)
    assert "see --help" in line


def test_unknown_keys_are_one_line(world_cli: Cli) -> None:
    for args in (
        ["campaign", "show", "nope"],
        ["influencer", "show", "nope"],
        ["link", "show", "nope"],
        ["campaign", "activate", "nope"],
        ["user", "token", "list", "nope@nowhere.example"],
    ):
        assert "no " in world_cli.fails(*args, code=1)


def test_user_text_is_never_read_as_markup(cli: Cli) -> None:
    line = cli.fails("campaign", "show", "[bold]x[/bold]")
    assert "[bold]x[/bold]" in line


def test_help_of_a_group_without_a_command_is_no_error(cli: Cli) -> None:
    result = cli("campaign")
    assert result.exit_code == 0
    assert "create" in result.stdout


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FAIRCLICK_")}
    environment.update(env, COLUMNS="120")
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, env=environment, timeout=60
    )


def test_the_installed_script_answers_help_and_version() -> None:
    assert SCRIPT.exists(), f"the console script is not installed at {SCRIPT}"
    result = _run("--help")
    assert result.returncode == 0, result.stderr
    for command in ("init", "load", "demo", "campaign", "link", "user"):
        assert command in result.stdout
    version = _run("--version")
    assert version.returncode == 0
    assert version.stdout.startswith("fairclick ")


def test_the_installed_script_reports_bad_configuration_in_one_line(tmp_path: Path) -> None:
    result = _run(
        "org", "list", FAIRCLICK_PORT="abc", FAIRCLICK_DATABASE_URL=f"sqlite:///{tmp_path}/x.db"
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: bad setting FAIRCLICK_PORT")


def test_arguments_that_are_not_utf8_are_refused(cli: Cli) -> None:
    # How undecodable command-line bytes reach Python: as lone surrogates.
    line = cli.fails("org", "create", "k", "--name", "caf\udce9", code=2)
    assert "not valid UTF-8" in line
    assert cli.json("org", "list") == []
