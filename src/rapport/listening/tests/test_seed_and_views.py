"""Demo seed (idempotent, alerts on the story) and the web pages: mentions with filters, alerts, dead letters."""

from __future__ import annotations

import pytest
from django.test import Client

from rapport.channels.models import Channel
from rapport.core.models import Role
from rapport.demo.listening import seed_listening
from rapport.listening.models import Post, SpikeAlert, TrackingRule
from rapport.listening.nlp import data
from rapport.pipeline.models import DeadLetter
from rapport.pipeline.tests.factories import make_post

pytestmark = pytest.mark.django_db


def browser(member_factory, workspace, role=Role.ADMIN) -> Client:
    client = Client()
    client.force_login(member_factory(workspace, role).user)
    return client


@pytest.mark.skipif(not data.tweets_path().exists(), reason="Tweets.csv not available")
def test_seed_listening_is_idempotent_and_the_story_alerts(workspace):
    first = seed_listening(workspace, tweets=600)
    assert first["stored"] == first["posts"] > 600
    assert {(c.network, c.handle) for c in Channel.objects.filter(workspace=workspace)} == {
        ("twitter", "united"),
        ("facebook", "united"),
    }
    assert TrackingRule.objects.filter(workspace=workspace).count() == 4
    keys = set(SpikeAlert.objects.filter(workspace=workspace).values_list("key", flat=True))
    assert "#unitedbreaksguitars" in keys
    again = seed_listening(workspace, tweets=600)
    assert again["stored"] == 0 and Post.objects.filter(workspace=workspace).count() == first["stored"]


def test_mentions_page_filters_with_htmx(member_factory, workspace):
    from rapport.pipeline.ingest import process_batch

    rule = TrackingRule.objects.create(workspace=workspace, name="Acme", query="acme")
    process_batch(
        workspace_id=workspace.pk,
        posts=[
            make_post(1, "acme lost my parcel, furious and nobody helps"),
            make_post(2, "lovely sunny day in the park with friends"),
        ],
    )
    client = browser(member_factory, workspace)
    page = client.get("/mentions/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "acme lost my parcel" in html and "sunny day" in html and "<svg" in html
    part = client.get("/mentions/", {"rule": rule.pk}, HTTP_HX_REQUEST="true").content.decode()
    assert "acme lost my parcel" in part and "sunny day" not in part and "<html" not in part
    neg = client.get("/mentions/", {"sentiment": "positive"}, HTTP_HX_REQUEST="true").content.decode()
    assert "acme lost my parcel" not in neg
    assert client.get("/mentions/alerts/").status_code == 200
    # Filter values that are not what they should be are ignored, never a server error.
    for odd in ({"rule": "9" * 30}, {"rule": "²"}, {"sentiment": "furious"}, {"period": "forever"}, {"cursor": "%%%"}):
        assert client.get("/mentions/", odd).status_code == 200, odd


def test_dead_letter_page_is_for_admins_and_replays(member_factory, workspace):
    letter = DeadLetter.objects.create(
        workspace=workspace,
        source="api:item 0",
        format="post",
        reason="created_at: missing",
        payload='{"network": "twitter", "external_id": "77", "created_at": "2026-01-01T10:00:00Z", "text": "fixed",'
        ' "author": {"handle": "someone"}}',
    )
    agent = browser(member_factory, workspace, Role.AGENT)
    assert agent.get("/mentions/dead-letters/").status_code == 403
    admin = browser(member_factory, workspace)
    assert "created_at: missing" in admin.get("/mentions/dead-letters/").content.decode()
    # A mistyped id replays nothing (and is not taken as "replay them all").
    odd = admin.post("/mentions/dead-letters/replay/", {"id": "9" * 30}, follow=True)
    assert "nothing was replayed" in odd.content.decode()
    letter.refresh_from_db()
    assert letter.status == "pending"
    r = admin.post("/mentions/dead-letters/replay/", {"id": letter.pk})
    assert r.status_code == 302
    letter.refresh_from_db()
    assert letter.status == "replayed" and Post.objects.filter(workspace=workspace, external_id="77").exists()
