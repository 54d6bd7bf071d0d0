"""Tracking rules in the settings: created, edited and deleted through listening's services, admin-only,
scoped to the workspace, audited, with the query's parse error named on its field."""

import pytest
from conftest import login

from rapport.core.models import AuditEvent, Role
from rapport.listening.models import TrackingRule

pytestmark = pytest.mark.django_db


def test_create_edit_delete_rule(admin_client, workspace):
    response = admin_client.post(
        "/settings/rules/new/",
        {
            "name": "Brand",
            "kind": "brand",
            "query": '(united OR @united) AND NOT "united nations"',
            "languages": "en, da",
            "networks": "twitter",
            "active": "on",
        },
    )
    assert response.status_code == 302
    rule = TrackingRule.objects.get(workspace=workspace)
    assert rule.languages == ["da", "en"] and rule.networks == ["twitter"] and rule.active
    assert AuditEvent.objects.filter(action="rule.created", object_id=str(rule.pk)).exists()
    assert "Brand" in admin_client.get("/settings/rules/").content.decode()

    admin_client.post(
        f"/settings/rules/{rule.pk}/",
        {"name": "Brand", "kind": "competitor", "query": "delta", "languages": "", "networks": ""},
    )
    rule.refresh_from_db()
    assert (rule.kind, rule.query, rule.languages, rule.active) == ("competitor", "delta", [], False)
    event = AuditEvent.objects.get(action="rule.updated")
    assert event.before["query"].startswith("(united") and event.after["query"] == "delta"
    page = admin_client.get(f"/settings/rules/{rule.pk}/").content.decode()
    assert '<a href="/settings/rules/">← Tracking rules</a>' in page and "<code>rule.updated</code>" in page
    assert f'action="/settings/rules/{rule.pk}/delete/"' in page and "the posts stay" in page

    assert admin_client.post(f"/settings/rules/{rule.pk}/delete/").status_code == 302
    assert not TrackingRule.objects.exists()
    assert AuditEvent.objects.filter(action="rule.deleted", object_id=str(rule.pk)).exists()


def test_bad_input_names_the_field(admin_client, workspace):
    TrackingRule.objects.create(workspace=workspace, name="Brand", query="united")
    response = admin_client.post(
        "/settings/rules/new/", {"name": "Brand", "kind": "brand", "query": "(united OR", "languages": "xx"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="error-languages"' in html
    response = admin_client.post("/settings/rules/new/", {"name": "Brand", "kind": "brand", "query": "(united OR"})
    html = response.content.decode()
    assert response.status_code == 400 and 'id="error-query"' in html and 'id="error-name"' in html
    assert TrackingRule.objects.count() == 1


@pytest.mark.parametrize("role", [Role.AGENT, Role.MARKETER, Role.COMMUNITY_MANAGER, Role.DPO])
def test_other_roles_refused(workspace, member_factory, role):
    client = login(member_factory(workspace, role))
    assert client.get("/settings/rules/").status_code == 403
    assert client.post("/settings/rules/new/", {"name": "X", "kind": "brand", "query": "x"}).status_code == 403
    assert not TrackingRule.objects.exists()


def test_another_workspaces_rule_is_404(admin_client, other_workspace):
    rule = TrackingRule.objects.create(workspace=other_workspace, name="Theirs", query="globex")
    assert admin_client.get(f"/settings/rules/{rule.pk}/").status_code == 404
    assert (
        admin_client.post(f"/settings/rules/{rule.pk}/", {"name": "Mine", "kind": "brand", "query": "x"}).status_code
        == 404
    )
    assert admin_client.post(f"/settings/rules/{rule.pk}/delete/").status_code == 404
    assert TrackingRule.objects.get(pk=rule.pk).name == "Theirs"
