"""A reply to a conversation that came from a Discourse forum: posted in the topic with the channel's API key, or,
on a read-only channel, recorded with the reason it was not sent."""

import pytest
from tests.fakes.discourse import API_KEY, API_USERNAME
from tests.fakes.discourse import fake_discourse as fake_discourse  # the fixture

from rapport.care import services
from rapport.care.models import Conversation, Delivery, Message, MessageDirection
from rapport.channels.services import upsert_channel
from rapport.core.actors import Actor
from rapport.core.models import Role
from rapport.pipeline.connectors.discourse.client import site_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(workspace, member_factory):
    return member_factory(workspace, Role.AGENT).user


def _conversation(workspace, server, **credentials) -> Conversation:
    channel = upsert_channel(
        workspace=workspace,
        actor=Actor.system("test"),
        network="discourse",
        handle="forum",
        config={"base_url": server.url},
        credentials=credentials or None,
    )
    question = server.add_post("My iPhone 5 keeps dropping to 3G", username="ole_k", topic_id=9921)
    conv, _ = services.open_or_join(workspace=workspace, person_id=None, identity_id=None, network="discourse")
    conv.brand_channel = channel
    conv.save()
    Message.objects.create(
        workspace=workspace,
        conversation=conv,
        network="discourse",
        kind="post",
        direction=MessageDirection.INBOUND,
        text=question["raw"],
        external_id=f"{site_of(server.url)}:{question['id']}",
        created_at=conv.created_at,
    )
    return conv


def test_reply_goes_to_the_forum_with_the_api_key(workspace, agent, fake_discourse):
    conv = _conversation(workspace, fake_discourse, api_key=API_KEY, api_username=API_USERNAME)
    msg = services.reply(conversation=conv, agent=agent, text="Thanks Ole, we are checking the cells near you.")
    assert msg.delivery_status == Delivery.SENT, msg.last_error
    (sent,) = [r for r in fake_discourse.requests if r.method == "POST"]
    assert sent.path == "/posts.json" and sent.headers["api-key"] == API_KEY
    assert sent.json() == {
        "raw": "Thanks Ole, we are checking the cells near you.",
        "topic_id": 9921,
        "reply_to_post_number": 1,
    }
    assert msg.external_id.startswith(f"{site_of(fake_discourse.url)}:")


def test_without_a_key_the_reply_is_recorded_with_the_reason(workspace, agent, fake_discourse):
    conv = _conversation(workspace, fake_discourse)
    msg = services.reply(conversation=conv, agent=agent, text="Thanks Ole, we are checking the cells near you.")
    assert msg.delivery_status == Delivery.NONE
    assert msg.last_error.startswith("recorded only, read-only: this Discourse channel has no API key")
    assert [r for r in fake_discourse.requests if r.method == "POST"] == []
