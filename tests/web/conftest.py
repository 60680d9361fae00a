"""Fixtures for the web dashboards: a world loaded through the real loader, the web app, a
logged-in client per role, and clicks written as the validator worker writes them."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from fairclick.clicks.models import Click
from fairclick.config import load_settings
from fairclick.domain.clock import FixedClock
from fairclick.domain.ids import new_click_id
from fairclick.links.models import Link
from fairclick.store import Database
from fairclick.web import create_web
from fairclick.web.security import LoginLimiter
from tests.factories import TEST_SECRET, example_world, load_world

PASSWORDS = {
    "admin@fairclick.example": "admin-demo-pass",
    "anna@vox.example": "anna-demo-pass",
    "lucas@example.org": "lucas-demo-pass",
    "camille@example.org": "camille-demo-pass",
    "bruno@rival.example": "bruno-demo-pass",
}
NOW = datetime(2025, 11, 18, 12, 0, tzinfo=UTC)


def web_world() -> dict[str, Any]:
    """The documented example world plus a rival agency with its own campaign (for the
    authorisation tests) and an open campaign that nobody has joined yet."""
    world = example_world()
    world["organisations"].append({"key": "rival", "name": "Rival Média", "country": "FR"})
    world["users"].append(
        {"email": "bruno@rival.example", "role": "advertiser", "organisation": "rival",
         "password": PASSWORDS["bruno@rival.example"]}
    )  # fmt: skip
    base = dict(world["campaigns"][0])
    world["campaigns"].append(
        base | {"key": "rival-launch", "organisation": "rival", "name": "Lancement Rival",
                "destination_url": "https://rival.example.com/launch", "fallback_url": None,
                "target_countries": []}
    )  # fmt: skip
    world["campaigns"].append(
        base | {"key": "guide-vote", "name": "Guide du vote", "target_countries": [],
                "destination_url": "https://primaire.example.org/guide", "fallback_url": None}
    )  # fmt: skip
    return world


def add_click(
    db: Database,
    code: str,
    *,
    verdict: str = "valid",
    reasons: list[str] | None = None,
    ts: datetime = NOW,
    country: str = "FR",
    device: str = "smartphone",
    referer: str = "https://t.co/abc",
    billed_minor: int = 0,
    payout_minor: int = 0,
) -> str:
    """Write one validated click for the link `code`, with the columns the worker fills.

    The redirect/worker path is not used here: this is the clicks table as its contract
    (clicks/models.py) defines it."""
    with db.session() as session:
        link = session.scalar(select(Link).where(Link.code == code))
        assert link is not None, code
        seq = (session.scalar(select(Click.seq).order_by(Click.seq.desc()).limit(1)) or 0) + 1
        click_id = new_click_id()
        session.add(
            Click(
                click_id=click_id, seq=seq, ts=ts, code=code, link_id=link.id,
                campaign_id=link.campaign_id, influencer_id=link.influencer_id,
                post_id=None, method="GET", status=302, ip_prefix="90.12.4.0/24",
                ip_hash="h" * 32, user_agent="Mozilla/5.0 (iPhone)", referer=referer,
                accept_language="fr-FR", headers={}, visitor_id=f"v-{seq}", visitor_key=f"v-{seq}",
                country=country, device=device, browser="Safari", os="iOS", verdict=verdict,
                reasons=reasons or [], flags=[], evidence={"rules": "test"},
                billing="billed" if billed_minor else ("unbilled" if verdict == "invalid" else "pending"),
                unbilled_cause="invalid" if verdict == "invalid" else None,
                amount_minor=billed_minor, payout_minor=payout_minor, currency="EUR",
            )
        )  # fmt: skip
    return click_id


@dataclass
class Web:
    """The app under test, its database and a clock the test controls."""

    db: Database
    app: Any
    clock: FixedClock
    url: str

    def client(self, email: str | None = None, **headers: str) -> TestClient:
        """A client, logged in as `email` when given."""
        client = TestClient(self.app, headers=headers)
        if email:
            login(client, email, PASSWORDS[email])
        return client


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def login(client: TestClient, email: str, password: str) -> Any:
    """Log in through the form, as a browser does."""
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip


@pytest.fixture(scope="session")
def web_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file holding `web_world()`, loaded once (password hashing is slow
    on purpose); each test copies it."""
    path = tmp_path_factory.mktemp("web-template") / "web.db"
    shutil.copy(sqlite_template, path)
    db = Database.from_url(f"sqlite:///{path}")
    load_world(db, web_world())
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.engine.dispose()
    return path


def fresh_database(template: Path, folder: Path) -> tuple[str, Database]:
    """A copy of the web world's database in `folder`: its URL and a `Database`."""
    path = folder / "web.db"
    shutil.copy(template, path)
    url = f"sqlite:///{path}"
    return url, Database.from_url(url)


@pytest.fixture
def web(web_template: Path, tmp_path: Path) -> Iterator[Web]:
    """The dashboards on a fresh SQLite database holding `web_world()`."""
    url, db = fresh_database(web_template, tmp_path)
    clock = FixedClock(NOW)
    settings = load_settings(secret_key=TEST_SECRET, database_url=url)
    app = create_web(settings, db, clock=clock, limiter=LoginLimiter(max_failures=3))
    yield Web(db=db, app=app, clock=clock, url=url)
    db.engine.dispose()


def earlier(hours: int) -> datetime:
    """NOW minus `hours`."""
    return NOW - timedelta(hours=hours)
