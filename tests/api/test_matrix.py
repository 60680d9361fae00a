"""THE authorisation matrix: every role × every resource × every action, each cell explicit.

The world (tests/api/world.py) is built once per backend for this module. Each cell runs in a
transaction that the app joins through a savepoint (its commit releases the savepoint) and that
is rolled back after the cell, so that an allowed write cannot leak into the next cell whatever
the order. Every cell fingerprints the whole database before and after the request: a denied
cell (401/403/404/405) and every read must leave it unchanged, an allowed write must change it.

Expected outcomes: an int is the status; a frozenset is a 200 list whose items are exactly
those labels (see `_label`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.orm import sessionmaker

from fairclick.api.app import create_api
from fairclick.store import Database, make_engine
from fairclick.store.models import Base
from tests.api.conftest import api_settings
from tests.api.world import (
    ADMIN,
    ADV_A,
    ADV_B,
    ANON,
    CLICK_X,
    CLICK_Y,
    EMAILS,
    INF_X,
    INF_Y,
    PASSWORDS,
    ROLES,
    Built,
    build_world,
)
from tests.conftest import TestDb, _postgres_db, _sqlite_db

Expect = int | frozenset[str]
ACTIONS = ("list", "get", "create", "update", "action")


def _set(*labels: str) -> frozenset[str]:
    return frozenset(labels)


def _row(
    admin: Expect, a: Expect, b: Expect, x: Expect, y: Expect, anon: Expect
) -> dict[str, Expect]:
    return {ADMIN: admin, ADV_A: a, ADV_B: b, INF_X: x, INF_Y: y, ANON: anon}


NA = _row(405, 405, 405, 405, 405, 405)  # the API offers no such action on this resource
NO_ROUTE = _row(404, 404, 404, 404, 404, 404)  # no such path at all (routing answers first)

# Columns: admin, advertiser of A (vox), advertiser of B (nova), influencer X (lucasl77),
# influencer Y (camille.voyage), anonymous. Targets are named in `_request`.
MATRIX: dict[tuple[str, str], dict[str, Expect]] = {
    ("organisations", "list"): _row(
        _set("vox", "nova"), _set("vox"), _set("nova"), _set("vox"), _set("vox", "nova"), 401
    ),
    ("organisations", "get"): _row(200, 200, 404, 200, 200, 401),
    ("organisations", "create"): _row(201, 403, 403, 403, 403, 401),
    ("organisations", "update"): _row(200, 200, 404, 403, 403, 401),
    ("organisations", "action"): NA,
    ("users", "list"): _row(
        _set(*EMAILS.values()),
        _set(EMAILS[ADV_A]),
        _set(EMAILS[ADV_B]),
        _set(EMAILS[INF_X]),
        _set(EMAILS[INF_Y]),
        401,
    ),
    ("users", "get"): _row(200, 200, 404, 404, 404, 401),
    ("users", "create"): _row(201, 403, 403, 403, 403, 401),
    ("users", "update"): _row(200, 403, 404, 404, 404, 401),
    ("users", "action"): NA,
    ("influencers", "list"): _row(
        _set("lucasl77", "camille.voyage", "zoe"),
        _set("lucasl77", "zoe"),
        _set("camille.voyage"),
        _set("lucasl77"),
        _set("camille.voyage"),
        401,
    ),
    ("influencers", "get"): _row(200, 200, 404, 200, 404, 401),
    ("influencers", "create"): _row(201, 403, 403, 403, 403, 401),
    ("influencers", "update"): _row(200, 403, 404, 200, 404, 401),
    ("influencers", "action"): _row(201, 403, 404, 201, 404, 401),
    ("campaigns", "list"): _row(
        _set("a-main", "a-approval", "a-draft", "b-main"),
        _set("a-main", "a-approval", "a-draft"),
        _set("b-main"),
        _set("a-main", "a-approval"),
        _set("a-main", "a-approval", "b-main"),
        401,
    ),
    ("campaigns", "get"): _row(200, 200, 404, 200, 200, 401),
    ("campaigns", "create"): _row(201, 201, 201, 403, 403, 401),
    ("campaigns", "update"): _row(200, 200, 404, 403, 403, 401),
    ("campaigns", "action"): _row(200, 200, 404, 403, 403, 401),
    ("enrolments", "list"): _row(
        _set("a-main/lucasl77", "a-approval/zoe", "b-main/camille.voyage"),
        _set("a-main/lucasl77", "a-approval/zoe"),
        _set("b-main/camille.voyage"),
        _set("a-main/lucasl77"),
        _set("b-main/camille.voyage"),
        401,
    ),
    ("enrolments", "get"): _row(200, 200, 404, 200, 404, 401),
    ("enrolments", "create"): _row(201, 201, 404, 201, 201, 401),
    ("enrolments", "update"): NA,
    ("enrolments", "action"): _row(200, 200, 404, 404, 404, 401),
    ("links", "list"): _row(
        _set("a-main/lucasl77/default", "a-main/lucasl77/post", "b-main/camille.voyage/default")
        | _set("b-main/camille.voyage/post"),
        _set("a-main/lucasl77/default", "a-main/lucasl77/post"),
        _set("b-main/camille.voyage/default", "b-main/camille.voyage/post"),
        _set("a-main/lucasl77/default", "a-main/lucasl77/post"),
        _set("b-main/camille.voyage/default", "b-main/camille.voyage/post"),
        401,
    ),
    ("links", "get"): _row(200, 200, 404, 200, 404, 401),
    ("links", "create"): _row(201, 403, 404, 201, 404, 401),
    ("links", "update"): NA,
    ("links", "action"): NA,
    ("posts", "list"): _row(
        _set("a-main/lucasl77", "b-main/camille.voyage"),
        _set("a-main/lucasl77"),
        _set("b-main/camille.voyage"),
        _set("a-main/lucasl77"),
        _set("b-main/camille.voyage"),
        401,
    ),
    ("posts", "get"): _row(200, 200, 404, 200, 404, 401),
    ("posts", "create"): _row(201, 403, 404, 201, 404, 401),
    ("posts", "update"): NA,
    ("posts", "action"): NA,
    ("tokens", "list"): _row(
        _set("admin-main"),
        _set("adv_a-main"),
        _set("adv_b-main"),
        _set("inf_x-main", "inf_x-spare"),
        _set("inf_y-main"),
        401,
    ),
    ("tokens", "get"): NA,
    ("tokens", "create"): _row(201, 201, 201, 201, 201, 401),
    ("tokens", "update"): NA,
    ("tokens", "action"): _row(404, 404, 404, 204, 404, 401),
    ("clicks", "list"): _row(
        _set(CLICK_X, CLICK_Y), _set(CLICK_X), _set(CLICK_Y), _set(CLICK_X), _set(CLICK_Y), 401
    ),
    ("clicks", "get"): _row(200, 200, 404, 200, 404, 401),
    ("clicks", "create"): NA,
    ("clicks", "update"): NA,
    ("clicks", "action"): NA,
    ("earnings", "list"): NO_ROUTE,
    ("earnings", "get"): _row(200, 403, 404, 200, 404, 401),
    ("earnings", "create"): NA,
    ("earnings", "update"): NA,
    ("earnings", "action"): NA,
    ("me", "list"): NA,
    ("me", "get"): _row(200, 200, 200, 200, 200, 401),
    ("me", "create"): NA,
    ("me", "update"): NA,
    ("me", "action"): NA,
}

RESOURCES = sorted({resource for resource, _ in MATRIX})
CELLS = [(r, a, role) for r in RESOURCES for a in ACTIONS for role in ROLES]


def test_the_matrix_is_complete() -> None:
    """Every resource has every action, every action every role: no cell is left implicit."""
    assert set(MATRIX) == {(r, a) for r in RESOURCES for a in ACTIONS}
    for row in MATRIX.values():
        assert set(row) == set(ROLES)


def _request(w: Built, resource: str, action: str, role: str) -> tuple[str, str, Any]:
    """The method, path and JSON body that performs `action` on `resource` as `role`."""
    a_main = w.campaign["a-main"]
    x_enrolment = w.enrolment[("a-main", "lucasl77")]
    targets = {
        "organisations": w.org["vox"],
        "users": w.user[ADV_A],
        "influencers": w.influencer["lucasl77"],
        "campaigns": a_main,
        "enrolments": x_enrolment,
        "links": w.default_link[("a-main", "lucasl77")],
        "posts": w.post[("a-main", "lucasl77")],
        "tokens": w.token_id["inf_x-spare"],
        "clicks": CLICK_X,
    }
    if resource == "me":
        return {"get": "GET"}.get(action, "POST"), "/api/v1/me", None
    if resource == "earnings":
        if action == "list":
            return "GET", "/api/v1/earnings", None
        earnings = f"/api/v1/influencers/{w.influencer['lucasl77']}/earnings"
        methods = {"get": "GET", "create": "POST", "update": "PATCH", "action": "DELETE"}
        return methods[action], earnings, None
    one = f"/api/v1/{resource}/{targets[resource]}"
    if action == "list":
        return "GET", f"/api/v1/{resource}", None
    if action == "get":
        return "GET", one, None
    if action == "create":
        return "POST", f"/api/v1/{resource}", _create_body(w, resource, role)
    if action == "update":
        return "PATCH", one, _UPDATES.get(resource, {})
    # The resource's own action, or DELETE where it has none.
    if resource == "influencers":
        social = {"network": "youtube", "handle": f"lucas-{role}", "followers": 10}
        return "POST", f"{one}/social-accounts", social
    if resource == "campaigns":
        return "POST", f"{one}/status", {"status": "paused"}
    if resource == "enrolments":
        zoe = w.enrolment[("a-approval", "zoe")]
        return "POST", f"/api/v1/enrolments/{zoe}/status", {"status": "approved"}
    return "DELETE", one, None


_UPDATES: dict[str, dict[str, Any]] = {
    "organisations": {"name": "Vox renamed"},
    "users": {"is_active": False},
    "influencers": {"display_name": "Lucas the Second"},
    "campaigns": {"budget": 2_000_000, "daily_cap": 100_000},
}


def _create_body(w: Built, resource: str, role: str) -> dict[str, Any]:
    x_enrolment = w.enrolment[("a-main", "lucasl77")]
    match resource:
        case "organisations":
            return {"key": f"org-{role}", "name": f"Org of {role}", "country": "FR"}
        case "users":
            return {
                "email": f"new-{role}@example.org",
                "role": "advertiser",
                "organisation": "vox",
                "password": "a-long-password",
            }
        case "influencers":
            return {"key": f"inf-{role}", "display_name": "New", "country": "FR"}
        case "campaigns":
            body: dict[str, Any] = {
                "name": f"Campaign of {role}",
                "destination_url": "https://example.org/landing",
                "payout_by_tier": {"nano": 30, "micro": 40, "macro": 50, "mega": 60},
                "budget": 500_000,
                "start": "2026-01-01T00:00:00Z",
                "end": "2026-02-01T00:00:00Z",
            }
            if role == ADMIN:
                body["organisation"] = "vox"
            return body
        case "enrolments":
            if role in (INF_X, INF_Y, ANON):
                return {"campaign_id": w.campaign["a-approval"]}
            return {"campaign_id": w.campaign["a-approval"], "influencer_key": "camille.voyage"}
        case "links":
            return {"enrolment_id": x_enrolment, "network": "x"}
        case "posts":
            return {
                "enrolment_id": x_enrolment,
                "network": "x",
                "url": f"https://x.com/lucasl77/status/{role}",
                "text": "Où voter dimanche : la carte des bureaux",
                "posted_at": "2025-11-18T08:00:00Z",
            }
        case "clicks":
            return {}  # clicks come from the redirect, never from the API: 405
        case "tokens":
            if role == ANON:
                return {"email": "nobody@example.org", "password": "not-a-password"}
            return {"email": EMAILS[role], "password": PASSWORDS[role], "name": "matrix"}
    raise AssertionError(resource)


def _label(w: Built, resource: str, item: dict[str, Any]) -> str:
    """A backend-independent name for a list item."""
    campaigns = {v: k for k, v in w.campaign.items()}
    influencers = {v: k for k, v in w.influencer.items()}
    match resource:
        case "organisations" | "influencers" | "campaigns":
            return str(item["key"])
        case "users":
            return str(item["email"])
        case "tokens":
            return str(item["name"])
        case "clicks":
            return str(item["click_id"])
        case "enrolments" | "posts":
            return f"{campaigns[item['campaign_id']]}/{influencers[item['influencer_id']]}"
        case "links":
            kind = "default" if item["is_default"] else "post" if item["post_id"] else "plain"
            return f"{campaigns[item['campaign_id']]}/{influencers[item['influencer_id']]}/{kind}"
    raise AssertionError(resource)


def _savepoint_friendly_sqlite(engine: Engine) -> None:
    # pysqlite starts transactions lazily, which breaks SAVEPOINT; SQLAlchemy's documented
    # recipe: let the driver autocommit and emit BEGIN ourselves.
    @event.listens_for(engine, "connect")
    def _autocommit(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")


@dataclass
class Env:
    engine: Engine
    database: Database
    client: TestClient
    world: Built


def _build_env(test_db: TestDb) -> Iterator[Env]:
    world = build_world(test_db.db)
    engine = make_engine(test_db.url)
    if test_db.backend == "sqlite":
        _savepoint_friendly_sqlite(engine)
    database = Database(engine)
    app = create_api(api_settings(test_db.url), database)
    try:
        with TestClient(app, raise_server_exceptions=True) as client:
            yield Env(engine=engine, database=database, client=client, world=world)
    finally:
        engine.dispose()


# One module-scoped fixture per backend (not one parametrised fixture): with the cells in
# random order, both worlds stay alive for the whole module instead of being rebuilt.
@pytest.fixture(scope="module")
def env_sqlite(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """The world on SQLite, built once for this module."""
    for test_db in _sqlite_db(sqlite_template, tmp_path_factory.mktemp("matrix")):
        yield from _build_env(test_db)


@pytest.fixture(scope="module")
def env_postgresql() -> Iterator[Env]:
    """The world on PostgreSQL, built once for this module."""
    for test_db in _postgres_db():
        yield from _build_env(test_db)


def _fingerprint(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    # last_used_at is the one column a read may write (coarse token bookkeeping).
    dump = {}
    for name in sorted(Base.metadata.tables):
        result = conn.execute(text(f"SELECT * FROM {name} ORDER BY 1"))
        keep = [i for i, key in enumerate(result.keys()) if key != "last_used_at"]
        dump[name] = [tuple(row[i] for i in keep) for row in result]
    return dump


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("resource", "action", "role"), CELLS)
def test_cell(
    request: pytest.FixtureRequest, backend: str, resource: str, action: str, role: str
) -> None:
    env: Env = request.getfixturevalue(f"env_{backend}")
    expected = MATRIX[(resource, action)][role]
    method, path, body = _request(env.world, resource, action, role)
    with env.engine.connect() as conn:
        outer = conn.begin()
        env.database.sessions = sessionmaker(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            before = _fingerprint(conn)
            response = env.client.request(method, path, json=body, headers=env.world.headers(role))
            after = _fingerprint(conn)
        finally:
            outer.rollback()
    status = 200 if isinstance(expected, frozenset) else expected
    assert response.status_code == status, (method, path, response.text)
    if status >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == status
    if isinstance(expected, frozenset):
        labels = {_label(env.world, resource, item) for item in response.json()["items"]}
        assert labels == expected
    writes = method != "GET"
    if writes and status < 400:
        assert after != before, "an allowed write changed nothing"
    else:
        assert after == before, "a denied write or a read changed the database"
