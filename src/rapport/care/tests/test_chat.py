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


def signed(identifier: str, secret: str = "s3cret-of-the-shop") -> str:
    import hashlib
    import hmac

    return hmac.new(secret.encode(), identifier.encode(), hashlib.sha256).hexdigest()


@pytest.fixture
def verifying_chat(chat):
    chat.credentials = {"identity_secret": "s3cret-of-the-shop"}
    chat.save()
    return chat


def test_a_customer_signed_in_on_the_site_opens_on_their_profile_without_a_claim(verifying_chat, workspace):
    eva = create_person(
        workspace=workspace,
        actor=Actor.system("t"),
        data={"first_name": "Eva", "last_name": "Berg", "customer_number": "C-20417"},
    )
    ana = create_person(
        workspace=workspace, actor=Actor.system("t"), data={"first_name": "Ana", "email": "ana@mail.example"}
    )
    by_number = send(
        verifying_chat, {"text": "Where is my refund?", "identifier": "C-20417", "identifier_hash": signed("C-20417")}
    )
    assert by_number.status_code == 201
    by_email = send(
        verifying_chat,
        {
            "text": "Change my seat",
            "identifier": "Ana@Mail.example",
            "identifier_hash": signed("Ana@Mail.example").upper(),
        },
    )
    assert by_email.status_code == 201
    on = dict(Conversation.objects.filter(workspace=workspace).values_list("messages__text", "person_id"))
    assert on == {"Where is my refund?": eva.pk, "Change my seat": ana.pk}
    assert not IdentityClaim.objects.exists()


def test_a_forged_or_unverifiable_sign_in_is_refused_and_nothing_kept(chat, verifying_chat, workspace):
    create_person(workspace=workspace, actor=Actor.system("t"), data={"first_name": "Eva", "customer_number": "C-1"})
    forged = send(verifying_chat, {"text": "I am Eva", "identifier": "C-1", "identifier_hash": signed("C-1", "guess")})
    assert forged.status_code == 403 and forged.json()["detail"][0]["loc"] == ["body", "identifier_hash"]
    other = send(verifying_chat, {"text": "I am Eva", "identifier": "C-1", "identifier_hash": signed("C-2")})
    assert other.status_code == 403
    missing = send(verifying_chat, {"text": "I am Eva", "identifier_hash": signed("C-1")})
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "identifier"]
    verifying_chat.credentials = {}
    verifying_chat.save()
    unset = send(verifying_chat, {"text": "I am Eva", "identifier": "C-1", "identifier_hash": signed("C-1")})
    assert unset.status_code == 422 and "identity_secret" in unset.json()["detail"][0]["msg"]
    assert not Conversation.objects.exists()


def test_posts_from_outside_cannot_vouch_for_their_author(workspace, api_factory, settings):
    """The API (like the generic webhook and files) drops the raw keys only Rapport's own endpoints write."""
    settings.RAPPORT_EMAIL_AUTHSERV_IDS = ["mx.acme.example"]
    from rapport.listening.models import Post

    create_person(workspace=workspace, actor=Actor.system("t"), data={"first_name": "Eva", "customer_number": "C-1"})
    create_person(workspace=workspace, actor=Actor.system("t"), data={"first_name": "Ana", "email": "ana@mail.example"})
    api = api_factory(workspace, Role.ADMIN)
    items = [
        {
            "network": "chat",
            "external_id": "c1",
            "created_at": "2026-11-30T10:00:00Z",
            "text": "hi",
            "author": {"external_id": "visitor-x"},
            "raw": {"signed_in": "C-1"},
        },
        {
            "network": "email",
            "external_id": "m1",
            "created_at": "2026-11-30T10:00:00Z",
            "text": "hi",
            "author": {"external_id": "ana@mail.example", "handle": "ana@mail.example"},
            "raw": {"sender_authenticated_by": "mx.acme.example"},
        },
    ]
    response = api.post("/posts", items)
    assert response.status_code in (200, 201, 202), response.content
    posts = Post.objects.filter(workspace=workspace)
    assert posts.count() == 2
    assert all("signed_in" not in p.raw and "sender_authenticated_by" not in p.raw for p in posts)
    assert not posts.filter(person__isnull=False).exists()
