"""Every page answers for its role, with the world's data, and without a browser."""

from __future__ import annotations

import pytest

from tests.web.conftest import Web, add_click, csrf_of, earlier


def test_anonymous_is_sent_to_login(web: Web) -> None:
    client = web.client()
    response = client.get("/campaigns", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_login_lands_on_the_roles_home(web: Web) -> None:
    for email, home in [
        ("anna@vox.example", "/campaigns"),
        ("lucas@example.org", "/me"),
        ("admin@fairclick.example", "/admin"),
    ]:
        client = web.client()
        from tests.web.conftest import PASSWORDS, login

        response = login(client, email, PASSWORDS[email])
        assert response.status_code == 303, email
        assert response.headers["location"] == home


@pytest.mark.parametrize(
    ("email", "paths"),
    [
        ("anna@vox.example", ["/campaigns", "/campaigns/new", "/statements"]),
        ("lucas@example.org", ["/me", "/me/links", "/me/posts/new", "/me/clicks", "/me/earnings"]),
        (
            "admin@fairclick.example",
            ["/admin", "/admin/influencers", "/admin/moderation", "/admin/payouts", "/campaigns"],
        ),
    ],
)
def test_role_pages_render(web: Web, email: str, paths: list[str]) -> None:
    client = web.client(email)
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        assert '<html lang="en">' in response.text
        assert "<main" in response.text


def test_report_splits_valid_and_invalid_with_reasons(web: Web) -> None:
    add_click(web.db, "bviabRurGt", ts=earlier(3), billed_minor=59, payout_minor=45)
    add_click(web.db, "bviabRurGt", ts=earlier(2))
    add_click(web.db, "bviabRurGt", verdict="invalid", reasons=["link_preview"], referer="")
    add_click(web.db, "camilleIG01", verdict="invalid", reasons=["datacenter", "automation"])
    client = web.client("anna@vox.example")
    listing = client.get("/campaigns").text
    assert "Primaire : où voter" in listing and "Lancement Rival" not in listing
    campaign_id = _campaign_id(listing, "Primaire : où voter")
    page = client.get(f"/campaigns/{campaign_id}").text
    assert 'data-counter="raw">4<' in page
    assert 'data-counter="valid">2<' in page
    assert 'data-counter="invalid">2<' in page
    assert "A social network or messenger fetched the link" in page
    assert 'data-class="GIVT">2<' in page and 'data-class="SIVT">1<' in page
    counters = client.get(f"/campaigns/{campaign_id}/counters", headers={"HX-Request": "true"})
    assert counters.status_code == 200 and 'hx-trigger="every 5s"' in counters.text
    assert "<html" not in counters.text


def test_influencer_table_sorts_and_filters(web: Web) -> None:
    for _ in range(3):
        add_click(web.db, "camilleIG01")
    add_click(web.db, "bviabRurGt")
    client = web.client("anna@vox.example")
    campaign_id = _campaign_id(client.get("/campaigns").text, "Primaire : où voter")
    desc = client.get(f"/campaigns/{campaign_id}?sort=raw&dir=desc").text
    asc = client.get(f"/campaigns/{campaign_id}?sort=raw&dir=asc").text
    table = lambda html: html[html.index('id="influencers"') :]  # noqa: E731
    assert table(desc).index("Camille") < table(desc).index("Lucas")
    assert table(asc).index("Lucas") < table(asc).index("Camille")
    filtered = table(client.get(f"/campaigns/{campaign_id}?q=lucas").text)
    assert "Lucas" in filtered and "Camille" not in filtered.split("</table>")[0]


def test_csv_exports(web: Web) -> None:
    add_click(web.db, "bviabRurGt", verdict="invalid", reasons=["duplicate"])
    add_click(web.db, "bviabRurGt", billed_minor=59, payout_minor=45)
    client = web.client("anna@vox.example")
    campaign_id = _campaign_id(client.get("/campaigns").text, "Primaire : où voter")
    clicks = client.get(f"/campaigns/{campaign_id}/clicks.csv")
    assert clicks.headers["content-type"].startswith("text/csv")
    lines = clicks.text.strip().splitlines()
    assert lines[0].startswith("click_id,ts,") and len(lines) == 3
    assert any(",invalid,duplicate," in line for line in lines)
    report = client.get(f"/campaigns/{campaign_id}/report.csv").text
    assert "reason,duplicate,GIVT,1," in report
    assert "summary,billed,,1,59" in report


def test_click_explanation(web: Web) -> None:
    click_id = add_click(web.db, "bviabRurGt", verdict="invalid", reasons=["self_click"])
    page = web.client("anna@vox.example").get(f"/clicks/{click_id}")
    assert page.status_code == 200
    assert "The influencer clicked their own link." in page.text and "SIVT" in page.text
    mine = web.client("lucas@example.org").get(f"/clicks/{click_id}")
    assert mine.status_code == 200


def test_influencer_sees_rejected_reasons_in_plain_words(web: Web) -> None:
    add_click(web.db, "bviabRurGt", verdict="invalid", reasons=["non_browser"])
    page = web.client("lucas@example.org").get("/me/clicks").text
    assert "The request came from a script or tool, not a web browser." in page


def test_influencer_joins_and_gets_a_link_with_qr(web: Web) -> None:
    client = web.client("lucas@example.org")
    home = client.get("/me").text
    assert "Guide du vote" in home
    campaign_id = _join_id(home, "Guide du vote")
    response = client.post(
        f"/me/campaigns/{campaign_id}/join",
        data={"csrf_token": csrf_of(home)},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/me/links"
    links = client.get("/me/links").text
    assert "Guide du vote" in links and "<svg" in links and "http://127.0.0.1:8000/c/" in links


def test_declaring_a_post_gives_it_a_link(web: Web) -> None:
    client = web.client("lucas@example.org")
    form = client.get("/me/posts/new").text
    campaign_id = _campaign_option(form, "Primaire : où voter")
    bad = client.post("/me/posts", data={"csrf_token": csrf_of(form), "campaign": campaign_id,
                                         "network": "x", "url": "javascript:alert(1)", "text": ""})  # fmt: skip
    assert bad.status_code == 422
    assert "only http:// and https:// URLs are allowed" in bad.text
    good = client.post(
        "/me/posts",
        data={"csrf_token": csrf_of(form), "campaign": campaign_id, "network": "x",
              "url": "https://x.com/lucasl77/status/2", "text": "Où voter dimanche ? Tout est ici"},
        follow_redirects=False,
    )  # fmt: skip
    assert good.status_code == 303
    assert "Où voter dimanche ? Tout est ici" in client.get("/me/links").text


def test_admin_vets_an_influencer(web: Web) -> None:
    client = web.client("admin@fairclick.example")
    page = client.get("/admin/influencers").text
    person_id = page.split("/admin/influencers/")[1].split("/")[0]
    response = client.post(
        f"/admin/influencers/{person_id}/status",
        data={"csrf_token": csrf_of(page), "status": "suspended"},
    )
    assert response.status_code == 200
    assert "is now suspended" in response.text


def _campaign_id(html: str, name: str) -> int:
    before = html[: html.index(name)]
    return int(
        before[before.rindex('href="/campaigns/') + len('href="/campaigns/') :].split('"')[0]
    )


def _join_id(html: str, name: str) -> int:
    after = html[html.index(name) :]
    return int(after.split('action="/me/campaigns/')[1].split("/")[0])


def _campaign_option(html: str, name: str) -> str:
    before = html[: html.index(name)]
    return before[before.rindex('value="') + len('value="') :].split('"')[0]
