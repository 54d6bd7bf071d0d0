"""Questions asked from the inbox that get no accepted answer in time go back to care, once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.care.models import Conversation, ConversationStatus, Message, MessageDirection
from rapport.community import services
from rapport.community.models import CommunitySettings
from rapport.community.tests.helpers import category, member
from rapport.core import jobs

pytestmark = pytest.mark.django_db


def _asked(workspace, agent, cat, text="My iPhone 5 screen flickers since Monday."):
    conv = Conversation.objects.create(workspace=workspace, subject="flicker", status=ConversationStatus.PENDING)
    Message.objects.create(
        workspace=workspace,
        conversation=conv,
        network="email",
        kind="email",
        direction=MessageDirection.INBOUND,
        text=text,
        author_label="customer",
        created_at=timezone.now(),
    )
    return conv, services.ask_from_conversation(conversation=conv, category=cat, agent=agent)


def _notes(conv):
    return list(
        Message.objects.filter(conversation=conv, direction=MessageDirection.NOTE).values_list("text", flat=True)
    )


def test_an_unanswered_question_returns_to_care_once_after_the_time_limit(workspace, admin):
    cat = category(workspace)
    conv, q = _asked(workspace, admin.user, cat)
    now = timezone.now()
    assert services.return_unanswered(now=now + timedelta(hours=47)) == {"returned": 0, "already_resolved": 0}
    assert services.return_unanswered(now=now + timedelta(hours=49)) == {"returned": 1, "already_resolved": 0}
    conv.refresh_from_db()
    q.refresh_from_db()
    assert conv.status == ConversationStatus.OPEN and "community-unanswered" in conv.tags
    (note,) = _notes(conv)
    assert "after 48 hours: no answer" in note and f"/community/{workspace.slug}/q/{q.pk}/" in note
    assert q.returned_to_care_at is not None
    assert services.return_unanswered(now=now + timedelta(hours=60))["returned"] == 0  # once
    assert len(_notes(conv)) == 1
    # Back in care, the agent may ask the community again; a late accepted answer still closes the case.
    again = services.ask_from_conversation(conversation=conv, category=cat, agent=admin.user)
    a = services.answer(question=q, author=member(workspace, "kohlmark"), body="Reset the display settings.")
    services.accept(answer=a, by_user=admin.user)
    conv.refresh_from_db()
    assert conv.status == ConversationStatus.RESOLVED and "deflected" in conv.tags and again.pk != q.pk


def test_the_note_counts_answers_that_were_not_accepted_and_the_limit_is_per_workspace(
    workspace, other_workspace, admin, member_factory
):
    cat = category(workspace)
    CommunitySettings.objects.filter(workspace=workspace).update(return_after_hours=2)
    conv, q = _asked(workspace, admin.user, cat)
    services.answer(question=q, author=member(workspace, "helper1"), body="Maybe the cable?")
    services.answer(question=q, author=member(workspace, "helper2"), body="Try a restart.")
    ocat = category(other_workspace)
    CommunitySettings.objects.filter(workspace=other_workspace).update(return_after_hours=0)  # never
    oconv, oq = _asked(other_workspace, member_factory(other_workspace).user, ocat)
    counts = services.return_unanswered(now=timezone.now() + timedelta(hours=3))
    assert counts["returned"] == 1
    assert "after 2 hours: 2 answers, none accepted" in _notes(conv)[0]
    oq.refresh_from_db()
    assert oq.returned_to_care_at is None and _notes(oconv) == []


def test_a_conversation_resolved_meanwhile_is_not_reopened(workspace, admin):
    cat = category(workspace)
    conv, q = _asked(workspace, admin.user, cat)
    Conversation.objects.filter(pk=conv.pk).update(status=ConversationStatus.RESOLVED)
    counts = services.return_unanswered(now=timezone.now() + timedelta(hours=49))
    assert counts == {"returned": 0, "already_resolved": 1}
    conv.refresh_from_db()
    assert conv.status == ConversationStatus.RESOLVED and _notes(conv) == []


def test_the_periodic_job_is_registered():
    job = jobs.get_job("community.return_unanswered")
    assert job.every == 900
