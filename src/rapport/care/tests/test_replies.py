"""Replies go out through the channel the last message came in on; failures are kept and retried, never lost."""

from datetime import timedelta

import pytest
from django.utils import timezone
from tests.fakes.mastodon import TOKEN as MASTODON_TOKEN
from tests.fakes.outbound import GRAPH_TOKEN, X_TOKEN

from rapport.care import services
from rapport.care.models import Conversation, Delivery, Message
from rapport.care.tests.helpers import brand, ingest, person, post
from rapport.core.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(workspace, member_factory):
    return member_factory(workspace, Role.AGENT).user


def test_reply_on_x_goes_to_the_fake_server_as_a_reply_to_the_last_tweet(
    workspace, agent, fake_x, django_capture_on_commit_callbacks
):
    brand(workspace, access_token=X_TOKEN, base_url=fake_x.url)
    person(workspace, "Ana", "Lopez", handle="analopez")
    ingest(
        workspace,
        [post("@acmeair where is my bag?", handle="analopez", external_id="1501")],
        django_capture_on_commit_callbacks,
    )
    conv = Conversation.objects.get()
    msg = services.reply(conversation=conv, agent=agent, text="Hi Ana, checking now.")
    assert msg.delivery_status == Delivery.SENT
    assert fake_x.sent[-1]["reply"] == {"in_reply_to_tweet_id": "1501"}
    assert fake_x.sent[-1]["text"] == "Hi Ana, checking now."
    assert msg.external_id == fake_x.sent[-1]["id"]
    conv.refresh_from_db()
    assert conv.first_response_at is not None


def test_facebook_dm_answered_with_the_send_api(workspace, agent, fake_graph, django_capture_on_commit_callbacks):
    brand(workspace, network="facebook", handle="acmeair", access_token=GRAPH_TOKEN, base_url=fake_graph.url)
    person(workspace, "Lukas", "Brenner", network="facebook", handle="lukas.brenner", external_id="200077")
    ingest(
        workspace,
        [
            post(
                "My booking failed but my card was charged, please help",
                handle="lukas.brenner",
                network="facebook",
                kind="direct_message",
                author_id="200077",
            )
        ],
        django_capture_on_commit_callbacks,
    )
    conv = Conversation.objects.get()
    msg = services.reply(conversation=conv, agent=agent, text="Sorry Lukas, refund is on its way.")
    assert msg.delivery_status == Delivery.SENT, msg.last_error
    assert fake_graph.sent[-1]["kind"] == "message"
    assert fake_graph.sent[-1]["recipient"] == "200077"


def test_failed_send_is_kept_and_retried(workspace, agent, fake_mastodon, django_capture_on_commit_callbacks):
    brand(workspace, network="mastodon", handle="acmeair", access_token=MASTODON_TOKEN, base_url=fake_mastodon.url)
    ingest(
        workspace,
        [post("@acmeair is the app down? can't log in", handle="toot", network="mastodon", external_id="109")],
        django_capture_on_commit_callbacks,
    )
    conv = Conversation.objects.get()
    fake_mastodon.fail(503, times=1)
    msg = services.reply(conversation=conv, agent=agent, text="We are on it.")
    assert msg.delivery_status == Delivery.FAILED
    assert "503" in msg.last_error and msg.attempts == 1
    assert Message.objects.filter(pk=msg.pk, direction="outbound").exists()
    # Not yet due: nothing is retried.
    assert services.retry_failed(now=timezone.now()) == {"sent": 0, "failed": 0}
    result = services.retry_failed(now=timezone.now() + timedelta(hours=2))
    assert result == {"sent": 1, "failed": 0}
    msg.refresh_from_db()
    assert msg.delivery_status == Delivery.SENT and msg.attempts == 2 and msg.last_error == ""


def test_wrong_token_is_a_failure_with_the_networks_error(workspace, agent, fake_x, django_capture_on_commit_callbacks):
    brand(workspace, access_token="wrong", base_url=fake_x.url)
    ingest(workspace, [post("@acmeair where is my bag?", handle="someone")], django_capture_on_commit_callbacks)
    msg = services.reply(conversation=Conversation.objects.get(), agent=agent, text="Hello")
    assert msg.delivery_status == Delivery.FAILED
    assert "401" in msg.last_error
    assert fake_x.sent == []


def test_canned_reply_variables(workspace, agent, django_capture_on_commit_callbacks):
    from rapport.care.models import CannedReply

    brand(workspace)
    person(workspace, "Ana", "Lopez", handle="analopez")
    ingest(workspace, [post("@acmeair where is my bag?", handle="analopez")], django_capture_on_commit_callbacks)
    canned = CannedReply.objects.create(workspace=workspace, name="sorry", text="Hi {{first_name}}, {{unknown}} sorry!")
    text = services.render_canned(canned=canned, conversation=Conversation.objects.get(), agent=agent)
    assert text == "Hi Ana, {{unknown}} sorry!"


def test_a_channel_without_credentials_records_the_reply_and_sends_nothing(
    workspace, agent, django_capture_on_commit_callbacks, monkeypatch
):
    brand(workspace, base_url="https://x.example/unused")  # a base URL but no access token
    person(workspace, "Ana", "Lopez", handle="analopez")
    ingest(workspace, [post("@acmeair where is my bag?", handle="analopez")], django_capture_on_commit_callbacks)
    attempts = []
    monkeypatch.setattr("httpx.Client.send", lambda *a, **k: attempts.append(a) or pytest.fail("no request expected"))
    msg = services.reply(conversation=Conversation.objects.get(), agent=agent, text="Checking now.")
    assert (msg.delivery_status, msg.last_error) == (
        Delivery.NONE,
        "recorded only: no outbound connector for this channel",
    )
    assert attempts == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi {{first_name}}, sorry about this.", "Hi there, sorry about this."),
        ("Thank you {{first_name}}, that's great!", "Thank you, that's great!"),
        ("Dear {{ name }}, {{agent_name}} here.", "Dear there, Bea here."),
        ("Hi {{first_name|friend}}!", "Hi friend!"),
        ("Hello {{first_name}} {{last_name}}.", "Hello there."),
    ],
)
def test_canned_replies_never_leave_a_hole_for_a_missing_name(workspace, agent, text, expected):
    from rapport.care import replies
    from rapport.care.models import CannedReply

    agent.first_name = "Bea"
    conv, _ = services.open_or_join(workspace=workspace, person_id=None, identity_id=None, network="chat")
    canned = CannedReply.objects.create(workspace=workspace, name="t", text=text)
    filled = replies.preview_canned(canned=canned, conversation=conv, agent=agent)
    assert filled.text == expected
    assert "first_name" in filled.fell_back or "name" in filled.fell_back


def test_canned_reply_uses_the_profile_name_before_the_author_is_linked(workspace, agent):
    from rapport.care import replies
    from rapport.care.models import CannedReply
    from rapport.identity.models import SocialIdentity

    ident = SocialIdentity.objects.create(
        workspace=workspace, network="twitter", handle="kimj", external_id="tw-1", display_name="Kim Jensen"
    )
    conv, _ = services.open_or_join(workspace=workspace, person_id=None, identity_id=ident.pk, network="twitter")
    canned = CannedReply.objects.create(workspace=workspace, name="t", text="Hi {{first_name}}, {{oops}} here.")
    filled = replies.preview_canned(canned=canned, conversation=conv, agent=agent)
    assert filled.text == "Hi Kim, {{oops}} here." and filled.unknown == ["oops"] and filled.fell_back == []
