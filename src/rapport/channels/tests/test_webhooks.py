"""Webhooks end to end: handshakes, signatures (bad -> 401, nothing stored), the pipeline, and dead letters."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from django.test import Client

from rapport.channels.models import Channel
from rapport.channels.services import upsert_channel, webhook_path
from rapport.core.actors import Actor
from rapport.core.models import Role
from rapport.listening.models import Post
from rapport.pipeline.connectors.generic.webhook import sign as generic_sign
from rapport.pipeline.connectors.meta.webhook import sign as meta_sign
from rapport.pipeline.connectors.x.webhook import sign as x_sign
from rapport.pipeline.models import DeadLetter

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[2] / "pipeline" / "connectors"


def fixture(network: str, name: str) -> bytes:
    return (FIXTURES / network / "fixtures" / name).read_bytes()


def channel(workspace, network: str, credentials: dict) -> Channel:
    return upsert_channel(
        workspace=workspace, actor=Actor.system(), network=network, handle=f"acme-{network}", credentials=credentials
    )


def test_credentials_are_encrypted_at_rest(workspace):
    ch = channel(workspace, "facebook", {"app_secret": "s3cret-value", "verify_token": "tok"})
    raw = Channel.objects.filter(pk=ch.pk).values_list("credentials_encrypted", flat=True).get()
    assert "s3cret-value" not in raw and raw.startswith("gAAAA")
    assert Channel.objects.get(pk=ch.pk).credentials == {"app_secret": "s3cret-value", "verify_token": "tok"}


def test_meta_handshake_signature_and_ingest(workspace):
    ch = channel(workspace, "facebook", {"app_secret": "app-secret", "verify_token": "verify-me"})
    url = webhook_path(ch)
    c = Client()
    ok = c.get(url, {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "8812"})
    assert ok.status_code == 200 and ok.content == b"8812"
    assert c.get(url, {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"}).status_code == 403
    body = fixture("meta", "page_feed_comment.json")
    bad = c.post(url, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=meta_sign(body, app_secret="x"))
    assert bad.status_code == 401 and not Post.objects.exists()
    assert c.post(url, body, content_type="application/json").status_code == 401
    good = c.post(
        url, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=meta_sign(body, app_secret="app-secret")
    )
    stored = good.json()["stored"]
    assert good.status_code == 200 and stored >= 1 and Post.objects.filter(workspace=workspace).count() == stored
    for post in Post.objects.all():
        assert post.network == "facebook" and post.sentiment_label and post.author is not None
    again = c.post(
        url, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=meta_sign(body, app_secret="app-secret")
    )
    assert again.json()["stored"] == 0 and Post.objects.count() == stored


def test_x_crc_and_signed_events(workspace):
    ch = channel(workspace, "twitter", {"consumer_secret": "consumer"})
    url = webhook_path(ch)
    c = Client()
    crc = c.get(url, {"crc_token": "abc"}).json()
    assert crc["response_token"].startswith("sha256=")
    body = fixture("x", "tweet_create_events.json")
    assert (
        c.post(
            url,
            body,
            content_type="application/json",
            HTTP_X_TWITTER_WEBHOOKS_SIGNATURE=x_sign(body, consumer_secret="other"),
        ).status_code
        == 401
    )
    assert not Post.objects.exists()
    r = c.post(
        url,
        body,
        content_type="application/json",
        HTTP_X_TWITTER_WEBHOOKS_SIGNATURE=x_sign(body, consumer_secret="consumer"),
    )
    assert r.status_code == 200 and r.json()["stored"] == Post.objects.filter(network="twitter").count() >= 1


def test_generic_webhook_signed_items_and_bad_items(workspace):
    ch = channel(workspace, "generic", {"secret": "generic-secret"})
    url = webhook_path(ch)
    items = json.loads(fixture("generic", "posts.json"))
    items = items if isinstance(items, list) else [items]
    body = json.dumps(items + [{"network": "twitter", "text": "no id"}]).encode()
    stamp = str(int(time.time()))
    c = Client()
    stale = str(int(time.time()) - 3600)
    assert (
        c.post(
            url,
            body,
            content_type="application/json",
            HTTP_X_RAPPORT_TIMESTAMP=stale,
            HTTP_X_RAPPORT_SIGNATURE=generic_sign(body, timestamp=stale, secret="generic-secret"),
        ).status_code
        == 401
    )
    r = c.post(
        url,
        body,
        content_type="application/json",
        HTTP_X_RAPPORT_TIMESTAMP=stamp,
        HTTP_X_RAPPORT_SIGNATURE=generic_sign(body, timestamp=stamp, secret="generic-secret"),
    )
    assert r.status_code == 200
    data = r.json()
    assert data["stored"] == len(items) and data["rejected"][0]["index"] == len(items)
    assert DeadLetter.objects.filter(workspace=workspace, source__startswith="webhook:generic").count() == 1


def _signed_generic(ch, body: bytes):
    stamp = str(int(time.time()))
    return Client(raise_request_exception=False).post(
        webhook_path(ch),
        body,
        content_type="application/json",
        HTTP_X_RAPPORT_TIMESTAMP=stamp,
        HTTP_X_RAPPORT_SIGNATURE=generic_sign(body, timestamp=stamp, secret="generic-secret"),
    )


def test_generic_webhook_keeps_the_good_item_beside_bad_ones(workspace):
    ch = channel(workspace, "generic", {"secret": "generic-secret"})
    good = {
        "network": "twitter",
        "external_id": "g1",
        "created_at": "2024-05-01T10:00:00Z",
        "text": "Lovely flight",
        "author": {"handle": "ann"},
    }
    bad = [
        {**good, "external_id": "b1", "created_at": "9999-12-31T23:59:59-12:00"},
        {**good, "external_id": "b2", "author": {"handle": 12345}},
        {**good, "external_id": "b3", "text": "\ud800"},
        {**good, "external_id": "b4", "url": 7},
    ]
    r = _signed_generic(ch, json.dumps([good, *bad]).encode())
    assert r.status_code == 200, r.content
    data = r.json()
    assert data["stored"] == 1 and Post.objects.get(workspace=workspace).external_id == "g1"
    reasons = {item["index"]: item["reason"] for item in data["rejected"]}
    assert reasons[1].startswith("created_at:") and "out of range" in reasons[1]
    assert reasons[2].startswith("author.handle:") and reasons[3].startswith("text:") and reasons[4].startswith("url:")
    assert DeadLetter.objects.filter(workspace=workspace, source__startswith="webhook:generic").count() == 4


@pytest.mark.parametrize("body", [b"[" * 100_000, b"[" + b"9" * 5000 + b"]", b'{"a": NaN}'])
def test_generic_webhook_body_no_parser_can_take_is_dead_lettered(workspace, body):
    ch = channel(workspace, "generic", {"secret": "generic-secret"})
    r = _signed_generic(ch, body)
    assert r.status_code in (200, 202), r.content
    assert not Post.objects.exists()


def test_signed_but_unreadable_payload_is_dead_lettered(workspace):
    ch = channel(workspace, "facebook", {"app_secret": "app-secret", "verify_token": "t"})
    body = b"{not json"
    r = Client().post(
        webhook_path(ch),
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=meta_sign(body, app_secret="app-secret"),
    )
    assert r.status_code == 202
    assert DeadLetter.objects.get(pk=r.json()["dead_letter_id"]).format == "meta"


def test_unknown_key_is_404():
    assert Client().post("/webhooks/meta/nope", b"{}", content_type="application/json").status_code == 404


def test_channels_api_lists_network_and_handle(api_factory, workspace):
    admin = api_factory(workspace, Role.ADMIN)
    r = admin.post("/channels", {"network": "twitter", "handle": "AcmeCare", "credentials": {"consumer_secret": "c"}})
    assert r.status_code == 201 and r.json()["has_credentials"] and "credentials" not in r.json()
    agent = api_factory(workspace, Role.AGENT)
    page = agent.get("/channels").json()
    listed = page["items"]
    assert page["next_cursor"] is None
    assert [(c["network"], c["handle"]) for c in listed] == [("twitter", "AcmeCare")]
    assert listed[0]["webhook_path"] is None  # only admins see the secret path
    assert agent.post("/channels", {"network": "twitter", "handle": "x"}).status_code == 403


def test_a_replayed_signed_bad_body_makes_one_dead_letter(workspace):
    ch = channel(workspace, "generic", {"secret": "generic-secret"})
    body = b"{not json"
    stamp = str(int(time.time()))
    headers = {
        "HTTP_X_RAPPORT_TIMESTAMP": stamp,
        "HTTP_X_RAPPORT_SIGNATURE": generic_sign(body, timestamp=stamp, secret="generic-secret"),
    }
    first = Client().post(webhook_path(ch), body, content_type="application/json", **headers)
    assert first.status_code == 202
    for _ in range(5):  # an attacker (or a confused sender) replays the very same signed request
        again = Client().post(webhook_path(ch), body, content_type="application/json", **headers)
        assert again.status_code == 200 and again.json()["replayed"] is True
    assert DeadLetter.objects.filter(workspace=workspace).count() == 1


def test_a_replayed_signed_meta_delivery_is_acknowledged_not_handled_again(workspace):
    ch = channel(workspace, "facebook", {"app_secret": "app-secret", "verify_token": "t"})
    body = b"{not json"
    sig = meta_sign(body, app_secret="app-secret")
    for _ in range(3):
        Client().post(webhook_path(ch), body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=sig)
    assert DeadLetter.objects.filter(workspace=workspace).count() == 1
