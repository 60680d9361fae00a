"""Happy paths for each resource: what a client does, end to end through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from fairclick.api.app import create_api
from fairclick.domain.clock import FixedClock
from fairclick.ledger.models import AccountKind, LedgerEntry
from fairclick.ledger.repository import AccountCache, Leg, post_entry
from tests.api.conftest import BASE_URL, Api, api_settings
from tests.api.world import ADMIN, ADV_A, ADV_B, CLICK_X, CLICK_Y, INF_X, INF_Y
from tests.conftest import TestDb

V1 = "/api/v1"
SIGNUP = {
    "email": "Nina@Example.org",
    "password": "nina-long-password",
    "display_name": "Nina",
    "country": "fr",
    "languages": ["fr"],
    "social_accounts": [{"network": "instagram", "handle": "@nina.cuisine", "followers": 12000}],
}


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def _token(client: TestClient, email: str, password: str) -> dict[str, str]:
    body = _ok(client.post(f"{V1}/tokens", json={"email": email, "password": password}), 201)
    assert body["token"].startswith("fc_") and body["prefix"] == body["token"][:10]
    return {"Authorization": f"Bearer {body['token']}"}


def test_signup_is_pending_by_default_and_cannot_apply_until_vetted(api: Api) -> None:
    c = api.client
    created = _ok(c.post(f"{V1}/signup", json=SIGNUP), 201)
    assert (
        created["user"]["email"] == "nina@example.org" and created["user"]["role"] == "influencer"
    )
    profile = created["influencer"]
    assert profile["status"] == "pending" and profile["key"] == "nina.cuisine"
    assert profile["tier"] == "micro" and profile["country"] == "FR"
    nina = _token(c, "nina@example.org", SIGNUP["password"])
    me = _ok(c.get(f"{V1}/me", headers=nina))
    assert (
        me["influencer"]["id"] == profile["id"] and me["influencer"]["email"] == "nina@example.org"
    )
    apply = {"campaign_id": api.world.campaign["a-main"]}
    assert c.post(f"{V1}/enrolments", json=apply, headers=nina).status_code == 403
    vetted = {"status": "active"}
    _ok(c.patch(f"{V1}/influencers/{profile['id']}", json=vetted, headers=api.as_(ADMIN)))
    enrolment = _ok(c.post(f"{V1}/enrolments", json=apply, headers=nina), 201)
    assert enrolment["status"] == "approved"  # a-main is open: eligible influencers join at once


def test_signup_can_be_active_at_once_by_setting(test_db: TestDb) -> None:
    app = create_api(api_settings(test_db.url, signup_status="active"), test_db.db)
    with TestClient(app) as client:
        created = _ok(client.post(f"{V1}/signup", json=SIGNUP), 201)
    assert created["influencer"]["status"] == "active"


def test_tokens_are_shown_once_listed_and_revocable(test_db: TestDb) -> None:
    clock = FixedClock(datetime(2026, 3, 1, tzinfo=UTC))
    app = create_api(api_settings(test_db.url), test_db.db, clock=clock)
    with TestClient(app) as client:
        _ok(client.post(f"{V1}/signup", json=SIGNUP), 201)
        response = client.post(
            f"{V1}/tokens",
            json={"email": "nina@example.org", "password": "wrong-password"},
        )
        assert response.status_code == 401
        first = _token(client, "nina@example.org", SIGNUP["password"])
        body = {"email": "nina@example.org", "password": SIGNUP["password"]}
        second = _ok(client.post(f"{V1}/tokens", json={**body, "name": "ci", "days": 1}), 201)
        listed = _ok(client.get(f"{V1}/tokens", headers=first))["items"]
        assert [t["name"] for t in listed] == ["api", "ci"]
        assert all("token" not in t for t in listed)
        assert listed[0]["last_used_at"] == "2026-03-01T00:00:00Z"
        auth = {"Authorization": f"Bearer {second['token']}"}
        _ok(client.get(f"{V1}/me", headers=auth))
        clock.advance(timedelta(days=2))
        assert client.get(f"{V1}/me", headers=auth).status_code == 401  # expired
        assert _ok(client.delete(f"{V1}/tokens/{listed[0]['id']}", headers=first), 204) is None
        assert client.get(f"{V1}/me", headers=first).status_code == 401  # revoked


def test_organisations_and_users(api: Api) -> None:
    c, admin = api.client, api.as_(ADMIN)
    org = _ok(
        c.post(f"{V1}/organisations", json={"key": "lumen", "name": "Lumen"}, headers=admin), 201
    )
    assert org["country"] == "FR"
    assert (
        c.post(
            f"{V1}/organisations", json={"key": "lumen", "name": "Again"}, headers=admin
        ).status_code
        == 409
    )
    renamed = {"name": "Lumen Studio", "country": "be"}
    org = _ok(c.patch(f"{V1}/organisations/{org['id']}", json=renamed, headers=admin))
    assert (org["name"], org["country"]) == ("Lumen Studio", "BE")
    user = _ok(
        c.post(
            f"{V1}/users",
            json={"email": "leo@lumen.example", "role": "advertiser", "organisation": "lumen"},
            headers=admin,
        ),
        201,
    )
    assert user["organisation_id"] == org["id"] and user["is_active"]
    bad = {"email": "x@lumen.example", "role": "advertiser"}
    assert c.post(f"{V1}/users", json=bad, headers=admin).status_code == 422
    # Disabling a login makes its tokens useless at once.
    anna = api.world.user[ADV_A]
    assert not _ok(c.patch(f"{V1}/users/{anna}", json={"is_active": False}, headers=admin))[
        "is_active"
    ]
    assert c.get(f"{V1}/me", headers=api.as_(ADV_A)).status_code == 401
    # An operator sets a password; the login can then have a token.
    _ok(c.patch(f"{V1}/users/{user['id']}", json={"password": "leo-long-password"}, headers=admin))
    leo = _token(c, "leo@lumen.example", "leo-long-password")
    assert _ok(c.get(f"{V1}/me", headers=leo))["organisation"]["key"] == "lumen"


def test_influencer_profiles_private_fields_and_moderation(api: Api) -> None:
    c, x = api.client, api.world.influencer["lucasl77"]
    own = _ok(c.get(f"{V1}/influencers/{x}", headers=api.as_(INF_X)))
    assert own["email"] == "lucas@example.org" and own["session_count"] == 1
    seen = _ok(c.get(f"{V1}/influencers/{x}", headers=api.as_(ADV_A)))
    assert seen["email"] is None and seen["session_count"] is None
    assert seen["social_accounts"][0]["handle"] == "lucasl77"
    changed = _ok(
        c.patch(
            f"{V1}/influencers/{x}",
            json={"display_name": "Lucas L", "languages": ["fr", "en"]},
            headers=api.as_(INF_X),
        )
    )
    assert changed["display_name"] == "Lucas L" and changed["languages"] == ["fr", "en"]
    assert (
        c.patch(
            f"{V1}/influencers/{x}", json={"status": "active"}, headers=api.as_(INF_X)
        ).status_code
        == 403
    )
    account = {"network": "youtube", "handle": "lucasl77", "followers": 150_000}
    grown = _ok(
        c.post(f"{V1}/influencers/{x}/social-accounts", json=account, headers=api.as_(INF_X)), 201
    )
    assert grown["tier"] == "macro" and grown["followers"] == 152_315
    moderated = {"status": "suspended", "trust_score": 40}
    done = _ok(c.patch(f"{V1}/influencers/{x}", json=moderated, headers=api.as_(ADMIN)))
    assert (done["status"], done["trust_score"]) == ("suspended", 40)
    created = _ok(
        c.post(
            f"{V1}/influencers",
            json={
                "key": "paul",
                "display_name": "Paul",
                "country": "FR",
                "email": "paul@example.org",
            },
            headers=api.as_(ADMIN),
        ),
        201,
    )
    assert created["email"] == "paul@example.org" and created["status"] == "active"


def test_campaign_lifecycle_rate_card_and_caps(api: Api) -> None:
    c, anna = api.client, api.as_(ADV_A)
    body = {
        "name": "Soldes d'hiver",
        "destination_url": "https://shop.example.org/soldes?ref=fc",
        "currency": "eur",
        "payout_by_tier": {"nano": 30, "micro": 40, "macro": 50, "mega": 60},
        "advertiser_price_by_tier": {"nano": 45, "micro": 55, "macro": 65, "mega": 80},
        "budget": 500_000,
        "daily_cap": 50_000,
        "start": "2026-01-01T00:00:00+01:00",
        "end": "2026-02-01T00:00:00Z",
        "timezone": "Europe/Paris",
        "allowed_networks": ["twitter", "instagram"],
        "target_countries": ["fr", "BE"],
        "openness": "open",
    }
    campaign = _ok(c.post(f"{V1}/campaigns", json=body, headers=anna), 201)
    assert campaign["organisation_id"] == api.world.org["vox"] and campaign["status"] == "draft"
    assert campaign["currency"] == "EUR" and campaign["budget"] == 500_000
    assert campaign["start"] == "2025-12-31T23:00:00Z"
    assert campaign["allowed_networks"] == ["x", "instagram"] and campaign["target_countries"] == [
        "FR",
        "BE",
    ]
    path = f"{V1}/campaigns/{campaign['id']}"
    card = {
        "payout_by_tier": {"nano": 35, "micro": 45, "macro": 55, "mega": 70},
        "influencer_cap": 10_000,
    }
    changed = _ok(c.patch(path, json=card, headers=anna))
    assert changed["payout_by_tier"]["mega"] == 70 and changed["influencer_cap"] == 10_000
    cleared = _ok(c.patch(path, json={"daily_cap": None}, headers=anna))
    assert cleared["daily_cap"] is None
    for status in ("active", "paused", "active", "ended"):
        assert (
            _ok(c.post(f"{path}/status", json={"status": status}, headers=anna))["status"] == status
        )
    assert c.post(f"{path}/status", json={"status": "active"}, headers=anna).status_code == 409
    # Influencers see the payouts, never the advertiser's side.
    seen = _ok(c.get(f"{V1}/campaigns/{api.world.campaign['a-main']}", headers=api.as_(INF_Y)))
    assert seen["payout_by_tier"]["nano"] == 35
    assert seen["budget"] is None and seen["commission_percent"] is None
    # Advertisers create for their own organisation only; operators must say which.
    body_b = {**body, "organisation": "nova"}
    assert c.post(f"{V1}/campaigns", json=body_b, headers=anna).status_code == 403
    assert c.post(f"{V1}/campaigns", json=body, headers=api.as_(ADMIN)).status_code == 422
    made = _ok(c.post(f"{V1}/campaigns", json=body_b, headers=api.as_(ADMIN)), 201)
    assert made["organisation_id"] == api.world.org["nova"]
    filtered = _ok(c.get(f"{V1}/campaigns", params={"status": "draft"}, headers=api.as_(ADMIN)))
    assert {item["key"] for item in filtered["items"]} == {"a-draft", made["key"]}


def test_enrolments_apply_invite_approve_reject_suspend(api: Api) -> None:
    c, anna = api.client, api.as_(ADV_A)
    approval = api.world.campaign["a-approval"]
    applied = _ok(
        c.post(f"{V1}/enrolments", json={"campaign_id": approval}, headers=api.as_(INF_X)), 201
    )
    assert applied["status"] == "applied"
    again = c.post(f"{V1}/enrolments", json={"campaign_id": approval}, headers=api.as_(INF_X))
    assert _ok(again)["id"] == applied["id"]  # 200: it existed
    decided = _ok(
        c.post(f"{V1}/enrolments/{applied['id']}/status", json={"status": "approved"}, headers=anna)
    )
    assert decided["status"] == "approved" and decided["decided_at"]
    links = _ok(c.get(f"{V1}/links", params={"campaign_id": approval}, headers=api.as_(INF_X)))[
        "items"
    ]
    assert len(links) == 1 and links[0]["is_default"]
    assert links[0]["short_url"] == f"{BASE_URL}/c/{links[0]['code']}"
    assert (
        "utm_source=fairclick" in links[0]["target_url"]
        and "utm_medium=lucasl77" in links[0]["target_url"]
    )
    suspended = _ok(
        c.post(
            f"{V1}/enrolments/{applied['id']}/status", json={"status": "suspended"}, headers=anna
        )
    )
    assert suspended["status"] == "suspended"
    link = _ok(c.get(f"{V1}/links/{links[0]['id']}", headers=api.as_(INF_X)))
    assert link["disabled_at"] is not None
    # An invitation, accepted by applying.
    invite = {"campaign_id": approval, "influencer_key": "camille.voyage"}
    invited = _ok(c.post(f"{V1}/enrolments", json=invite, headers=anna), 201)
    assert invited["status"] == "invited"
    accepted = _ok(
        c.post(f"{V1}/enrolments", json={"campaign_id": approval}, headers=api.as_(INF_Y))
    )
    assert accepted["id"] == invited["id"] and accepted["status"] == "approved"
    # Influencers do not invite; decisions on a rejected enrolment follow the rules.
    assert (
        c.post(
            f"{V1}/enrolments", json={**invite, "influencer_key": "zoe"}, headers=api.as_(INF_Y)
        ).status_code
        == 403
    )
    zoe = api.world.enrolment[("a-approval", "zoe")]
    assert (
        _ok(c.post(f"{V1}/enrolments/{zoe}/status", json={"status": "rejected"}, headers=anna))[
            "status"
        ]
        == "rejected"
    )
    assert (
        c.post(
            f"{V1}/enrolments/{zoe}/status", json={"status": "suspended"}, headers=anna
        ).status_code
        == 409
    )
    # Invite-only campaigns refuse applications; another organisation's are invisible.
    b_main = api.world.campaign["b-main"]
    assert (
        c.post(f"{V1}/enrolments", json={"campaign_id": b_main}, headers=api.as_(INF_X)).status_code
        == 404
    )
    listed = _ok(c.get(f"{V1}/enrolments", params={"status": "approved"}, headers=anna))["items"]
    assert {e["influencer_id"] for e in listed} == {
        api.world.influencer["lucasl77"],
        api.world.influencer["camille.voyage"],
    }
    assert all(e["campaign_id"] in api.world.campaign.values() for e in listed)
    assert (
        c.get(f"{V1}/enrolments", headers=api.as_(ADV_B)).json()["items"][0]["campaign_id"]
        == b_main
    )


def test_links_and_posts(api: Api) -> None:
    c, x = api.client, api.as_(INF_X)
    enrolment = api.world.enrolment[("a-main", "lucasl77")]
    link = _ok(
        c.post(f"{V1}/links", json={"enrolment_id": enrolment, "network": "twitter"}, headers=x),
        201,
    )
    assert link["network"] == "x" and not link["is_default"] and len(link["code"]) >= 8
    assert "utm_source=x" in link["target_url"] and link["post_id"] is None
    post = {
        "enrolment_id": enrolment,
        "network": "x",
        "url": "https://x.com/lucasl77/status/2",
        "text": "Le bureau de vote le plus proche de chez vous",
        "posted_at": "2025-11-18T08:00:00+01:00",
    }
    declared = _ok(c.post(f"{V1}/posts", json=post, headers=x), 201)
    assert declared["posted_at"] == "2025-11-18T07:00:00Z"
    assert declared["short_url"] == f"{BASE_URL}/c/{declared['code']}"
    its_link = _ok(c.get(f"{V1}/links/{declared['link_id']}", headers=x))
    assert its_link["post_id"] == declared["id"] and its_link["code"] == declared["code"]
    assert (
        _ok(c.get(f"{V1}/posts/{declared['id']}", headers=api.as_(ADV_A)))["text"] == post["text"]
    )
    posts = _ok(c.get(f"{V1}/posts", headers=x))["items"]
    assert {p["url"] for p in posts} == {"https://x.com/lucasl77/status/1", post["url"]}
    codes = {item["code"] for item in _ok(c.get(f"{V1}/links", headers=x))["items"]}
    assert {"lucasPost1", link["code"], declared["code"]} <= codes
    # A suspended enrolment makes no new links.
    anna = api.as_(ADV_A)
    _ok(c.post(f"{V1}/enrolments/{enrolment}/status", json={"status": "suspended"}, headers=anna))
    assert c.post(f"{V1}/links", json={"enrolment_id": enrolment}, headers=x).status_code == 409


def test_openapi_documents_every_resource(sqlite_api: Api) -> None:
    api = sqlite_api
    spec = _ok(api.client.get(f"{V1}/openapi.json"))
    paths = set(spec["paths"])
    for resource in (
        "signup",
        "tokens",
        "me",
        "organisations",
        "users",
        "influencers",
        "campaigns",
        "enrolments",
        "links",
        "posts",
        "clicks",
    ):
        assert f"{V1}/{resource}" in paths, resource


def test_clicks_show_reasons_and_only_the_readers_money(api: Api) -> None:
    c = api.client
    own = _ok(c.get(f"{V1}/clicks", headers=api.as_(INF_Y)))["items"]
    assert [click["verdict"] for click in own] == ["invalid"]
    reason = own[0]["reasons"][0]
    assert reason["code"] == "datacenter" and reason["ivt_class"] == "GIVT"
    assert "hosting" in reason["meaning"]
    x_click = _ok(c.get(f"{V1}/clicks/{CLICK_X}", headers=api.as_(INF_X)))
    assert (x_click["payout"], x_click["amount"], x_click["currency"]) == (45, None, "EUR")
    charged = _ok(c.get(f"{V1}/clicks/{CLICK_X}", headers=api.as_(ADV_A)))
    assert (charged["amount"], charged["payout"]) == (59, None)
    both = _ok(c.get(f"{V1}/clicks/{CLICK_X}", headers=api.as_(ADMIN)))
    assert (both["amount"], both["payout"]) == (59, 45)
    invalid = _ok(c.get(f"{V1}/clicks", params={"verdict": "invalid"}, headers=api.as_(ADMIN)))
    assert [click["click_id"] for click in invalid["items"]] == [CLICK_Y]
    by_campaign = {"campaign_id": api.world.campaign["a-main"]}
    assert [
        i["click_id"]
        for i in _ok(c.get(f"{V1}/clicks", params=by_campaign, headers=api.as_(ADMIN)))["items"]
    ] == [CLICK_X]


def test_openapi_documents_problem_answers(sqlite_api: Api) -> None:
    spec = _ok(sqlite_api.client.get(f"{V1}/openapi.json"))
    answers = spec["paths"][f"{V1}/campaigns/{{campaign_id}}"]["patch"]["responses"]
    assert {"200", "401", "403", "404", "422"} <= set(answers)
    assert "application/problem+json" in answers["404"]["content"]
    assert sqlite_api.client.get(f"{V1}/docs").status_code == 404  # no CDN-loading pages


def test_earnings_are_the_influencers_ledger_balances(api: Api) -> None:
    x, campaign = api.world.influencer["lucasl77"], api.world.campaign["a-main"]
    with api.db.session() as session:
        legs = [
            Leg(AccountKind.CAMPAIGN_BUDGET, campaign, "EUR", -59),
            Leg(AccountKind.INFLUENCER_PENDING, x, "EUR", 45),
            Leg(AccountKind.PLATFORM_REVENUE, 0, "EUR", 14),
        ]
        entry = LedgerEntry(kind="click", at=datetime(2025, 11, 17, tzinfo=UTC), influencer_id=x)
        post_entry(session, AccountCache(session), entry, legs)
    path = f"{V1}/influencers/{x}/earnings"
    earned = _ok(api.client.get(path, headers=api.as_(INF_X)))
    assert earned == {
        "influencer_id": x,
        "balances": [
            {
                "currency": "EUR",
                "pending": 45,
                "available": 0,
                "clawback": 0,
                "in_payout": 0,
                "paid": 0,
            }
        ],
    }
    assert _ok(api.client.get(path, headers=api.as_(ADMIN))) == earned
    assert api.client.get(path, headers=api.as_(ADV_A)).status_code == 403
