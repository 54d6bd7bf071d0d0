"""Routing works per batch: one score per touched conversation, races with other routers still join, never twice."""

from datetime import UTC, datetime, timedelta

import pytest

from rapport.care import intake, services, triage
from rapport.care.models import AppliedSLA, Conversation, Message, MessageDirection
from rapport.care.tests.helpers import brand, ingest, person, post, social_policy, team_with_agents
from rapport.listening.models import Post
from rapport.pipeline.ingest import process_batch

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
    real = intake.score_with

    def counting(conv, **kwargs):
        if kwargs.get("inbound") is None:
            calls.append(conv.pk)
        return real(conv, **kwargs)

    monkeypatch.setattr(intake, "score_with", counting)
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
    monkeypatch.setattr(intake, "_prefetch_conversations", lambda ws, posts, ids: ({}, {}, {}))
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
        if kwargs.get("direction") == MessageDirection.INBOUND and "external_id__in" in kwargs:
            return Message.objects.none()
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(Message.objects, "filter", blind)
    counts = services.route_posts(workspace=workspace, post_ids=ids)
    assert counts["duplicates"] == 2 and counts["opened"] == counts["joined"] == 0
    assert Message.objects.count() == 2 and Conversation.objects.count() == 1


def _stored(workspace, posts, capture) -> list[int]:
    """Store posts through the pipeline without running the after-commit routing; return their ids."""
    with capture(execute=False):
        process_batch(workspace_id=workspace.pk, posts=posts, detect_spikes=False)
    return list(Post.objects.filter(workspace=workspace).order_by("id").values_list("id", flat=True))


@pytest.mark.parametrize("n", [5, 40])
def test_a_batch_of_new_conversations_costs_the_same_few_queries_whatever_its_size(
    workspace, member_factory, django_capture_on_commit_callbacks, django_assert_max_num_queries, n
):
    brand(workspace)
    social_policy(workspace)
    team, users = team_with_agents(workspace, member_factory, n=3, strategy="round_robin", capacity=100)
    ids = _stored(
        workspace,
        [post(f"@acmeair my bag {i} never arrived, where is it?", handle=f"traveller{i}") for i in range(n)],
        django_capture_on_commit_callbacks,
    )
    # One fixed budget for 5 posts and for 40: every write is one statement per batch (the conversations' settling
    # update included), so a single query per post would put 40 posts far over it.
    with django_assert_max_num_queries(22):
        counts = intake.route_posts(workspace=workspace, post_ids=ids)
    assert counts == {"opened": n, "joined": 0, "skipped": 0, "duplicates": 0, "backfill": 0}
    convs = list(Conversation.objects.filter(workspace=workspace).order_by("id"))
    assert len(convs) == n and all(c.first_inbound_at and c.priority > 0 and c.sla_due_at for c in convs)
    assert AppliedSLA.objects.filter(conversation__in=convs).count() == n
    assigned = [c.assignee_id for c in convs]
    user_ids = sorted(u.pk for u in users)
    assert assigned == [user_ids[i % 3] for i in range(n)]  # round robin in order
    team.refresh_from_db()
    assert team.last_assigned_user_id == assigned[-1]  # the position is saved once, at the end of the batch


def test_posts_not_addressed_to_the_brand_are_skipped_without_lookups(
    workspace, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    brand(workspace)
    ids = _stored(
        workspace,
        [post(f"lovely weather in Lisbon today, day {i}", handle=f"tourist{i}") for i in range(10)],
        django_capture_on_commit_callbacks,
    )
    with django_assert_max_num_queries(4):  # savepoint, the posts, the brand's channels, release
        counts = intake.route_posts(workspace=workspace, post_ids=ids)
    assert counts["skipped"] == 10 and not Conversation.objects.exists()


def test_joined_conversation_starts_the_next_response_timer_from_the_batch(
    workspace, member_factory, django_capture_on_commit_callbacks
):
    brand(workspace)
    social_policy(workspace, first=60, nxt=30)
    team_with_agents(workspace, member_factory, n=1)
    person(workspace, "Ana", "Lopez", handle="analopez")
    ingest(workspace, [post("@acmeair lost bag, help?", handle="analopez")], django_capture_on_commit_callbacks)
    conv = Conversation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.reply(conversation=conv, agent=conv.assignee, text="Looking into it")
    answered = datetime.now(tz=UTC)
    ingest(
        workspace,
        [post("@acmeair any news? still nothing", handle="analopez", created_at=answered)],
        django_capture_on_commit_callbacks,
    )
    conv.refresh_from_db()
    timer = AppliedSLA.objects.get(conversation=conv)
    assert timer.first_response_met is True and timer.next_response_met is None
    assert timer.next_response_due == pytest.approx(answered + timedelta(minutes=30), abs=timedelta(seconds=1))
    assert conv.sla_due_at == min(timer.next_response_due, timer.resolution_due)
    assert conv.messages.filter(direction=MessageDirection.INBOUND).count() == 2
