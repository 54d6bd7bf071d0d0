"""Listening API: post intake with per-item results, mention filters and pages, rules CRUD, alerts, roles."""

from __future__ import annotations

import pytest

from rapport.core.models import AuditEvent, Role
from rapport.listening.models import Post, TrackingRule
from rapport.pipeline.models import DeadLetter
from rapport.pipeline.tests.factories import make_post

pytestmark = pytest.mark.django_db


def line(n: int, text: str, **extra) -> dict:
    post = make_post(n, text, **extra)
    return {k: post[k] for k in ("network", "external_id", "created_at", "text", "author", "url")}


def test_post_intake_keeps_good_items_and_dead_letters_bad_ones(api, workspace):
    body = [
        line(1, "Great service today"),
        {"network": "twitter", "external_id": "9", "text": "no time", "author": {"handle": "x"}},
        line(2, "Lost my bag"),
        line(1, "Great service today"),
    ]
    r = api.post("/posts", body)
    assert r.status_code == 200, r.content
    data = r.json()
    assert (data["received"], data["stored"], data["duplicates"], data["rejected"]) == (4, 2, 1, 1)
    assert [i["status"] for i in data["items"]] == ["stored", "rejected", "stored", "duplicate"]
    bad = data["items"][1]
    assert bad["index"] == 1 and bad["reason"].startswith("created_at")
    letter = DeadLetter.objects.get(pk=bad["dead_letter_id"])
    assert letter.workspace == workspace and "no time" in letter.payload
    assert Post.objects.filter(workspace=workspace).count() == 2
    again = api.post("/posts", body).json()
    assert (again["stored"], again["duplicates"]) == (0, 3)


def test_post_intake_rejects_a_body_that_is_not_a_list(api):
    assert api.post("/posts", {"network": "twitter"}).status_code == 422


def test_mentions_filters_shape_and_pagination(api, workspace):
    rule = api.post("/rules", {"name": "Acme", "kind": "brand", "query": "acme OR @acme"}).json()
    api.post(
        "/posts",
        [line(i, f"@acme my order {i} never arrived and support ignores me") for i in range(1, 6)]
        + [
            line(10, "Acme is wonderful, thank you so much for the quick help!", handle="fan"),
            line(11, "Nothing to do with anything", network="mastodon"),
        ],
    )
    r = api.get("/mentions", rule=rule["id"], limit=2)
    assert r.status_code == 200
    page = r.json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    item = page["items"][0]
    assert set(item) >= {"network", "external_id", "text", "created_at", "language", "sentiment", "rules", "author"}
    assert item["rules"] == ["Acme"] and item["language"] == "en"
    assert set(item["author"]) == {"handle", "name", "followers", "contact_id"}
    seen = [i["external_id"] for i in page["items"]]
    while page["next_cursor"]:
        page = api.get("/mentions", rule=rule["id"], limit=2, cursor=page["next_cursor"]).json()
        seen += [i["external_id"] for i in page["items"]]
    assert sorted(seen) == sorted([f"twitter-{i}" for i in range(1, 6)] + ["twitter-10"])
    assert [i["external_id"] for i in api.get("/mentions", rule="Acme", sentiment="positive").json()["items"]] == [
        "twitter-10"
    ]
    assert {i["external_id"] for i in api.get("/mentions", network="mastodon").json()["items"]} == {"mastodon-11"}
    assert {i["external_id"] for i in api.get("/mentions", author="@FAN").json()["items"]} == {"twitter-10"}
    later = api.get("/mentions", since="2026-03-02T09:09:00Z").json()["items"]
    assert {i["external_id"] for i in later} == {"twitter-10", "mastodon-11"}
    negative = api.get("/mentions", sentiment="negative").json()["items"]
    assert all(i["sentiment"]["label"] == "negative" and i["sentiment"]["score"] < 0 for i in negative)
    assert len(negative) >= 4
    stats = api.get("/mentions/stats", rule="Acme").json()
    assert sum(p["total"] for p in stats["series"]) == 6
    assert stats["share_of_voice"][0]["name"] == "Acme"
    assert api.get("/mentions", cursor="not-a-cursor!").status_code == 422
    # A rule given as a number that is no id (superscript digits, beyond BIGINT) matches no rule: no 500.
    for odd in ("²", "9" * 25):
        r = api.get("/mentions", rule=odd)
        assert r.status_code == 200 and r.json()["items"] == [], odd


def test_rules_crud_validates_queries_and_is_audited(api, workspace):
    r = api.post("/rules", {"name": "Rival", "kind": "competitor", "query": "globex AND (", "languages": ["EN"]})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "query"]
    r = api.post("/rules", {"name": "Rival", "kind": "competitor", "query": "globex", "languages": ["EN", "da"]})
    assert r.status_code == 201
    rule = r.json()
    assert rule["languages"] == ["da", "en"] and rule["mentions"] == 0
    assert api.post("/rules", {"name": "Rival", "query": "x"}).status_code == 422  # duplicate name
    r = api.patch(f"/rules/{rule['id']}", {"query": '"globex corp" OR #globex', "active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert [x["name"] for x in api.get("/rules").json()["items"]] == ["Rival"]
    assert api.delete(f"/rules/{rule['id']}").status_code == 204
    assert not TrackingRule.objects.exists()
    actions = list(AuditEvent.objects.filter(object_type="rule").values_list("action", flat=True))
    assert sorted(actions) == ["rule.created", "rule.deleted", "rule.updated"]


def test_roles_and_workspaces_are_enforced(api_factory, workspace, other_workspace):
    dpo = api_factory(workspace, Role.DPO)
    agent = api_factory(workspace, Role.AGENT)
    assert dpo.get("/mentions").status_code == 200
    assert dpo.post("/rules", {"name": "X", "query": "x"}).status_code == 403
    assert agent.post("/posts", [line(1, "hello")]).status_code == 403
    mine = api_factory(workspace, Role.ADMIN)
    mine.post("/posts", [line(1, "hello there")])
    rule = mine.post("/rules", {"name": "X", "query": "x"}).json()
    theirs = api_factory(other_workspace, Role.ADMIN)
    assert theirs.get("/mentions").json()["items"] == []
    assert theirs.get(f"/rules/{rule['id']}").status_code == 404
    assert theirs.patch(f"/rules/{rule['id']}", {"name": "Y"}).status_code == 404


def test_alerts_list(api):
    r = api.get("/alerts")
    assert r.status_code == 200 and r.json() == {"items": [], "next_cursor": None}


def test_a_new_or_changed_rule_retags_recent_stored_posts(api, workspace):
    from datetime import timedelta

    from django.utils import timezone

    recent = timezone.now() - timedelta(days=2)
    old = timezone.now() - timedelta(days=400)
    api.post(
        "/posts",
        [
            line(1, "Acme lost my parcel", at=recent),
            line(2, "Globex was quick", at=recent),
            line(3, "Acme again, long ago", at=old),
        ],
    )
    rule = api.post("/rules", {"name": "Acme", "kind": "brand", "query": "acme"}).json()
    tagged = [m["text"] for m in api.get("/mentions", rule=rule["id"]).json()["items"]]
    assert tagged == ["Acme lost my parcel"]  # the old post is outside the re-tagging window
    api.patch(f"/rules/{rule['id']}", {"query": "globex"})
    assert [m["text"] for m in api.get("/mentions", rule=rule["id"]).json()["items"]] == ["Globex was quick"]
    api.patch(f"/rules/{rule['id']}", {"active": False})
    assert api.get("/mentions", rule=rule["id"]).json()["items"] == []
