"""The campaign pages: marketers and admins only, their own workspace only; the form names bad fields, previews one
person's message and saves a draft; a campaign's page shows its funnel and sends through the job runner."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from tests.fakes.smtp import fake_smtp  # noqa: F401 - fixture

from rapport.campaigns import services
from rapport.campaigns.models import Campaign
from rapport.campaigns.tests.test_campaigns import ACTOR, body, person, run_jobs, segment, smtp_settings
from rapport.campaigns.views import funnel
from rapport.core.models import Role

pytestmark = pytest.mark.django_db(transaction=True)


def client_for(member_factory, workspace, role=Role.MARKETER) -> Client:
    client = Client()
    client.force_login(member_factory(workspace, role).user)
    return client


def test_pages_are_for_marketers_and_admins_of_the_workspace(member_factory, workspace, other_workspace):
    c = services.create_campaign(workspace=workspace, actor=ACTOR, data=body(segment_ids=[segment(workspace).pk]))
    for role in (Role.AGENT, Role.COMMUNITY_MANAGER):
        client = client_for(member_factory, workspace, role)
        assert client.get("/campaigns/").status_code == 403
        assert client.get(f"/campaigns/{c.pk}/").status_code == 403
        assert client.post(f"/campaigns/{c.pk}/send/").status_code == 403
    assert client_for(member_factory, other_workspace, Role.ADMIN).get(f"/campaigns/{c.pk}/").status_code == 404
    assert client_for(member_factory, other_workspace, Role.ADMIN).post(f"/campaigns/{c.pk}/send/").status_code == 404
    assert Client().get("/campaigns/").status_code == 302  # to the sign-in
    marketer = client_for(member_factory, workspace)
    r = marketer.get("/campaigns/")
    assert r.status_code == 200 and "Spring letter" in r.content.decode()
    assert marketer.get(f"/campaigns/{c.pk}/send/").status_code == 405
    assert Campaign.objects.get(pk=c.pk).status == "draft"


def test_the_form_previews_one_person_names_bad_fields_and_saves(member_factory, workspace):
    person(workspace, "Ann")
    bob = person(workspace, "Bob")
    seg = segment(workspace)
    client = client_for(member_factory, workspace)
    form = {
        "name": "Spring",
        "segment_ids": [str(seg.pk)],
        "purpose": "newsletter",
        "subject": "Hi {{ first_name }}",
        "body": "Dear {{ name }}, see https://shop.example/spring",
        "track_clicks": "on",
    }
    r = client.post("/campaigns/new/", {**form, "action": "preview", "preview_person": str(bob.pk)})
    page = r.content.decode()
    assert r.status_code == 200
    assert re.search(r'id="preview-subject">Hi Bob<', page) and "Dear Bob Test, see https://shop.example/spring" in page
    r = client.post("/campaigns/new/", {**form, "body": "Hi {% if %}", "purpose": "spam", "action": "save"})
    assert r.status_code == 422
    page = r.content.decode()
    assert "unknown purpose" in page and "template error" in page
    assert not Campaign.objects.exists()
    r = client.post("/campaigns/new/", {**form, "action": "save"})
    c = Campaign.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/campaigns/{c.pk}/"
    assert (c.track_clicks, c.track_opens, c.segment_ids) == (True, False, [seg.pk])


def test_a_campaign_page_sends_and_shows_its_funnel(member_factory, workspace, settings, fake_smtp):  # noqa: F811
    smtp_settings(settings, fake_smtp)
    person(workspace, "Ann"), person(workspace, "Bob"), person(workspace, "Cid", granted=False)
    c = services.create_campaign(workspace=workspace, actor=ACTOR, data=body(segment_ids=[segment(workspace).pk]))
    client = client_for(member_factory, workspace)
    page = client.get(f"/campaigns/{c.pk}/").content.decode()
    assert 'data-step="audience" data-count="2"' in page and "Dear Ann Test" in page
    assert client.post(f"/campaigns/{c.pk}/send/").status_code == 302
    assert not fake_smtp.messages
    run_jobs()
    page = client.get(f"/campaigns/{c.pk}/").content.decode()
    assert 'data-step="sent" data-count="2"' in page and 'id="send-button"' not in page
    assert len(fake_smtp.messages) == 2


def test_the_funnel_is_a_share_of_the_audience():
    f = funnel({"audience": 200, "sent": 100, "opened": 50, "clicked": 10, "converted": 0}, width=400)
    assert [(s["key"], s["w"], s["pct"]) for s in f["steps"]] == [
        ("audience", 400.0, 100.0),
        ("sent", 200.0, 50.0),
        ("opened", 100.0, 25.0),
        ("clicked", 20.0, 5.0),
        ("converted", 0, 0.0),
    ]
