"""Channels in the settings: created and edited through channels' services (config checked per network,
credentials encrypted and write-only), admin-only, scoped to the workspace, audited."""

import json

import pytest
from conftest import login

from rapport.channels.models import Channel
from rapport.core.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


def test_connect_and_edit_a_channel(admin_client, workspace):
    response = admin_client.post(
        "/settings/channels/new/",
        {
            "network": "facebook",
            "handle": "acmeair",
            "name": "Acme Air",
            "external_id": "123",
            "credentials": "app_secret: s3cret\nverify_token = vt",
            "config": "",
            "active": "on",
        },
    )
    assert response.status_code == 302
    channel = Channel.objects.get(workspace=workspace)
    assert channel.credentials == {"app_secret": "s3cret", "verify_token": "vt"}
    created = AuditEvent.objects.get(action="channel.created", object_id=str(channel.pk))
    assert created.after["credentials"] == {"app_secret": "***", "verify_token": "***"}  # never the secret itself
    page = admin_client.get(f"/settings/channels/{channel.pk}/").content.decode()
    assert "s3cret" not in page and f"/webhooks/meta/{channel.webhook_key}" in page

    # Credentials left empty are kept; the name changes; deactivating is audited.
    admin_client.post(
        f"/settings/channels/{channel.pk}/",
        {"network": "twitter", "handle": "other", "name": "Acme Air care", "external_id": "123", "credentials": ""},
    )
    channel.refresh_from_db()
    assert (channel.network, channel.handle, channel.name) == ("facebook", "acmeair", "Acme Air care")
    assert channel.credentials == {"app_secret": "s3cret", "verify_token": "vt"} and not channel.active
    assert AuditEvent.objects.filter(action="channel.updated", object_id=str(channel.pk)).exists()
    assert AuditEvent.objects.filter(action="channel.deactivated", object_id=str(channel.pk)).exists()
    page = admin_client.get(f"/settings/channels/{channel.pk}/").content.decode()
    assert "<code>channel.deactivated</code>" in page and "<code>channel.created</code>" in page
    assert "s3cret" not in page  # the history shows the credentials' names, never their values

    # Switched on again from its page, then off by its deactivate button (channels are never deleted): each audited
    # once, and a second deactivation changes nothing.
    admin_client.post(f"/settings/channels/{channel.pk}/", {"name": "Acme Air care", "active": "on"})
    channel.refresh_from_db()
    assert channel.active and AuditEvent.objects.filter(action="channel.activated").count() == 1
    for _ in range(2):
        assert admin_client.post(f"/settings/channels/{channel.pk}/deactivate/").status_code == 302
    channel.refresh_from_db()
    assert not channel.active and AuditEvent.objects.filter(action="channel.deactivated").count() == 2


@pytest.mark.parametrize(
    "config, message",
    [
        ('{"x": "\\u0000"}', "config.x: contains a NUL character"),
        ('{"\\u0000": 1}', "config key: contains a NUL character"),
        ('{"x": "\\ud800"}', "config.x: contains a lone surrogate"),
        ('{"n": 1e999}', "config.n: inf is not a JSON number"),
        ('{"a": ' * 100 + "1" + "}" * 100, "nested deeper than"),
        ('{"a": ' * 5000 + "1" + "}" * 5000, "nested too deeply"),
    ],
)
def test_config_a_json_column_cannot_store_names_the_field(admin_client, config, message):
    """PostgreSQL's jsonb refuses \\u0000, lone surrogates and infinities, and deep nesting overflowed the parser's
    stack: each was a 500 (a RecursionError on SQLite too)."""
    response = admin_client.post("/settings/channels/new/", {"network": "chat", "handle": "site", "config": config})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="error-config"' in html and message in html
    assert not Channel.objects.exists()


def test_config_checked_by_the_networks_rules(admin_client, workspace):
    bad = admin_client.post(
        "/settings/channels/new/",
        {"network": "rss", "handle": "blog", "config": json.dumps({"feeds": ["http://127.0.0.1:8000/admin/"]})},
    )
    assert bad.status_code == 400
    html = bad.content.decode()
    assert 'id="error-config"' in html and "config.feeds" in html
    for config, message in (("{nope", "not valid JSON"), ("[1]", "must be a JSON object")):
        response = admin_client.post("/settings/channels/new/", {"network": "rss", "handle": "blog", "config": config})
        assert response.status_code == 400 and message in response.content.decode()
    response = admin_client.post(
        "/settings/channels/new/", {"network": "rss", "handle": "blog", "credentials": "just a token"}
    )
    assert response.status_code == 400 and "line 1: write name: value" in response.content.decode()
    response = admin_client.post("/settings/channels/new/", {"network": "pigeon", "handle": "coop"})
    assert response.status_code == 400 and 'id="error-network"' in response.content.decode()
    assert not Channel.objects.exists()
    ok = admin_client.post(
        "/settings/channels/new/",
        {
            "network": "rss",
            "handle": "blog",
            "config": json.dumps({"feeds": ["https://blog.example/feed"]}),
            "active": "on",
        },
    )
    assert ok.status_code == 302
    assert Channel.objects.get().config == {"feeds": ["https://blog.example/feed"]}
    dup = admin_client.post("/settings/channels/new/", {"network": "rss", "handle": "blog", "config": ""})
    assert dup.status_code == 400 and 'id="error-handle"' in dup.content.decode()


@pytest.mark.parametrize("role", [Role.AGENT, Role.MARKETER, Role.COMMUNITY_MANAGER, Role.DPO])
def test_other_roles_refused(workspace, member_factory, role):
    client = login(member_factory(workspace, role))
    assert client.get("/settings/channels/").status_code == 403
    assert client.post("/settings/channels/new/", {"network": "generic", "handle": "x"}).status_code == 403
    assert not Channel.objects.exists()


def test_another_workspaces_channel_is_404(admin_client, other_workspace):
    channel = Channel.objects.create(workspace=other_workspace, network="generic", handle="theirs")
    assert admin_client.get(f"/settings/channels/{channel.pk}/").status_code == 404
    assert admin_client.post(f"/settings/channels/{channel.pk}/", {"name": "Mine"}).status_code == 404
    assert admin_client.post(f"/settings/channels/{channel.pk}/deactivate/").status_code == 404
    channel.refresh_from_db()
    assert channel.active and channel.name == ""
