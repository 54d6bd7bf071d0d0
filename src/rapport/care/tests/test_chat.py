"""The web chat: a visitor's message opens a conversation; only the visitor's token reads the answers."""

import json

import pytest
from conftest import login
from django.test import Client

from rapport.care import replies
from rapport.care.models import Conversation
from rapport.channels.services import upsert_channel
from rapport.contacts.services import create_person
from rapport.core.actors import Actor
from rapport.core.models import Role
from rapport.identity.models import IdentityClaim

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def chat(workspace):
    channel = upsert_channel(workspace=workspace, actor=Actor.system("t"), network="chat", handle="site", name="Help")
    channel.config = {"allowed_origins": ["https://shop.acme.example"]}
    channel.save()
    return channel


def send(channel, body, origin="https://shop.acme.example"):
    return Client().post(
        f"/chat/{channel.webhook_key}/messages", json.dumps(body), content_type="application/json", HTTP_ORIGIN=origin
    )


def test_a_visitor_chats_the_agent_answers_and_only_that_visitor_reads_it(chat, workspace, member_factory):
    ana = create_person(
        workspace=workspace,
        actor=Actor.system("t"),
        data={"first_name": "Ana", "last_name": "Lopez", "email": "ana@mail.example"},
    )
    first = send(chat, {"text": "Is my order 4471 shipped?", "email": "ana@mail.example", "name": "Ana"})
    assert first.status_code == 201 and first["Access-Control-Allow-Origin"] == "https://shop.acme.example"
    token = first.json()["token"]
    assert send(chat, {"text": "Hello?", "token": token}).status_code == 201
    conv = Conversation.objects.get(workspace=workspace)
    # A typed address is a claim: the conversation is not on Ana's profile until the agent confirms it.
    assert conv.channel == "chat" and conv.person_id is None and conv.messages.count() == 2
    member = member_factory(workspace, Role.AGENT)
    agent, desk = member.user, login(member)
    page = desk.get(f"/inbox/{conv.pk}/").content.decode()
    assert "Says they are Ana Lopez" in page and "ana@mail.example" not in page.split('class="side"')[1]
    claim = IdentityClaim.objects.get(identity=conv.identity)
    assert desk.post(f"/inbox/{conv.pk}/claims/{claim.pk}/confirm/").status_code == 302
    conv.refresh_from_db()
    assert conv.person_id == ana.pk
    assert "Open contact" in desk.get(f"/inbox/{conv.pk}/").content.decode()
    replies.reply(conversation=conv, agent=agent, text="Yes, it left the warehouse this morning.")
    page = Client().get(f"/chat/{chat.webhook_key}/messages", {"token": token}).json()["items"]
    assert [m["direction"] for m in page] == ["inbound", "inbound", "outbound"]
    assert page[-1]["text"] == "Yes, it left the warehouse this morning."
    other = send(chat, {"text": "Hi, do you ship to Norway?"}).json()["token"]
    assert len(Client().get(f"/chat/{chat.webhook_key}/messages", {"token": other}).json()["items"]) == 1


def test_bad_chat_input_is_refused_naming_the_field(chat):
    assert send(chat, {"text": ""}).json()["detail"][0]["loc"] == ["body", "text"]
    assert send(chat, {"text": "hi", "email": "not-an-email"}).json()["detail"][0]["loc"] == ["body", "email"]
    assert send(chat, {"text": "hi", "token": "forged"}).status_code == 403
    assert Client().get(f"/chat/{chat.webhook_key}/messages", {"token": "forged"}).status_code == 403
    assert Client().post("/chat/nope/messages", "{}", content_type="application/json").status_code == 404
    assert "Access-Control-Allow-Origin" not in send(chat, {"text": "hi"}, origin="https://evil.example")
    assert not Conversation.objects.filter(messages__text="").exists()


def test_the_widget_script_points_at_its_channel(chat):
    script = Client().get(f"/chat/{chat.webhook_key}/widget.js")
    assert script["Content-Type"].startswith("application/javascript")
    assert f"/chat/{chat.webhook_key}/messages" in script.content.decode()


def test_visitor_tokens_expire_and_every_message_renews_them(chat, settings):
    from unittest import mock

    settings.RAPPORT_CHAT_TOKEN_DAYS = 30
    url = f"/chat/{chat.webhook_key}/messages"
    with mock.patch("django.core.signing.time.time", return_value=1_000_000_000):
        old = send(chat, {"text": "Where is my parcel?"}).json()["token"]
    assert Client().get(url, {"token": old}).status_code == 403  # issued in 2001: long expired
    assert "expired" in Client().get(url, {"token": old}).json()["detail"][0]["msg"]
    again = send(chat, {"text": "Hello again", "token": old})
    assert again.status_code == 201 and again.json()["token"] != old  # kept, as a new visitor
    fresh = again.json()["token"]
    assert len(Client().get(url, {"token": fresh}).json()["items"]) == 1
    renewed = send(chat, {"text": "Still there?", "token": fresh}).json()["token"]
    assert len(Client().get(url, {"token": renewed}).json()["items"]) == 2


def test_text_no_database_can_store_is_refused_naming_the_field(chat):
    for body, field in [
        ({"text": "\ud800"}, "text"),
        ({"text": "hi\x00there"}, "text"),
        ({"text": "hi", "name": "An\udc80a"}, "name"),
        ({"text": {"nested": 1}}, "text"),
        ({"text": "hi", "page": ["x"]}, "page"),
    ]:
        r = Client(raise_request_exception=False).post(
            f"/chat/{chat.webhook_key}/messages", json.dumps(body), content_type="application/json"
        )
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", field], (body, r.content)
    assert not Conversation.objects.exists()


def test_anonymous_chat_is_rate_limited_per_address_and_per_channel(chat, workspace, settings, monkeypatch):
    settings.RAPPORT_CHAT_MESSAGES_PER_MINUTE = 3
    settings.RAPPORT_CHAT_CHANNEL_MESSAGES_PER_MINUTE = 5
    settings.RAPPORT_CHAT_READS_PER_MINUTE = 4

    def from_address(ip, text):
        return Client().post(
            f"/chat/{chat.webhook_key}/messages",
            json.dumps({"text": text}),
            content_type="application/json",
            HTTP_ORIGIN="https://shop.acme.example",
            REMOTE_ADDR=ip,
        )

    asks = [f"Where is my order {i}? It has not arrived." for i in range(4)]
    assert [from_address("198.51.100.7", text).status_code for text in asks] == [201, 201, 201, 429]
    limited = from_address("198.51.100.7", "still there?")
    assert limited["Retry-After"] == "60" and "too many" in limited.json()["detail"]
    assert limited["Access-Control-Allow-Origin"] == "https://shop.acme.example"  # the widget can read the answer
    # Another address may go on, until the channel as a whole has taken its five.
    others = [f"My refund {i} never came, can you help?" for i in range(3)]
    assert [from_address("198.51.100.8", text).status_code for text in others] == [201, 201, 429]
    assert Conversation.objects.filter(workspace=workspace).count() == 5
    reads = [
        Client().get(f"/chat/{chat.webhook_key}/messages", {"token": "x"}, REMOTE_ADDR="203.0.113.9").status_code
        for _ in range(5)
    ]
    assert reads == [403, 403, 403, 403, 429]
