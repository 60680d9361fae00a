"""Bad input answers a problem document (RFC 9457) and changes nothing; never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select

from fairclick.accounts.models import User
from fairclick.campaigns.models import Campaign
from fairclick.influencers.models import Influencer
from tests.api.conftest import Api
from tests.api.world import ADMIN, ADV_A, INF_X

PROBLEMS = "https://fairclick.dev/problems/"

CAMPAIGN = {
    "name": "Soldes",
    "destination_url": "https://shop.example.org/soldes?ref=fc",
    "payout_by_tier": {"nano": 30, "micro": 40, "macro": 50, "mega": 60},
    "budget": 500_000,
    "start": "2026-01-01T00:00:00Z",
    "end": "2026-02-01T00:00:00Z",
}


def _problem(response: Any, status: int, type_: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEMS + type_
    assert body["status"] == status
    assert body["title"] and body["detail"]
    assert "Traceback" not in response.text
    return body


def _count(api: Api, model: Any) -> int:
    with api.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_unknown_route_and_wrong_method(sqlite_api: Api) -> None:
    api = sqlite_api
    _problem(api.client.get("/api/v1/nothing-here"), 404, "not-found")
    _problem(api.client.get("/elsewhere"), 404, "not-found")
    response = api.client.put("/api/v1/campaigns", headers=api.as_(ADMIN))
    _problem(response, 405, "method-not-allowed")
    assert "GET" in response.headers["allow"]


def test_missing_and_bad_tokens_are_401_with_a_challenge(sqlite_api: Api) -> None:
    api = sqlite_api
    for headers in (
        {},
        {"Authorization": "Bearer fc_not-a-real-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
    ):
        response = api.client.get("/api/v1/campaigns", headers=headers)
        _problem(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer"


def test_oversized_body_by_content_length_is_413_before_reading(sqlite_api: Api) -> None:
    api = sqlite_api
    big = b'{"key": "' + b"a" * (1024 * 1024) + b'"}'
    response = api.client.post(
        "/api/v1/organisations",
        content=big,
        headers={**api.as_(ADMIN), "content-type": "application/json"},
    )
    _problem(response, 413, "payload-too-large")


def test_oversized_streamed_body_is_413(sqlite_api: Api) -> None:
    api = sqlite_api

    def chunks() -> Iterator[bytes]:
        yield b'{"key": "'
        for _ in range(20):
            yield b"a" * 65536
        yield b'"}'

    # A generator body is sent chunked, with no Content-Length: the guard counts the stream.
    response = api.client.post(
        "/api/v1/organisations",
        content=chunks(),
        headers={**api.as_(ADMIN), "content-type": "application/json"},
    )
    _problem(response, 413, "payload-too-large")


def test_a_body_just_under_the_limit_is_read(sqlite_api: Api) -> None:
    api = sqlite_api
    padding = "a" * (1024 * 1024 - 200)
    response = api.client.post(
        "/api/v1/organisations",
        json={"key": "padded", "name": "x", "country": "FR", "pad": padding},
        headers=api.as_(ADMIN),
    )
    body = _problem(response, 422, "validation-error")
    assert body["errors"] == [{"field": "pad", "message": "Extra inputs are not permitted"}]


def test_non_utf8_and_malformed_json_are_400(sqlite_api: Api) -> None:
    api = sqlite_api
    headers = {**api.as_(ADMIN), "content-type": "application/json"}
    for content in (b'{"key": "\xff\xfe", "name": "x"}', b'{"key": ', b"[1, 2", b"\x00\x01"):
        response = api.client.post("/api/v1/organisations", content=content, headers=headers)
        _problem(response, 400, "malformed-json")


def test_wrong_types_name_each_field(sqlite_api: Api) -> None:
    api = sqlite_api
    body = {**CAMPAIGN, "budget": "lots", "start": "yesterday", "dedupe_window_hours": -1}
    response = api.client.post("/api/v1/campaigns", json=body, headers=api.as_(ADV_A))
    problem = _problem(response, 422, "validation-error")
    fields = {error["field"] for error in problem["errors"]}
    assert fields == {"budget", "start", "dedupe_window_hours"}
    _problem(
        api.client.get("/api/v1/campaigns/abc", headers=api.as_(ADMIN)), 422, "validation-error"
    )


def test_business_rules_on_campaigns_are_422_and_change_nothing(api: Api) -> None:
    before = _count(api, Campaign)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"destination_url": "javascript:alert(1)"}, "destination_url"),
        ({"destination_url": "http://localhost/admin"}, "destination_url"),
        ({"destination_url": "https://intranet/"}, "destination_url"),
        ({"destination_url": "http://10.0.0.1/"}, "destination_url"),
        ({"destination_url": "https://shop.invalid/"}, "destination_url"),
        ({"budget": -1}, "budget"),
        (
            {"payout_by_tier": {"nano": -5, "micro": 1, "macro": 1, "mega": 1}},
            "payout_by_tier.nano",
        ),
        ({"currency": "XYZ"}, "currency"),
        ({"end": "2025-12-01T00:00:00Z"}, "body"),
        ({"daily_cap": 600_000}, "body"),
    ]
    for change, field in cases:
        response = api.client.post(
            "/api/v1/campaigns", json={**CAMPAIGN, **change}, headers=api.as_(ADV_A)
        )
        problem = _problem(response, 422, "validation-error")
        assert field in {error["field"] for error in problem["errors"]}, (change, problem)
    assert _count(api, Campaign) == before


def test_campaign_updates_are_checked_against_stored_values(api: Api) -> None:
    campaign = api.world.campaign["a-main"]
    path = f"/api/v1/campaigns/{campaign}"
    # The stored start is 2025-11-16: an end before it is refused even though start is not sent.
    response = api.client.patch(path, json={"end": "2025-11-01T00:00:00Z"}, headers=api.as_(ADV_A))
    assert "end must be after start" in _problem(response, 422, "invalid-input")["detail"]
    response = api.client.patch(path, json={"name": None}, headers=api.as_(ADV_A))
    assert _problem(response, 422, "invalid-input")["errors"][0]["field"] == "name"
    response = api.client.patch(path, json={"budget": -3}, headers=api.as_(ADV_A))
    _problem(response, 422, "validation-error")
    got = api.client.get(path, headers=api.as_(ADV_A)).json()
    assert got["end"] == "2025-11-23T23:00:00Z" and got["budget"] == 1_000_000


def test_unknown_ids_are_404(api: Api) -> None:
    for path in (
        "/api/v1/organisations/999999",
        "/api/v1/users/999999",
        "/api/v1/influencers/999999",
        "/api/v1/campaigns/999999",
        "/api/v1/enrolments/999999",
        "/api/v1/links/999999",
        "/api/v1/posts/999999",
    ):
        _problem(api.client.get(path, headers=api.as_(ADMIN)), 404, "not-found")
    response = api.client.post(
        "/api/v1/enrolments",
        json={"campaign_id": api.world.campaign["a-main"], "influencer_key": "nobody"},
        headers=api.as_(ADMIN),
    )
    _problem(response, 404, "not-found")


def test_duplicate_emails_are_409_whatever_the_case(api: Api) -> None:
    before = _count(api, User)
    response = api.client.post(
        "/api/v1/users",
        json={"email": "Anna@VOX.example", "role": "advertiser", "organisation": "vox"},
        headers=api.as_(ADMIN),
    )
    assert _problem(response, 409, "conflict")["errors"][0]["field"] == "email"
    response = api.client.post(
        "/api/v1/signup",
        json={
            "email": "lucas@example.org",
            "password": "a-long-password",
            "display_name": "Lucas bis",
            "country": "FR",
        },
    )
    _problem(response, 409, "conflict")
    assert _count(api, User) == before


def test_a_failure_after_a_write_rolls_the_whole_request_back(api: Api) -> None:
    users, influencers = _count(api, User), _count(api, Influencer)
    # The login and the profile are written before the taken handle is found: all or nothing.
    response = api.client.post(
        "/api/v1/signup",
        json={
            "email": "usurper@example.org",
            "password": "a-long-password",
            "display_name": "Usurper",
            "country": "FR",
            "social_accounts": [{"network": "twitter", "handle": "@lucasl77"}],
        },
    )
    _problem(response, 409, "conflict")
    assert (_count(api, User), _count(api, Influencer)) == (users, influencers)


def test_illegal_transitions_are_409(api: Api) -> None:
    path = f"/api/v1/campaigns/{api.world.campaign['a-draft']}/status"
    response = api.client.post(path, json={"status": "paused"}, headers=api.as_(ADV_A))
    _problem(response, 409, "illegal-transition")
    response = api.client.post(path, json={"status": "deleted"}, headers=api.as_(ADV_A))
    _problem(response, 422, "validation-error")


def test_post_urls_are_validated(sqlite_api: Api) -> None:
    api = sqlite_api
    response = api.client.post(
        "/api/v1/posts",
        json={
            "enrolment_id": api.world.enrolment[("a-main", "lucasl77")],
            "network": "x",
            "url": "javascript:alert(document.cookie)",
        },
        headers=api.as_(INF_X),
    )
    _problem(response, 422, "validation-error")


def test_an_unexpected_error_is_a_bare_500(sqlite_api: Api) -> None:
    api = sqlite_api

    def boom() -> None:
        raise RuntimeError("secret internal detail /etc/passwd")

    app: Any = api.client.app
    app.add_api_route("/api/v1/boom", boom)
    response = api.client.get("/api/v1/boom")
    _problem(response, 500, "internal-error")
    assert "secret" not in response.text and "RuntimeError" not in response.text


def test_ids_beyond_bigint_are_422_not_a_driver_error(api: Api) -> None:
    huge = 2**63
    _problem(
        api.client.get(f"/api/v1/campaigns/{huge}", headers=api.as_(ADMIN)), 422, "validation-error"
    )
    _problem(api.client.get("/api/v1/links/0", headers=api.as_(ADMIN)), 422, "validation-error")
    response = api.client.get(
        "/api/v1/enrolments", params={"campaign_id": huge}, headers=api.as_(ADMIN)
    )
    _problem(response, 422, "validation-error")
    response = api.client.post(
        "/api/v1/enrolments", json={"campaign_id": huge}, headers=api.as_(INF_X)
    )
    _problem(response, 422, "validation-error")


def test_text_the_database_cannot_store_is_refused_not_a_500(api: Api) -> None:
    org = {"key": "nul", "name": "Nul\u0000Org", "country": "FR"}
    response = api.client.post("/api/v1/organisations", json=org, headers=api.as_(ADMIN))
    # SQLite stores a NUL character; PostgreSQL refuses it: either way no 500.
    if response.status_code != 201:
        _problem(response, 422, "invalid-input")


def test_only_influencers_apply(api: Api) -> None:
    apply = {"campaign_id": api.world.campaign["a-main"]}
    for role in (ADMIN, ADV_A):
        response = api.client.post("/api/v1/enrolments", json=apply, headers=api.as_(role))
        _problem(response, 403, "forbidden")
