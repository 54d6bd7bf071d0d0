"""The consent and privacy API: shapes, roles, workspaces, and bad input named by field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from rapport.consent import requests, retention
from rapport.consent.models import EnrichmentFact, PrivacyRequest, RetentionRun
from rapport.contacts.models import Person
from rapport.contacts.services import create_person
from rapport.core.actors import Actor
from rapport.core.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def cy(workspace):
    return create_person(
        workspace=workspace, actor=Actor.system("t"), data={"first_name": "Cy", "last_name": "Dahl", "email": "cy@x.dk"}
    )


def test_record_and_read_consents_with_evidence_and_history(workspace, cy, api_factory):
    api = api_factory(workspace, Role.AGENT)
    body = {"purpose": "newsletter", "channel": "email", "granted": True, "source": "api", "wording": "Newsletter v1"}
    created = api.post(f"/contacts/{cy.pk}/consents", body)
    assert created.status_code == 201 and created.json()["evidence"]["agent"].startswith("agent@acme.example")
    api.post(f"/contacts/{cy.pk}/consents", {**body, "granted": False, "source": "agent"})
    old = (timezone.now() - timedelta(days=800)).isoformat()
    api.post(f"/contacts/{cy.pk}/consents", {**body, "purpose": "offers", "source": "import", "occurred_at": old})
    got = api.get(f"/contacts/{cy.pk}/consents").json()
    current = {(c["purpose"], c["channel"]): c for c in got["current"]}
    assert current[("newsletter", "email")]["granted"] is False
    assert current[("newsletter", "email")]["evidence"]["source"] == "agent"
    assert current[("offers", "email")]["since"][:10] == old[:10]
    assert [h["purpose"] for h in got["history"]] == ["newsletter", "newsletter", "offers"]
    purposes = {p["purpose"]: p for p in got["purposes"]}
    assert purposes["profiling"]["basis"] == "legitimate_interest" and purposes["profiling"]["may_process"] is True


def test_bad_consent_input_names_the_field(workspace, cy, api_factory):
    api = api_factory(workspace)
    for body, field in (
        ({"purpose": "spam", "channel": "email", "granted": True}, "purpose"),
        ({"purpose": "newsletter", "channel": "fax", "granted": True}, "channel"),
        ({"purpose": "newsletter", "channel": "email"}, "granted"),
        ({"purpose": "newsletter", "granted": True, "source": "rumour"}, "source"),
    ):
        response = api.post(f"/contacts/{cy.pk}/consents", body)
        assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == field
    future = (timezone.now() + timedelta(days=2)).isoformat()
    response = api.post(f"/contacts/{cy.pk}/consents", {"purpose": "offers", "granted": True, "occurred_at": future})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "occurred_at"]


def test_other_workspaces_and_unauthenticated_callers_see_nothing(workspace, other_workspace, cy, api_factory):
    foreign = api_factory(other_workspace)
    for path in ("consents", "export", "enrichment"):
        assert foreign.get(f"/contacts/{cy.pk}/{path}").status_code == 404
    assert foreign.post(f"/contacts/{cy.pk}/erase").status_code == 404
    assert foreign.get("/privacy/requests").json()["items"] == []
    from conftest import ApiClient

    assert ApiClient(None).get(f"/contacts/{cy.pk}/consents").status_code == 401


def test_privacy_requests_are_for_the_dpo_and_admins(workspace, cy, api_factory):
    for role in (Role.AGENT, Role.MARKETER, Role.COMMUNITY_MANAGER):
        api = api_factory(workspace, role)
        assert api.get("/privacy/requests").status_code == 403
        assert api.get(f"/contacts/{cy.pk}/export").status_code == 403
    assert api_factory(workspace, Role.DPO).get("/privacy/requests").status_code == 200


def test_the_request_log_has_one_month_deadlines_overdue_first_counts_and_reminders(workspace, cy, member_factory):
    member_factory(workspace, Role.DPO)
    actor = Actor.system("dpo")
    req = requests.open_request(cy, "access", actor=actor, received_at=datetime(2026, 1, 31, 9, tzinfo=UTC))
    assert req.due_at == datetime(2026, 2, 28, 9, tzinfo=UTC)  # one month, the shorter month's last day
    fresh = requests.open_request(cy, "rectification", actor=actor)
    assert requests.send_reminders() == 1  # only the one due within a week (long overdue here)
    assert mail.outbox[0].to == ["dpo@acme.example"] and f"#{req.pk}" in mail.outbox[0].subject
    assert requests.send_reminders() == 0  # once
    assert list(requests.overdue(workspace.pk)) == [req]
    assert fresh.due_at > timezone.now() + timedelta(days=27)


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"first_name": 5}, ["changes", "first_name"]),
        ({"email": ["cy@x.dk"]}, ["changes", "email"]),
        ({"tags": "vip"}, ["changes", "tags"]),
        ({"nickname\x00": "C"}, ["changes", "nickname\x00"]),
        ({"nickname": "C"}, ["changes", "nickname"]),
        ({"first_name": "C" * 101}, ["changes", "first_name"]),
    ],
)
def test_a_rectification_with_a_wrong_type_or_an_unknown_field_is_refused_by_name(
    workspace, cy, api_factory, changes, loc
):
    """The corrected fields had no type: a number as a name answered 500, an unknown field was "done" without a
    change. Contacts' own field types now apply, and nothing is logged as requested when the correction fails."""
    api = api_factory(workspace, Role.DPO)
    response = api.post("/privacy/requests", {"contact_id": cy.pk, "kind": "rectification", "changes": changes})
    assert response.status_code == 422
    assert any(d["loc"][-len(loc) :] == loc for d in response.json()["detail"]), response.json()
    assert not PrivacyRequest.objects.exists()
    assert Person.objects.get(pk=cy.pk).first_name == "Cy"


def test_a_refused_correction_leaves_no_open_request(workspace, cy, api_factory):
    api = api_factory(workspace, Role.DPO)
    bad = {"contact_id": cy.pk, "kind": "rectification", "changes": {"email": "not-an-email"}}
    response = api.post("/privacy/requests", bad)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "email"
    assert not PrivacyRequest.objects.exists()
    identities = {"contact_id": cy.pk, "kind": "rectification", "changes": {"identities": []}}
    response = api.post("/privacy/requests", identities)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "changes", "identities"]
    assert not PrivacyRequest.objects.exists()


def test_rectification_restriction_and_objection_through_the_api(workspace, cy, api_factory):
    api = api_factory(workspace, Role.DPO)
    rect = api.post(
        "/privacy/requests", {"contact_id": cy.pk, "kind": "rectification", "changes": {"last_name": "Dal"}}
    )
    assert rect.status_code == 201 and rect.json()["status"] == "done"
    assert Person.objects.get(pk=cy.pk).last_name == "Dal"
    empty = api.post("/privacy/requests", {"contact_id": cy.pk, "kind": "rectification"})
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"] == ["body", "changes"]
    api.post("/privacy/requests", {"contact_id": cy.pk, "kind": "objection", "purposes": ["profiling"]})
    api.post("/privacy/requests", {"contact_id": cy.pk, "kind": "restriction"})
    consents = api.get(f"/contacts/{cy.pk}/consents").json()
    assert consents["flags"]["restricted"] is True
    assert {p["purpose"]: p["may_process"] for p in consents["purposes"]}["profiling"] is False
    listed = api.get("/privacy/requests").json()
    assert [i["kind"] for i in listed["items"]] == ["rectification", "objection", "restriction"]
    assert listed["open"] == 0 and all(i["due_at"] for i in listed["items"])
    assert api.get("/privacy/requests", status="nonsense").status_code == 422


def test_access_export_is_audited_and_the_dpo_sees_who_looked(workspace, cy, api_factory):
    api = api_factory(workspace, Role.DPO)
    export = api.get(f"/contacts/{cy.pk}/export").json()
    assert export["profile"][0]["email"] == "cy@x.dk"
    assert {"touchpoints", "identities", "posts", "conversations", "consents", "audit"} <= set(export)
    access = api.get("/privacy/access", contact_id=cy.pk).json()["items"]
    assert access[0]["action"] == "contact.exported" and access[0]["who"].startswith("dpo@acme.example")


def test_enrichment_shows_unexpired_facts_only_with_consent(workspace, cy, api_factory):
    now = timezone.now()
    EnrichmentFact.objects.create(
        workspace=workspace,
        person=cy,
        kind="life_event",
        value="wedding",
        confidence=0.8,
        source_post=7,
        expires_at=now + timedelta(days=5),
    )
    EnrichmentFact.objects.create(
        workspace=workspace,
        person=cy,
        kind="interest",
        value="golf",
        confidence=0.6,
        expires_at=now - timedelta(days=1),
    )
    api = api_factory(workspace, Role.AGENT)
    assert api.get(f"/contacts/{cy.pk}/enrichment").json()["facts"] == []
    api.post(f"/contacts/{cy.pk}/consents", {"purpose": "enrichment", "granted": True})
    facts = api.get(f"/contacts/{cy.pk}/enrichment").json()["facts"]
    assert [(f["kind"], f["value"], f["source_post"]) for f in facts] == [("life_event", "wedding", 7)]


def test_retention_purges_by_policy_and_reports(workspace, cy, api_factory):
    now = timezone.now()
    fact = EnrichmentFact.objects.create(
        workspace=workspace,
        person=cy,
        kind="interest",
        value="golf",
        confidence=0.6,
        expires_at=now - timedelta(days=1),
    )
    AuditEvent.objects.filter(workspace=workspace).update(created_at=now - timedelta(days=40))
    api = api_factory(workspace, Role.DPO)
    assert api.patch("/privacy/retention/audit_details", {"days": 30}).status_code == 200
    assert api.patch("/privacy/retention/nothing", {"days": 30}).json()["detail"][0]["loc"] == ["body", "data_type"]
    assert api.patch("/privacy/retention/audit_details", {"days": 0}).status_code == 422
    report = api.post("/privacy/purge").json()
    assert report["purged"]["enrichment_facts"] == 1 and report["purged"]["audit_details"] >= 1
    assert report["policies"]["audit_details"] == 30
    assert not EnrichmentFact.objects.filter(pk=fact.pk).exists()
    assert AuditEvent.objects.get(action="contact.created", object_id=str(cy.pk)).after is None
    assert RetentionRun.objects.count() == 1
    # Types without a policy are kept: nothing else was purged.
    assert set(report["purged"]) == {"enrichment_facts", "audit_details"}
    listed = {r["data_type"]: r for r in api.get("/privacy/retention").json()}
    assert listed["posts_non_customers"]["days"] is None and listed["posts_non_customers"]["suggested_days"] == 365
    assert listed["audit_details"]["days"] == 30
    assert retention.policies(workspace.pk)["messages"] is None


def test_an_erasure_is_logged_as_a_request_with_a_job(workspace, cy, api_factory, django_capture_on_commit_callbacks):
    api = api_factory(workspace, Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/contacts/{cy.pk}/erase")
    assert response.status_code == 202
    req = PrivacyRequest.objects.get(pk=response.json()["request_id"])
    assert req.kind == "erasure" and req.status == "open"  # the job runs it (tests start no worker)
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(args_kwargs__args=[req.pk]).exists()
    from rapport.core.jobs import run_now

    assert run_now("consent.privacy_tick")["erased"] == 1  # the tick runs an erasure no worker picked up
    req.refresh_from_db()
    assert req.status == "done" and not Person.objects.filter(pk=cy.pk).exists()
    assert requests.run_erasure(req.pk) is None


def test_a_nul_in_the_user_agent_does_not_fail_a_recorded_grant(workspace, cy, api_factory):
    """The evidence is JSON, where PostgreSQL stores no NUL: the user agent keeps everything but its control
    characters, as on the public pages."""
    api = api_factory(workspace, Role.AGENT)
    response = api.client.post(
        f"/api/v1/contacts/{cy.pk}/consents",
        {"purpose": "newsletter", "channel": "email", "granted": True},
        content_type="application/json",
        HTTP_USER_AGENT="crm-sync\x00/1.0",
        **api._headers(),
    )
    assert response.status_code == 201, response.content
    assert response.json()["evidence"]["user_agent"] == "crm-sync/1.0"
