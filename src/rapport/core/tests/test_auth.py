"""Tokens, roles and workspace isolation on the API."""

from datetime import timedelta

import pytest
from conftest import PASSWORD, ApiClient
from django.test import Client
from django.utils import timezone

from rapport.core.models import ApiToken, AuditEvent, Member, Role

pytestmark = pytest.mark.django_db


def test_token_is_issued_for_right_credentials_only(member_factory, workspace):
    member = member_factory(workspace, Role.AGENT)
    client = Client()
    ok = client.post(
        "/api/v1/auth/token",
        {"email": member.user.email.upper(), "password": PASSWORD},
        content_type="application/json",
    )
    assert ok.status_code == 200
    assert ok.json()["workspace"] == "acme" and ok.json()["role"] == "agent"
    bad = client.post(
        "/api/v1/auth/token",
        {"email": member.user.email, "password": "nope-nope-nope"},
        content_type="application/json",
    )
    assert bad.status_code == 401
    raw = ok.json()["token"]
    stored = ApiToken.objects.get()
    assert raw not in stored.key_hash and stored.prefix == raw[:10]  # only a hash is kept


def test_every_endpoint_refuses_missing_and_bad_tokens(db):
    from rapport.api.urls import api

    schema = api.get_openapi_schema()
    anonymous, bogus = ApiClient(None), ApiClient("rp_not-a-real-token")
    checked = 0
    for path, methods in schema["paths"].items():
        url = path.replace("/api/v1", "").replace("{contact_id}", "1").replace("{org_id}", "1")
        url = url.replace("{token_id}", "1")
        for method in methods:
            if path.endswith("/auth/token") and method.lower() == "post":
                continue
            for client in (anonymous, bogus):
                call = getattr(client, method.lower())
                response = call(url) if method.lower() in ("get", "delete") else call(url, {})
                assert response.status_code == 401, (method, path, response.status_code)
                checked += 1
    assert checked >= 20


def test_expired_revoked_and_orphaned_tokens_stop_working(api_factory, workspace):
    client = api_factory(workspace, Role.AGENT)
    assert client.get("/contacts").status_code == 200
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/contacts").status_code == 401
    ApiToken.objects.update(expires_at=timezone.now() + timedelta(hours=1), revoked_at=timezone.now())
    assert client.get("/contacts").status_code == 401
    ApiToken.objects.update(revoked_at=None)
    assert client.get("/contacts").status_code == 200
    Member.objects.all().delete()
    assert client.get("/contacts").status_code == 401


def test_nobody_sees_another_workspace(api_factory, workspace, other_workspace):
    ours, theirs = api_factory(workspace), api_factory(other_workspace)
    created = theirs.post("/contacts", {"first_name": "Hidden", "last_name": "Person"}).json()
    org = theirs.post("/organisations", {"name": "Hidden Org"}).json()
    assert ours.get(f"/contacts/{created['id']}").status_code == 404
    assert ours.get(f"/contacts/{created['id']}/timeline").status_code == 404
    assert ours.get(f"/contacts/{created['id']}/audit").status_code == 404
    assert ours.patch(f"/contacts/{created['id']}", {"first_name": "X"}).status_code == 404
    assert ours.delete(f"/contacts/{created['id']}").status_code == 404
    assert ours.get(f"/organisations/{org['id']}").status_code == 404
    assert ours.get(f"/organisations/{org['id']}/people").status_code == 404
    assert ours.get("/contacts", search="Hidden").json()["items"] == []
    assert ours.get("/organisations", search="Hidden").json()["items"] == []
    assert theirs.get(f"/contacts/{created['id']}").json()["first_name"] == "Hidden"


@pytest.mark.parametrize(
    ("role", "create", "delete"),
    [(Role.ADMIN, 201, 204), (Role.AGENT, 201, 403), (Role.MARKETER, 201, 403), (Role.DPO, 403, 204)],
)
def test_roles_limit_what_a_member_may_do(api_factory, workspace, role, create, delete):
    admin = api_factory(workspace, Role.ADMIN)
    target = admin.post("/contacts", {"first_name": "Target"}).json()
    client = api_factory(workspace, role)
    assert client.get("/contacts").status_code == 200
    assert client.post("/contacts", {"first_name": "New"}).status_code == create
    assert client.delete(f"/contacts/{target['id']}").status_code == delete


def test_changes_by_token_are_audited_with_the_actor(api, workspace):
    created = api.post("/contacts", {"first_name": "Ann", "last_name": "Berg"}).json()
    api.patch(f"/contacts/{created['id']}", {"city": "Lund"})
    events = list(AuditEvent.objects.filter(object_id=str(created["id"])).order_by("id"))
    assert [e.action for e in events] == ["contact.created", "contact.updated"]
    assert events[1].before == {"city": ""} and events[1].after == {"city": "Lund"}
    assert events[1].actor_kind == "token" and "admin@acme.example" in events[1].actor_label


def test_interactive_api_docs_need_a_login_outside_demo_mode(client, member_factory, workspace, settings):
    settings.DEMO_MODE = False
    response = client.get("/api/v1/docs")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=/api/v1/docs")
    # The schema is the published contract: readable without a login, and it carries no data.
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200 and "/api/v1/contacts" in schema.json()["paths"]
    client.force_login(member_factory(workspace, "agent").user)
    assert client.get("/api/v1/docs").status_code == 200
    settings.DEMO_MODE = True
    client.logout()
    assert client.get("/api/v1/docs").status_code == 200
