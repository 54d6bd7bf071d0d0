"""Lifecycle stages inferred from signals: each move names its rule on the person's timeline."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from rapport.commerce.models import CustomerValue
from rapport.contacts.models import Person, Touchpoint
from rapport.contacts.services import create_person, update_person
from rapport.core import events
from rapport.core.actors import Actor
from rapport.core.models import AuditEvent
from rapport.listening.models import Post
from rapport.segments import lifecycle

pytestmark = pytest.mark.django_db(transaction=True)
ACTOR = Actor.system("test")


def person(ws, first, **data):
    return create_person(workspace=ws, actor=ACTOR, data={"first_name": first, **data})


def value_changed(ws, p, **fields):
    with transaction.atomic():
        CustomerValue.objects.update_or_create(person=p, workspace=ws, defaults=fields)
        events.emit("commerce.value_changed", {"workspace_id": ws.pk, "person_ids": [p.pk]})


def stage(p):
    return Person.objects.get(pk=p.pk).lifecycle_stage


def moves(p):
    return list(Touchpoint.objects.filter(person=p, source="lifecycle").order_by("id").values_list("source_id", "data"))


@pytest.mark.parametrize(
    ("current", "signals", "expected"),
    [
        ("lead", (0, 1.0, True, False), None),  # a first mention keeps a lead a lead
        ("lead", (0, 1.0, True, True), ("prospect", "question")),
        ("lead", (1, 0.9, False, False), ("customer", "first_purchase")),
        ("prospect", (2, 0.9, False, False), ("advocate", "repeat_purchase")),
        ("advocate", (5, 0.1, False, False), ("lapsed", "churn_risk")),
        ("lapsed", (5, 0.1, False, False), None),
        ("lapsed", (6, 0.8, False, False), ("advocate", "repeat_purchase")),
        ("lapsed", (0, 1.0, True, True), None),  # a question does not bring a lapsed customer back
        ("advocate", (1, 0.9, False, False), None),  # never down a stage set above the signals
        ("customer", (0, 1.0, True, True), None),
    ],
)
def test_decide(current, signals, expected):
    assert lifecycle.decide(current, *signals) == expected


def test_purchases_move_people_along_and_the_rule_is_on_the_timeline(workspace):
    ann = person(workspace, "Ann")
    value_changed(workspace, ann, orders=1, p_alive=0.95)
    assert stage(ann) == "customer"
    value_changed(workspace, ann, orders=3, p_alive=0.9)
    assert stage(ann) == "advocate"
    value_changed(workspace, ann, orders=3, p_alive=0.12)
    assert stage(ann) == "lapsed"
    assert [rule for rule, _ in moves(ann)] == ["first_purchase", "repeat_purchase", "churn_risk"]
    last = Touchpoint.objects.filter(person=ann, source="lifecycle").latest("id")
    assert last.data == {"from": "advocate", "to": "lapsed", "rule": "churn_risk", "journey": "engage"}
    assert "12%" in last.body and "Advocate → Lapsed" in last.title
    audit = (
        AuditEvent.objects.filter(object_type="person", object_id=ann.pk, action="contact.updated")
        .order_by("id")
        .last()
    )
    assert audit.actor_label == "lifecycle inference" and audit.after == {"lifecycle_stage": "lapsed"}


def test_a_question_heard_makes_a_lead_a_prospect(workspace):
    bo = person(workspace, "Bo")
    now = timezone.now()
    p = Post.objects.create(
        workspace=workspace,
        network="twitter",
        external_id="q1",
        person=bo,
        text="Does the lens fit a Z6?",
        created_at=now,
        ingested_at=now,
    )
    with transaction.atomic():
        events.emit("listening.posts_stored", {"workspace_id": workspace.pk, "post_ids": [p.pk]})
    assert stage(bo) == "prospect"
    assert moves(bo)[0][0] == "question"


def test_hand_set_stage_is_not_moved_back_and_sweep_finds_silent_changes(workspace):
    cy = person(workspace, "Cy")
    update_person(workspace=workspace, actor=ACTOR, person=cy, changes={"lifecycle_stage": "advocate"})
    value_changed(workspace, cy, orders=1, p_alive=0.9)
    assert stage(cy) == "advocate" and moves(cy) == []
    dee = person(workspace, "Dee")
    CustomerValue.objects.create(person=dee, workspace=workspace, orders=1, p_alive=0.8)  # no event
    found = lifecycle.infer(workspace_id=workspace.pk)
    assert [(m.person_id, m.after) for m in found] == [(dee.pk, "customer")]
    assert lifecycle.infer(workspace_id=workspace.pk) == []  # idempotent


def test_funnel_groups_stages_by_journey(workspace):
    person(workspace, "A")
    person(workspace, "B", lifecycle_stage="customer")
    person(workspace, "C", lifecycle_stage="lapsed")
    funnel = {f["phase"]: f["count"] for f in lifecycle.funnel(workspace_id=workspace.pk)}
    assert funnel == {"discover": 1, "explore": 0, "buy": 1, "engage": 1}


def test_many_moves_at_once_are_written_in_bulk_and_segments_follow(workspace, monkeypatch):
    from rapport.segments import services
    from rapport.segments.models import SegmentMember

    monkeypatch.setattr(lifecycle, "BULK_FROM", 1)
    people = [person(workspace, f"P{i}") for i in range(3)]
    segment = services.create_segment(
        workspace=workspace,
        actor=ACTOR,
        data={"name": "customers", "definition": {"field": "lifecycle_stage", "op": "eq", "value": "customer"}},
    )
    for p in people:
        CustomerValue.objects.create(person=p, workspace=workspace, orders=1, p_alive=0.9)
    found = lifecycle.infer(workspace_id=workspace.pk, person_ids=[p.pk for p in people])
    assert {m.rule for m in found} == {"first_purchase"} and len(found) == 3
    assert {stage(p) for p in people} == {"customer"}
    assert all(moves(p)[0][1]["to"] == "customer" for p in people)
    assert AuditEvent.objects.filter(action="contact.updated", actor_label="lifecycle inference").count() == 3
    assert SegmentMember.objects.filter(segment=segment).count() == 3
