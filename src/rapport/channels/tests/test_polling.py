"""Polling channels against local fake servers: new posts reach the pipeline once, state carries over."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from rapport.channels.models import Channel
from rapport.channels.polling import poll_all, poll_channel
from rapport.channels.services import upsert_channel
from rapport.core.actors import Actor
from rapport.listening.models import Post

pytestmark = pytest.mark.django_db


def test_rss_feed_is_polled_incrementally(workspace, fake_feeds):
    fake_feeds.add_item("Broken zipper", "The zipper on my new jacket broke after a week, very disappointed")
    fake_feeds.add_item("Great boots", "These boots are wonderful, warm and dry on a long hike")
    channel = upsert_channel(
        workspace=workspace,
        actor=Actor.system(),
        network="rss",
        handle="outdoor-forum",
        config={"feeds": [fake_feeds.url + "/rss.xml"]},
    )
    first = poll_channel(channel)
    assert first.stored == 2
    again = poll_channel(Channel.objects.get(pk=channel.pk))
    assert again.received == 0  # ETag / seen ids: nothing new is fetched
    fake_feeds.add_item("Refund?", "Still waiting for my refund, nobody answers my emails")
    assert poll_all(workspace_id=workspace.pk)["stored"] == 1
    assert Post.objects.filter(workspace=workspace).count() == 3
    assert set(Post.objects.values_list("sentiment_label", flat=True)) >= {"negative", "positive"}


def test_mastodon_hashtags_and_the_command(workspace, fake_mastodon):
    fake_mastodon.add_status("Loving the new #acme espresso machine", tags=("acme",))
    fake_mastodon.add_status("Unrelated post about cats")
    upsert_channel(
        workspace=workspace,
        actor=Actor.system(),
        network="mastodon",
        handle="acme@fake.social",
        config={"base_url": fake_mastodon.url, "hashtags": ["acme"]},
        credentials={"access_token": fake_mastodon.token},
    )
    call_command("poll", "--workspace", workspace.slug, stdout=StringIO())
    texts = list(Post.objects.filter(workspace=workspace, network="mastodon").values_list("text", flat=True))
    assert len(texts) == 1 and "espresso" in texts[0]
    fake_mastodon.add_status("Second #acme post, the milk frother is broken", tags=("acme",))
    result = poll_all(workspace_id=workspace.pk)
    assert result["stored"] == 1 and Post.objects.filter(network="mastodon").count() == 2


def test_unreachable_source_keeps_state_and_other_sources_run(workspace, fake_feeds):
    fake_feeds.add_item("Hello", "A post about hiking boots and rain")
    channel = upsert_channel(
        workspace=workspace,
        actor=Actor.system(),
        network="rss",
        handle="two-feeds",
        config={"feeds": ["http://127.0.0.1:9/rss.xml", fake_feeds.url + "/rss.xml"]},
    )
    result = poll_channel(channel, max_retries=0)
    assert result.stored == 1
    channel.refresh_from_db()
    assert list(channel.poll_state) == [fake_feeds.url + "/rss.xml"]


def test_a_poisoned_channel_is_recorded_and_the_others_are_still_polled(workspace, other_workspace, fake_feeds):
    fake_feeds.add_item("Hello", "A post about hiking boots and rain")
    # Rows written before configs were checked (or edited in the database): no base_url, a feed list that is text.
    broken = Channel.objects.create(workspace=workspace, network="mastodon", handle="a", config={"hashtags": ["acme"]})
    Channel.objects.create(workspace=workspace, network="rss", handle="b", config={"feeds": "not a list"})
    upsert_channel(
        workspace=other_workspace,
        actor=Actor.system(),
        network="rss",
        handle="forum",
        config={"feeds": [fake_feeds.url + "/rss.xml"]},
    )
    result = poll_all()
    assert result["channels"] == 3 and result["failed"] == 2 and result["stored"] == 1
    assert Post.objects.filter(workspace=other_workspace).count() == 1
    broken.refresh_from_db()
    assert "base_url" in broken.last_error and broken.last_error_at is not None


def test_a_refused_host_is_kept_on_the_channel_and_cleared_when_it_works(workspace, fake_feeds, settings):
    channel = upsert_channel(
        workspace=workspace,
        actor=Actor.system(),
        network="rss",
        handle="forum",
        config={"feeds": [fake_feeds.url + "/rss.xml"]},
    )
    settings.RAPPORT_OUTBOUND_ALLOW = []  # the operator withdrew the allowance
    assert poll_all()["stored"] == 0
    channel.refresh_from_db()
    assert "loopback" in channel.last_error
    settings.RAPPORT_OUTBOUND_ALLOW = ["127.0.0.1"]
    fake_feeds.add_item("Hello", "boots")
    assert poll_all()["stored"] == 1
    channel.refresh_from_db()
    assert channel.last_error == ""


def test_a_reply_only_mastodon_channel_polls_nothing(workspace):
    upsert_channel(
        workspace=workspace,
        actor=Actor.system(),
        network="mastodon",
        handle="replies",
        credentials={"access_token": "t", "base_url": "https://mastodon.example"},
    )
    result = poll_all()
    assert result["channels"] == 1 and result["failed"] == 0


def test_the_job_channels_poll_polls_every_workspace(workspace, fake_feeds):
    from rapport.core import jobs
    from rapport.core.models import ScheduledJob

    fake_feeds.add_item("Lost bag", "My bag never arrived and nobody answers")
    upsert_channel(
        workspace=workspace,
        actor=Actor.system(),
        network="rss",
        handle="forum",
        config={"feeds": [fake_feeds.url + "/rss.xml"]},
    )
    assert jobs.get_job("channels.poll").every == 60
    assert jobs.run_now("channels.poll")["stored"] == 1
    assert ScheduledJob.objects.get(name="channels.poll").runs == 1
    assert Post.objects.filter(workspace=workspace).count() == 1


def test_discourse_forum_is_polled_and_a_bad_post_is_dead_lettered(workspace, fake_discourse):
    from rapport.pipeline.models import DeadLetter

    fake_discourse.add_post("Since the update my iPhone 5 drops to 3G in the city centre", username="ole_k")
    bad = fake_discourse.add_post("unreadable")
    bad["created_at"] = "last tuesday"
    fake_discourse.add_post("Switch Enable LTE to Data only and restart the phone", accepted=True, likes=4)
    channel = upsert_channel(
        workspace=workspace,
        actor=Actor.system(),
        network="discourse",
        handle="forum",
        config={"base_url": fake_discourse.url},
    )
    assert poll_channel(channel).stored == 2
    channel.refresh_from_db()
    assert channel.poll_state == {"posts": {"last_id": fake_discourse.posts[-1]["id"]}} and channel.last_error == ""
    (letter,) = DeadLetter.objects.filter(workspace=workspace)
    assert letter.source == f"poll:discourse:{channel.pk}:post:{bad['id']}" and "created_at" in letter.reason
    answer = Post.objects.get(workspace=workspace, network="discourse", kind="reply")
    assert answer.raw["forum"]["accepted"] is True and answer.raw["forum"]["category"] == "iPhone 5"
    assert answer.thread_id.endswith(":t:9921") and answer.metrics["likes"] == 4
    assert poll_channel(Channel.objects.get(pk=channel.pk)).received == 0
