"""The redirect: destinations from the database only, the visitor cookie, proxies, statuses,
the cache following changes made by another process, and every request journaled."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from fairclick.campaigns.models import Campaign
from fairclick.campaigns.schemas import CampaignUpdate
from fairclick.campaigns.service import change_status, get_campaign_by_key, update_campaign
from fairclick.journal.models import JournalEntry
from fairclick.links.models import Link
from fairclick.redirect.request import LOST
from fairclick.store import Database
from tests.conftest import TestDb
from tests.factories import example_world, load_world
from tests.redirect.harness import running

CODE = "bviabRurGt"
UA = (b"user-agent", b"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Safari/604.1")


def running_world() -> dict[str, Any]:
    """The example world with its campaign running today."""
    world = example_world()
    world["campaigns"][0]["start"] = "2020-01-01T00:00:00Z"
    world["campaigns"][0]["end"] = "2099-01-01T00:00:00Z"
    return world


def _target(db: Database, code: str = CODE) -> str:
    with db.session() as session:
        return session.scalars(select(Link.target_url).where(Link.code == code)).one()


def _journal(db: Database) -> list[JournalEntry]:
    with db.session() as session:
        return list(session.scalars(select(JournalEntry).order_by(JournalEntry.seq)))


INTERFACES = pytest.mark.parametrize("interface", ["asgi", "rsgi"])


@INTERFACES
def test_a_click_is_redirected_cookied_and_journaled(test_db: TestDb, interface: str) -> None:
    load_world(test_db.db, running_world())
    with running(test_db.db, interface=interface) as client:
        answer = client.get(
            f"/c/{CODE}",
            headers=[UA, (b"sec-fetch-mode", b"navigate")],
            query=b"utm_source=evil&n=7",
        )
    assert answer.status == 302
    assert answer.header("location") == _target(test_db.db)
    assert answer.header("cache-control") == "no-store"
    cookie = answer.header("set-cookie") or ""
    assert cookie.startswith("fc_vid=")
    assert "Max-Age=31536000" in cookie and "SameSite=Lax" in cookie and "HttpOnly" in cookie
    assert "Path=/" in cookie and "Secure" not in cookie
    [entry] = _journal(test_db.db)
    assert (entry.code, entry.status, entry.method, entry.source) == (CODE, 302, "GET", "live")
    assert entry.path == f"/c/{CODE}?utm_source=evil&n=7"
    assert entry.ip == "203.0.113.9"
    assert entry.assigned_visitor_id == cookie.split(";")[0].removeprefix("fc_vid=")
    assert entry.visitor_id is None
    assert entry.headers == {"sec-fetch-mode": "navigate"}
    assert entry.user_agent.startswith("Mozilla/5.0 (iPhone")
    assert entry.link_id is not None and entry.post_id is not None
    assert entry.campaign_active is True


@INTERFACES
def test_a_known_visitor_keeps_its_id_and_head_has_no_body(
    sqlite_db: TestDb, interface: str
) -> None:
    load_world(sqlite_db.db, running_world())
    with running(sqlite_db.db, interface=interface) as client:
        answer = client.get(
            f"/c/{CODE}", method="HEAD", headers=[(b"cookie", b"a=1; fc_vid=abcdefghijklmnop42")]
        )
    assert (answer.status, answer.body) == (302, b"")
    assert answer.header("set-cookie") is None
    [entry] = _journal(sqlite_db.db)
    assert (entry.method, entry.visitor_id, entry.assigned_visitor_id) == (
        "HEAD",
        "abcdefghijklmnop42",
        None,
    )


def test_unknown_and_malformed_codes_get_a_404_page_and_are_journaled(test_db: TestDb) -> None:
    load_world(test_db.db, running_world())
    with running(test_db.db) as client:
        unknown = client.get("/c/doesNotExist")
        malformed = client.get("/c/../../etc/passwd")
        head = client.get("/c/doesNotExist", method="HEAD")
        post = client.get(f"/c/{CODE}", method="POST")
    assert unknown.status == malformed.status == head.status == 404
    assert b"Link not found" in unknown.body and head.body == b""
    assert b"doesNotExist" not in unknown.body  # the page never echoes the request
    assert unknown.header("location") is None
    assert (post.status, post.header("allow")) == (405, "GET, HEAD")
    entries = _journal(test_db.db)
    assert [(e.code, e.status, e.link_id) for e in entries] == [
        ("doesNotExist", 404, None),
        ("../../etc/passwd", 404, None),
        ("doesNotExist", 404, None),
        (CODE, 405, entries[3].link_id),
    ]


def test_a_paused_campaign_sends_to_its_fallback_else_410(test_db: TestDb) -> None:
    load_world(test_db.db, running_world())
    with test_db.db.session() as session:
        change_status(session, get_campaign_by_key(session, "primaire-ou-voter"), "paused")
    with running(test_db.db) as client:
        fallback = client.get(f"/c/{CODE}")
        with test_db.db.session() as session:
            campaign = get_campaign_by_key(session, "primaire-ou-voter")
            update_campaign(session, campaign, CampaignUpdate(fallback_url=None))
        assert client.app.cache.refresh_if_stale()
        gone = client.get(f"/c/{CODE}")
    assert (fallback.status, fallback.header("location")) == (302, "https://primaire.example.org/")
    assert gone.status == 410 and b"ended" in gone.body
    assert [(e.status, e.campaign_active) for e in _journal(test_db.db)] == [
        (302, False),
        (410, False),
    ]


def test_the_cache_follows_changes_made_by_another_process(test_db: TestDb) -> None:
    load_world(test_db.db, running_world())
    other = Database.from_url(test_db.url)  # another process's view of the same database
    with running(test_db.db) as client:
        assert client.get(f"/c/{CODE}").status == 302
        assert not client.app.cache.refresh_if_stale()
        with other.session() as session:
            change_status(session, get_campaign_by_key(session, "primaire-ou-voter"), "ended")
            session.execute(select(Campaign.id))
        assert client.app.cache.refresh_if_stale()
        assert client.get(f"/c/{CODE}").header("location") == "https://primaire.example.org/"
    other.engine.dispose()


@pytest.mark.parametrize(
    ("peer", "headers", "expected"),
    [
        ("203.0.113.9", [(b"x-forwarded-for", b"1.2.3.4")], "203.0.113.9"),  # untrusted peer
        ("10.0.0.2", [(b"x-forwarded-for", b"1.2.3.4")], "1.2.3.4"),
        ("10.0.0.2", [(b"x-forwarded-for", b"6.6.6.6, 1.2.3.4, 10.0.0.7")], "1.2.3.4"),
        ("10.0.0.2", [(b"x-forwarded-for", b"garbage, 1.2.3.4")], "1.2.3.4"),
        ("10.0.0.2", [(b"forwarded", b'for="[2001:db8::1]:4711";proto=https')], "2001:db8::1"),
        ("10.0.0.2", [(b"forwarded", b"for=192.0.2.60;proto=http, for=10.0.0.3")], "192.0.2.60"),
        ("10.0.0.2", [(b"x-forwarded-for", b"not-an-ip")], "10.0.0.2"),
    ],
)
@INTERFACES
def test_client_address_is_believed_only_from_trusted_proxies(
    sqlite_db: TestDb, peer: str, headers: list[tuple[bytes, bytes]], expected: str, interface: str
) -> None:
    load_world(sqlite_db.db, running_world())
    with running(sqlite_db.db, trusted=["10.0.0.0/8"], interface=interface) as client:
        client.get(f"/c/{CODE}", peer=peer, headers=headers)
    assert _journal(sqlite_db.db)[0].ip == expected


@pytest.mark.parametrize(
    ("peer", "headers", "scheme", "secure"),
    [
        ("10.0.0.2", [(b"x-forwarded-proto", b"https")], "http", True),
        ("10.0.0.2", [(b"forwarded", b"for=1.2.3.4;proto=https")], "http", True),
        ("203.0.113.9", [(b"x-forwarded-proto", b"https")], "http", False),  # not trusted
        ("203.0.113.9", [], "https", True),
    ],
)
@INTERFACES
def test_the_cookie_is_secure_when_the_client_used_https(
    sqlite_db: TestDb,
    peer: str,
    headers: list[tuple[bytes, bytes]],
    scheme: str,
    secure: bool,
    interface: str,
) -> None:
    load_world(sqlite_db.db, running_world())
    with running(sqlite_db.db, trusted=["10.0.0.0/8"], interface=interface) as client:
        cookie = client.get(f"/c/{CODE}", peer=peer, headers=headers, scheme=scheme).header(
            "set-cookie"
        )
    assert cookie is not None and cookie.endswith("; Secure") is secure


def test_a_header_value_that_is_not_ascii_is_kept_or_marked_never_dropped(
    sqlite_db: TestDb,
) -> None:
    load_world(sqlite_db.db, running_world())
    sent = [
        (b"user-agent", "Navigateur é".encode()),
        (b"referer", b"https://t.co/"),
        (b"cookie", b"a=1"),
        (b"cookie", b"b=2"),  # repeated: as many items as names although one value is left out
    ]
    for interface in ("asgi", "rsgi"):
        with running(sqlite_db.db, interface=interface) as client:
            assert client.get(f"/c/{CODE}", headers=sent).status == 302
    asgi, rsgi = _journal(sqlite_db.db)
    assert asgi.user_agent == "Navigateur é"
    assert rsgi.user_agent == LOST  # Granian has no text for it: marked, not left empty
    assert asgi.referer == rsgi.referer == "https://t.co/"


@INTERFACES
def test_metrics_and_health(sqlite_db: TestDb, interface: str) -> None:
    load_world(sqlite_db.db, running_world())
    with running(sqlite_db.db, interface=interface) as client:
        client.get(f"/c/{CODE}")
        client.get("/c/unknownCode")
        text = client.get("/metrics").body.decode()
        assert client.get("/healthz").status == 200
        assert client.get("/anything-else").status == 404
    assert 'fairclick_redirect_requests_total{status="302"} 1.0' in text
    assert 'fairclick_redirect_requests_total{status="404"} 1.0' in text
    assert "fairclick_worker_backlog 2.0" in text
    assert "fairclick_worker_lag_seconds" in text
