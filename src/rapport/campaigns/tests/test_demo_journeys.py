"""The demo's journeys: made by the engine on a simulated clock, with counts on their maps, seeded once, and nothing
sent anywhere but an in-memory mailbox."""

from __future__ import annotations

import pytest

from rapport.campaigns import journeys
from rapport.campaigns.models import Journey
from rapport.campaigns.tests.journey_helpers import person
from rapport.care.models import Conversation
from rapport.consent import services as consent
from rapport.demo.journeys import CAMERA, MOVING, seed_journeys

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_demo_journeys_have_history_and_are_seeded_once(workspace, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: the seed must not use it
    people = [person(workspace, f"P{i:02d}", purposes=("offers",) if i % 3 else ()) for i in range(30)]
    no = people[0]
    consent.record(no, "offers", granted=False, channel="email", source="preference_centre")
    text = seed_journeys(workspace)
    assert not consent.may_contact(no, "offers", "email")  # a no is never turned into a yes by the demo
    moving = journeys.counts(Journey.objects.get(workspace=workspace, name=MOVING))
    camera = journeys.counts(Journey.objects.get(workspace=workspace, name=CAMERA))
    assert moving["entered"] == 24 and camera["entered"] == 6  # 16 who allow offers, 8 who do not
    offered = moving["steps"][2]["sent"]
    tasks = moving["steps"][4]["reached"]
    assert offered > 0 and tasks > 0 and offered + tasks <= 24
    assert sum("journey" in tags for tags in Conversation.objects.values_list("tags", flat=True)) == tasks
    assert moving["converted"] >= 1 and camera["steps"][1]["sent"] == 6
    assert f"{moving['entered']} entered" in text
    assert seed_journeys(workspace) == "journeys: the demo journeys are already there"
