"""Cursor pagination: every list walks its rows once, in order, whatever is added meanwhile."""

from __future__ import annotations

from typing import Any

import pytest

from fairclick.api.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from fairclick.domain.errors import InvalidInput
from tests.api.conftest import Api
from tests.api.world import ADMIN, ADV_A

LISTS = (
    "clicks",
    "organisations",
    "users",
    "influencers",
    "campaigns",
    "enrolments",
    "links",
    "posts",
    "tokens",
)


def _walk(api: Api, path: str, limit: int, role: str = ADMIN) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = api.client.get(path, params=params, headers=api.as_(role))
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_every_list_pages_through_all_its_rows(api: Api) -> None:
    for resource in LISTS:
        path = f"/api/v1/{resource}"
        whole = api.client.get(path, params={"limit": MAX_LIMIT}, headers=api.as_(ADMIN)).json()
        assert whole["next_cursor"] is None
        paged = _walk(api, path, limit=1)
        key = "click_id" if resource == "clicks" else "id"  # clicks are in recording order
        ids = [i[key] for i in paged]
        assert ids == [i[key] for i in whole["items"]] and ids, resource
        assert ids == sorted(set(ids)), resource


def test_pages_are_stable_while_rows_are_added(api: Api) -> None:
    for n in range(5):
        org = {"key": f"org{n}", "name": f"Org {n}"}
        assert (
            api.client.post("/api/v1/organisations", json=org, headers=api.as_(ADMIN)).status_code
            == 201
        )
    first = api.client.get(
        "/api/v1/organisations", params={"limit": 3}, headers=api.as_(ADMIN)
    ).json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    added = {"key": "late", "name": "Late"}
    assert (
        api.client.post("/api/v1/organisations", json=added, headers=api.as_(ADMIN)).status_code
        == 201
    )
    rest = _walk_from(api, first["next_cursor"])
    keys = [i["key"] for i in first["items"]] + [i["key"] for i in rest]
    assert len(keys) == len(set(keys)) == 8 and keys[-1] == "late"


def _walk_from(api: Api, cursor: str) -> list[dict[str, Any]]:
    response = api.client.get(
        "/api/v1/organisations", params={"limit": 50, "cursor": cursor}, headers=api.as_(ADMIN)
    )
    assert response.status_code == 200
    page: dict[str, Any] = response.json()
    assert page["next_cursor"] is None
    items: list[dict[str, Any]] = page["items"]
    return items


def test_a_cursor_does_not_widen_the_scope(api: Api) -> None:
    # Anna's pages hold only her organisation's campaigns, however small the pages.
    keys = {i["key"] for i in _walk(api, "/api/v1/campaigns", limit=1, role=ADV_A)}
    assert keys == {"a-main", "a-approval", "a-draft"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": MAX_LIMIT + 1}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "djE6LTE"}, "cursor"),  # "v1:-1"
        ({"cursor": "x" * 300}, "cursor"),
    ],
)
def test_bad_paging_parameters_are_422(sqlite_api: Api, params: dict[str, Any], field: str) -> None:
    api = sqlite_api
    response = api.client.get("/api/v1/campaigns", params=params, headers=api.as_(ADMIN))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == field


def test_cursors_round_trip_and_refuse_forgeries() -> None:
    assert decode_cursor(encode_cursor(42)) == 42
    for forged in ("", "42", "djI6NDI", "!!!!"):
        with pytest.raises(InvalidInput):
            decode_cursor(forged)
