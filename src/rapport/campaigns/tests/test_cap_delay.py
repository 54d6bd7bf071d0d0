"""A journey set to delay over-cap emails holds the pass at the step until the frequency cap allows the email, then
sends it (on the simulated clock); the default still skips; the setting is validated and in the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.fakes.smtp import fake_smtp  # noqa: F401 - fixture

from rapport.campaigns import policy
from rapport.campaigns.models import Enrolment, StepRun, StepStatus
from rapport.campaigns.tests.journey_helpers import install_clock, journey, person, smtp_settings, tick
from rapport.campaigns.tests.test_policy import life_event

pytestmark = pytest.mark.django_db(transaction=True)
STEPS = [{"id": "hello", "type": "email", "subject": "Hello", "body": "h"}]


def test_an_over_cap_email_waits_for_the_cap_and_then_goes(workspace, settings, monkeypatch, fake_smtp):  # noqa: F811
    smtp_settings(settings, fake_smtp)
    clock = install_clock(monkeypatch)
    start = clock()
    policy.save_policy(workspace_id=workspace.pk, data={"cap_messages": 2, "cap_days": 7})
    ann = person(workspace, "Ann")
    first = journey(workspace, name="First", trigger="life_event", steps=STEPS)
    life_event(workspace, ann)
    tick(clock)  # one
    clock.advance(days=2)
    first.status = "paused"
    first.save()
    journey(workspace, name="Second", trigger="life_event", steps=STEPS)
    life_event(workspace, ann)
    tick(clock)  # two: the cap is reached
    assert len(fake_smtp.messages) == 2
    clock.advance(days=1)
    delayed = journey(workspace, name="Delayed", trigger="life_event", steps=STEPS, when_capped="delay")
    skipped = journey(workspace, name="Skipped", trigger="life_event", steps=STEPS)
    life_event(workspace, ann)
    tick(clock)
    assert len(fake_smtp.messages) == 2
    assert StepRun.objects.get(journey=skipped).status == StepStatus.CAPPED
    assert not StepRun.objects.filter(journey=delayed).exists()
    e = Enrolment.objects.get(journey=delayed)
    # The first message leaves the 7-day window a week after it went: one more then fits.
    assert e.status == "active" and e.step == "hello"
    assert start + timedelta(days=7) < e.due_at <= start + timedelta(days=7, seconds=2)
    clock.at = start + timedelta(days=6, hours=23)
    tick(clock)
    assert len(fake_smtp.messages) == 2
    clock.at = e.due_at + timedelta(seconds=1)
    tick(clock)
    assert len(fake_smtp.messages) == 3 and StepRun.objects.get(journey=delayed).status == StepStatus.SENT
    assert Enrolment.objects.get(journey=delayed).status == "completed"


def test_the_setting_is_validated_and_shown(api, workspace):
    body = {"name": "J", "trigger": "life_event", "steps": STEPS, "when_capped": "later"}
    r = api.post("/journeys", body)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "when_capped"
    r = api.post("/journeys", body | {"when_capped": "delay"})
    assert r.status_code == 201 and r.json()["when_capped"] == "delay"
    r = api.patch(f"/journeys/{r.json()['id']}", {"when_capped": "skip"})
    assert r.status_code == 200 and r.json()["when_capped"] == "skip"
