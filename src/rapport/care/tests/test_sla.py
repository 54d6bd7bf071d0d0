"""SLA: matching, business hours, pause and resume, warnings before breach, breaches, stop on resolve, report."""

from datetime import UTC, datetime, timedelta

import pytest

from rapport.care import services, sla
from rapport.care.models import AppliedSLA, Conversation, ConversationStatus
from rapport.care.tests.helpers import brand, ingest, person, post, social_policy
from rapport.core import events
from rapport.core.actors import Actor
from rapport.core.models import Role

CAL = {"tz": "Europe/Berlin", "hours": {str(d): ["09:00", "17:00"] for d in range(5)}, "holidays": ["2026-12-25"]}
BERLIN = __import__("zoneinfo").ZoneInfo("Europe/Berlin")


def test_business_minutes_skip_nights_weekends_and_holidays():
    friday_1630 = datetime(2026, 11, 20, 16, 30, tzinfo=BERLIN)
    due = sla.add_business_minutes(friday_1630, 60, CAL)
    assert due == datetime(2026, 11, 23, 9, 30, tzinfo=BERLIN)  # Monday
    assert sla.business_minutes_between(friday_1630, due, CAL) == pytest.approx(60)
    before_holiday = datetime(2026, 12, 24, 16, 0, tzinfo=BERLIN)
    assert sla.add_business_minutes(before_holiday, 120, CAL) == datetime(2026, 12, 28, 10, 0, tzinfo=BERLIN)
    saturday = datetime(2026, 11, 21, 12, 0, tzinfo=BERLIN)
    assert sla.add_business_minutes(saturday, 0, CAL) == datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)
    assert sla.add_business_minutes(saturday, 1, CAL) == datetime(2026, 11, 23, 9, 1, tzinfo=BERLIN)
    assert sla.add_business_minutes(saturday, 30, {}) == saturday + timedelta(minutes=30)


def test_no_open_hours_is_an_error():
    with pytest.raises(ValueError):
        sla.add_business_minutes(datetime(2026, 1, 1, tzinfo=UTC), 5, {"hours": {"0": ["09:00", "09:00"]}})


@pytest.mark.django_db
def test_policy_order_and_filters(workspace):
    vip = social_policy(workspace, first=15, tiers=["vip"], position=1)
    fb = social_policy(workspace, first=30, channels=["facebook"], position=2)
    default = social_policy(workspace, first=60, position=3)
    conv = Conversation.objects.create(workspace=workspace, channel="facebook")
    assert sla.match_policy(conversation=conv, tier="vip") == vip
    assert sla.match_policy(conversation=conv, tier="") == fb
    conv.channel = "twitter"
    assert sla.match_policy(conversation=conv) == default


@pytest.mark.django_db
def test_warning_breach_pause_resume_and_stop(workspace, member_factory, django_capture_on_commit_callbacks):
    brand(workspace)
    social_policy(workspace, first=60, nxt=30, resolution=600, warn=15)
    person(workspace, "Ana", "Lopez", handle="analopez")
    t0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    ingest(
        workspace,
        [post("@acmeair my refund never arrived", handle="analopez", created_at=t0)],
        django_capture_on_commit_callbacks,
    )
    conv = Conversation.objects.get()
    applied = AppliedSLA.objects.get(conversation=conv)
    assert applied.first_response_due == t0 + timedelta(minutes=60)
    seen = []
    handler = lambda e, p: seen.append((e, p["target"]))  # noqa: E731
    events.subscribe("conversation.sla_warning", handler)
    events.subscribe("conversation.sla_breached", handler)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert sla.check_slas(now=t0 + timedelta(minutes=30)) == {"warnings": 0, "breaches": 0}
            assert sla.check_slas(now=t0 + timedelta(minutes=50)) == {"warnings": 1, "breaches": 0}
            assert sla.check_slas(now=t0 + timedelta(minutes=50)) == {"warnings": 0, "breaches": 0}  # once only
        assert seen == [("conversation.sla_warning", "first_response")]
        # Waiting on the customer for two hours pauses the clock: no breach, and the due time moves.
        actor = Actor.system("test")
        services.set_status(
            conversation=conv, actor=actor, status=ConversationStatus.WAITING, now=t0 + timedelta(minutes=50)
        )
        assert sla.check_slas(now=t0 + timedelta(minutes=170)) == {"warnings": 0, "breaches": 0}
        conv.refresh_from_db()
        assert conv.sla_due_at is None
        services.set_status(
            conversation=conv, actor=actor, status=ConversationStatus.OPEN, now=t0 + timedelta(minutes=170)
        )
        applied.refresh_from_db()
        assert applied.first_response_due == t0 + timedelta(minutes=180)
        with django_capture_on_commit_callbacks(execute=True):
            assert sla.check_slas(now=t0 + timedelta(minutes=181))["breaches"] == 1
        assert seen[-1] == ("conversation.sla_breached", "first_response")
        agent = member_factory(workspace, Role.AGENT).user
        services.reply(conversation=conv, agent=agent, text="Sorry!", now=t0 + timedelta(minutes=185), send=False)
        applied.refresh_from_db()
        assert applied.first_response_met is False
        services.resolve(conversation=conv, actor=actor, now=t0 + timedelta(minutes=200))
        applied.refresh_from_db()
        assert applied.stopped_at is not None and applied.resolution_met is True
        # Timers stopped: nothing more is reported however late it gets.
        assert sla.check_slas(now=t0 + timedelta(days=5)) == {"warnings": 0, "breaches": 0}
    finally:
        events.unsubscribe("conversation.sla_warning", handler)
        events.unsubscribe("conversation.sla_breached", handler)
    report = sla.sla_report(workspace_id=workspace.pk)
    assert report["overall"] == {"met": 1, "missed": 1, "share_met": 0.5}
    assert report["channels"]["twitter"]["share_met"] == 0.5


@pytest.mark.django_db
def test_next_response_timer_starts_after_our_answer(workspace, member_factory, django_capture_on_commit_callbacks):
    brand(workspace)
    social_policy(workspace, first=60, nxt=30)
    t0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    ingest(
        workspace,
        [post("@acmeair is my flight on time?", handle="q", external_id="a1", created_at=t0)],
        django_capture_on_commit_callbacks,
    )
    conv = Conversation.objects.get()
    agent = member_factory(workspace, Role.AGENT).user
    services.reply(conversation=conv, agent=agent, text="Yes", now=t0 + timedelta(minutes=10), send=False)
    ingest(
        workspace,
        [post("@acmeair and the gate?", handle="q", created_at=t0 + timedelta(minutes=20))],
        django_capture_on_commit_callbacks,
    )
    applied = AppliedSLA.objects.get(conversation=conv)
    assert applied.first_response_met is True
    assert applied.next_response_due == t0 + timedelta(minutes=50)
    conv.refresh_from_db()
    assert conv.sla_due_at == t0 + timedelta(minutes=50)
