"""Sessions, CSRF, the login rate limit and authorisation by URL, without a browser."""

from __future__ import annotations

import re

import pytest
from starlette.routing import Route

from fairclick.web.security import LoginLimiter
from tests.web.conftest import PASSWORDS, Web, add_click, csrf_of, login


def _post_routes(web: Web) -> list[str]:
    paths = []
    for route in web.app.routes:
        if isinstance(route, Route) and "POST" in (route.methods or set()):
            paths.append(re.sub(r"\{[^}]+\}", "1", route.path))
    return paths


def test_every_form_post_refuses_a_missing_or_wrong_csrf_token(web: Web) -> None:
    client = web.client("admin@fairclick.example")
    paths = _post_routes(web)
    assert {"/login", "/logout", "/lang", "/campaigns", "/me/posts"} <= set(paths)
    for path in paths:
        missing = client.post(path, data={"status": "active"}, follow_redirects=False)
        assert missing.status_code == 403, path
        wrong = client.post(path, data={"csrf_token": "x" * 43}, follow_redirects=False)
        assert wrong.status_code == 403, path
    # Still logged in and nothing changed: the admin's influencers are all still active.
    assert "suspended</span>" not in client.get("/admin/influencers").text


def test_csrf_token_of_another_session_is_refused(web: Web) -> None:
    other = csrf_of(web.client().get("/login").text)
    client = web.client()
    client.get("/login")
    response = client.post(
        "/login",
        data={"email": "anna@vox.example", "password": PASSWORDS["anna@vox.example"],
              "csrf_token": other},
    )  # fmt: skip
    assert response.status_code == 403


def test_session_cookie_flags(web: Web) -> None:
    client = web.client()
    response = login(client, "anna@vox.example", PASSWORDS["anna@vox.example"])
    cookie = response.headers["set-cookie"].lower()
    assert "fc_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # served over http in this test
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_secure_flag_over_https(web: Web) -> None:
    from fairclick.web import create_web

    settings = web.app.state.web.settings.model_copy(update={"base_url": "https://fc.example"})
    app = create_web(settings, web.db)
    from starlette.testclient import TestClient

    client = TestClient(app, base_url="https://testserver")
    response = login(client, "anna@vox.example", PASSWORDS["anna@vox.example"])
    assert "secure" in response.headers["set-cookie"].lower()


def test_logout_ends_the_session(web: Web) -> None:
    client = web.client("anna@vox.example")
    page = client.get("/campaigns").text
    client.post("/logout", data={"csrf_token": csrf_of(page)})
    assert client.get("/campaigns", follow_redirects=False).status_code == 303


def test_login_is_rate_limited_per_ip_and_email(web: Web) -> None:
    client = web.client()
    for _ in range(3):
        assert login(client, "anna@vox.example", "wrong-password").status_code == 401
    blocked = login(client, "anna@vox.example", PASSWORDS["anna@vox.example"])
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    # Another account from the same address is not blocked.
    assert (
        login(web.client(), "lucas@example.org", PASSWORDS["lucas@example.org"]).status_code == 303
    )


def test_limiter_window_slides() -> None:
    now = [1000.0]
    limiter = LoginLimiter(max_failures=2, window=60, clock=lambda: now[0])
    key = limiter.key("1.2.3.4", "A@x.example")
    assert key == limiter.key("1.2.3.4", "a@x.example ")
    limiter.failed(key)
    limiter.failed(key)
    assert limiter.retry_after(key) > 0
    now[0] += 61
    assert limiter.retry_after(key) == 0
    limiter.failed(key)
    limiter.succeeded(key)
    assert limiter.retry_after(key) == 0


def test_open_redirect_after_login_is_refused(web: Web) -> None:
    client = web.client()
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"email": "anna@vox.example", "password": PASSWORDS["anna@vox.example"],
              "csrf_token": token, "next": "//evil.example/"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.headers["location"] == "/campaigns"


def _ids(web: Web) -> dict[str, int]:
    from sqlalchemy import select

    from fairclick.campaigns.models import Campaign
    from fairclick.links.models import Link

    with web.db.session() as session:
        ids = {c.key: c.id for c in session.scalars(select(Campaign))}
        ids |= {f"link:{link.code}": link.id for link in session.scalars(select(Link))}
    return ids


@pytest.mark.parametrize(
    ("email", "path"),
    [
        # An advertiser cannot open another organisation's campaign by changing the id.
        ("bruno@rival.example", "/campaigns/{primaire-ou-voter}"),
        ("bruno@rival.example", "/campaigns/{primaire-ou-voter}/edit"),
        ("bruno@rival.example", "/campaigns/{primaire-ou-voter}/counters"),
        ("bruno@rival.example", "/campaigns/{primaire-ou-voter}/clicks"),
        ("bruno@rival.example", "/campaigns/{primaire-ou-voter}/clicks.csv"),
        ("bruno@rival.example", "/campaigns/{primaire-ou-voter}/report.csv"),
        ("anna@vox.example", "/campaigns/{rival-launch}"),
        # An influencer cannot open advertiser pages, operator pages or another's links.
        ("lucas@example.org", "/campaigns/{primaire-ou-voter}"),
        ("lucas@example.org", "/campaigns/{primaire-ou-voter}/clicks.csv"),
        ("lucas@example.org", "/me/links/{link:camilleIG01}/qr.svg"),
        ("camille@example.org", "/me/links/{link:bviabRurGt}/qr.svg"),
        ("lucas@example.org", "/admin"),
        ("lucas@example.org", "/admin/influencers"),
        ("anna@vox.example", "/admin/moderation"),
        ("anna@vox.example", "/me/links"),
    ],
)
def test_changing_an_id_in_the_url_gives_404(web: Web, email: str, path: str) -> None:
    ids = _ids(web)
    url = re.sub(r"\{([^}]+)\}", lambda m: str(ids[m.group(1)]), path)
    response = web.client(email).get(url)
    assert response.status_code == 404, url
    assert "There is no such page, or it is not yours to see." in response.text


def test_clicks_of_others_are_404(web: Web) -> None:
    lucas_click = add_click(web.db, "bviabRurGt")
    assert web.client("camille@example.org").get(f"/clicks/{lucas_click}").status_code == 404
    assert web.client("bruno@rival.example").get(f"/clicks/{lucas_click}").status_code == 404
    assert web.client("lucas@example.org").get(f"/clicks/{lucas_click}").status_code == 200


def test_posting_to_a_foreign_campaign_changes_nothing(web: Web) -> None:
    ids = _ids(web)
    client = web.client("bruno@rival.example")
    token = csrf_of(client.get("/campaigns").text)
    edit = client.post(
        f"/campaigns/{ids['primaire-ou-voter']}/edit", data={"csrf_token": token, "name": "Pwned"}
    )
    status = client.post(
        f"/campaigns/{ids['primaire-ou-voter']}/status",
        data={"csrf_token": token, "status": "paused"},
    )
    assert edit.status_code == 404 and status.status_code == 404
    assert "Pwned" not in web.client("anna@vox.example").get("/campaigns").text


def test_influencer_cannot_join_an_invite_only_campaign_by_id(web: Web) -> None:
    from sqlalchemy import update

    from fairclick.campaigns.models import Campaign

    with web.db.session() as session:
        session.execute(
            update(Campaign).where(Campaign.key == "guide-vote").values(openness="invite_only")
        )
    ids = _ids(web)
    client = web.client("lucas@example.org")
    token = csrf_of(client.get("/me").text)
    response = client.post(f"/me/campaigns/{ids['guide-vote']}/join", data={"csrf_token": token})
    assert response.status_code == 404
