"""Journeys on a simulated clock: events enrol people once (or again after the re-entry period), waits end when the
clock says so, branches read segments and consent, emails are consent-checked as they go and reach a real SMTP
server through the campaigns' tracking, tasks reach the inbox, a purchase within the window is the goal, and a run
killed mid-hand-over never gives anyone a step twice."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.test import Client
from tests.fakes.smtp import fake_smtp  # noqa: F401 - fixture

from rapport.campaigns import journeys_engine
from rapport.campaigns.models import Enrolment, EnrolmentStatus, StepRun, StepStatus
from rapport.campaigns.tests.journey_helpers import (
    ACTOR,
    install_clock,
    journey,
    order,
    person,
    smtp_settings,
    tick,
)
from rapport.care.models import Conversation, MessageDirection
from rapport.consent import services as consent
from rapport.contacts.models import Touchpoint
from rapport.core.events import emit
from rapport.segments import services as segments

pytestmark = pytest.mark.django_db(transaction=True)


def life_event(ws, who, value="moving_house", event_date="2026-01-01"):
    emit(
        "consent.life_event_detected",
        {"workspace_id": ws.pk, "person_id": who.pk, "value": value, "event_date": event_date, "source_post": 1},
    )


def test_a_life_event_waits_until_a_week_before_its_date_and_sends_only_with_consent(
    workspace,
    settings,
    monkeypatch,
    fake_smtp,  # noqa: F811
):
    smtp_settings(settings, fake_smtp)
    settings.RAPPORT_PUBLIC_URL = "https://crm.example"
    clock = install_clock(monkeypatch, datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    ann = person(workspace, "Ann")
    bob = person(workspace, "Bob", purposes=())  # never agreed to offers
    journey(
        workspace,
        trigger="life_event",
        trigger_config={"value": "moving_house"},
        steps=[
            {"type": "wait", "until": "event_date", "offset_days": -7},
            {
                "type": "email",
                "subject": "Moving, {{ first_name }}?",
                "body": "On {{ event_date }}: https://shop.example/move",
            },
        ],
    )
    life_event(workspace, ann, event_date="2026-04-01")
    life_event(workspace, bob, event_date="2026-04-01")
    life_event(workspace, ann, value="wedding", event_date="2026-04-01")  # another life event: not this journey
    life_event(workspace, ann, event_date="2026-04-01")  # the same event delivered again enrols nobody twice
    assert Enrolment.objects.count() == 2
    tick(clock)
    assert not fake_smtp.messages
    due = datetime.combine(date(2026, 3, 25), time(0), tzinfo=UTC)
    assert set(Enrolment.objects.values_list("due_at", flat=True)) == {due}
    clock.at = due - timedelta(minutes=1)
    tick(clock)
    assert not fake_smtp.messages
    clock.at = due + timedelta(minutes=1)
    result = tick(clock)
    assert result["sent"] == 1
    assert [m["To"] for m in fake_smtp.messages] == [ann.email]
    mail = fake_smtp.messages[0]
    assert mail["Subject"] == "Moving, Ann?"
    text = mail.get_content()
    assert "On 2026-04-01:" in text and "https://crm.example/r/" in text and "shop.example/move" not in text
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert StepRun.objects.get(person=bob, kind="email").status == StepStatus.NO_CONSENT
    assert set(Enrolment.objects.values_list("status", flat=True)) == {EnrolmentStatus.COMPLETED}
    tp = Touchpoint.objects.get(person=ann, source="journey")
    assert (tp.kind, tp.direction, tp.title) == ("email", "outbound", "Moving, Ann?")
    clock.advance(days=1)
    tick(clock)
    assert len(fake_smtp.messages) == 1
    life_event(workspace, ann, event_date="2026-04-01")  # once per person: no second pass
    assert Enrolment.objects.filter(person=ann).count() == 1


def test_consent_is_checked_when_the_email_goes_not_when_the_person_entered(
    workspace,
    settings,
    monkeypatch,
    fake_smtp,  # noqa: F811
):
    smtp_settings(settings, fake_smtp)
    clock = install_clock(monkeypatch)
    ann = person(workspace, "Ann")
    journey(
        workspace,
        trigger="life_event",
        steps=[{"type": "wait", "days": 2}, {"type": "email", "subject": "Hi", "body": "Hello"}],
    )
    life_event(workspace, ann)
    tick(clock)
    consent.record(ann, "offers", granted=False, channel="email", source="form")
    clock.advance(days=3)
    tick(clock)
    assert not fake_smtp.messages
    assert StepRun.objects.get(kind="email").status == StepStatus.NO_CONSENT


def test_a_first_purchase_enrols_and_a_second_within_the_window_is_the_goal(
    workspace,
    settings,
    monkeypatch,
    fake_smtp,  # noqa: F811
):
    smtp_settings(settings, fake_smtp)
    clock = install_clock(monkeypatch)
    ann, bob, cid = person(workspace, "Ann"), person(workspace, "Bob"), person(workspace, "Cid")
    order(workspace, cid, "c-1", clock() - timedelta(days=30))  # bought before: never a first purchase again
    j = journey(
        workspace,
        trigger="purchase",
        trigger_config={"first_only": True},
        goal_days=14,
        steps=[
            {"type": "wait", "days": 7},
            {"type": "email", "subject": "How is it going, {{ first_name }}?", "body": "Care guide"},
        ],
    )
    order(workspace, ann, "a-1", clock())
    order(workspace, bob, "b-1", clock())
    order(workspace, cid, "c-2", clock())
    assert set(Enrolment.objects.values_list("person_id", flat=True)) == {ann.pk, bob.pk}
    tick(clock)
    order(workspace, ann, "a-2", clock() + timedelta(days=2))  # the goal, within 14 days of entering
    e = Enrolment.objects.get(person=ann)
    assert e.status == EnrolmentStatus.CONVERTED and "a-2" not in e.exit_reason and e.exit_reason.startswith("goal")
    clock.advance(days=8)
    tick(clock)
    assert [m["To"] for m in fake_smtp.messages] == [bob.email]  # Ann converted: she left before the email
    order(workspace, bob, "b-2", clock() + timedelta(days=30))  # outside the window: not a conversion
    assert Enrolment.objects.get(person=bob).status == EnrolmentStatus.COMPLETED
    from rapport.campaigns.journeys import counts

    c = counts(j)
    assert (c["entered"], c["converted"], c["completed"], c["conversion"]) == (2, 1, 1, 0.5)
    assert [s["sent"] for s in c["steps"]] == [0, 1]
    assert [s["reached"] for s in c["steps"]] == [2, 1]


def test_reentry_after_n_days_and_never_two_active_passes(workspace, monkeypatch):
    clock = install_clock(monkeypatch)
    ann = person(workspace, "Ann")
    journey(workspace, trigger="life_event", reentry_days=10, steps=[{"type": "wait", "days": 1}])
    life_event(workspace, ann)
    life_event(workspace, ann)  # still active: no second pass
    assert Enrolment.objects.filter(person=ann).count() == 1
    clock.advance(days=2)
    tick(clock)
    assert Enrolment.objects.get(person=ann).status == EnrolmentStatus.COMPLETED
    clock.advance(days=5)
    life_event(workspace, ann)  # 7 days after entering: too soon
    assert Enrolment.objects.filter(person=ann).count() == 1
    clock.advance(days=4)
    life_event(workspace, ann)
    assert list(Enrolment.objects.filter(person=ann).order_by("seq").values_list("seq", "status")) == [
        (1, EnrolmentStatus.COMPLETED),
        (2, EnrolmentStatus.ACTIVE),
    ]


def test_segment_entry_branches_on_consent_to_an_email_or_a_task_for_the_agents(
    workspace,
    settings,
    monkeypatch,
    fake_smtp,  # noqa: F811
):
    smtp_settings(settings, fake_smtp)
    clock = install_clock(monkeypatch)
    seg = segments.create_segment(
        workspace=workspace,
        actor=ACTOR,
        data={"name": "vips", "definition": {"all": [{"field": "tags", "op": "contains", "value": "vip"}]}},
    )
    journey(
        workspace,
        trigger="segment_entered",
        trigger_config={"segment_id": seg.pk},
        steps=[
            {
                "type": "branch",
                "condition": {"kind": "consent", "purpose": "offers", "channel": "email"},
                "then": "mail",
                "else": "agent",
            },
            {"id": "mail", "type": "email", "subject": "Welcome", "body": "You are a VIP, {{ first_name }}"},
            {"type": "exit"},
            {"id": "agent", "type": "task", "text": "Call {{ first_name }} to welcome them as a VIP"},
        ],
    )
    ann = person(workspace, "Ann", tags=("vip",))
    bob = person(workspace, "Bob", purposes=(), tags=("vip",))
    person(workspace, "Cid", tags=("other",))  # not in the segment
    assert Enrolment.objects.count() == 2
    tick(clock)
    assert [m["To"] for m in fake_smtp.messages] == [ann.email]
    assert Enrolment.objects.get(person=ann).status == EnrolmentStatus.EXITED
    assert Enrolment.objects.get(person=bob).status == EnrolmentStatus.COMPLETED
    conv = Conversation.objects.get(person=bob)
    note = conv.messages.get()
    assert note.direction == MessageDirection.NOTE and "Call Bob to welcome them as a VIP" in note.text
    assert "journey" in conv.tags
    assert not Conversation.objects.filter(person=ann).exists()
    tick(clock)
    assert conv.messages.count() == 1 and len(fake_smtp.messages) == 1


def test_resolved_conversations_low_csat_and_accepted_answers_enrol(workspace, monkeypatch, member_factory):
    install_clock(monkeypatch)
    from rapport.care import services as care

    ann = person(workspace, "Ann")
    resolved = journey(workspace, trigger="conversation_resolved", steps=[{"type": "wait", "days": 1}])
    low = journey(workspace, trigger="low_csat", trigger_config={"max_score": 2}, steps=[{"type": "wait", "days": 1}])
    conv, _ = care.open_or_join(workspace=workspace, person_id=ann.pk, identity_id=None, network="email")
    care.resolve(conversation=conv, actor=ACTOR)
    assert Enrolment.objects.filter(journey=resolved, person=ann).exists()
    care.record_csat(conversation=conv, score=4)
    assert not Enrolment.objects.filter(journey=low).exists()
    care.record_csat(conversation=conv, score=1)
    assert Enrolment.objects.filter(journey=low, person=ann).exists()

    from rapport.community import services as community
    from rapport.community.models import Category
    from rapport.community.tests.helpers import first_posts_public

    accepted = journey(
        workspace, trigger="answer_accepted", trigger_config={"who": "answerer"}, steps=[{"type": "wait", "days": 1}]
    )
    cat = Category.objects.create(workspace=workspace, name="Cameras", slug="cameras")
    asker = community.join(workspace=workspace, handle="asker", email="asker@example.com", password=None)
    expert = community.join(workspace=workspace, handle="expert", email="expert@example.com", password=None)
    with first_posts_public(workspace):  # a first post is held for moderation by default
        q = community.ask(author=asker, category=cat, title="Which lens for birds?", body="Long enough body text here")
        a = community.answer(question=q, author=expert, body="A 400mm telephoto lens works well.")
    community.accept(answer=a, by_member=asker)
    assert list(Enrolment.objects.filter(journey=accepted).values_list("person_id", flat=True)) == [expert.person_id]


def test_a_run_killed_mid_hand_over_converges_without_sending_twice(
    workspace,
    settings,
    monkeypatch,
    fake_smtp,  # noqa: F811
):
    smtp_settings(settings, fake_smtp)
    clock = install_clock(monkeypatch)
    ann, bob = person(workspace, "Ann"), person(workspace, "Bob")
    journey(
        workspace,
        trigger="life_event",
        steps=[{"type": "email", "subject": "One", "body": "one"}, {"type": "email", "subject": "Two", "body": "two"}],
    )
    life_event(workspace, ann)
    life_event(workspace, bob)
    deliver = journeys_engine._Walk._deliver

    def dies_after_handing_over(self, *args, **kwargs):
        deliver(self, *args, **kwargs)
        raise KeyboardInterrupt  # the process dies after the mail server took the message, before it was recorded

    monkeypatch.setattr(journeys_engine._Walk, "_deliver", dies_after_handing_over)
    with pytest.raises(KeyboardInterrupt):
        tick(clock)
    monkeypatch.setattr(journeys_engine._Walk, "_deliver", deliver)
    assert len(fake_smtp.messages) == 1
    first = fake_smtp.messages[0]["To"]
    assert StepRun.objects.get(status=StepStatus.SENDING).step == "s1"
    tick(clock)  # the killed run's lease still holds: nobody moves the claimed pass
    claimed = Enrolment.objects.get(person__email=first)
    assert claimed.step == "s1" and claimed.claimed_until is not None
    clock.advance(minutes=6)
    tick(clock)
    subjects = sorted((m["To"], m["Subject"]) for m in fake_smtp.messages)
    assert subjects == sorted(
        [(first, "One"), (ann.email, "Two"), (bob.email, "Two"), (_other(first, ann, bob), "One")]
    )
    assert StepRun.objects.get(person__email=first, step="s1").status == StepStatus.UNCERTAIN
    assert StepRun.objects.filter(status=StepStatus.SENT).count() == 3
    clock.advance(minutes=10)
    tick(clock)
    assert len(fake_smtp.messages) == 4


def _other(email, a, b):
    return b.email if email == a.email else a.email


def test_two_claimers_never_move_the_same_pass(workspace, monkeypatch):
    clock = install_clock(monkeypatch)
    ann = person(workspace, "Ann")
    journey(workspace, trigger="life_event", steps=[{"type": "wait", "days": 1}])
    life_event(workspace, ann)
    token, ids = journeys_engine.claim(clock())
    assert ids and token
    assert journeys_engine.claim(clock()) == ("", [])


def test_a_click_on_a_journey_email_is_recorded_and_a_branch_reads_it(
    workspace,
    settings,
    monkeypatch,
    fake_smtp,  # noqa: F811
):
    smtp_settings(settings, fake_smtp)
    settings.RAPPORT_PUBLIC_URL = "http://testserver"
    clock = install_clock(monkeypatch)
    ann, bob = person(workspace, "Ann"), person(workspace, "Bob")
    journey(
        workspace,
        trigger="life_event",
        steps=[
            {"type": "email", "subject": "Look", "body": "See https://shop.example/new-address"},
            {"type": "wait", "days": 2},
            {"type": "branch", "condition": {"kind": "clicked"}, "then": "thanks", "else": "next"},
            {"type": "email", "subject": "Reminder", "body": "Did you see it?"},
            {"type": "exit"},
            {"id": "thanks", "type": "email", "subject": "Thanks for looking", "body": "Here is more"},
        ],
    )
    life_event(workspace, ann)
    life_event(workspace, bob)
    tick(clock)
    mail = next(m for m in fake_smtp.messages if m["To"] == ann.email)
    link = re.search(r"http://testserver(/r/\S+)", mail.get_content()).group(1)
    r = Client().get(link)
    assert r.status_code == 302 and r["Location"] == "https://shop.example/new-address"
    assert Client().get(link[:-3] + "xyz").status_code == 404  # a mangled token records nothing
    assert StepRun.objects.get(person=ann, step="s1").clicked_at is not None
    clock.advance(days=3)
    tick(clock)
    later = sorted((m["To"], m["Subject"]) for m in fake_smtp.messages[2:])
    assert later == sorted([(ann.email, "Thanks for looking"), (bob.email, "Reminder")])


def test_a_pass_that_fails_is_put_off_alone(workspace, settings, monkeypatch, fake_smtp):  # noqa: F811
    smtp_settings(settings, fake_smtp)
    clock = install_clock(monkeypatch)
    ann, bob = person(workspace, "Ann"), person(workspace, "Bob")
    journey(
        workspace,
        trigger="life_event",
        steps=[
            {"type": "task", "text": "Call {{ first_name }}"},
            {"type": "email", "subject": "Hi {{ first_name }}", "body": "x"},
        ],
    )
    life_event(workspace, ann)
    life_event(workspace, bob)
    from rapport.care import services as care

    real = care.add_system_note

    def fails_for_ann(**kwargs):
        if kwargs["person_id"] == ann.pk:
            raise RuntimeError("the inbox is down")
        return real(**kwargs)

    monkeypatch.setattr(care, "add_system_note", fails_for_ann)
    tick(clock)
    assert [m["To"] for m in fake_smtp.messages] == [bob.email]
    e = Enrolment.objects.get(person=ann)
    assert e.status == EnrolmentStatus.ACTIVE and e.step == "s1" and e.due_at == clock() + timedelta(minutes=5)
    assert not StepRun.objects.filter(person=ann).exists()  # its savepoint took the half-done step back
    monkeypatch.setattr(care, "add_system_note", real)
    clock.advance(minutes=6)
    tick(clock)
    assert sorted(m["To"] for m in fake_smtp.messages) == sorted([ann.email, bob.email])
    assert Conversation.objects.get(person=ann).messages.count() == 1
