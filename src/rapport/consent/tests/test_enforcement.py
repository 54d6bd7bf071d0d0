"""Enforcement at the moment of acting: a CSAT survey asks the consent service when it is sent."""

from __future__ import annotations

import pytest

from rapport.care import services as care
from rapport.care import surveys
from rapport.care.models import Conversation, Message
from rapport.care.tests.helpers import brand, ingest, person, post, social_policy
from rapport.consent import services
from rapport.consent.models import Purpose
from rapport.core.actors import Actor
from rapport.core.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(workspace, django_capture_on_commit_callbacks):
    brand(workspace)
    social_policy(workspace)
    person(workspace, "Ana", "Lopez", handle="analopez")
    ingest(workspace, [post("@acmeair my bag is lost", handle="analopez")], django_capture_on_commit_callbacks)
    return Conversation.objects.get()


def test_a_withdrawal_between_scheduling_and_sending_stops_the_survey(conversation, django_capture_on_commit_callbacks):
    # Resolving schedules the survey (an outbox row for conversation.csat_requested); it is not delivered yet.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        care.resolve(conversation=conversation, actor=Actor.system("t"))
    assert OutboxEvent.objects.filter(name="conversation.csat_requested").exists()
    services.object_to(conversation.person, Purpose.SURVEYS, source="agent")
    for callback in callbacks:
        callback()  # now the event is delivered and the survey would go out
    assert not Message.objects.filter(conversation=conversation, kind="survey").exists()


def test_without_an_objection_the_survey_goes_and_a_withdrawn_channel_alone_stops_it(conversation):
    services.record(conversation.person, Purpose.SURVEYS, granted=False, channel="email", source="api")
    assert surveys.send_survey("conversation.csat_requested", {"conversation_id": conversation.pk}) is not None
    assert Message.objects.filter(conversation=conversation, kind="survey").count() == 1


def test_a_withdrawal_on_the_conversations_channel_stops_it(conversation):
    services.record(
        conversation.person, Purpose.SURVEYS, granted=False, channel="social_dm", source="preference_centre"
    )
    assert surveys.send_survey("conversation.csat_requested", {"conversation_id": conversation.pk}) is None
    assert not Message.objects.filter(conversation=conversation, kind="survey").exists()
