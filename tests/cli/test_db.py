"""`fairclick init` and `fairclick db status`."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from fairclick.store.migrate import head_revision
from tests.cli.conftest import Cli
from tests.conftest import POSTGRES_URL, require


def test_init_creates_the_sqlite_folder_and_database_then_is_a_no_op(
    empty_cli: Cli, tmp_path: Path
) -> None:
    first = empty_cli.ok("init")
    assert (tmp_path / "nested" / "fresh.db").exists()
    head = head_revision()
    assert head is not None
    assert f"upgraded from empty to revision {head}" in first.stdout
    again = empty_cli.ok("init")
    assert f"up to date at revision {head}" in again.stdout


def test_db_status_says_empty_then_up_to_date(empty_cli: Cli) -> None:
    before = empty_cli.json("db", "status")
    assert before["state"] == "empty"
    assert before["revision"] is None
    assert "run `fairclick init`" in empty_cli.ok("db", "status").stdout
    empty_cli.ok("init")
    after = empty_cli.json("db", "status")
    assert after == before | {"revision": head_revision(), "state": "up to date"}


def test_commands_on_a_database_never_initialised_say_to_run_init(empty_cli: Cli) -> None:
    line = empty_cli.fails("org", "list")
    assert "fairclick init" in line


def test_status_hides_the_database_password(empty_cli: Cli) -> None:
    # Nothing listens on port 1: the error names the database problem in one line, and the
    # password never appears in it.
    line = empty_cli.fails(
        "db",
        "status",
        FAIRCLICK_DATABASE_URL="postgresql+psycopg://u:hunter2@127.0.0.1:1/x?connect_timeout=2",
    )
    assert "database error" in line
    assert "hunter2" not in line


@pytest.mark.postgres
def test_a_postgresql_database_never_initialised_says_to_run_init(empty_cli: Cli) -> None:
    require("postgresql")
    url = f"{POSTGRES_URL}?options={quote('-csearch_path=fct_never_created')}"
    line = empty_cli.fails("org", "list", FAIRCLICK_DATABASE_URL=url)
    assert "does not exist" in line
    assert "fairclick init" in line


@pytest.mark.postgres
def test_init_on_an_empty_postgresql_schema(empty_cli: Cli) -> None:
    require("postgresql")
    schema = f"fct_{uuid.uuid4().hex[:16]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema}')}"
        assert "upgraded from empty" in empty_cli("init", FAIRCLICK_DATABASE_URL=url).stdout
        status = empty_cli("db", "status", "--json", FAIRCLICK_DATABASE_URL=url)
        assert '"state": "up to date"' in status.stdout
        assert '"engine": "postgresql"' in status.stdout
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
