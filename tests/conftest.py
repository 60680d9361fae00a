"""Shared fixtures: a fresh database per test on SQLite and PostgreSQL, Redis key prefixes.

PostgreSQL and Redis tests use real servers. Locally, without them, those tests skip with a
message saying how to run them; under CI=true a test that would skip fails instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from fairclick.store import Database, make_engine
from fairclick.store.migrate import upgrade
from fairclick.store.models import Base

POSTGRES_URL = os.environ.get(
    "FAIRCLICK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("FAIRCLICK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

_HOW_TO = {
    "postgresql": (
        "PostgreSQL is not reachable at FAIRCLICK_TEST_POSTGRES_URL "
        f"({POSTGRES_URL}); start it or set that variable to run these tests"
    ),
    "redis": (
        f"Redis is not reachable at FAIRCLICK_TEST_REDIS_URL ({REDIS_URL}); "
        "start it (redis-server) or set that variable to run these tests"
    ),
}
_reachable: dict[str, bool] = {}


def _probe(service: str) -> bool:
    if service not in _reachable:
        try:
            if service == "postgresql":
                engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
                with engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                engine.dispose()
            else:
                import redis

                redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
            _reachable[service] = True
        except Exception:
            _reachable[service] = False
    return _reachable[service]


def require(service: str) -> None:
    """Skip (locally) or fail (CI=true) when `service` is not reachable."""
    if _probe(service):
        return
    if IN_CI:
        pytest.fail(f"CI=true and a {service} test would skip: {_HOW_TO[service]}")
    pytest.skip(_HOW_TO[service])


@pytest.fixture(scope="session", autouse=True)
def _repo_data_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests see only the data the repo ships, never what `fairclick data update` installed
    in ./var/data on a developer's machine (CI has none): verdicts must not depend on it."""
    empty = tmp_path_factory.mktemp("no-runtime-data")
    before = os.environ.get("FAIRCLICK_DATA_DIR")
    os.environ["FAIRCLICK_DATA_DIR"] = str(empty)
    yield
    if before is None:
        os.environ.pop("FAIRCLICK_DATA_DIR", None)
    else:
        os.environ["FAIRCLICK_DATA_DIR"] = before


@dataclass
class TestDb:
    """A fresh database for one test: its URL (usable from other processes) and a `Database`."""

    __test__ = False
    url: str
    db: Database
    backend: str


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated once to head; each test copies it."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _sqlite_db(template: Path, tmp_path: Path) -> Iterator[TestDb]:
    path = tmp_path / "fairclick.db"
    shutil.copy(template, path)
    url = f"sqlite:///{path}"
    db = Database.from_url(url)
    yield TestDb(url=url, db=db, backend="sqlite")
    db.engine.dispose()


def _postgres_db() -> Iterator[TestDb]:
    require("postgresql")
    schema = f"fct_{uuid.uuid4().hex[:16]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema}')}"
    db = Database.from_url(url)
    Base.metadata.create_all(db.engine)
    try:
        yield TestDb(url=url, db=db, backend="postgresql")
    finally:
        db.engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestDb]:
    """A fresh, migrated database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield from _sqlite_db(request.getfixturevalue("sqlite_template"), tmp_path)
    else:
        yield from _postgres_db()


@pytest.fixture
def sqlite_db(sqlite_template: Path, tmp_path: Path) -> Iterator[TestDb]:
    """A fresh SQLite database only (for tests whose subject is engine-independent)."""
    yield from _sqlite_db(sqlite_template, tmp_path)


@pytest.fixture
def postgres_db() -> Iterator[TestDb]:
    """A fresh PostgreSQL schema only."""
    yield from _postgres_db()


@pytest.fixture
def redis_url() -> str:
    """The Redis URL (the test must use `redis_prefix` for every key it writes)."""
    require("redis")
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A unique key prefix; every key under it is deleted after the test."""
    import redis

    prefix = f"fct:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=prefix + "*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()
