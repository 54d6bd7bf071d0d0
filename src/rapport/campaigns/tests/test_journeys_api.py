"""The journeys API and pages: bad input is named field by field, roles and workspaces are checked, a journey can be
written, activated and read back with the counts its map shows; the map is server-rendered SVG."""

from __future__ import annotations

import pytest
from conftest import ApiClient

from rapport.campaigns.models import Journey
from rapport.campaigns.tests.journey_helpers import ACTOR, install_clock, person, tick
from rapport.core.events import emit
from rapport.core.models import Role
from rapport.segments import services as segments

pytestmark = pytest.mark.django_db(transaction=True)

MOVE = {
    "name": "Moving house",
    "trigger": "life_event",
    "trigger_config": {"value": "moving_house"},
    "purpose": "offers",
    "goal_days": 30,
    "steps": [
        {"id": "wait", "type": "wait", "until": "event_date", "offset_days": -14},
        {
            "id": "ask",
            "type": "branch",
            "condition": {"kind": "consent", "purpose": "offers"},
            "then": "mail",
            "else": "call",
        },
        {"id": "mail", "type": "email", "subject": "Your new address, {{ first_name }}", "body": "Move with us"},
        {"type": "exit"},
        {"id": "call", "type": "task", "text": "Offer {{ first_name }} the service at the new address"},
    ],
}


def test_create_names_each_bad_field(api, workspace, other_workspace):
    foreign = segments.create_segment(
        workspace=other_workspace,
        actor=ACTOR,
        data={"name": "x", "definition": {"all": [{"field": "tags", "op": "contains", "value": "x"}]}},
    )
    bad = {
        "name": "Bad",
        "trigger": "segment_entered",
        "trigger_config": {"segment_id": foreign.pk},
        "purpose": "spam",
        "steps": [
            {"type": "wait"},
            {"type": "branch", "condition": {"kind": "clicked"}, "then": "s1", "else": "nowhere"},
            {"type": "email", "subject": "Hi", "body": "{% if %}"},
            {"type": "teleport"},
        ],
    }
    r = api.post("/journeys", bad)
    assert r.status_code == 422
    fields = {".".join(map(str, d["loc"][1:])): d["msg"] for d in r.json()["detail"]}
    assert f"unknown segment {foreign.pk}" in fields["trigger_config.segment_id"]
    assert "unknown purpose 'spam'" in fields["purpose"]
    assert "days, hours or minutes" in fields["steps.0.days"]
    assert "forward" in fields["steps.1.then"] and "unknown step 'nowhere'" in fields["steps.1.else"]
    assert "template error" in fields["steps.2.body"]
    assert "a step type" in fields["steps.3.type"]
    assert not Journey.objects.exists()
    r = api.post("/journeys", MOVE | {"trigger": "full_moon"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "trigger"]


def test_roles_and_workspaces_are_enforced(api_factory, workspace, other_workspace):
    assert api_factory(workspace, Role.AGENT).post("/journeys", MOVE).status_code == 403
    marketer = api_factory(workspace, Role.MARKETER)
    r = marketer.post("/journeys", MOVE)
    assert r.status_code == 201
    jid = r.json()["id"]
    assert api_factory(workspace, Role.AGENT).get(f"/journeys/{jid}").status_code == 403
    assert api_factory(other_workspace, Role.ADMIN).get(f"/journeys/{jid}").status_code == 404
    assert api_factory(other_workspace, Role.ADMIN).patch(f"/journeys/{jid}", {"status": "active"}).status_code == 404
    assert api_factory(other_workspace, Role.ADMIN).get("/journeys").json()["items"] == []
    assert ApiClient(None).get(f"/journeys/{jid}").status_code == 401


def test_a_journey_is_written_activated_and_counted(api, workspace, monkeypatch):
    clock = install_clock(monkeypatch)
    r = api.post("/journeys", MOVE)
    assert r.status_code == 201
    j = r.json()
    assert j["status"] == "draft" and [s["id"] for s in j["steps"]] == ["wait", "ask", "mail", "s4", "call"]
    assert j["steps"][1]["else"] == "call"
    ann = person(workspace, "Ann")
    payload = {"workspace_id": workspace.pk, "person_id": ann.pk, "value": "moving_house", "event_date": "2030-01-01"}
    emit("consent.life_event_detected", payload)  # a draft enrols nobody
    assert api.get(f"/journeys/{j['id']}").json()["counts"]["entered"] == 0
    r = api.patch(f"/journeys/{j['id']}", {"status": "active", "goal_days": 0})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "goal_days"]
    assert api.patch(f"/journeys/{j['id']}", {"status": "active"}).json()["status"] == "active"
    emit("consent.life_event_detected", payload)
    tick(clock)
    counts = api.get(f"/journeys/{j['id']}").json()["counts"]
    assert (counts["entered"], counts["active"], counts["converted"], counts["conversion"]) == (1, 1, 0, 0.0)
    wait = counts["steps"][0]
    assert (wait["id"], wait["reached"], wait["waiting"]) == ("wait", 1, 1)
    assert [s["reached"] for s in counts["steps"][1:]] == [0, 0, 0, 0]
    assert "/api/v1/journeys/{journey_id}" in api.get("/openapi.json").json()["paths"]


def test_the_map_and_the_form(admin_client, workspace, monkeypatch):
    install_clock(monkeypatch)
    from rapport.campaigns import journeys

    j = journeys.create_journey(workspace=workspace, actor=ACTOR, data=MOVE | {"status": "active"})
    r = admin_client.get(f"/journeys/{j.pk}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'aria-label="Journey map"' in html
    for sid in ("wait", "ask", "mail", "s4", "call"):
        assert f'data-step="{sid}"' in html
    assert html.count("data-jump=") == 2
    assert admin_client.get("/journeys/").status_code == 200
    r = admin_client.get(f"/journeys/{j.pk}/edit/")
    assert r.status_code == 200 and 'name="steps-4-text"' in r.content.decode()
    form = {
        "name": "Posted",
        "trigger": "life_event",
        "trigger_value": "new_baby",
        "purpose": "offers",
        "status": "active",
        "step_count": "3",
        "steps-0-type": "wait",
        "steps-0-days": "3",
        "steps-1-type": "email",
        "steps-1-subject": "Congratulations",
        "steps-1-body": "",
        "steps-2-type": "",
    }
    r = admin_client.post("/journeys/new/", form)
    assert r.status_code == 422 and "an email needs a body" in r.content.decode()
    r = admin_client.post("/journeys/new/", form | {"steps-1-body": "Hello {{ first_name }}"})
    assert r.status_code == 302
    made = Journey.objects.get(name="Posted")
    assert made.trigger_config == {"value": "new_baby"}
    assert [(s["id"], s["type"]) for s in made.steps] == [("s1", "wait"), ("s2", "email")]
    r = admin_client.post("/journeys/policy/", {"time_zone": "Nowhere/Land", "cap_messages": "2", "cap_days": "7"})
    assert r.status_code == 422 and "unknown time zone" in r.content.decode()
