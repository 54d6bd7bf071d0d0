"""The demo's sent campaign: sent through the real job to the VIP customers who did not object (nothing leaves the
machine), with a response the funnel can show, and seeded once."""

from __future__ import annotations

import pytest
from django.core import mail

from rapport.campaigns import services
from rapport.campaigns.models import Campaign
from rapport.campaigns.tests.test_campaigns import person
from rapport.consent import services as consent
from rapport.contacts.models import Touchpoint
from rapport.demo.campaigns import AUDIENCE, NAME, seed_campaigns
from rapport.segments.models import Segment

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_demo_campaign_is_sent_to_the_consented_with_a_response(workspace, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: the seed must not use it
    people = [person(workspace, f"V{i:02d}") for i in range(40)]
    nope = person(workspace, "Nope", granted=None)
    consent.record(nope, "surveys", granted=False, channel="email", source="preference_centre")  # objected
    person(workspace, "Other", tags=("regular",))  # not a VIP
    text = seed_campaigns(workspace)
    c = Campaign.objects.get(name=NAME)
    s = services.stats(c)
    assert c.status == "sent" and s["sent"] == 40 and s["no_consent"] == 1 and s["unique_messages"] == 40
    assert 0 < s["clicked"] < s["opened"] < 40 and s["converted"] >= 1 and s["revenue"] >= 39.0
    assert "sent to 40 of 41 VIP customers (1 objected" in text
    assert Touchpoint.objects.filter(source="campaign", person__in=people).count() == 40
    assert not getattr(mail, "outbox", [])
    assert seed_campaigns(workspace).endswith("already there")
    assert Campaign.objects.filter(name=NAME).count() == 1
    assert Segment.objects.filter(name=AUDIENCE).count() == 1
