"""Campaigns: the API names bad fields and checks roles and workspaces; the audience leaves out the suppressed and
those without consent, checked again when each message goes; messages are personalised in a sandbox, carry
one-click unsubscribe headers, reach a real SMTP server and land on the timeline; a resumed job sends nobody twice."""

from __future__ import annotations

import pytest
from django.core.mail.backends.smtp import EmailBackend
from tests.fakes.smtp import fake_smtp  # noqa: F401 - fixture

from rapport.campaigns import sending, services
from rapport.campaigns.models import Campaign, CampaignSend, SendStatus
from rapport.consent import services as consent
from rapport.contacts.models import Touchpoint
from rapport.contacts.services import create_person
from rapport.core.actors import Actor
from rapport.core.models import AuditEvent, Role
from rapport.core.runner import JobRunner
from rapport.segments import services as segments

pytestmark = pytest.mark.django_db(transaction=True)
ACTOR = Actor.system("test")
VIP = {"all": [{"field": "tags", "op": "contains", "value": "vip"}]}


def person(ws, first, *, email=None, granted=True, tags=("vip",)):
    p = create_person(
        workspace=ws,
        actor=ACTOR,
        data={
            "first_name": first,
            "last_name": "Test",
            "email": email or f"{first.lower()}@example.com",
            "tags": list(tags),
        },
    )
    if granted is not None:
        consent.record(p, "newsletter", granted=granted, channel="email", source="form")
    return p


def segment(ws, name="vips", definition=VIP):
    return segments.create_segment(workspace=ws, actor=ACTOR, data={"name": name, "definition": definition})


def smtp_settings(settings, smtp) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""


def run_jobs() -> None:
    runner = JobRunner()
    while runner.step():
        pass


def body(**overrides):
    return {
        "name": "Spring letter",
        "channel": "email",
        "purpose": "newsletter",
        "subject": "Hello {{ first_name }}",
        "body": "Dear {{ name }}, spring is here.",
        **overrides,
    }


def test_create_names_the_bad_fields(api, workspace, other_workspace):
    seg = segment(workspace)
    foreign = segment(other_workspace)
    r = api.post("/campaigns", body(segment_ids=[seg.pk, foreign.pk], purpose="spam", channel="pigeon"))
    assert r.status_code == 422
    fields = {tuple(d["loc"][1:]): d["msg"] for d in r.json()["detail"]}
    assert f"unknown segment {foreign.pk}" in fields[("segment_ids",)]
    assert "unknown purpose 'spam'" in fields[("purpose",)]
    assert "unknown channel 'pigeon'" in fields[("channel",)]
    r = api.post("/campaigns", body(segment_ids=[seg.pk], body="Hi {% if %}"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "body"]
    r = api.post("/campaigns", body(segment_ids=[seg.pk], subject="{% load static %}x"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "subject"]
    assert not Campaign.objects.exists()


def test_roles_and_workspaces_are_enforced(api_factory, workspace, other_workspace):
    seg = segment(workspace)
    assert api_factory(workspace, Role.AGENT).post("/campaigns", body(segment_ids=[seg.pk])).status_code == 403
    marketer = api_factory(workspace, Role.MARKETER)
    r = marketer.post("/campaigns", body(segment_ids=[seg.pk]))
    assert r.status_code == 201
    cid = r.json()["id"]
    assert api_factory(workspace, Role.AGENT).get(f"/campaigns/{cid}").status_code == 403
    assert api_factory(other_workspace, Role.ADMIN).get(f"/campaigns/{cid}").status_code == 404
    assert api_factory(other_workspace, Role.ADMIN).post(f"/campaigns/{cid}/send").status_code == 404
    from conftest import ApiClient

    assert ApiClient(None).get(f"/campaigns/{cid}").status_code == 401


def test_a_campaign_reaches_only_the_permitted_personalised_with_unsubscribe_headers(
    api,
    workspace,
    settings,
    fake_smtp,  # noqa: F811
):
    smtp_settings(settings, fake_smtp)
    settings.RAPPORT_PUBLIC_URL = "https://crm.example"
    ann = person(workspace, "Ann")
    bob = person(workspace, "Bob")
    person(workspace, "Cid", granted=False)  # said no
    person(workspace, "Dag", granted=None)  # never asked: the newsletter needs a grant
    eve = person(workspace, "Eve")
    consent.suppress(workspace.pk, "email", eve.email, reason="bounce")
    person(workspace, "Fay", tags=("other",))  # not in the segment
    seg = segment(workspace)
    r = api.post("/campaigns", body(segment_ids=[seg.pk, seg.pk]))
    assert r.status_code == 201
    cid = r.json()["id"]
    before = r.json()["stats"]
    assert (before["audience"], before["suppressed"], before["no_consent"], before["sent"]) == (2, 1, 2, 0)
    r = api.post(f"/campaigns/{cid}/send")
    assert r.status_code == 202 and r.json()["status"] == "queued"
    assert not fake_smtp.messages  # the job sends, not the request
    run_jobs()
    stats = api.get(f"/campaigns/{cid}").json()
    assert stats["status"] == "sent"
    s = stats["stats"]
    assert (s["audience"], s["suppressed"], s["no_consent"], s["sent"], s["unique_messages"]) == (2, 1, 2, 2, 2)
    assert sorted(m["To"] for m in fake_smtp.messages) == [ann.email, bob.email]
    mail = next(m for m in fake_smtp.messages if m["To"] == ann.email)
    assert mail["Subject"] == "Hello Ann"
    assert "Dear Ann Test, spring is here." in mail.get_content()
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = str(mail["List-Unsubscribe"]).strip()
    assert link.startswith("<https://crm.example/unsubscribe/") and link.endswith(">")
    assert link.strip("<>") in mail.get_content()
    tp = Touchpoint.objects.get(person=ann, source="campaign")
    assert (tp.kind, tp.channel, tp.direction, tp.title) == ("email", "email", "outbound", "Hello Ann")
    assert tp.source_id == str(cid) and tp.data["send_id"] == CampaignSend.objects.get(campaign_id=cid, person=ann).pk
    audit = AuditEvent.objects.get(action="touchpoint.created", object_id=str(ann.pk))
    assert audit.after["touchpoint"] == tp.pk and audit.actor_label == "campaign Spring letter"
    sent_at = CampaignSend.objects.get(campaign_id=cid, person=ann).sent_at
    assert sent_at is not None and abs((tp.occurred_at - sent_at).total_seconds()) < 5
    assert not Touchpoint.objects.filter(source="campaign").exclude(person__in=[ann, bob]).exists()
    # Sending again does nothing twice.
    assert api.post(f"/campaigns/{cid}/send").status_code == 202
    run_jobs()
    assert len(fake_smtp.messages) == 2


def test_the_same_message_to_everyone_counts_as_one_unique(workspace, settings, fake_smtp):  # noqa: F811
    smtp_settings(settings, fake_smtp)
    for name in ("Ann", "Bob", "Cid"):
        person(workspace, name)
    c = services.create_campaign(
        workspace=workspace, actor=ACTOR, data=body(segment_ids=[segment(workspace).pk], subject="News", body="Same")
    )
    services.queue_send(actor=ACTOR, campaign=c)
    run_jobs()
    s = services.stats(Campaign.objects.get(pk=c.pk))
    assert (s["sent"], s["unique_messages"]) == (3, 1)


def test_the_template_sees_only_the_allowed_fields(workspace, settings, fake_smtp):  # noqa: F811
    smtp_settings(settings, fake_smtp)
    person(workspace, "Ann")
    template = "[{{ first_name }}][{{ person.email }}][{{ settings.SECRET_KEY }}][{{ phone }}][{{ search_text }}]"
    c = services.create_campaign(
        workspace=workspace, actor=ACTOR, data=body(segment_ids=[segment(workspace).pk], body=template)
    )
    services.queue_send(actor=ACTOR, campaign=c)
    run_jobs()
    (mail,) = fake_smtp.messages
    assert mail.get_content().startswith("[Ann][][][][]")


def test_a_withdrawal_between_scheduling_and_sending_stops_that_send(workspace, settings, fake_smtp):  # noqa: F811
    smtp_settings(settings, fake_smtp)
    ann, bob = person(workspace, "Ann"), person(workspace, "Bob")
    c = services.create_campaign(workspace=workspace, actor=ACTOR, data=body(segment_ids=[segment(workspace).pk]))
    services.queue_send(actor=ACTOR, campaign=c)
    services.resolve(Campaign.objects.get(pk=c.pk))  # the audience is fixed: both were allowed
    assert CampaignSend.objects.filter(campaign=c, status=SendStatus.PENDING).count() == 2
    consent.record(bob, "newsletter", granted=False, channel="email", source="unsubscribe")
    run_jobs()
    assert [m["To"] for m in fake_smtp.messages] == [ann.email]
    assert CampaignSend.objects.get(campaign=c, person=bob).status == SendStatus.WITHDRAWN
    s = services.stats(Campaign.objects.get(pk=c.pk))
    assert (s["sent"], s["no_consent"], s["audience"]) == (1, 1, 1)


def after_handing_over(monkeypatch, then) -> None:
    """Call then(address, n) each time the mail server has accepted a message (n counts them from 1)."""
    real = EmailBackend.send_messages
    count = {"n": 0}

    def send_messages(self, messages):
        sent = real(self, messages)
        for m in messages:
            count["n"] += 1
            then(m.to[0], count["n"])
        return sent

    monkeypatch.setattr(EmailBackend, "send_messages", send_messages)


def test_a_withdrawal_inside_a_chunk_is_seen_before_that_message(workspace, settings, fake_smtp, monkeypatch):  # noqa: F811
    """The chunk's consent check has passed; Bob withdraws once Ann's message has gone, before his own."""
    smtp_settings(settings, fake_smtp)
    ann, bob, cid_ = person(workspace, "Ann"), person(workspace, "Bob"), person(workspace, "Cid")
    c = services.create_campaign(workspace=workspace, actor=ACTOR, data=body(segment_ids=[segment(workspace).pk]))
    services.queue_send(actor=ACTOR, campaign=c)

    def withdraw_bob(address, n):
        if address == ann.email:
            consent.record(bob, "newsletter", granted=False, channel="email", source="unsubscribe")

    after_handing_over(monkeypatch, withdraw_bob)
    run_jobs()
    assert [m["To"] for m in fake_smtp.messages] == [ann.email, cid_.email]
    assert CampaignSend.objects.get(campaign=c, person=bob).status == SendStatus.WITHDRAWN
    assert not Touchpoint.objects.filter(person=bob, source="campaign").exists()
    assert Touchpoint.objects.filter(person=cid_, source="campaign").count() == 1


class Crash(BaseException):
    """The worker dies (a kill, an out-of-memory): nothing in the sender catches it."""


def test_a_job_that_dies_half_way_and_runs_again_sends_nobody_twice(workspace, settings, fake_smtp, monkeypatch):  # noqa: F811
    smtp_settings(settings, fake_smtp)
    monkeypatch.setattr(sending, "SEND_CHUNK", 3)
    people = [person(workspace, f"P{i:02d}") for i in range(10)]
    c = services.create_campaign(workspace=workspace, actor=ACTOR, data=body(segment_ids=[segment(workspace).pk]))
    services.queue_send(actor=ACTOR, campaign=c)

    def dies_after_the_fifth(address, n):
        if n == 5:
            raise Crash  # the fifth message reached the server; the second chunk's sends were never written

    after_handing_over(monkeypatch, dies_after_the_fifth)
    with pytest.raises(Crash):
        sending.run(c.pk)
    assert len(fake_smtp.messages) == 5
    monkeypatch.undo()
    monkeypatch.setattr(sending, "SEND_CHUNK", 3)
    sending.run(c.pk)  # the job runs again
    received = [m["To"] for m in fake_smtp.messages]
    assert sorted(received) == sorted(p.email for p in people)  # everyone once, nobody twice
    s = services.stats(Campaign.objects.get(pk=c.pk))
    # The first chunk was written; of the second, the two handed over are uncertain and the third was still pending.
    assert (s["sent"], s["uncertain"], s["pending"]) == (8, 2, 0)
    uncertain = CampaignSend.objects.filter(campaign=c, status=SendStatus.UNCERTAIN).order_by("person_id")
    assert [u.person_id for u in uncertain] == [people[3].pk, people[4].pk]
    assert all(u.message_hash and u.variant == "A" for u in uncertain)  # what they may have been sent is known
    assert Campaign.objects.get(pk=c.pk).status == "sent"
    assert Touchpoint.objects.filter(source="campaign", source_id=str(c.pk)).count() == 8


def test_an_error_half_way_records_what_went_out_before_it_goes_up(workspace, settings, fake_smtp, monkeypatch):  # noqa: F811
    smtp_settings(settings, fake_smtp)
    people = [person(workspace, f"P{i:02d}") for i in range(4)]
    c = services.create_campaign(workspace=workspace, actor=ACTOR, data=body(segment_ids=[segment(workspace).pk]))
    services.queue_send(actor=ACTOR, campaign=c)

    def fails_after_the_second(address, n):
        if n == 2:
            raise RuntimeError("disk full")

    after_handing_over(monkeypatch, fails_after_the_second)
    with pytest.raises(RuntimeError):
        sending.run(c.pk)
    sends = dict(CampaignSend.objects.filter(campaign=c).values_list("person_id", "status"))
    assert [sends[p.pk] for p in people] == ["sent", "sending", "pending", "pending"]
    assert set(Touchpoint.objects.filter(source="campaign").values_list("person_id", flat=True)) == {people[0].pk}
    monkeypatch.undo()
    sending.run(c.pk)
    assert sorted(m["To"] for m in fake_smtp.messages) == sorted(p.email for p in people)
    s = services.stats(Campaign.objects.get(pk=c.pk))
    assert (s["sent"], s["uncertain"]) == (3, 1)


def test_a_mail_server_that_is_down_fails_the_campaign_and_a_new_send_resumes(
    api,
    workspace,
    settings,
    fake_smtp,  # noqa: F811
):
    smtp_settings(settings, fake_smtp)
    person(workspace, "Ann"), person(workspace, "Bob")
    cid = api.post("/campaigns", body(segment_ids=[segment(workspace).pk])).json()["id"]
    fake_smtp.refuse_with = "451 try again later"
    api.post(f"/campaigns/{cid}/send")
    run_jobs()
    one = api.get(f"/campaigns/{cid}").json()
    assert one["status"] == "failed" and "451" in one["error"]
    assert one["stats"]["sent"] == 0 and one["stats"]["pending"] == 2
    fake_smtp.refuse_with = None
    assert api.post(f"/campaigns/{cid}/send").status_code == 202
    run_jobs()
    one = api.get(f"/campaigns/{cid}").json()
    assert one["status"] == "sent" and one["stats"]["sent"] == 2 and len(fake_smtp.messages) == 2


def test_variants_split_the_audience_and_are_rendered(workspace, settings, fake_smtp):  # noqa: F811
    smtp_settings(settings, fake_smtp)
    for i in range(20):
        person(workspace, f"P{i:02d}")
    c = services.create_campaign(
        workspace=workspace,
        actor=ACTOR,
        data=body(segment_ids=[segment(workspace).pk], subject="A", variants=[{"name": "B", "subject": "B"}]),
    )
    services.queue_send(actor=ACTOR, campaign=c)
    run_jobs()
    subjects = {m["Subject"] for m in fake_smtp.messages}
    assert subjects == {"A", "B"} and len(fake_smtp.messages) == 20
    for send in CampaignSend.objects.filter(campaign=c):
        mail = next(m for m in fake_smtp.messages if m["To"] == send.person.email)
        assert mail["Subject"] == send.variant


def test_a_permanent_refusal_fails_that_message_and_the_campaign_goes_on(workspace, settings, fake_smtp):  # noqa: F811
    smtp_settings(settings, fake_smtp)
    person(workspace, "Ann"), person(workspace, "Bob")
    c = services.create_campaign(workspace=workspace, actor=ACTOR, data=body(segment_ids=[segment(workspace).pk]))
    fake_smtp.refuse_with = "550 mailbox unavailable"
    services.queue_send(actor=ACTOR, campaign=c)
    run_jobs()
    c.refresh_from_db()
    s = services.stats(c)
    assert c.status == "sent" and (s["failed"], s["sent"], s["pending"]) == (2, 0, 0)
    assert "550" in CampaignSend.objects.filter(campaign=c).first().error


def test_an_access_export_lists_the_sends_and_an_erasure_removes_them(workspace, settings, fake_smtp):  # noqa: F811
    from rapport.consent.subject import registered, subject_for

    smtp_settings(settings, fake_smtp)
    ann = person(workspace, "Ann")
    c = services.create_campaign(workspace=workspace, actor=ACTOR, data=body(segment_ids=[segment(workspace).pk]))
    services.queue_send(actor=ACTOR, campaign=c)
    run_jobs()
    (part,) = [d for d in registered() if d.label == "campaign_sends"]
    subject = subject_for(ann)
    (row,) = part.export(subject)
    assert row["campaign"] == "Spring letter" and row["status"] == "sent" and row["sent_at"]
    assert part.erase(subject) == {"campaign_sends": 1}
    assert not CampaignSend.objects.filter(person=ann).exists()


def test_a_chunk_of_sends_is_announced_as_one_event(workspace, settings, fake_smtp):  # noqa: F811
    from rapport.core import events

    smtp_settings(settings, fake_smtp)
    people = [person(workspace, f"P{i:02d}") for i in range(3)]
    seen: list[dict] = []

    def on_logged(event, payload):
        seen.append(payload)

    events.subscribe("contacts.touchpoints_logged", on_logged)
    try:
        c = services.create_campaign(workspace=workspace, actor=ACTOR, data=body(segment_ids=[segment(workspace).pk]))
        services.queue_send(actor=ACTOR, campaign=c)
        run_jobs()
    finally:
        events.unsubscribe("contacts.touchpoints_logged", on_logged)
    (payload,) = seen
    assert payload["person_ids"] == sorted(p.pk for p in people)
    assert sorted(payload["touchpoint_ids"]) == sorted(
        Touchpoint.objects.filter(source="campaign").values_list("pk", flat=True)
    )
    assert (payload["direction"], payload["source"]) == ("outbound", "campaign")
