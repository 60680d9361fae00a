"""Migrations apply from empty, agree with the models, and downgrade cleanly, on both engines."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import quote

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from fairclick.store import make_engine
from fairclick.store.migrate import current_revision, downgrade, head_revision, upgrade
from fairclick.store.models import Base
from tests.conftest import POSTGRES_URL, require


def _check_roundtrip(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"
    downgrade(engine, "base")
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names()) - {"alembic_version"}
    assert tables == set()
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_migrations_sqlite(tmp_path: Path) -> None:
    _check_roundtrip(f"sqlite:///{tmp_path / 'm.db'}")


def test_migrations_postgresql() -> None:
    require("postgresql")
    schema = f"fct_{uuid.uuid4().hex[:16]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        _check_roundtrip(f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema}')}")
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
