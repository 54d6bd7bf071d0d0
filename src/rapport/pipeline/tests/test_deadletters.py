"""Dead letters of every network's format are replayed by that network's connector, through the registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from rapport.listening.models import Post
from rapport.pipeline import deadletters
from rapport.pipeline.connectors import registry
from rapport.pipeline.models import DeadLetter

pytestmark = pytest.mark.django_db
EMAIL = (Path(__file__).resolve().parent.parent / "connectors" / "email" / "fixtures" / "reply.eml").read_text()


def test_an_email_dead_letter_is_replayed(workspace):
    broken = EMAIL.replace("From: Ana Lopez <Ana.Lopez@mail.example>\n", "")
    letter = deadletters.record(
        workspace_id=workspace.pk, source="webhook:email:1", fmt="email", payload=broken, reason="From: missing"
    )
    assert deadletters.replay(workspace_id=workspace.pk) == {"replayed": 0, "failed": 1, "stored": 0, "duplicates": 0}
    letter.refresh_from_db()
    assert letter.status == DeadLetter.Status.FAILED
    DeadLetter.objects.filter(pk=letter.pk).update(payload=EMAIL)  # the sender's address, fixed by hand
    counts = deadletters.replay(workspace_id=workspace.pk, ids=[letter.pk])
    assert counts["replayed"] == 1 and counts["stored"] == 1
    assert Post.objects.get().network == "email"


def test_a_format_no_connector_reads_stays_failed_with_the_reason(workspace):
    deadletters.record(workspace_id=workspace.pk, source="x", fmt="carrier-pigeon", payload="coo", reason="?")
    assert deadletters.replay(workspace_id=workspace.pk)["failed"] == 1
    assert "cannot replay 'carrier-pigeon'" in DeadLetter.objects.get().reason


def test_every_channel_network_has_a_connector_for_replies_or_polling():
    polled = set(registry.polled_networks())
    assert polled == {"rss", "mastodon", "bluesky", "discourse", "email"}
    for network in ("twitter", "facebook", "instagram", "mastodon", "bluesky", "email"):
        module = registry._channel_module(network)
        assert hasattr(module, "reply_client"), network
