"""Calls, meetings, emails and chats that agents log join the person's conversation and count as contacts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.care.effort import compute_effort
from rapport.care.models import Conversation, Message
from rapport.care.tests.helpers import person
from rapport.core.models import Role

pytestmark = pytest.mark.django_db


def log(api, contact_id: int, **body):
    return api.post(f"/contacts/{contact_id}/touchpoints", body)


def test_logged_inbound_call_and_meeting_join_one_conversation(
    workspace, api_factory, django_capture_on_commit_callbacks
):
    lena = person(workspace, "Lena", "Ek", handle="lenaek")
    api = api_factory(workspace, Role.AGENT)
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        first = log(
            api,
            lena.pk,
            kind="call",
            channel="phone",
            direction="inbound",
            occurred_at=(now - timedelta(hours=2)).isoformat(),
            title="Moving house",
            body="I'm moving and need to cancel the contract at my old address",
        )
    assert first.status_code == 201
    conv = Conversation.objects.get(person=lena)
    call = Message.objects.get(conversation=conv)
    assert (call.kind, call.network, call.direction) == ("call", "phone", "inbound")
    assert call.external_id == f"touchpoint-{first.json()['id']}"
    assert "relocation" in conv.tags  # a sales moment, flagged from the logged call as from any message
    with django_capture_on_commit_callbacks(execute=True):
        log(
            api,
            lena.pk,
            kind="meeting",
            channel="store",
            direction="inbound",
            occurred_at=(now - timedelta(hours=1)).isoformat(),
            body="Came to the store about the cancellation again",
        )
    assert Conversation.objects.filter(person=lena).count() == 1
    assert Message.objects.filter(conversation=conv).count() == 2
    effort = compute_effort(Conversation.objects.get(pk=conv.pk))
    assert effort.contacts == 2 and effort.channel_switches == 1


def test_outbound_calls_and_notes_stay_on_the_timeline_only(workspace, api_factory, django_capture_on_commit_callbacks):
    lena = person(workspace, "Lena", "Ek", handle="lenaek")
    api = api_factory(workspace, Role.AGENT)
    at = timezone.now().isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        out = log(api, lena.pk, kind="call", channel="phone", direction="outbound", occurred_at=at, title="Follow-up")
        note = log(api, lena.pk, kind="note", channel="phone", direction="inbound", occurred_at=at, title="Prefers SMS")
    assert (out.status_code, note.status_code) == (201, 201)
    assert not Conversation.objects.filter(person=lena).exists()
    assert lena.touchpoints.count() == 2
