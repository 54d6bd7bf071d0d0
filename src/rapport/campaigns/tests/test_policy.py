"""The messaging policy: a frequency cap per person across campaigns and journeys (service messages exempt) and quiet
hours in the workspace's time zone, enforced by campaign sending and journey emails alike, on a simulated clock."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from django_tasks_db.models import DBTaskResult
from tests.fakes.smtp import fake_smtp  # noqa: F401 - fixture

from rapport.campaigns import policy, sending, services
from rapport.campaigns.models import Campaign, CampaignSend, CampaignStatus, SendStatus, StepRun, StepStatus
from rapport.campaigns.tests.journey_helpers import ACTOR, install_clock, journey, person, smtp_settings, tick
from rapport.core.events import emit
from rapport.core.models import Role
from rapport.segments import services as segments

pytestmark = pytest.mark.django_db(transaction=True)
VIP = {"all": [{"field": "tags", "op": "contains", "value": "vip"}]}


def life_event(ws, who):
    emit(
        "consent.life_event_detected",
        {"workspace_id": ws.pk, "person_id": who.pk, "value": "new_job", "event_date": "2026-01-01", "source_post": 1},
    )


def campaign(ws, seg, purpose="newsletter", name="Letter"):
    c = services.create_campaign(
        workspace=ws,
        actor=ACTOR,
        data={
            "name": name,
            "segment_ids": [seg.pk],
            "channel": "email",
            "purpose": purpose,
            "subject": "Hi",
            "body": "x",
        },
    )
    Campaign.objects.filter(pk=c.pk).update(status=CampaignStatus.QUEUED)
    return c


def test_quiet_hours_across_midnight_in_the_workspace_time_zone():
    p = policy.Policy(1, time_zone="Europe/Amsterdam", quiet_start=time(21), quiet_end=time(8))
    # 20:30 UTC in June is 22:30 in Amsterdam: quiet until 08:00 there, 06:00 UTC.
    assert p.quiet_until(datetime(2026, 6, 1, 20, 30, tzinfo=UTC)) == datetime(2026, 6, 2, 6, 0, tzinfo=UTC)
    assert p.quiet_until(datetime(2026, 6, 2, 5, 0, tzinfo=UTC)) == datetime(2026, 6, 2, 6, 0, tzinfo=UTC)
    assert p.quiet_until(datetime(2026, 6, 2, 6, 0, tzinfo=UTC)) is None
    assert p.quiet_until(datetime(2026, 6, 2, 18, 59, tzinfo=UTC)) is None
    # In January Amsterdam is UTC+1: 20:00 UTC is 21:00 there, quiet until 07:00 UTC.
    assert p.quiet_until(datetime(2026, 1, 5, 20, 0, tzinfo=UTC)) == datetime(2026, 1, 6, 7, 0, tzinfo=UTC)
    day = policy.Policy(1, quiet_start=time(12), quiet_end=time(13))
    assert day.quiet_until(datetime(2026, 6, 1, 12, 30, tzinfo=UTC)) == datetime(2026, 6, 1, 13, 0, tzinfo=UTC)
    assert day.quiet_until(datetime(2026, 6, 1, 13, 30, tzinfo=UTC)) is None
    assert policy.Policy(1).quiet_until(datetime(2026, 6, 1, 3, 0, tzinfo=UTC)) is None


def test_the_cap_counts_campaigns_and_journeys_together_and_exempts_service_messages(
    workspace,
    settings,
    monkeypatch,
    fake_smtp,  # noqa: F811
):
    smtp_settings(settings, fake_smtp)
    clock = install_clock(monkeypatch)
    policy.save_policy(workspace_id=workspace.pk, data={"cap_messages": 2, "cap_days": 7})
    seg = segments.create_segment(workspace=workspace, actor=ACTOR, data={"name": "vips", "definition": VIP})
    ann = person(workspace, "Ann", purposes=("newsletter", "offers", "service"), tags=("vip",))
    bob = person(workspace, "Bob", purposes=("newsletter", "offers", "service"), tags=("vip",))
    sending.run(campaign(workspace, seg).pk)  # one each
    assert len(fake_smtp.messages) == 2
    offers = journey(
        workspace, name="Offers", trigger="life_event", steps=[{"type": "email", "subject": "O", "body": "o"}]
    )
    life_event(workspace, ann)
    tick(clock)  # Ann's second marketing message this week: allowed
    assert StepRun.objects.get(person=ann, journey=offers).status == StepStatus.SENT
    second = campaign(workspace, seg, name="Second letter")
    sending.run(second.pk)
    assert CampaignSend.objects.get(campaign=second, person=ann).status == SendStatus.CAPPED
    assert CampaignSend.objects.get(campaign=second, person=bob).status == SendStatus.SENT
    assert services.stats(Campaign.objects.get(pk=second.pk))["capped"] == 1
    # Service messages are exempt, and do not count.
    service = campaign(workspace, seg, purpose="service", name="Repair notice")
    sending.run(service.pk)
    assert CampaignSend.objects.get(campaign=service, person=ann).status == SendStatus.SENT
    type(offers).objects.filter(pk=offers.pk).update(status="paused")  # its email still counts
    again = journey(
        workspace, name="More offers", trigger="life_event", steps=[{"type": "email", "subject": "M", "body": "m"}]
    )
    life_event(workspace, ann)
    tick(clock)
    assert StepRun.objects.get(person=ann, journey=again).status == StepStatus.CAPPED
    # A week on, the campaign and the journey email have left the window.
    clock.advance(days=8)
    third = campaign(workspace, seg, name="Third letter")
    sending.run(third.pk)
    assert CampaignSend.objects.get(campaign=third, person=ann).status == SendStatus.SENT
    sent_to_ann = [m for m in fake_smtp.messages if m["To"] == ann.email]
    assert len(sent_to_ann) == 4  # letter, offer, repair notice, third letter


def test_messages_due_in_quiet_hours_wait_until_they_end(
    workspace,
    settings,
    monkeypatch,
    fake_smtp,  # noqa: F811
):
    smtp_settings(settings, fake_smtp)
    clock = install_clock(monkeypatch, datetime(2026, 6, 1, 20, 30, tzinfo=UTC))  # 22:30 in Amsterdam
    policy.save_policy(
        workspace_id=workspace.pk, data={"time_zone": "Europe/Amsterdam", "quiet_start": "21:00", "quiet_end": "08:00"}
    )
    ann = person(workspace, "Ann", purposes=("newsletter", "offers"), tags=("vip",))
    journey(workspace, trigger="life_event", steps=[{"type": "email", "subject": "Night", "body": "n"}])
    life_event(workspace, ann)
    tick(clock)
    assert not fake_smtp.messages
    seg = segments.create_segment(workspace=workspace, actor=ACTOR, data={"name": "vips", "definition": VIP})
    c = campaign(workspace, seg)
    stats = sending.run(c.pk)
    assert stats["sent"] == 0 and stats["pending"] == 1 and not fake_smtp.messages
    c.refresh_from_db()
    assert c.status == CampaignStatus.SENDING and "quiet hours" in c.error
    resume = DBTaskResult.objects.filter(task_path__endswith="send_campaign").order_by("-id").first()
    assert resume is not None and resume.run_after == datetime(2026, 6, 2, 6, 0, tzinfo=UTC)
    clock.at = datetime(2026, 6, 2, 5, 59, tzinfo=UTC)
    tick(clock)
    assert not fake_smtp.messages
    clock.at = datetime(2026, 6, 2, 6, 1, tzinfo=UTC)
    tick(clock)
    assert [m["Subject"] for m in fake_smtp.messages] == ["Night"]
    assert sending.run(c.pk)["sent"] == 1
    assert len(fake_smtp.messages) == 2


def test_the_policy_api_names_bad_fields_and_checks_roles(api, api_factory, workspace, other_workspace):
    r = api.put("/messaging-policy", {"time_zone": "Mars/Olympus", "quiet_start": "25:00", "cap_messages": -1})
    assert r.status_code == 422
    fields = {d["loc"][-1]: d["msg"] for d in r.json()["detail"]}
    assert "Mars/Olympus" in fields["time_zone"] and "25:00" in fields["quiet_start"] and "cap_messages" in fields
    r = api.put("/messaging-policy", {"quiet_start": "21:00"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "quiet_end"]
    ok = {"time_zone": "Europe/Oslo", "quiet_start": "21:00", "quiet_end": "08:00", "cap_messages": 3, "cap_days": 7}
    r = api.put("/messaging-policy", ok)
    assert r.status_code == 200 and r.json() == ok
    assert api.get("/messaging-policy").json() == ok
    assert api_factory(workspace, Role.AGENT).put("/messaging-policy", ok).status_code == 403
    assert api_factory(other_workspace, Role.ADMIN).get("/messaging-policy").json()["cap_messages"] == 0
