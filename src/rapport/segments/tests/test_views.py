"""Segment pages: build with a preview, save, read the segment with members, chart and export; roles hold."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from rapport.commerce.models import CustomerValue
from rapport.contacts.services import create_person
from rapport.core.actors import Actor
from rapport.core.models import Role
from rapport.segments.models import Segment

pytestmark = pytest.mark.django_db(transaction=True)
BUYERS = json.dumps({"all": [{"field": "purchases.count", "op": "gte", "value": 1}]})


def client_for(member_factory, workspace, role=Role.MARKETER):
    client = Client()
    client.force_login(member_factory(workspace, role).user)
    return client


def test_marketer_previews_saves_and_reads_a_segment(member_factory, workspace):
    ann = create_person(workspace=workspace, actor=Actor.system("t"), data={"first_name": "Ann", "email": "a@x.se"})
    create_person(workspace=workspace, actor=Actor.system("t"), data={"first_name": "Bob"})
    CustomerValue.objects.create(workspace=workspace, person=ann, orders=2)
    client = client_for(member_factory, workspace)
    page = client.get("/segments/new/").content.decode()
    assert 'id="segment-fields"' in page and "purchases.count" in page
    preview = client.post("/segments/preview/", {"definition": BUYERS})
    assert preview.status_code == 200 and 'data-count="1"' in preview.content.decode()
    bad = client.post("/segments/preview/", {"definition": '{"field": "purchases.count", "op": "like", "value": 1}'})
    assert bad.status_code == 422 and "definition.op" in bad.content.decode()
    nojs = client.post("/segments/new/", {"name": "Buyers", "definition": BUYERS, "action": "preview"})
    assert 'data-count="1"' in nojs.content.decode() and not Segment.objects.exists()
    saved = client.post("/segments/new/", {"name": "Buyers", "definition": BUYERS, "action": "save"})
    segment = Segment.objects.get()
    assert saved.status_code == 302 and saved["Location"] == f"/segments/{segment.pk}/"
    detail = client.get(f"/segments/{segment.pk}/").content.decode()
    assert "Ann" in detail and "Bob" not in detail and "Orders ≥ 1" in detail and "Segment size per day" in detail
    csv = b"".join(client.get(f"/segments/{segment.pk}/export.csv").streaming_content).decode()
    assert csv.splitlines()[1].startswith(f"{ann.pk},")
    listing = client.get("/segments/").content.decode()
    assert "Buyers" in listing
    edit = client.post(f"/segments/{segment.pk}/edit/", {"name": "Buyers", "definition": "{not json", "action": "save"})
    assert edit.status_code == 422 and "not valid JSON" in edit.content.decode()
    deep = client.post("/segments/preview/", {"definition": "[" * 100_000 + "]" * 100_000})
    assert deep.status_code == 422 and "nested too deeply" in deep.content.decode()
    lifecycle = client.get("/segments/lifecycle/").content.decode()
    assert 'data-phase="discover"' in lifecycle and 'data-phase="engage"' in lifecycle


def test_agents_read_but_do_not_build_and_other_workspaces_see_nothing(member_factory, workspace, other_workspace):
    segment = Segment.objects.create(workspace=workspace, name="s", definition=json.loads(BUYERS))
    agent = client_for(member_factory, workspace, Role.AGENT)
    assert agent.get(f"/segments/{segment.pk}/").status_code == 200
    assert agent.get("/segments/new/").status_code == 403
    assert agent.post(f"/segments/{segment.pk}/delete/").status_code == 403
    assert agent.get(f"/segments/{segment.pk}/export.csv").status_code == 403
    stranger = client_for(member_factory, other_workspace, Role.ADMIN)
    assert stranger.get(f"/segments/{segment.pk}/").status_code == 404
    assert Client().get("/segments/").status_code == 302


def test_definitions_read_as_words(workspace):
    from rapport.segments.views import describe

    node = {
        "any": [
            {"field": "social.mentions", "op": "gte", "value": 2},
            {
                "not": {
                    "all": [
                        {"field": "tags", "op": "contains", "value": "vip"},
                        {"field": "value.p_alive", "op": "exists", "value": False},
                    ]
                }
            },
        ]
    }
    assert describe(node, workspace.pk) == (
        "Posts heard ≥ 2 (last 30 days) or (not (Tags contains vip and Probability still active (0-1) is unknown))"
    )
