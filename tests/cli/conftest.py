"""Running `fairclick` commands in-process against a temporary database.

The CLI reads its settings from the environment, so each run sets FAIRCLICK_* variables in the
runner and forgets the cached settings and database first (`fairclick.cli.common.reset`).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner, Result

from fairclick.cli.common import reset
from fairclick.cli.main import app
from fairclick.store import Database
from fairclick.store.models import Base
from tests.conftest import TestDb
from tests.factories import EXAMPLE_WORLD, TEST_SECRET

BASE_URL = "https://fc.example.org"


@dataclass
class Cli:
    """Invoke commands with a fixed environment; `ok` and `fails` check the outcome."""

    env: dict[str, str]
    db: Database | None = None
    runner: CliRunner = field(default_factory=CliRunner)

    def __call__(self, *args: str, input: str | bytes | None = None, **env: str) -> Result:
        reset()
        try:
            return self.runner.invoke(app, list(args), input=input, env=self.env | env)
        finally:
            reset()

    def ok(self, *args: str, input: str | bytes | None = None) -> Result:
        """Run a command that must succeed; return its result."""
        result = self(*args, input=input)
        assert result.exit_code == 0, f"{args} failed: {result.stderr}{result.stdout}"
        return result

    def json(self, *args: str) -> Any:
        """Run a command with --json and parse its output."""
        return json.loads(self.ok(*args, "--json").stdout)

    def fails(self, *args: str, code: int | None = None, **env: str) -> str:
        """Run a command that must fail with one error line on stderr; return that line."""
        result = self(*args, **env)
        assert result.exit_code != 0, f"{args} succeeded: {result.stdout}"
        if code is not None:
            assert result.exit_code == code, (result.exit_code, result.stderr)
        assert "Traceback" not in result.output, result.output
        assert "internal error" not in result.stderr, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("error: "), lines[0]
        return lines[0]


# Counters that tell redirect processes to reload their caches, not data: a reload is harmless.
NOT_DATA = {"cache_versions"}


def dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every data table, to compare a database before and after a command."""
    with db.engine.connect() as conn:
        return {
            name: [tuple(row) for row in conn.execute(text(f"SELECT * FROM {name} ORDER BY 1"))]
            for name in sorted(Base.metadata.tables)
            if name not in NOT_DATA
        }


def _env(url: str) -> dict[str, str]:
    return {
        "FAIRCLICK_DATABASE_URL": url,
        "FAIRCLICK_SECRET_KEY": TEST_SECRET,
        "FAIRCLICK_BASE_URL": BASE_URL,
    }


@pytest.fixture
def cli(test_db: TestDb) -> Cli:
    """Commands against a fresh, migrated database (SQLite, and PostgreSQL when reachable)."""
    return Cli(env=_env(test_db.url), db=test_db.db)


@pytest.fixture
def empty_cli(tmp_path: Path) -> Cli:
    """Commands against an SQLite file that does not exist yet, in a folder not made yet."""
    return Cli(env=_env(f"sqlite:///{tmp_path / 'nested' / 'fresh.db'}"))


@pytest.fixture(scope="session")
def sqlite_world_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file holding the example world, loaded once by `fairclick load`."""
    path = tmp_path_factory.mktemp("world") / "world.db"
    shutil.copy(sqlite_template, path)
    Cli(env=_env(f"sqlite:///{path}")).ok("load", str(EXAMPLE_WORLD))
    return path


@pytest.fixture
def world_cli(cli: Cli, test_db: TestDb, request: pytest.FixtureRequest) -> Cli:
    """Commands against a database holding the example world."""
    if test_db.backend == "sqlite":
        # Copying a loaded file is much faster than loading (argon2 hashes every password).
        test_db.db.engine.dispose()
        shutil.copy(
            request.getfixturevalue("sqlite_world_template"), make_url(test_db.url).database
        )
    else:
        cli.ok("load", str(EXAMPLE_WORLD))
    return cli


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """Write a file in the test's folder and return its path."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write
