"""Routing works per batch: one score per touched conversation, races with other routers still join, never twice."""

from datetime import UTC, datetime, timedelta

import pytest

from rapport.care import services, triage
from rapport.care.models import AppliedSLA, Conversation, Direction, Message
from rapport.care.tests.helpers import brand, ingest, person, post, social_policy, team_with_agents
from rapport.listening.models import Post

pytestmark = pytest.mark.django_db


def test_batch_priority_equals_a_fresh_score_and_each_conversation_is_scored_once(
    workspace, member_factory, monkeypatch, django_capture_on_commit_callbacks
):
    brand(workspace)
    social_policy(workspace)
    team_with_agents(workspace, member_factory, n=2)
    person(workspace, "Ana", "Lopez", handle="analopez", followers=12000, tags=["vip"])
    t0 = datetime.now(tz=UTC) - timedelta(minutes=30)
    calls: list[int] = []
    real = services.score_with

    def counting(conv, **kwargs):
        if kwargs.get("inbound") is None:
            calls.append(conv.pk)
        return real(conv, **kwargs)

    monkeypatch.setattr(services, "score_with", counting)
    ingest(
        workspace,
        [
            post("@acmeair charged twice for my ticket", handle="analopez", created_at=t0),
            post("@acmeair still no refund, unacceptable", handle="analopez", created_at=t0 + timedelta(minutes=1)),
            post("@acmeair where is my bag?", handle="someone", created_at=t0 + timedelta(minutes=2)),
            post("@acmeair hello? my bag??", handle="someone", created_at=t0 + timedelta(minutes=3)),
        ],
        django_capture_on_commit_callbacks,
    )
    convs = list(Conversation.objects.order_by("id"))
    assert len(convs) == 2
    assert sorted(calls) == sorted(c.pk for c in convs)  # once per conversation, not once per message
    for conv in convs:
        assert conv.messages.count() == 2
        assert conv.assignee_id is not None and conv.team_id is not None
        assert AppliedSLA.objects.filter(conversation=conv).count() == 1
        stored = conv.priority
        assert triage.score_conversation(conv, save=False) == pytest.approx(stored)
    assert {r["factor"] for r in convs[0].priority_reasons} >= {"influence", "tier", "repeat contact"}


def test_router_that_missed_a_concurrent_conversation_joins_it(
    workspace, monkeypatch, django_capture_on_commit_callbacks
):
    """Another router opened the person's conversation after this batch looked: the constraint makes it join."""
    brand(workspace)
    ana = person(workspace, "Ana", "Lopez", handle="analopez")
    ingest(workspace, [post("@acmeair my refund is late", handle="analopez")], django_capture_on_commit_callbacks)
    first = Conversation.objects.get()
    monkeypatch.setattr(services, "_prefetch_conversations", lambda ws, posts, ids: ({}, {}, {}))
    ingest(workspace, [post("@acmeair any news on it?", handle="analopez")], django_capture_on_commit_callbacks)
    assert Conversation.objects.get().pk == first.pk
    assert Message.objects.filter(conversation__person=ana).count() == 2


def test_message_stored_meanwhile_by_another_router_counts_as_duplicate(
    workspace, monkeypatch, django_capture_on_commit_callbacks
):
    brand(workspace)
    person(workspace, "Ana", "Lopez", handle="analopez")
    ingest(
        workspace,
        [post("@acmeair lost bag", handle="analopez", external_id="x1")],
        django_capture_on_commit_callbacks,
    )
    ingest(
        workspace,
        [post("@acmeair lost bag again", handle="analopez", external_id="x2")],
        django_capture_on_commit_callbacks,
    )
    ids = list(Post.objects.order_by("id").values_list("id", flat=True))
    # Hide what is stored from the duplicate check, as a concurrent router's uncommitted insert would be.
    real_filter = Message.objects.filter

    def blind(*args, **kwargs):
        if kwargs.get("direction") == Direction.INBOUND and "external_id__in" in kwargs:
            return Message.objects.none()
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(Message.objects, "filter", blind)
    counts = services.route_posts(workspace=workspace, post_ids=ids)
    assert counts["duplicates"] == 2 and counts["opened"] == counts["joined"] == 0
    assert Message.objects.count() == 2 and Conversation.objects.count() == 1
