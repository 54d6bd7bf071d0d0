"""Segments over the API: definitions compile to the right people, counts come from CustomerValue, bad input is
named, roles and workspaces are enforced, membership follows the data."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from rapport.commerce.models import CustomerValue
from rapport.consent import services as consent
from rapport.contacts.models import Person
from rapport.contacts.services import create_person, update_person
from rapport.core import events
from rapport.core.actors import Actor
from rapport.core.models import Role
from rapport.listening.models import Post, PostRule, TrackingRule
from rapport.segments import services
from rapport.segments.models import SegmentMember, SegmentSnapshot

pytestmark = pytest.mark.django_db(transaction=True)
ACTOR = Actor.system("test")
BUYERS = {"all": [{"field": "purchases.count", "op": "gte", "value": 1}]}


def person(ws, first, **data):
    return create_person(workspace=ws, actor=ACTOR, data={"first_name": first, "last_name": "Test", **data})


def value(p, **fields):
    return CustomerValue.objects.update_or_create(person=p, workspace_id=p.workspace_id, defaults=fields)[0]


def value_changed(ws, *people):
    with transaction.atomic():
        events.emit("commerce.value_changed", {"workspace_id": ws.pk, "person_ids": [p.pk for p in people]})


def post(ws, p, text="hello", days_ago=1, score=0.5, n=[0]):
    n[0] += 1
    now = timezone.now()
    return Post.objects.create(
        workspace=ws,
        network="twitter",
        external_id=f"p{n[0]}",
        person=p,
        text=text,
        sentiment_score=score,
        created_at=now - timedelta(days=days_ago),
        ingested_at=now,
    )


def ids(api, definition):
    r = api.post("/segments/preview", {"definition": definition})
    assert r.status_code == 200, r.content
    return r.json()["count"], {m["id"] for m in r.json()["sample"]}


def test_contract_buyers_count_comes_from_customer_value(api, workspace):
    ann, bob = person(workspace, "Ann"), person(workspace, "Bob")
    value(ann, orders=2, total_spend=Decimal("558.00"))
    value(bob, orders=0)
    r = api.post("/segments", {"name": "buyers", "definition": BUYERS})
    assert r.status_code == 201, r.content
    seg = r.json()
    assert seg["count"] == 1
    one = api.get(f"/segments/{seg['id']}").json()
    assert one["count"] == 1 and one["definition"] == BUYERS
    members = api.get(f"/segments/{seg['id']}/members").json()
    assert [m["id"] for m in members["items"]] == [ann.pk] and members["next_cursor"] is None
    listing = api.get("/segments").json()
    assert [s["name"] for s in listing["items"]] == ["buyers"]


def test_value_fields_and_composition(api, workspace):
    a, b, c, d = (person(workspace, n) for n in ("A", "B", "C", "D"))
    now = timezone.now()
    value(
        a,
        orders=5,
        total_spend=Decimal("900"),
        clv_12m=Decimal("300"),
        p_alive=0.9,
        rfm_segment="champions",
        last_order_at=now - timedelta(days=3),
        tier="gold",
    )
    value(
        b,
        orders=1,
        total_spend=Decimal("40"),
        clv_12m=Decimal("20"),
        p_alive=0.2,
        rfm_segment="at_risk",
        last_order_at=now - timedelta(days=200),
    )
    value(c, orders=0)
    assert ids(api, {"field": "purchases.total", "op": "gt", "value": 100})[1] == {a.pk}
    assert ids(api, {"field": "purchases.count", "op": "eq", "value": 0})[1] == {c.pk, d.pk}  # no row: no orders
    assert ids(api, {"field": "purchases.count", "op": "lt", "value": 2})[1] == {b.pk, c.pk, d.pk}
    assert ids(api, {"field": "value.p_alive", "op": "lt", "value": 0.5})[1] == {b.pk}
    assert ids(api, {"not": {"field": "value.p_alive", "op": "lt", "value": 0.5}})[1] == {a.pk, c.pk, d.pk}
    assert ids(api, {"field": "value.clv_12m", "op": "exists", "value": True})[1] == {a.pk, b.pk}
    assert ids(api, {"field": "value.rfm_segment", "op": "in", "value": ["champions", "loyal"]})[1] == {a.pk}
    assert ids(api, {"field": "value.tier", "op": "eq", "value": "gold"})[1] == {a.pk}
    assert ids(api, {"field": "purchases.last_at", "op": "within_days", "value": 30})[1] == {a.pk}
    either = {
        "any": [
            {"field": "value.tier", "op": "eq", "value": "gold"},
            {"field": "value.rfm_segment", "op": "eq", "value": "at_risk"},
        ]
    }
    assert ids(api, either)[1] == {a.pk, b.pk}
    both = {"all": [either, {"not": {"field": "purchases.count", "op": "gte", "value": 3}}]}
    assert ids(api, both)[1] == {b.pk}


def test_person_fields_tags_country_stage(api, workspace):
    a = person(workspace, "A", country="se", tags=["vip", "baby"], lifecycle_stage="customer")
    b = person(workspace, "B", country="DK", tags=["vip"])
    c = person(workspace, "C")
    assert ids(api, {"field": "tags", "op": "contains", "value": "baby"})[1] == {a.pk}
    assert ids(api, {"field": "tags", "op": "in", "value": ["baby", "vip"]})[1] == {a.pk, b.pk}
    assert ids(api, {"field": "tags", "op": "exists", "value": False})[1] == {c.pk}
    assert ids(api, {"field": "country", "op": "eq", "value": "se"})[1] == {a.pk}
    assert ids(api, {"field": "country", "op": "ne", "value": "SE"})[1] == {b.pk, c.pk}
    assert ids(api, {"field": "lifecycle_stage", "op": "eq", "value": "customer"})[1] == {a.pk}
    assert ids(api, {"field": "created_at", "op": "within_days", "value": 1})[0] == 3


def test_social_signals_and_rule_mentions(api, workspace):
    a, b, c = person(workspace, "A"), person(workspace, "B"), person(workspace, "C")
    for _ in range(3):
        post(workspace, a, score=0.8)
    post(workspace, b, score=-0.6)
    post(workspace, b, days_ago=60, score=0.9)
    rule = TrackingRule.objects.create(workspace=workspace, name="Lens", query="lens")
    PostRule.objects.create(
        workspace=workspace, post=post(workspace, c, "lens?", score=0.0), rule=rule, created_at=timezone.now()
    )
    assert ids(api, {"field": "social.mentions", "op": "gte", "value": 2})[1] == {a.pk}
    assert ids(api, {"field": "social.mentions", "op": "gte", "value": 2, "days": 90})[1] == {a.pk, b.pk}
    assert ids(api, {"field": "social.mentions", "op": "lt", "value": 1})[0] == 0
    assert ids(api, {"field": "social.mentions", "op": "eq", "value": 0, "days": 2})[1] == set()
    assert ids(api, {"field": "social.mentions", "op": "ne", "value": 0, "days": 2})[0] == 3
    assert ids(api, {"field": "social.mentions", "op": "in", "value": [0, 3], "days": 2})[1] == {a.pk}
    assert ids(api, {"field": "social.sentiment", "op": "lt", "value": 0})[1] == {b.pk}
    assert ids(api, {"field": f"social.rule.{rule.pk}", "op": "gte", "value": 1})[1] == {c.pk}
    fields = {f["name"]: f for f in api.get("/segments/fields").json()["items"]}
    assert f"social.rule.{rule.pk}" in fields and fields["social.mentions"]["params"]["days"]["default"] == 30


def test_consent_fields_follow_the_ledger_and_the_basis(api, workspace):
    a, b = person(workspace, "A"), person(workspace, "B")
    consent.record(a, "newsletter", granted=True, channel="email", source="form")
    consent.record(b, "newsletter", granted=True, channel="email", source="form")
    consent.record(
        b,
        "newsletter",
        granted=False,
        channel="email",
        source="form",
        occurred_at=timezone.now() + timedelta(seconds=1),
    )
    consent.object_to(b, "profiling", source="form")
    assert ids(api, {"field": "consent.newsletter.email", "op": "eq", "value": True})[1] == {a.pk}
    # Legitimate interest: everyone until they object.
    assert ids(api, {"field": "consent.profiling", "op": "eq", "value": True})[1] == {a.pk}


@pytest.mark.parametrize(
    ("definition", "loc", "words"),
    [
        ({"field": "nope", "op": "eq", "value": 1}, "definition.field", "unknown field 'nope'"),
        (
            {"all": [{"field": "purchases.count", "op": "contains", "value": 1}]},
            "definition.all[0].op",
            "purchases.count",
        ),
        ({"field": "purchases.count", "op": "gte", "value": "many"}, "definition.value", "'many' is not a number"),
        ({"field": "lifecycle_stage", "op": "eq", "value": "vip"}, "definition.value", "not one of"),
        ({"field": "purchases.last_at", "op": "gt", "value": "yesterday"}, "definition.value", "not a date"),
        ({"all": []}, "definition.all", "non-empty"),
        ({"field": "country", "op": "eq", "value": "SE", "days": 3}, "definition.days", "no days"),
        ({"field": "purchases.count", "op": "gte"}, "definition.value", "needs a value"),
    ],
)
def test_bad_definitions_are_named(api, definition, loc, words):
    r = api.post("/segments", {"name": "bad", "definition": definition})
    assert r.status_code == 422, r.content
    detail = r.json()["detail"]
    assert any(".".join(d["loc"][1:]) == loc and words in d["msg"] for d in detail), detail
    assert api.post("/segments/preview", {"definition": definition}).status_code == 422


def test_name_is_required_and_unique(api):
    assert api.post("/segments", {"definition": BUYERS}).status_code == 422
    assert api.post("/segments", {"name": "x", "definition": BUYERS}).status_code == 201
    r = api.post("/segments", {"name": "X", "definition": BUYERS})
    assert r.status_code == 422 and "already exists" in r.content.decode()


def test_roles_and_workspaces(api_factory, workspace, other_workspace):
    admin = api_factory(workspace, Role.ADMIN)
    seg = admin.post("/segments", {"name": "buyers", "definition": BUYERS}).json()
    agent = api_factory(workspace, Role.AGENT)
    assert agent.get(f"/segments/{seg['id']}").status_code == 200
    assert agent.post("/segments", {"name": "n", "definition": BUYERS}).status_code == 403
    assert agent.patch(f"/segments/{seg['id']}", {"name": "z"}).status_code == 403
    assert agent.delete(f"/segments/{seg['id']}").status_code == 403
    assert agent.get(f"/segments/{seg['id']}/export").status_code == 403
    marketer = api_factory(workspace, Role.MARKETER)
    assert marketer.patch(f"/segments/{seg['id']}", {"name": "renamed"}).json()["name"] == "renamed"
    stranger = api_factory(other_workspace, Role.ADMIN)
    assert stranger.get(f"/segments/{seg['id']}").status_code == 404
    assert stranger.get(f"/segments/{seg['id']}/members").status_code == 404
    assert stranger.delete(f"/segments/{seg['id']}").status_code == 404
    from conftest import ApiClient

    assert ApiClient(None).get("/segments").status_code == 401


def test_membership_follows_value_changes_and_emits_events(api, workspace):
    ann = person(workspace, "Ann")
    seg = api.post("/segments", {"name": "buyers", "definition": BUYERS}).json()
    assert seg["count"] == 0
    seen = []

    def record(event, payload):
        seen.append((event, payload["segment_id"], payload["person_ids"]))

    events.subscribe("segment.entered", record)
    events.subscribe("segment.left", record)
    try:
        value(ann, orders=1)
        value_changed(workspace, ann)
        assert api.get(f"/segments/{seg['id']}").json()["count"] == 1
        value(ann, orders=0)
        value_changed(workspace, ann)
        assert api.get(f"/segments/{seg['id']}").json()["count"] == 0
    finally:
        events.unsubscribe("segment.entered", record)
        events.unsubscribe("segment.left", record)
    assert seen == [("segment.entered", seg["id"], [ann.pk]), ("segment.left", seg["id"], [ann.pk])]


def test_contact_update_and_posts_move_people(api, workspace):
    ann = person(workspace, "Ann")
    vip = api.post(
        "/segments", {"name": "vip", "definition": {"field": "tags", "op": "contains", "value": "vip"}}
    ).json()
    loud = api.post(
        "/segments", {"name": "loud", "definition": {"field": "social.mentions", "op": "gte", "value": 1}}
    ).json()
    update_person(workspace=workspace, actor=ACTOR, person=ann, changes={"tags": ["vip"]})
    assert api.get(f"/segments/{vip['id']}").json()["count"] == 1
    p = post(workspace, ann)
    with transaction.atomic():
        events.emit("listening.posts_stored", {"workspace_id": workspace.pk, "post_ids": [p.pk]})
    assert api.get(f"/segments/{loud['id']}").json()["count"] == 1
    newcomer = person(workspace, "New", tags=["vip"])  # contact.created
    assert SegmentMember.objects.filter(segment_id=vip["id"], person=newcomer).exists()


def test_reconcile_catches_time_and_silent_changes_and_snapshots(api, workspace):
    ann, bob = person(workspace, "Ann"), person(workspace, "Bob")
    value(ann, orders=1, last_order_at=timezone.now() - timedelta(days=20))
    seg = api.post(
        "/segments", {"name": "recent", "definition": {"field": "purchases.last_at", "op": "within_days", "value": 30}}
    ).json()
    assert seg["count"] == 1
    value(bob, orders=1, last_order_at=timezone.now())  # no event announced
    segment = services.Segment.objects.get(pk=seg["id"])
    later = timezone.now() + timedelta(days=15)  # Ann's purchase is now 35 days old
    assert services.reconcile(segment, now=later) == {"entered": 1, "left": 1, "size": 1}
    assert list(SegmentMember.objects.filter(segment=segment).values_list("person_id", flat=True)) == [bob.pk]
    days = list(SegmentSnapshot.objects.filter(segment=segment).values_list("day", "size"))
    assert days == [(timezone.localdate(), 1), (timezone.localdate(later), 1)]
    hist = api.get(f"/segments/{seg['id']}/history").json()["items"]
    assert [h["size"] for h in hist] == [1, 1]


def test_merge_leaves_the_absorbed_person_out(api, workspace):
    from rapport.identity.merging import merge_contacts, undo_merge

    a, b = person(workspace, "A", tags=["vip"]), person(workspace, "B", tags=["vip"])
    seg = api.post(
        "/segments", {"name": "vip", "definition": {"field": "tags", "op": "contains", "value": "vip"}}
    ).json()
    assert seg["count"] == 2
    merge = merge_contacts(workspace=workspace, actor=ACTOR, keep=a, absorb=b)
    assert list(SegmentMember.objects.filter(segment_id=seg["id"]).values_list("person_id", flat=True)) == [a.pk]
    undo_merge(merge=merge, actor=ACTOR, workspace=workspace)
    assert SegmentMember.objects.filter(segment_id=seg["id"]).count() == 2


def test_redefinition_and_paging_and_csv(api, workspace):
    people_ = [person(workspace, f"P{i:02d}", tags=["x"], email=f"p{i}@ex.se") for i in range(7)]
    person(workspace, "=cmd", tags=["x"])
    seg = api.post("/segments", {"name": "x", "definition": {"field": "tags", "op": "contains", "value": "x"}}).json()
    assert seg["count"] == 8
    first = api.get(f"/segments/{seg['id']}/members", limit=5).json()
    second = api.get(f"/segments/{seg['id']}/members", limit=5, cursor=first["next_cursor"]).json()
    assert len(first["items"]) == 5 and len(second["items"]) == 3 and second["next_cursor"] is None
    assert api.get(f"/segments/{seg['id']}/members", cursor="!!").status_code == 422
    body = b"".join(api.get(f"/segments/{seg['id']}/export").streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["id", "external_id", "first_name"] and len(rows) == 9
    assert [r[2] for r in rows[1:] if "cmd" in r[2]] == ["'=cmd"]  # formulas neutralised
    r = api.patch(f"/segments/{seg['id']}", {"definition": {"field": "email", "op": "contains", "value": "p1@"}})
    assert r.status_code == 200 and r.json()["count"] == 1
    assert api.delete(f"/segments/{seg['id']}").status_code == 204
    assert api.get(f"/segments/{seg['id']}").status_code == 404
    assert Person.objects.filter(pk=people_[0].pk).exists()


def test_lifecycle_funnel_and_jobs(api, workspace):
    from rapport.core.jobs import registry

    person(workspace, "A", lifecycle_stage="prospect")
    person(workspace, "B", lifecycle_stage="advocate")
    body = api.get("/segments/lifecycle").json()
    assert [p["phase"] for p in body["items"]] == ["discover", "explore", "buy", "engage"]
    assert {p["phase"]: p["count"] for p in body["items"]} == {"discover": 0, "explore": 1, "buy": 0, "engage": 1}
    seg = api.post(
        "/segments", {"name": "vip", "definition": {"field": "tags", "op": "contains", "value": "vip"}}
    ).json()
    person(workspace, "C", tags=["vip"])
    SegmentMember.objects.all().delete()  # as if the incremental path had missed them
    jobs = registry()
    assert {"segments.reconcile", "segments.lifecycle"} <= set(jobs)
    result = jobs["segments.reconcile"].func()
    assert result["entered"] == 1 and api.get(f"/segments/{seg['id']}").json()["count"] == 1
