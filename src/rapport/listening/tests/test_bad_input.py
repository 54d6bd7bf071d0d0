"""Crafted mention cursors and deeply nested rule queries get a clear 4xx, never a 500."""

from __future__ import annotations

import base64
import json

import pytest

from rapport.core.models import Role

pytestmark = pytest.mark.django_db


def cursor_of(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


CRAFTED = [
    cursor_of(["garbage", 1]),
    cursor_of(["2020-01-01", "abc"]),
    cursor_of(["2020-01-01", 1]),  # naive: never issued
    cursor_of(["2020-01-01T00:00:00+00:00", 10**25]),
    cursor_of(["9999-12-31T23:59:59-12:00", 1]),
    cursor_of(["0001-01-01T00:00:00+14:00", 1]),
    cursor_of(["2020-01-01T00:00:00+00:00", True]),
    cursor_of(["2020-01-01T00:00:00+00:00\x00", 1]),
    cursor_of([{"a": 1}, 1]),
    cursor_of(["2020-01-01T00:00:00+00:00"]),
    cursor_of("x"),
    "not-base64-at-all",
    "A",
    "",
]


@pytest.mark.parametrize("cursor", CRAFTED)
def test_a_crafted_mentions_cursor_is_a_422_in_the_api(api, cursor):
    api.client.raise_request_exception = False
    r = api.get("/mentions", cursor=cursor)
    if cursor:
        assert r.status_code == 422, r.content
        assert r.json()["detail"][0]["loc"] == ["query", "cursor"]
    else:
        assert r.status_code == 200


@pytest.mark.parametrize("cursor", CRAFTED[:9])
def test_a_crafted_mentions_cursor_shows_the_first_page_with_a_message_in_the_ui(
    client, member_factory, workspace, cursor
):
    client.raise_request_exception = False
    client.force_login(member_factory(workspace, Role.ADMIN).user)
    page = client.get("/mentions/", {"cursor": cursor})
    assert page.status_code == 200 and b"page link is not valid" in page.content
    more = client.get("/mentions/", {"cursor": cursor}, HTTP_HX_REQUEST="true")
    assert more.status_code == 400


@pytest.mark.parametrize("query", ["(" * 999 + "a" + ")" * 999, "NOT " * 499 + "a", "- " * 999 + "a", "-(" * 600 + "a"])
def test_deeply_nested_rule_queries_are_refused_with_a_clear_error(api, query):
    api.client.raise_request_exception = False
    r = api.post("/rules", {"name": "Deep", "kind": "brand", "query": query})
    assert r.status_code == 422, r.content
    assert "deep" in json.dumps(r.json()) or "parenthes" in json.dumps(r.json())
