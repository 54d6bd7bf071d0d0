"""Retention of posts of non-customers and of message texts, once a workspace sets a policy for them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.care.models import Conversation, Message
from rapport.care.tests.helpers import brand, ingest, person, post, social_policy
from rapport.consent import retention
from rapport.contacts.models import Person
from rapport.listening.models import Post

pytestmark = pytest.mark.django_db


def test_old_posts_of_non_customers_and_old_message_texts_go_once_a_policy_says_so(
    workspace, django_capture_on_commit_callbacks
):
    brand(workspace)
    social_policy(workspace)
    customer = person(workspace, "Ada", "Lind", handle="adal")
    Person.objects.filter(pk=customer.pk).update(lifecycle_stage="customer")
    old = timezone.now() - timedelta(days=400)
    ingest(
        workspace,
        [post("@acmeair my bag is lost", handle="adal")],
        django_capture_on_commit_callbacks,
    )
    ingest(
        workspace,
        [
            post("a stranger's old post", handle="stranger", created_at=old),
            post("a stranger's new post", handle="stranger"),
        ],
        django_capture_on_commit_callbacks,
    )
    Message.objects.update(created_at=old)
    Post.objects.filter(person=customer).update(created_at=old)
    assert Message.objects.exists()
    assert retention.purge_workspace(workspace.pk).purged == {"enrichment_facts": 0}  # no policy: nothing goes
    assert Post.objects.count() == 3
    retention.set_policy(workspace.pk, "posts_non_customers", 365)
    retention.set_policy(workspace.pk, "messages", 365)
    run = retention.purge_workspace(workspace.pk)
    assert run.purged["posts_non_customers"] == 1
    assert set(Post.objects.values_list("text", flat=True)) == {"@acmeair my bag is lost", "a stranger's new post"}
    assert run.purged["messages"] == Message.objects.count() >= 1
    assert set(Message.objects.values_list("text", flat=True)) == {"[erased]"}
    assert Conversation.objects.count() == 1  # the conversation and its figures stay
    with pytest.raises(ValueError):
        retention.set_policy(workspace.pk, "posts_non_customers", 0)


def test_dead_letters_go_after_their_policy_replayed_or_not(workspace):
    from rapport.pipeline import deadletters
    from rapport.pipeline.models import DeadLetter

    old, recent = (
        deadletters.record(workspace_id=workspace.pk, source="api", fmt="post", payload=p, reason="text: missing")
        for p in ("{}", "[]")
    )
    DeadLetter.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=45))
    assert "dead_letters" not in retention.purge_workspace(workspace.pk).purged  # no policy: kept
    assert "dead_letters" in {t.name for t in retention.data_types()}
    retention.set_policy(workspace.pk, "dead_letters", 30)
    assert retention.purge_workspace(workspace.pk).purged["dead_letters"] == 1
    assert list(DeadLetter.objects.values_list("pk", flat=True)) == [recent.pk]
