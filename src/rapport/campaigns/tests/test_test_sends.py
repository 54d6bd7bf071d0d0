"""Test sends: a campaign's message or a journey email step reaches the chosen addresses through a real SMTP server,
marked as a test, rendered as the chosen person; nothing is counted, capped or put on a timeline; bad input is 422
naming the field; roles and workspaces are enforced; the page has the form."""

from __future__ import annotations

import pytest
from django.test import Client
from tests.fakes.smtp import fake_smtp  # noqa: F401 - fixture

from rapport.campaigns import policy, services
from rapport.campaigns.models import CampaignSend, CampaignStatus
from rapport.campaigns.tests.journey_helpers import journey
from rapport.campaigns.tests.test_campaigns import ACTOR, body, person, run_jobs, segment, smtp_settings
from rapport.contacts.models import Touchpoint
from rapport.core.models import AuditEvent, Role

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_campaign_test_is_marked_not_counted_not_capped(
    api,
    api_factory,
    workspace,
    other_workspace,
    settings,
    fake_smtp,  # noqa: F811
):
    smtp_settings(settings, fake_smtp)
    ann = person(workspace, "Ann")
    outsider = person(other_workspace, "Olaf")
    # A cap of one message a week that Ann has already had, and quiet hours all day: a test goes all the same.
    policy.save_policy(
        workspace_id=workspace.pk, data={"cap_messages": 1, "cap_days": 7, "quiet_start": "00:00", "quiet_end": "23:59"}
    )
    seg = segment(workspace)
    first = services.create_campaign(workspace=workspace, actor=ACTOR, data=body(segment_ids=[seg.pk], name="First"))
    CampaignSend.objects.create(workspace=workspace, campaign=first, person=ann, status="sent", sent_at=policy.now())
    c = api.post(
        "/campaigns",
        body(segment_ids=[seg.pk], variants=[{"name": "B", "subject": "Psst {{ first_name }}", "body": "B body"}]),
    ).json()
    r = api.post(f"/campaigns/{c['id']}/test", {"to": ["qa@example.com", "boss@example.com"], "person_id": ann.pk})
    assert r.status_code == 200, r.content
    assert r.json() == {
        "to": ["qa@example.com", "boss@example.com"],
        "subject": "[Test] Hello Ann",
        "as_person": ann.pk,
    }
    assert sorted(m["To"] for m in fake_smtp.messages) == ["boss@example.com", "qa@example.com"]
    mail = fake_smtp.messages[0]
    assert mail["Subject"] == "[Test] Hello Ann" and mail["X-Rapport-Test"] == "yes"
    assert "Dear Ann Test, spring is here." in mail.get_content()
    assert mail["List-Unsubscribe"] is None  # Ann's own link would unsubscribe Ann
    r = api.post(f"/campaigns/{c['id']}/test", {"to": ["qa@example.com"], "variant": "B"})
    assert r.json()["subject"] == "[Test] Psst Ann"  # the first member by default
    # Nothing counted: no send rows, no timeline entry, still a draft, and the cap's count did not move.
    assert not CampaignSend.objects.filter(campaign_id=c["id"]).exists()
    assert not Touchpoint.objects.filter(source="campaign").exists()
    assert api.get(f"/campaigns/{c['id']}").json()["status"] == CampaignStatus.DRAFT
    assert policy.recent_counts(policy.policy_for(workspace.pk), [ann.pk], policy.now())[ann.pk] == 1
    assert AuditEvent.objects.filter(action="campaign.test_sent", object_id=str(c["id"])).count() == 2
    # Bad input names the field.
    for payload, field in (
        ({"to": ["not-an-address"]}, "to"),
        ({"to": []}, "to"),
        ({"to": ["a@example.com"], "person_id": outsider.pk}, "person_id"),
        ({"to": ["a@example.com"], "variant": "Z"}, "variant"),
        ({"to": [f"p{i}@example.com" for i in range(11)]}, "to"),
    ):
        r = api.post(f"/campaigns/{c['id']}/test", payload)
        assert r.status_code == 422, payload
        assert r.json()["detail"][0]["loc"][-1] == field, r.json()
    assert len(fake_smtp.messages) == 3
    # Roles and workspaces.
    assert (
        api_factory(workspace, Role.AGENT).post(f"/campaigns/{c['id']}/test", {"to": ["a@example.com"]}).status_code
        == 403
    )
    assert (
        api_factory(other_workspace, Role.ADMIN)
        .post(f"/campaigns/{c['id']}/test", {"to": ["a@example.com"]})
        .status_code
        == 404
    )
    # The mail server down: 502 with the reason, nothing recorded.
    fake_smtp.refuse_with = "451 try later"
    r = api.post(f"/campaigns/{c['id']}/test", {"to": ["qa@example.com"]})
    assert r.status_code == 502 and "mail server" in r.json()["detail"]


def test_a_journey_email_step_test(api, workspace, settings, fake_smtp):  # noqa: F811
    smtp_settings(settings, fake_smtp)
    ann = person(workspace, "Ann")
    j = journey(
        workspace,
        trigger="life_event",
        steps=[
            {"id": "w", "type": "wait", "days": 1},
            {"id": "mail", "type": "email", "subject": "Settling in, {{ first_name }}?", "body": "Hi {{ name }}"},
        ],
    )
    r = api.post(f"/journeys/{j.pk}/steps/mail/test", {"person_id": ann.pk})
    assert r.status_code == 200 and r.json()["to"] == [ann.email]
    (mail,) = fake_smtp.messages
    assert mail["Subject"] == "[Test] Settling in, Ann?" and mail["X-Rapport-Test"] == "yes"
    assert not j.enrolments.exists() and not j.runs.exists()
    r = api.post(f"/journeys/{j.pk}/steps/w/test", {"to": ["a@example.com"]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "step_id"
    r = api.post(f"/journeys/{j.pk}/steps/nope/test", {"to": ["a@example.com"]})
    assert r.status_code == 422 and "unknown step" in r.json()["detail"][0]["msg"]


def test_the_test_form_on_the_campaign_page(workspace, settings, fake_smtp, member_factory):  # noqa: F811
    smtp_settings(settings, fake_smtp)
    ann = person(workspace, "Ann")
    c = services.create_campaign(workspace=workspace, actor=ACTOR, data=body(segment_ids=[segment(workspace).pk]))
    client = Client()
    client.force_login(member_factory(workspace, Role.MARKETER).user)
    page = client.get(f"/campaigns/{c.pk}/").content.decode()
    assert 'id="test-send-form"' in page and f'<option value="{ann.pk}"' in page
    r = client.post(f"/campaigns/{c.pk}/test/", {"to": "qa@example.com", "person_id": str(ann.pk)}, follow=True)
    assert r.status_code == 200 and "Test sent to qa@example.com" in r.content.decode()
    assert [m["To"] for m in fake_smtp.messages] == ["qa@example.com"]
    r = client.post(f"/campaigns/{c.pk}/test/", {"to": "qa@@nowhere", "person_id": str(ann.pk)})
    assert r.status_code == 422 and "not an email address: qa@@nowhere" in r.content.decode()
    run_jobs()
    assert len(fake_smtp.messages) == 1


def test_the_test_form_on_the_journey_page(workspace, settings, fake_smtp, member_factory):  # noqa: F811
    smtp_settings(settings, fake_smtp)
    ann = person(workspace, "Ann")
    j = journey(
        workspace,
        trigger="life_event",
        steps=[
            {"id": "care", "type": "email", "label": "Care guide", "subject": "Care, {{ first_name }}", "body": "b"}
        ],
    )
    client = Client()
    client.force_login(member_factory(workspace, Role.MARKETER).user)
    page = client.get(f"/journeys/{j.pk}/").content.decode()
    assert 'id="journey-test-form"' in page and '<option value="care"' in page
    r = client.post(f"/journeys/{j.pk}/test/", {"step_id": "care", "to": "qa@example.com", "as_email": ann.email})
    assert r.status_code == 302
    (mail,) = fake_smtp.messages
    assert mail["To"] == "qa@example.com" and mail["Subject"] == "[Test] Care, Ann"
    r = client.post(
        f"/journeys/{j.pk}/test/", {"step_id": "care", "to": "qa@example.com", "as_email": "x@nowhere.example"}
    )
    assert r.status_code == 422 and "nobody has the address x@nowhere.example" in r.content.decode()
    r = client.post(f"/journeys/{j.pk}/test/", {"step_id": "care", "to": ""})
    assert r.status_code == 422 and "name an address" in r.content.decode()
    assert len(fake_smtp.messages) == 1
