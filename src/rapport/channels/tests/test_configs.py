"""Channel configs are checked per network on save; credentials stay bound to their host; changes are audited."""

from __future__ import annotations

import pytest

from rapport.channels.models import Channel
from rapport.channels.services import upsert_channel
from rapport.core.actors import Actor
from rapport.core.errors import FieldErrors
from rapport.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_allow_list(settings):
    settings.RAPPORT_OUTBOUND_ALLOW = []


def locs(response) -> dict[tuple, str]:
    assert response.status_code == 422, response.content
    return {tuple(d["loc"]): d["msg"] for d in response.json()["detail"]}


@pytest.mark.parametrize(
    ("network", "config", "loc"),
    [
        ("rss", {"feeds": ["http://127.0.0.1:8000/admin/"]}, ("body", "config", "feeds", "0")),
        ("rss", {"feeds": ["https://blog.example/feed", "http://0x7f.1/"]}, ("body", "config", "feeds", "1")),
        ("rss", {"feeds": ["file:///etc/passwd"]}, ("body", "config", "feeds", "0")),
        ("rss", {"feeds": "https://blog.example/feed"}, ("body", "config", "feeds")),
        ("rss", {}, ("body", "config", "feeds")),
        ("mastodon", {"base_url": "http://[::1]:3000", "hashtags": ["acme"]}, ("body", "config", "base_url")),
        ("mastodon", {"base_url": "http://169.254.169.254/latest", "hashtags": ["a"]}, ("body", "config", "base_url")),
        ("mastodon", {"hashtags": ["acme"]}, ("body", "config", "base_url")),
        ("mastodon", {"base_url": "https://m.example", "hashtags": "acme"}, ("body", "config", "hashtags")),
        ("mastodon", {"base_url": "https://m.example", "mentions": "yes"}, ("body", "config", "mentions")),
        ("bluesky", {"base_url": "http://10.0.0.5", "search": ["acme"]}, ("body", "config", "base_url")),
        ("bluesky", {"search": [""]}, ("body", "config", "search", "0")),
        ("email", {"imap_host": "2130706433"}, ("body", "config", "imap_host")),
        ("email", {"imap_host": "imap.example", "imap_port": 99999}, ("body", "config", "imap_port")),
        ("email", {"imap_host": "imap.example", "mailbox": "INBOX\r\nA1 DELETE INBOX"}, ("body", "config", "mailbox")),
    ],
)
def test_bad_configs_are_refused_naming_the_field(api, network, config, loc):
    response = api.post("/channels", {"network": network, "handle": "h", "config": config})
    assert loc in locs(response)
    assert not Channel.objects.exists()


def test_credentials_naming_an_internal_destination_are_refused(api):
    response = api.post(
        "/channels",
        {"network": "email", "handle": "care@acme.example", "credentials": {"smtp_host": "127.0.0.1"}},
    )
    assert ("body", "credentials", "smtp_host") in locs(response)
    response = api.post(
        "/channels", {"network": "mastodon", "handle": "a", "credentials": {"base_url": "http://localhost:3000"}}
    )
    assert ("body", "credentials", "base_url") in locs(response)


def test_good_configs_are_stored_clean(api):
    response = api.post(
        "/channels",
        {
            "network": "mastodon",
            "handle": "acme",
            "config": {"base_url": "https://93.184.216.34/", "hashtags": ["#acme"]},
        },
    )
    assert response.status_code == 201, response.content
    assert Channel.objects.get().config == {
        "base_url": "https://93.184.216.34",
        "hashtags": ["#acme"],
        "mentions": False,
    }


def test_the_allow_list_lets_an_operator_use_an_internal_instance(api, settings):
    settings.RAPPORT_OUTBOUND_ALLOW = ["10.0.0.0/8"]
    response = api.post(
        "/channels",
        {"network": "mastodon", "handle": "acme", "config": {"base_url": "http://10.1.2.3", "mentions": True}},
    )
    assert response.status_code == 201, response.content


def test_moving_a_channel_to_another_host_needs_its_credentials_again(api):
    body = {
        "network": "mastodon",
        "handle": "acme",
        "config": {"base_url": "https://mastodon.example", "hashtags": ["acme"]},
        "credentials": {"access_token": "tok-123"},
    }
    assert api.post("/channels", body).status_code == 201
    moved = {**body, "config": {"base_url": "https://collector.example", "hashtags": ["acme"]}}
    del moved["credentials"]
    response = api.post("/channels", moved)
    assert "entered again" in locs(response)[("body", "credentials")]
    channel = Channel.objects.get()
    assert channel.config["base_url"] == "https://mastodon.example" and channel.credentials == {
        "access_token": "tok-123"
    }
    # The same host with other hashtags is fine without credentials; so is a move with credentials typed again.
    same = {**moved, "config": {"base_url": "https://mastodon.example/", "hashtags": ["acme", "acmeair"]}}
    assert api.post("/channels", same).status_code == 201
    assert api.post("/channels", {**moved, "credentials": {"access_token": "tok-new"}}).status_code == 201
    channel.refresh_from_db()
    assert channel.config["base_url"] == "https://collector.example" and channel.credentials == {
        "access_token": "tok-new"
    }


@pytest.mark.parametrize(
    ("network", "before", "after", "credentials"),
    [
        (
            "bluesky",
            {"search": ["acme"]},
            {"base_url": "https://pds.example", "search": ["acme"]},
            {"app_password": "p"},
        ),
        ("email", {"imap_host": "imap.example"}, {"imap_host": "mail.other.example"}, {"imap_password": "p"}),
        (
            "email",
            {"imap_host": "imap.example"},
            {"imap_host": "imap.example", "imap_port": 143},
            {"imap_password": "p"},
        ),
    ],
)
def test_host_binding_for_bluesky_and_imap(workspace, network, before, after, credentials):
    upsert_channel(
        workspace=workspace, actor=Actor.system(), network=network, handle="h", config=before, credentials=credentials
    )
    with pytest.raises(FieldErrors) as err:
        upsert_channel(workspace=workspace, actor=Actor.system(), network=network, handle="h", config=after)
    assert "credentials" in err.value.errors


def test_every_config_change_is_audited_with_secrets_masked(api):
    body = {
        "network": "mastodon",
        "handle": "acme",
        "config": {"base_url": "https://mastodon.example", "hashtags": ["acme"]},
        "credentials": {"access_token": "tok-secret-123", "base_url": "https://mastodon.example"},
    }
    assert api.post("/channels", body).status_code == 201
    changed = {**body, "config": {"base_url": "https://mastodon.example", "hashtags": ["acme", "acmeair"]}}
    del changed["credentials"]
    assert api.post("/channels", changed).status_code == 201
    created, updated = AuditEvent.objects.filter(object_type="channel").order_by("id")
    assert created.action == "channel.created" and updated.action == "channel.updated"
    assert updated.before["config"]["hashtags"] == ["acme"]
    assert updated.after["config"]["hashtags"] == ["acme", "acmeair"]
    assert updated.after["credentials"] == {"access_token": "***", "base_url": "https://mastodon.example"}
    assert updated.actor_user is not None
    everything = str(list(AuditEvent.objects.values("before", "after")))
    assert "tok-secret-123" not in everything
