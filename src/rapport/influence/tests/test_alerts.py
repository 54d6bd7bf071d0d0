"""A rising author in a negative spike raises one alert per spike, with reasons; objectors are never named."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rapport.consent.models import Purpose
from rapport.consent.services import object_to
from rapport.contacts.models import Person
from rapport.identity.models import SocialIdentity
from rapport.influence import alerts, services
from rapport.influence.models import RisingAlert, Score
from rapport.influence.tests.helpers import NOW, ingest, population, post
from rapport.listening.models import SpikeAlert, TrackingRule

pytestmark = pytest.mark.django_db

ANGRY = "Travel with them is terrible: they broke my guitar and nobody cares. Worst airline ever, never again"


def spike(workspace, rule) -> SpikeAlert:
    return SpikeAlert.objects.create(
        workspace=workspace,
        dimension="rule",
        key=str(rule.pk),
        label=rule.name,
        started_at=NOW - timedelta(hours=2),
        last_seen_at=NOW,
        count=40,
        baseline=2.0,
        negative_share=0.8,
        probability=1e-9,
        reason="negativity",
    )


def test_the_musician_rising_in_a_negative_spike_is_flagged_once(api, workspace, django_capture_on_commit_callbacks):
    rule = TrackingRule.objects.create(workspace=workspace, name="Travel", query="travel")
    ingest(workspace, population(), django_capture_on_commit_callbacks)
    services.recompute(workspace.pk, now=NOW - timedelta(days=7))
    angry = [
        post(
            6000 + i,
            "a5",
            900,
            text=ANGRY + f" ({i})",
            created_at=(NOW - timedelta(minutes=90 - i)).isoformat().replace("+00:00", "Z"),
        )
        for i in range(3)
    ]
    quotes = [
        post(
            6100 + i,
            f"fan{i}",
            300,
            text=f"so true {i}",
            kind="quote",
            in_reply_to="twitter-6000",
            created_at=(NOW - timedelta(minutes=60 - i)).isoformat().replace("+00:00", "Z"),
        )
        for i in range(30)
    ]
    ingest(workspace, angry + quotes, django_capture_on_commit_callbacks)
    services.recompute(workspace.pk, now=NOW)
    ident = SocialIdentity.objects.get(workspace=workspace, handle_key="a5")
    row = Score.objects.get(subject=f"i{ident.pk}", topic=0)
    week_ago = services.ScoreSnapshot.objects.get(subject=row.subject, day=(NOW - timedelta(days=7)).date())
    assert row.score - week_ago.score >= alerts.RISE
    s = spike(workspace, rule)
    raised = alerts.detect(workspace.pk, now=NOW)
    assert [(a.identity_id, a.spike_id) for a in raised] == [(ident.pk, s.pk)]
    assert raised[0].negative_posts == 3 and "up" in raised[0].reason and "Travel" in raised[0].reason
    assert alerts.detect(workspace.pk, now=NOW) == []  # once per spike
    listed = api.get("/influence/alerts").json()["items"]
    assert [(a["identity_id"], a["rise"]) for a in listed] == [(ident.pk, raised[0].rise)]
    assert alerts.detect(workspace.pk, now=NOW + timedelta(days=3)) == []  # the spike is over

    person = Person.objects.create(workspace=workspace, first_name="Dave", last_name="Musician")
    SocialIdentity.objects.filter(pk=ident.pk).update(person=person)
    services.recompute(workspace.pk, now=NOW)
    object_to(person, Purpose.PROFILING, source="letter")
    spike(workspace, rule)
    assert alerts.detect(workspace.pk, now=NOW) == []
    assert RisingAlert.objects.count() == 1
    assert api.get("/influence/alerts").json()["items"] == []  # the objector is not named any more


def test_a_workspace_without_an_open_negative_spike_costs_one_query_a_minute(workspace, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert alerts.detect(workspace.pk, now=NOW) == []
