"""API tokens: revoke the calling one, list and revoke your own, and lose them all with the password."""

import re

import pytest
from conftest import PASSWORD, ApiClient
from django.test import Client

from rapport.core.models import ApiToken, AuditEvent, Role, User
from rapport.core.services import issue_token

pytestmark = pytest.mark.django_db


def _token(member, name=""):
    return issue_token(email=member.user.email, password=PASSWORD, workspace_slug=member.workspace.slug, name=name)[0]


def test_delete_token_revokes_the_calling_token_only(member_factory, workspace):
    member = member_factory(workspace, Role.AGENT)
    first, second = ApiClient(_token(member)), ApiClient(_token(member))
    response = first.delete("/auth/token")
    assert response.status_code == 204
    assert first.get("/contacts").status_code == 401 and first.delete("/auth/token").status_code == 401
    assert second.get("/contacts").status_code == 200
    event = AuditEvent.objects.get(action="api_token.revoked")
    assert event.actor_kind == "token" and event.after["reason"] == "signed out"


def test_tokens_are_listed_without_their_secret_and_revoked_one_by_one(member_factory, workspace, other_workspace):
    member = member_factory(workspace, Role.AGENT)
    member_factory(other_workspace, Role.AGENT, email=member.user.email)
    raw_a = _token(member, name="laptop")
    raw_b = issue_token(email=member.user.email, password=PASSWORD, workspace_slug="globex", name="script")[0]
    stranger = ApiClient(_token(member_factory(workspace, Role.ADMIN)))
    me = ApiClient(raw_a)
    page = me.get("/auth/tokens")
    assert page.status_code == 200
    items = page.json()["items"]
    assert [(t["name"], t["workspace"], t["current"]) for t in items] == [
        ("script", "globex", False),
        ("laptop", "acme", True),
    ]
    assert set(items[0]) == {"id", "prefix", "name", "workspace", "created_at", "last_used_at", "expires_at", "current"}
    assert raw_a not in page.content.decode() and raw_b not in page.content.decode()
    assert items[1]["prefix"] == raw_a[:10] and items[1]["last_used_at"] is not None
    assert stranger.delete(f"/auth/tokens/{items[0]['id']}").status_code == 404  # not theirs
    assert ApiClient(raw_b).get("/contacts").status_code == 200
    assert me.delete(f"/auth/tokens/{items[0]['id']}").status_code == 204
    assert ApiClient(raw_b).get("/contacts").status_code == 401
    assert [t["name"] for t in me.get("/auth/tokens").json()["items"]] == ["laptop"]
    assert me.delete("/auth/tokens/999999").status_code == 404


def test_a_new_password_or_deactivation_revokes_every_token(member_factory, workspace):
    member = member_factory(workspace, Role.AGENT)
    clients = [ApiClient(_token(member)) for _ in range(2)]
    user = User.objects.get(pk=member.user_id)
    user.check_password(PASSWORD)  # a hash upgrade on sign-in is no new password
    user.save()
    assert all(c.get("/contacts").status_code == 200 for c in clients)
    user.set_password("A-whole-new-password-77")
    user.save()
    assert all(c.get("/contacts").status_code == 401 for c in clients)
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 0
    reasons = set(AuditEvent.objects.filter(action="api_token.revoked").values_list("after__reason", flat=True))
    assert reasons == {"password changed"}
    later = ApiClient(issue_token(email=user.email, password="A-whole-new-password-77")[0])
    assert later.get("/contacts").status_code == 200
    user.is_active = False
    user.save()
    user.is_active = True
    user.save()
    assert later.get("/contacts").status_code == 401  # reactivating does not bring tokens back


def test_the_account_page_lists_tokens_and_revokes_with_a_csrf_checked_post(member_factory, workspace):
    member = member_factory(workspace, Role.MARKETER)
    raw = _token(member, name="reporting")
    token = ApiToken.objects.get()
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    page = client.get("/account/").content.decode()
    assert "reporting" in page and token.prefix in page and raw not in page
    assert f'action="/account/tokens/{token.pk}/revoke"' in page
    assert client.post(f"/account/tokens/{token.pk}/revoke").status_code == 403  # no CSRF token
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    done = client.post(f"/account/tokens/{token.pk}/revoke", {"csrfmiddlewaretoken": csrf}, follow=True)
    assert done.status_code == 200 and "is revoked" in done.content.decode()
    assert ApiClient(raw).get("/contacts").status_code == 401
    assert AuditEvent.objects.get(action="api_token.revoked").actor_kind == "user"
    other = member_factory(workspace, Role.ADMIN)
    theirs = ApiToken.objects.get(pk=ApiToken.objects.get(prefix=_token(other)[:10]).pk)
    assert client.post(f"/account/tokens/{theirs.pk}/revoke", {"csrfmiddlewaretoken": csrf}).status_code == 404


def test_changing_the_password_on_the_account_page_revokes_tokens_and_keeps_the_session(member_factory, workspace):
    member = member_factory(workspace, Role.AGENT)
    api = ApiClient(_token(member))
    client = Client()
    client.force_login(member.user)
    assert "Change your password" in client.get("/account/password/").content.decode()
    new = "Brand-new-password-5512"
    done = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
        follow=True,
    )
    assert done.status_code == 200 and "tokens are revoked" in done.content.decode()
    assert client.get("/account/").status_code == 200  # still signed in
    assert api.get("/contacts").status_code == 401
