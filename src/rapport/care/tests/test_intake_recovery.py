"""A crash between storing posts and routing them loses no conversation and doubles none (the outbox redelivers)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rapport.care.intake import route_posts
from rapport.care.models import Conversation, Message
from rapport.care.tests.helpers import brand, person, post
from rapport.core import events
from rapport.core.models import OutboxEvent
from rapport.listening.models import Post
from rapport.pipeline.ingest import process_batch

pytestmark = pytest.mark.django_db


def _batch(n: int) -> list[dict]:
    return [post(f"@acmeair my bag number {i} never arrived", handle=f"flyer{i}") for i in range(n)]


def test_posts_stored_by_a_process_that_died_before_routing_are_routed_later(workspace):
    brand(workspace)
    ana = person(workspace, "Ana", "Lopez", handle="flyer0")
    # Stored and committed, but the process died before its after-commit delivery ran (no capture here).
    result = process_batch(workspace_id=workspace.pk, posts=_batch(20), detect_spikes=False)
    assert result.stored == 20 and not Conversation.objects.exists()
    assert OutboxEvent.objects.filter(name="listening.posts_stored", delivered_at__isnull=True).count() == 1
    # The job delivers identity first; identity's own event then carries the posts to the inbox.
    events.deliver_pending(grace=timedelta(0))
    events.deliver_pending(grace=timedelta(0))
    assert Message.objects.count() == 20
    assert Conversation.objects.count() == 20
    assert Conversation.objects.filter(person=ana).count() == 1
    assert not OutboxEvent.objects.filter(delivered_at__isnull=True).exists()
    # Delivering again (a second worker, a replay) changes nothing.
    events.deliver_pending(grace=timedelta(0))
    for row in OutboxEvent.objects.all():
        events.deliver_ids([row.pk])
    assert Message.objects.count() == 20 and Conversation.objects.count() == 20


def test_a_routing_that_fails_is_retried_and_converges(workspace, monkeypatch, django_capture_on_commit_callbacks):
    brand(workspace)
    calls = []

    def broken_then_fixed(*, workspace, post_ids, now=None):
        calls.append(len(post_ids))
        if len(calls) == 1:
            raise RuntimeError("database went away mid-routing")
        return route_posts(workspace=workspace, post_ids=post_ids, now=now)

    monkeypatch.setattr("rapport.care.intake.route_posts", broken_then_fixed)
    with django_capture_on_commit_callbacks(execute=True):
        process_batch(workspace_id=workspace.pk, posts=_batch(10), detect_spikes=False)
    assert Post.objects.count() == 10 and not Message.objects.exists()
    linked = OutboxEvent.objects.get(name="identity.posts_linked")
    assert linked.delivered_at is None and "mid-routing" in linked.last_error
    OutboxEvent.objects.update(next_attempt_at=linked.created_at - timedelta(seconds=1))
    events.deliver_pending(grace=timedelta(0))
    assert calls == [10, 10]
    assert Message.objects.count() == 10 and Conversation.objects.count() == 10
    assert not OutboxEvent.objects.filter(delivered_at__isnull=True).exists()
