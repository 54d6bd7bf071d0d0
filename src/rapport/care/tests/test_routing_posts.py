"""Posts addressed to the brand open or join conversations; others do not; the same post never twice."""

from datetime import UTC, datetime, timedelta

import pytest

from rapport.care import conversations, services
from rapport.care.models import Conversation, Message
from rapport.care.tests.helpers import brand, ingest, person, post
from rapport.listening.models import Post

pytestmark = pytest.mark.django_db


def test_mention_of_brand_opens_one_conversation_and_noise_does_not(workspace, django_capture_on_commit_callbacks):
    brand(workspace)
    ana = person(workspace, "Ana", "Lopez", handle="analopez")
    ingest(
        workspace,
        [
            post("@acmeair my flight was cancelled and nobody helps, where is my refund?", handle="analopez"),
            post("@acmeair still waiting on that refund, third hour on hold", handle="analopez"),
            post("Lovely sunset today", handle="someone_else"),
            post("@acmeair lol", handle="noise_maker"),
        ],
        django_capture_on_commit_callbacks,
    )
    convs = list(Conversation.objects.filter(workspace=workspace))
    assert len(convs) == 1
    conv = convs[0]
    assert conv.person_id == ana.pk
    assert conv.messages.count() == 2
    assert conv.needs_response == "complaint"
    assert conv.priority > 0 and conv.priority_reasons


def test_route_posts_is_idempotent(workspace, django_capture_on_commit_callbacks):
    brand(workspace)
    person(workspace, "Ana", "Lopez", handle="analopez")
    ingest(workspace, [post("@acmeair why is my bag lost?", handle="analopez")], django_capture_on_commit_callbacks)
    ids = list(Post.objects.values_list("id", flat=True))
    again = services.route_posts(workspace=workspace, post_ids=ids)
    assert again["duplicates"] == 1 and again["opened"] == 0
    assert Message.objects.count() == 1


def test_two_posts_of_a_new_person_in_one_batch_open_one_conversation(workspace, django_capture_on_commit_callbacks):
    brand(workspace)
    ingest(
        workspace,
        [
            post("@acmeair my card was charged twice, help!", handle="newbie"),
            post("@acmeair hello?? anyone there? charged twice", handle="newbie"),
        ],
        django_capture_on_commit_callbacks,
    )
    assert Conversation.objects.count() == 1
    assert Message.objects.count() == 2


def test_concurrent_opener_loses_to_the_constraint_and_joins(workspace, monkeypatch):
    """Simulate the race: both callers saw no open conversation; the second insert must join the first's."""
    ana = person(workspace, "Ana", "Lopez")
    first, created = services.open_or_join(workspace=workspace, person_id=ana.pk, identity_id=None, network="twitter")
    assert created
    real = conversations._open_conversation
    calls = {"n": 0}

    def stale_then_real(**kwargs):
        calls["n"] += 1
        return None if calls["n"] == 1 else real(**kwargs)

    monkeypatch.setattr(conversations, "_open_conversation", stale_then_real)
    second, created = services.open_or_join(workspace=workspace, person_id=ana.pk, identity_id=None, network="facebook")
    assert not created and second.pk == first.pk
    assert Conversation.objects.count() == 1


def test_new_message_on_another_channel_joins_the_open_conversation(workspace, django_capture_on_commit_callbacks):
    brand(workspace)
    brand(workspace, network="facebook", handle="acmeair")
    p = person(workspace, "Ana", "Lopez", handle="analopez")
    from rapport.identity.models import SocialIdentity

    SocialIdentity.objects.create(
        workspace=workspace, person=p, network="facebook", handle="ana.lopez.fb", external_id="facebook-ana.lopez.fb"
    )
    ingest(
        workspace,
        [post("@acmeair my luggage is lost, what now?", handle="analopez")],
        django_capture_on_commit_callbacks,
    )
    ingest(
        workspace,
        [post("Any news on my lost luggage?", handle="ana.lopez.fb", network="facebook", kind="direct_message")],
        django_capture_on_commit_callbacks,
    )
    conv = Conversation.objects.get()
    assert sorted(conv.messages.values_list("network", flat=True)) == ["facebook", "twitter"]
    assert conv.channel == "facebook"


def test_reply_in_thread_joins_and_resolved_conversation_is_not_reopened(workspace, django_capture_on_commit_callbacks):
    brand(workspace)
    t0 = datetime.now(tz=UTC) - timedelta(hours=1)
    ingest(
        workspace,
        [post("@acmeair how do I change my seat?", handle="anon1", external_id="q1", created_at=t0)],
        django_capture_on_commit_callbacks,
    )
    # A reply without a mention, in the thread, still joins.
    ingest(
        workspace,
        [post("it's booking ABC123", handle="anon1", in_reply_to="q1", kind="reply")],
        django_capture_on_commit_callbacks,
    )
    conv = Conversation.objects.get()
    assert conv.messages.count() == 2
    # A comment on the brand's own post is addressed to the brand.
    ingest(
        workspace,
        [post("We are live! New routes to Lisbon", handle="acmeair", external_id="brandpost")],
        django_capture_on_commit_callbacks,
    )
    ingest(
        workspace,
        [post("Do you fly from Porto too?", handle="anon2", in_reply_to="brandpost", kind="reply")],
        django_capture_on_commit_callbacks,
    )
    assert Conversation.objects.count() == 2


def test_comment_on_the_brands_own_page_post_is_addressed(workspace, django_capture_on_commit_callbacks):
    brand(workspace, network="facebook", handle="acmeair")  # page id "facebook-brand"
    ingest(
        workspace,
        [
            post(
                "Why was my flight cancelled without notice?",
                handle="fbuser",
                network="facebook",
                kind="comment",
                external_id="facebook-brand_998_1",
            ),
            post(
                "Why was my flight cancelled without notice?",
                handle="fbuser2",
                network="facebook",
                kind="comment",
                external_id="otherpage_998_2",
            ),
        ],
        django_capture_on_commit_callbacks,
    )
    assert list(Message.objects.values_list("external_id", flat=True)) == ["facebook-brand_998_1"]
