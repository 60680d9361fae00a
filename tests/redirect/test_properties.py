"""Property tests: whatever arrives (codes, paths, query strings, headers), the redirect never
sends anywhere but the database's destinations and never lets CR/LF into a response header."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from fairclick.journal.models import JournalEntry
from fairclick.redirect.cache import safe_location
from fairclick.redirect.request import Proxies, visitor_from_cookie
from tests.conftest import TestDb
from tests.factories import load_world
from tests.redirect.harness import running
from tests.redirect.test_redirect import CODE, _target, running_world

HEADER_NAMES = st.sampled_from(
    [
        b"user-agent",
        b"referer",
        b"cookie",
        b"x-forwarded-for",
        b"forwarded",
        b"x-forwarded-proto",
        b"accept-language",
        b"sec-fetch-mode",
        b"purpose",
        b"host",
    ]
)
NASTY = st.sampled_from(
    [
        "\r\n",
        "\r\nLocation: https://evil.example/",
        "%0d%0aSet-Cookie:x=1",
        "//evil.example",
        "https://evil.example",
        "\x00",
        "..",
        "/",
        "?",
        "#",
        "fc_vid=",
        "é",
        "\u2028",
    ]
)
PATHS = st.one_of(
    st.just(CODE),
    st.text(max_size=80),
    st.lists(st.one_of(NASTY, st.text(max_size=5)), max_size=6).map("".join),
    st.builds(lambda a, b: a + b, st.just(CODE), NASTY),
)
HEADER_VALUES = st.one_of(
    st.binary(max_size=120),
    st.lists(st.one_of(NASTY, st.text(max_size=8)), max_size=5).map(
        lambda parts: "".join(parts).encode("utf-8")
    ),
)
SAFE_HEADER_BYTES = re.compile(rb"^[\x21-\x7e][\x20-\x7e]*$")
COOKIE = re.compile(
    r"^fc_vid=[A-Za-z0-9_-]{22}; Max-Age=31536000; Path=/; HttpOnly; SameSite=Lax(; Secure)?$"
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_no_open_redirect_no_header_injection(sqlite_db: TestDb, data: st.DataObject) -> None:
    if not getattr(sqlite_db, "_loaded", False):
        load_world(sqlite_db.db, running_world())
        sqlite_db._loaded = True  # type: ignore[attr-defined]
    allowed = {_target(sqlite_db.db, CODE), _target(sqlite_db.db, "camilleIG01")}
    path = "/c/" + data.draw(PATHS)
    headers = data.draw(st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=6))
    query = data.draw(st.binary(max_size=60))
    method = data.draw(st.sampled_from(["GET", "HEAD", "POST", "G\r\nET"]))
    interface = data.draw(st.sampled_from(["asgi", "rsgi"]))
    with running(sqlite_db.db, trusted=["127.0.0.0/8"], interface=interface) as client:
        before = _count(sqlite_db)
        answer = client.get(path, headers=headers, query=query, method=method, peer="127.0.0.1")
        after = _count(sqlite_db)
    assert after == before + 1  # every request to /c/ is journaled
    assert answer.status in (302, 404, 405, 410)
    for name, value in answer.headers:
        assert SAFE_HEADER_BYTES.match(name) and SAFE_HEADER_BYTES.match(value), (name, value)
    location = answer.header("location")
    assert location is None or location in allowed
    assert (location is not None) == (answer.status == 302)
    cookie = answer.header("set-cookie")
    assert cookie is None or COOKIE.match(cookie)


def _count(db: TestDb) -> int:
    with db.db.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(JournalEntry)) or 0)


@given(st.text(max_size=300))
def test_safe_location_only_passes_clean_absolute_urls(url: str) -> None:
    result = safe_location(url)
    if result is not None:
        assert url.startswith(("http://", "https://"))
        assert SAFE_HEADER_BYTES.match(result)


@given(st.text(max_size=200))
def test_visitor_ids_from_cookies_are_always_well_formed(cookie: str) -> None:
    visitor = visitor_from_cookie(cookie)
    assert visitor is None or re.fullmatch(r"[A-Za-z0-9_-]{16,64}", visitor)


@given(st.text(max_size=200), st.text(max_size=200))
def test_the_client_address_is_an_address(forwarded_for: str, forwarded: str) -> None:
    import ipaddress

    proxies = Proxies([ipaddress.ip_network("10.0.0.0/8")])
    address = proxies.client("10.1.2.3", forwarded_for, forwarded)
    ipaddress.ip_address(address)
