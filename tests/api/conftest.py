"""API fixtures: the app on a fresh database (SQLite and PostgreSQL) with the test world."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from fairclick.api.app import create_api
from fairclick.config import Settings, load_settings
from fairclick.store import Database
from tests.api.world import Built, build_world
from tests.conftest import TestDb
from tests.factories import TEST_SECRET

BASE_URL = "https://fc.example"


def api_settings(url: str, **overrides: object) -> Settings:
    """Settings for an API under test on the database at `url`."""
    return load_settings(database_url=url, secret_key=TEST_SECRET, base_url=BASE_URL, **overrides)


@dataclass
class Api:
    """A client on the app, the world's ids and tokens, and the database behind them."""

    client: TestClient
    world: Built
    db: Database

    def as_(self, role: str) -> dict[str, str]:
        return self.world.headers(role)


def _api(test_db: TestDb) -> Iterator[Api]:
    world = build_world(test_db.db, passwords=False)
    app = create_api(api_settings(test_db.url), test_db.db)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client=client, world=world, db=test_db.db)


@pytest.fixture
def api(test_db: TestDb) -> Iterator[Api]:
    """The API on a fresh database holding the test world (tests/api/world.py), whose logins
    have no passwords (tokens are issued directly); once on SQLite, once on PostgreSQL."""
    yield from _api(test_db)


@pytest.fixture
def sqlite_api(sqlite_db: TestDb) -> Iterator[Api]:
    """The same on SQLite only, for tests whose subject does not depend on the engine
    (routing, body parsing, request validation)."""
    yield from _api(sqlite_db)
