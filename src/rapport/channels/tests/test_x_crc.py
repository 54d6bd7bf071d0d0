"""X's CRC endpoint answers only X-shaped challenges, is rate-limited, and leaves an audit trail."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client

from rapport.channels.services import upsert_channel, webhook_path
from rapport.core.actors import Actor
from rapport.core.models import AuditEvent
from rapport.pipeline.connectors.x.webhook import sign

pytestmark = pytest.mark.django_db
SECRET = "consumer-secret"


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def url(workspace):
    channel = upsert_channel(
        workspace=workspace,
        actor=Actor.system(),
        network="twitter",
        handle="acme",
        credentials={"consumer_secret": SECRET},
    )
    return webhook_path(channel)


def test_a_real_shaped_token_is_answered(url):
    for token in ("NjI2NzIyMjA0NTM5MTcyMTYw", "aBc-_d", "Y2hhbGxlbmdlLXRva2Vu+/x=="):
        response = Client().get(url, {"crc_token": token})
        assert response.status_code == 200
        assert response.json()["response_token"] == sign(token.encode(), consumer_secret=SECRET)


def test_a_forged_body_as_challenge_gets_no_signature(url):
    forged = json.dumps({"for_user_id": "1", "tweet_create_events": [{"id_str": "1", "text": "fake"}]})
    response = Client().get(url, {"crc_token": forged})
    assert response.status_code == 400 and "response_token" not in response.json()
    for bad in ("a" * 129, "abc def", "{}", "a\nb", "tok%en", ""):
        assert Client().get(url, {"crc_token": bad}).status_code == 400


def test_challenges_are_rate_limited_per_channel(url):
    codes = [Client().get(url, {"crc_token": f"token{i}"}, REMOTE_ADDR=f"203.0.113.{i}").status_code for i in range(12)]
    assert codes[:10] == [200] * 10 and codes[10:] == [429, 429]


def test_challenges_are_rate_limited_per_address(workspace, monkeypatch):
    urls = [
        webhook_path(
            upsert_channel(
                workspace=workspace,
                actor=Actor.system(),
                network="twitter",
                handle=f"acme{i}",
                credentials={"consumer_secret": SECRET},
            )
        )
        for i in range(4)
    ]
    codes = [Client().get(urls[i % 4], {"crc_token": f"t{i}"}).status_code for i in range(32)]
    assert codes.count(200) == 30 and codes[-2:] == [429, 429]


def test_challenges_are_audited(url):
    Client().get(url, {"crc_token": "NjI2NzIyMjA0NTM5MTcyMTYw"})
    Client().get(url, {"crc_token": '{"x": 1}'})
    answered, refused = AuditEvent.objects.filter(object_type="channel", action__startswith="channel.crc").order_by(
        "id"
    )
    assert answered.action == "channel.crc_answered" and answered.after["ip"] == "127.0.0.1"
    assert refused.action == "channel.crc_refused" and "base64" in refused.after["reason"]
