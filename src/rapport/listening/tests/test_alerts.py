"""Spike alerts: detection maths, once per episode, and signed delivery to the configured webhook."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rapport.listening import spikes
from rapport.listening.models import HourlyCount, SpikeAlert
from rapport.pipeline.connectors.generic.webhook import verify_signature

sys.path.insert(0, str(Path(__file__).resolve().parents[4]))
from tests.fakes.server import FakeServer, Response  # noqa: E402

pytestmark = pytest.mark.django_db
H0 = datetime(2026, 5, 1, tzinfo=UTC)


def test_tail_probability():
    assert spikes.tail_probability(0, 3.0) == pytest.approx(1.0)
    assert spikes.tail_probability(30, 2.0) < 1e-15
    assert 0.3 < spikes.tail_probability(3, 3.0) < 0.7


def fill(workspace, hours: int, per_hour: int, key: str = "#quiet", start: datetime = H0, negative: int = 0):
    from collections import Counter

    counts, negatives = Counter(), Counter()
    for h in range(hours):
        hour = start + timedelta(hours=h)
        counts[("all", "*", hour)] += per_hour + 3
        counts[("topic", key, hour)] += per_hour
        negatives[("topic", key, hour)] += negative
    spikes.add_counts(workspace_id=workspace.pk, counts=counts, negatives=negatives)


def test_counts_accumulate_across_calls(workspace):
    fill(workspace, 2, 4)
    fill(workspace, 2, 5)
    assert list(HourlyCount.objects.filter(dimension="topic").values_list("total", flat=True)) == [9, 9]


def test_spike_is_raised_once_per_episode_and_delivered_signed(workspace, settings, django_capture_on_commit_callbacks):
    received = []
    server = FakeServer()
    server.route("POST", r"/hook", lambda req, m: received.append(req) or Response(204, None))
    with server:
        settings.RAPPORT_ALERT_WEBHOOK_URL = server.url + "/hook"
        settings.RAPPORT_ALERT_WEBHOOK_SECRET = "hook-secret"
        fill(workspace, 30, 3)
        burst = H0 + timedelta(hours=30)
        with django_capture_on_commit_callbacks(execute=True):
            fill(workspace, 3, 60, start=burst, negative=50)
            for h in range(3):
                touched = {("topic", "#quiet", burst + timedelta(hours=h))}
                spikes.detect(workspace_id=workspace.pk, touched=touched, labels={})
    alert = SpikeAlert.objects.get(workspace=workspace)
    assert (alert.key, alert.reason, alert.started_at, alert.count) == ("#quiet", "negativity", burst, 60)
    assert alert.last_seen_at == burst + timedelta(hours=2) and alert.baseline == pytest.approx(3.0)
    assert alert.delivered_at is not None
    assert len(received) == 1
    req = received[0]
    verify_signature(
        req.body, req.headers.get("x-rapport-signature"), req.headers.get("x-rapport-timestamp"), secret="hook-secret"
    )
    assert req.json()["alert"]["key"] == "#quiet"


def test_no_alert_without_enough_listening_history(workspace):
    fill(workspace, 3, 60)  # a backfill that starts with a busy hour is not a spike
    touched = {("topic", "#quiet", H0 + timedelta(hours=h)) for h in range(3)}
    assert spikes.detect(workspace_id=workspace.pk, touched=touched, labels={}) == []


def test_spike_is_mailed_once_to_the_configured_recipients(
    workspace, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.RAPPORT_ALERT_EMAILS = "care-lead@acme.example, pr@acme.example"
    fill(workspace, 30, 3)
    burst = H0 + timedelta(hours=30)
    with django_capture_on_commit_callbacks(execute=True):
        fill(workspace, 2, 60, start=burst, negative=50)
        for h in range(2):
            spikes.detect(
                workspace_id=workspace.pk, touched={("topic", "#quiet", burst + timedelta(hours=h))}, labels={}
            )
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["care-lead@acme.example", "pr@acme.example"]
    assert "negativity spike" in mail.subject and "#quiet" in mail.subject
    assert "60 posts" in mail.body and "3.0 expected" in mail.body
