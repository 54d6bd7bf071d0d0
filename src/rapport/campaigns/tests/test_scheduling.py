"""Scheduling: a campaign scheduled for a local time (the workspace's time zone) waits in the job runner until
then and is sent once; moved or cancelled before it starts, the waiting job does nothing; bad times are 422."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult
from tests.fakes.smtp import fake_smtp  # noqa: F401 - fixture

from rapport.campaigns import policy, services
from rapport.campaigns.models import Campaign, CampaignStatus
from rapport.campaigns.tests.journey_helpers import install_clock
from rapport.campaigns.tests.test_campaigns import ACTOR, body, person, run_jobs, segment, smtp_settings
from rapport.core.models import Role

pytestmark = pytest.mark.django_db(transaction=True)


def jobs():
    return DBTaskResult.objects.filter(task_path__endswith="send_campaign").order_by("enqueued_at")


def make_due(clock, at):
    """The simulated clock reaches `at`, and the jobs waiting until then become due to the runner (their run_after is
    real time, so they are moved to now)."""
    clock.at = at
    jobs().filter(run_after__lte=at, status="READY").update(run_after=datetime.now(UTC) - timedelta(seconds=1))


def test_scheduled_in_local_time_sent_once_when_due_moved_and_cancelled(
    api,
    workspace,
    settings,
    fake_smtp,  # noqa: F811
    monkeypatch,
):
    smtp_settings(settings, fake_smtp)
    real_now = datetime.now(UTC).replace(microsecond=0)
    clock = install_clock(monkeypatch, real_now)
    policy.save_policy(workspace_id=workspace.pk, data={"time_zone": "Europe/Amsterdam"})
    person(workspace, "Ann")
    c = api.post("/campaigns", body(segment_ids=[segment(workspace).pk])).json()
    local = (real_now + timedelta(days=2)).astimezone(policy.policy_for(workspace.pk).tz).replace(tzinfo=None)
    r = api.post(f"/campaigns/{c['id']}/schedule", {"at": local.isoformat(timespec="minutes")})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "scheduled"
    at = datetime.fromisoformat(r.json()["scheduled_at"])
    assert at == local.replace(second=0, tzinfo=policy.policy_for(workspace.pk).tz)  # read in Amsterdam's time
    assert [j.run_after for j in jobs()] == [at]
    run_jobs()
    assert not fake_smtp.messages  # not due
    # Moved a day later: the first job, when it comes, finds it not due and leaves it to the new one.
    later = at + timedelta(days=1)
    r = api.post(f"/campaigns/{c['id']}/schedule", {"at": later.isoformat()})
    assert r.status_code == 200 and datetime.fromisoformat(r.json()["scheduled_at"]) == later
    assert [j.run_after for j in jobs()] == [at, later]
    make_due(clock, at + timedelta(minutes=1))
    run_jobs()
    assert not fake_smtp.messages and Campaign.objects.get(pk=c["id"]).status == CampaignStatus.SCHEDULED
    make_due(clock, later + timedelta(minutes=1))
    run_jobs()
    assert len(fake_smtp.messages) == 1
    s = api.get(f"/campaigns/{c['id']}").json()
    assert s["status"] == "sent" and s["stats"]["sent"] == 1
    # Too late to move or cancel now.
    r = api.post(f"/campaigns/{c['id']}/schedule", {"at": (clock.at + timedelta(days=1)).isoformat()})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "status"
    assert api.delete(f"/campaigns/{c['id']}/schedule").status_code == 422


def test_a_cancelled_schedule_sends_nothing_and_bad_times_are_refused(api, workspace, settings, fake_smtp, monkeypatch):  # noqa: F811
    smtp_settings(settings, fake_smtp)
    clock = install_clock(monkeypatch, datetime.now(UTC).replace(microsecond=0))
    person(workspace, "Ann")
    c = api.post("/campaigns", body(segment_ids=[segment(workspace).pk])).json()
    for at, words in (
        ("tomorrow at nine", "is not a date and time"),
        ("2001-01-01T09:00", "is not in the future"),
        ((clock.at + timedelta(days=400)).isoformat(), "at most a year ahead"),
    ):
        r = api.post(f"/campaigns/{c['id']}/schedule", {"at": at})
        assert (
            r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "at" and words in r.json()["detail"][0]["msg"]
        )
    at = clock.at + timedelta(hours=3)
    assert api.post(f"/campaigns/{c['id']}/schedule", {"at": at.isoformat()}).status_code == 200
    r = api.delete(f"/campaigns/{c['id']}/schedule")
    assert r.status_code == 200 and r.json()["status"] == "draft" and r.json()["scheduled_at"] is None
    make_due(clock, at + timedelta(minutes=5))
    run_jobs()
    assert not fake_smtp.messages and Campaign.objects.get(pk=c["id"]).status == CampaignStatus.DRAFT
    # Sending a scheduled campaign now goes at once, and its waiting job later does nothing more.
    services.schedule(actor=ACTOR, campaign=Campaign.objects.get(pk=c["id"]), at=clock.at + timedelta(days=1))
    services.queue_send(actor=ACTOR, campaign=Campaign.objects.get(pk=c["id"]))
    run_jobs()
    assert len(fake_smtp.messages) == 1
    make_due(clock, clock.at + timedelta(days=2))
    run_jobs()
    assert len(fake_smtp.messages) == 1


def test_the_schedule_form_on_the_campaign_page(workspace, member_factory, monkeypatch):
    install_clock(monkeypatch, datetime(2026, 6, 1, 8, 0, tzinfo=UTC))
    policy.save_policy(workspace_id=workspace.pk, data={"time_zone": "Europe/Amsterdam"})
    person(workspace, "Ann")
    c = services.create_campaign(workspace=workspace, actor=ACTOR, data=body(segment_ids=[segment(workspace).pk]))
    client = Client()
    client.force_login(member_factory(workspace, Role.MARKETER).user)
    assert 'id="schedule-form"' in client.get(f"/campaigns/{c.pk}/").content.decode()
    r = client.post(f"/campaigns/{c.pk}/schedule/", {"at": "2026-06-03T09:30", "action": "schedule"}, follow=True)
    page = r.content.decode()
    assert "Scheduled to start at <strong>2026-06-03 09:30</strong> (Europe/Amsterdam)" in page
    assert Campaign.objects.get(pk=c.pk).scheduled_at == datetime(2026, 6, 3, 7, 30, tzinfo=UTC)
    r = client.post(f"/campaigns/{c.pk}/schedule/", {"at": "2026-05-01T09:30", "action": "schedule"})
    assert r.status_code == 422 and "is not in the future" in r.content.decode()
    client.post(f"/campaigns/{c.pk}/schedule/", {"action": "cancel"})
    assert Campaign.objects.get(pk=c.pk).status == CampaignStatus.DRAFT
