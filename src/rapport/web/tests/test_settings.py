"""The settings hub and users-and-roles: admin-only, workspace-scoped, audited; invitations set a password once."""

import re

import pytest
from conftest import PASSWORD, login
from django.core import mail
from django.test import Client

from rapport.core.models import ApiToken, AuditEvent, Member, Role, User
from rapport.core.services import issue_token

pytestmark = pytest.mark.django_db


def test_hub_lists_every_app_section_for_admins_only(admin_client, workspace, member_factory):
    html = admin_client.get("/settings/").content.decode()
    for key in ("users", "teams", "agents", "routing", "sla", "canned", "rules", "channels"):
        assert f'data-section="{key}"' in html, key
    nav = admin_client.get("/contacts/").content.decode()
    assert 'href="/settings/"' in nav  # the nav link
    assert 'href="/admin/"' not in nav  # the back office holds nothing for a workspace admin: Settings replaces it
    for role in (Role.AGENT, Role.MARKETER, Role.COMMUNITY_MANAGER, Role.DPO):
        client = login(member_factory(workspace, role))
        assert client.get("/settings/").status_code == 403
        assert client.get("/settings/users/").status_code == 403
        assert 'href="/settings/"' not in client.get("/contacts/").content.decode()


def test_invite_mails_a_signed_link_that_sets_the_password_once(admin_client, workspace):
    response = admin_client.post(
        "/settings/users/invite/", {"email": "New.Agent@Acme.example", "first_name": "Nia", "role": Role.AGENT}
    )
    assert response.status_code == 302
    member = Member.objects.get(workspace=workspace, user__email="new.agent@acme.example")
    assert member.role == Role.AGENT and not member.user.has_usable_password()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.agent@acme.example"]
    link = re.search(r"http://testserver(/account/set-password/\S+)", mail.outbox[0].body).group(1)
    assert AuditEvent.objects.filter(workspace=workspace, action="member.invited", object_id=str(member.pk)).exists()

    guest = Client()
    form_page = guest.get(link, follow=True)
    assert "Choose your password" in form_page.content.decode()
    done = guest.post(
        form_page.redirect_chain[-1][0], {"new_password1": "Fresh-Pass-9931", "new_password2": "Fresh-Pass-9931"}
    )
    assert done.status_code == 302 and done.url == "/login/"
    assert Client().login(username="new.agent@acme.example", password="Fresh-Pass-9931")
    assert "no longer works" in Client().get(link, follow=True).content.decode()  # single use


def test_invite_bad_input_names_the_field(admin_client, admin):
    bad = admin_client.post("/settings/users/invite/", {"email": "not-an-email", "role": "boss"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert 'id="error-email"' in html and 'id="error-role"' in html
    again = admin_client.post("/settings/users/invite/", {"email": admin.user.email, "role": Role.AGENT})
    assert again.status_code == 400 and "already a member" in again.content.decode()
    assert len(mail.outbox) == 0


def test_change_role_audited_and_last_admin_kept(admin_client, admin, workspace, member_factory):
    agent = member_factory(workspace, Role.AGENT)
    assert admin_client.post(f"/settings/users/{agent.pk}/", {"role": Role.MARKETER}).status_code == 302
    agent.refresh_from_db()
    assert agent.role == Role.MARKETER
    event = AuditEvent.objects.get(action="member.updated", object_id=str(agent.pk))
    assert event.before["role"] == "agent" and event.after["role"] == "marketer"
    refused = admin_client.post(f"/settings/users/{admin.pk}/", {"role": Role.AGENT})
    assert refused.status_code == 400 and "only admin" in refused.content.decode()
    admin.refresh_from_db()
    assert admin.role == Role.ADMIN


def test_deactivate_revokes_tokens_and_reactivate(admin_client, workspace, member_factory):
    agent = member_factory(workspace, Role.AGENT)
    issue_token(email=agent.user.email, password=PASSWORD, workspace_slug=workspace.slug)
    assert admin_client.post(f"/settings/users/{agent.pk}/active/", {"active": "0"}).status_code == 302
    agent.user.refresh_from_db()
    assert not agent.user.is_active
    assert not ApiToken.objects.filter(user=agent.user, revoked_at__isnull=True).exists()
    assert not Client().login(username=agent.user.email, password=PASSWORD)
    assert AuditEvent.objects.filter(action="member.deactivated", object_id=str(agent.pk)).exists()
    admin_client.post(f"/settings/users/{agent.pk}/active/", {"active": "1"})
    agent.user.refresh_from_db()
    assert agent.user.is_active


def test_cannot_deactivate_yourself_nor_someone_of_other_workspaces(
    admin_client, admin, workspace, other_workspace, member_factory
):
    admin_client.post(f"/settings/users/{admin.pk}/active/", {"active": "0"})
    admin.user.refresh_from_db()
    assert admin.user.is_active
    shared = member_factory(workspace, Role.AGENT, email="shared@example.com")
    member_factory(other_workspace, Role.AGENT, email="shared@example.com")
    admin_client.post(f"/settings/users/{shared.pk}/active/", {"active": "0"})
    shared.user.refresh_from_db()
    assert shared.user.is_active  # Globex still needs the account: removing from Acme is the way
    admin_client.post(f"/settings/users/{shared.pk}/remove/")
    assert not Member.objects.filter(pk=shared.pk).exists()
    assert Member.objects.filter(user=shared.user, workspace=other_workspace).exists()


def test_reset_password_mails_a_link(admin_client, workspace, member_factory):
    agent = member_factory(workspace, Role.AGENT)
    assert admin_client.post(f"/settings/users/{agent.pk}/reset/").status_code == 302
    assert mail.outbox[0].to == [agent.user.email] and "/account/set-password/" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="member.password_reset_sent", object_id=str(agent.pk)).exists()


def test_another_workspaces_member_is_404(admin_client, other_workspace, member_factory):
    stranger = member_factory(other_workspace, Role.AGENT)
    assert admin_client.get(f"/settings/users/{stranger.pk}/").status_code == 404
    assert admin_client.post(f"/settings/users/{stranger.pk}/active/", {"active": "0"}).status_code == 404
    assert admin_client.post(f"/settings/users/{stranger.pk}/reset/").status_code == 404
    assert User.objects.get(pk=stranger.user_id).is_active


def test_csrf_is_enforced(admin, workspace):
    client = Client(enforce_csrf_checks=True)
    client.login(username=admin.user.email, password=PASSWORD)
    assert client.post("/settings/users/invite/", {"email": "x@example.com", "role": Role.AGENT}).status_code == 403
    assert not User.objects.filter(email="x@example.com").exists()


def test_invite_when_mail_fails_shows_the_link_to_pass_on(admin_client, workspace, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr("rapport.web.settings_views.send_mail", refuse)
    page = admin_client.post(
        "/settings/users/invite/", {"email": "late@acme.example", "role": Role.AGENT}, follow=True
    ).content.decode()
    assert "the email could not be sent" in page and "/account/set-password/" in page
    assert Member.objects.filter(workspace=workspace, user__email="late@acme.example").exists()
