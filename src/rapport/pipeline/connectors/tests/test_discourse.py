"""Discourse: normalising real latest_posts payloads, polling the fake forum (paging, gaps, state), bad posts to
the dead letters, the outbound guard, and replies with the API key."""

from __future__ import annotations

import json
import re

import pytest
from tests.fakes.discourse import API_KEY, API_USERNAME, FakeDiscourse
from tests.fakes.server import Response

from rapport.pipeline.connectors.base import ConfigError, ConnectorError
from rapport.pipeline.connectors.base_channel import ChannelFacts, ReplyTarget
from rapport.pipeline.connectors.discourse import DiscourseClient
from rapport.pipeline.connectors.discourse import channel as discourse_channel
from rapport.pipeline.connectors.discourse.normalise import post_to_post
from rapport.pipeline.connectors.outbound import OutboundBlocked
from rapport.pipeline.connectors.registry import read_only_reason, reply_args, reply_client, validate_config

from .conftest import load_fixture

CATEGORIES = {12: {"name": "iPhone 5", "slug": "iphone-5"}}


def test_latest_posts_fixture() -> None:
    answer, me_too, question = load_fixture("discourse", "latest_posts.json")["latest_posts"]
    post = post_to_post(answer, site="forum.example.org", base_url="https://forum.example.org", categories=CATEGORIES)
    assert post is not None
    assert post["external_id"] == "forum.example.org:48213"
    assert post["text"] == (
        "Go to Settings → Mobile data → Mobile data options and switch Enable LTE to Data only.\n"
        "my iPhone 5 drops to 3G\nThen restart the phone & it stays on 4G."
    )
    assert post["author"] == {
        "external_id": "forum.example.org:1187",
        "handle": "kohlmark@forum.example.org",
        "name": "Karl Kohlmark",
        "followers": None,
    }
    assert post["kind"] == "reply" and post["thread_id"] == "forum.example.org:t:9921"
    assert post["url"] == "https://forum.example.org/t/iphone-5-keeps-dropping-to-3g/9921/3"
    assert post["created_at"] == "2024-11-18T15:12:09.527Z"
    assert post["metrics"] == {"likes": 6, "replies": 0, "reads": 37}
    forum = post["raw"]["forum"]
    assert forum == {
        "software": "discourse",
        "site": "forum.example.org",
        "topic_id": 9921,
        "topic_title": "iPhone 5 keeps dropping to 3G",
        "post_number": 3,
        "reply_to_post_number": 1,
        "category_id": 12,
        "category": "iPhone 5",
        "category_slug": "iphone-5",
        "tags": [],
        "accepted": True,
        "likes": 6,
    }
    assert post["raw"]["discourse"]["raw"].startswith("Go to **Settings")
    opening = post_to_post(question, site="forum.example.org", base_url="https://forum.example.org")
    assert opening["kind"] == "post" and opening["text"].startswith("iPhone 5 keeps dropping to 3G\n\nSince iOS")
    assert opening["raw"]["forum"]["category"] == "" and opening["raw"]["forum"]["accepted"] is False
    assert post_to_post(me_too, site="f", base_url="https://f")["author"]["name"] is None  # "" is no name


@pytest.mark.parametrize("change", [{"post_type": 4}, {"post_type": 3}, {"deleted_at": "2024-11-19T10:00:00Z"}])
def test_whispers_small_actions_and_deleted_posts_are_skipped(change: dict) -> None:
    item = {**load_fixture("discourse", "latest_posts.json")["latest_posts"][0], **change}
    assert post_to_post(item, site="f", base_url="https://f") is None


def _client(server: FakeDiscourse, waits: list[float], **kw) -> DiscourseClient:
    return DiscourseClient(base_url=server.url, sleep=waits.append, **kw)


def test_poll_pages_back_to_the_last_post_seen(fake_discourse: FakeDiscourse, waits: list[float]) -> None:
    for i in range(3):
        fake_discourse.add_post(f"old {i}")
    client = _client(fake_discourse, waits)
    first = client.poll_posts()
    assert [p["text"] for p in first.posts][-1] == "old 2" and len(first.posts) == 3
    assert first.state == {"last_id": fake_discourse.posts[-1]["id"]}
    assert first.posts[0]["raw"]["forum"]["category"] == "iPhone 5"  # from /categories.json

    assert client.poll_posts(state=first.state).posts == []

    # 120 new posts: three pages of 50 walking back with before=, stopping at the last post seen.
    for i in range(120):
        fake_discourse.add_post(f"new {i}")
    second = client.poll_posts(state=first.state)
    assert [p["text"] for p in second.posts] == [f"new {i}" for i in range(120)]
    pages = [r for r in fake_discourse.requests if r.path == "/posts.json"]
    assert [r.arg("before") for r in pages[-3:]] == [
        None,
        str(fake_discourse.posts[-50]["id"]),
        str(fake_discourse.posts[-100]["id"]),
    ]
    assert second.state == {"last_id": fake_discourse.posts[-1]["id"]}


def test_a_burst_larger_than_the_pages_leaves_a_gap_for_the_next_poll(
    fake_discourse: FakeDiscourse, waits: list[float]
) -> None:
    fake_discourse.add_post("seen")
    client = _client(fake_discourse, waits)
    state = client.poll_posts().state
    for i in range(130):
        fake_discourse.add_post(f"burst {i}")
    first = client.poll_posts(state=state, max_pages=2)
    assert [p["text"] for p in first.posts] == [f"burst {i}" for i in range(30, 130)]
    assert first.state["gaps"] == [[fake_discourse.posts[31]["id"], state["last_id"]]]
    fake_discourse.add_post("after")
    second = client.poll_posts(state=first.state, max_pages=2)
    assert [p["text"] for p in second.posts] == [*(f"burst {i}" for i in range(30)), "after"]
    assert second.state == {"last_id": fake_discourse.posts[-1]["id"]}


def test_a_bad_post_is_rejected_and_the_others_kept(fake_discourse: FakeDiscourse, waits: list[float]) -> None:
    fake_discourse.add_post("good one")
    bad = fake_discourse.add_post("bad one")
    bad["created_at"] = "yesterday"
    fake_discourse.add_post("good two")
    rejected: list[tuple[str, str, str]] = []
    result = _client(fake_discourse, waits).poll_posts(rejected=lambda *r: rejected.append(r))
    assert [p["text"].rsplit("\n", 1)[-1] for p in result.posts] == ["good one", "good two"]
    ((key, payload, reason),) = rejected
    assert key == str(bad["id"]) and "created_at" in reason
    kept = json.loads(payload)
    assert kept["id"] == bad["id"] and kept["_base_url"] == fake_discourse.url
    assert result.state == {"last_id": fake_discourse.posts[-1]["id"]}  # the bad post is not fetched again
    # Corrected by an admin, the dead letter replays into a post of the same forum.
    kept["created_at"] = "2024-11-18T10:00:00Z"
    (post,) = discourse_channel.replay(json.dumps(kept))
    assert post["external_id"].endswith(f":{bad['id']}") and post["text"] == "bad one"


def test_a_page_that_is_not_discourse_is_a_clear_error(fake_discourse: FakeDiscourse, waits: list[float]) -> None:
    fake_discourse._routes.insert(0, ("GET", re.compile(r"/posts\.json"), lambda r, m: Response(200, {"users": []})))
    with pytest.raises(ConnectorError) as err:
        _client(fake_discourse, waits).poll_posts()
    assert err.value.retryable is False and "did not return" in str(err.value)


def test_private_forum_needs_the_key_and_sends_it(fake_discourse: FakeDiscourse, waits: list[float]) -> None:
    fake_discourse.public = False
    fake_discourse.add_post("members only")
    with pytest.raises(ConnectorError) as err:
        _client(fake_discourse, waits).poll_posts()
    assert err.value.status == 403 and err.value.retryable is False
    result = _client(fake_discourse, waits, api_key=API_KEY, api_username=API_USERNAME).poll_posts()
    assert [p["text"] for p in result.posts] == ["iPhone 5 keeps dropping to 3G\n\nmembers only"]
    assert fake_discourse.requests[-1].headers["api-key"] == API_KEY


def test_internal_forum_is_refused_without_the_allow_list(settings, waits: list[float]) -> None:
    settings.RAPPORT_OUTBOUND_ALLOW = []
    with FakeDiscourse() as server:
        with pytest.raises(OutboundBlocked):
            _client(server, waits).poll_posts()
        assert server.requests == []
    with pytest.raises(ConfigError) as err:
        validate_config("discourse", {"base_url": "http://127.0.0.1:9/"})
    assert "loopback" in err.value.errors["base_url"]


def test_config_is_checked_by_field(settings) -> None:
    settings.RAPPORT_OUTBOUND_ALLOW = ["127.0.0.1"]
    with pytest.raises(ConfigError) as err:
        validate_config("discourse", {"max_pages": 99})
    assert set(err.value.errors) == {"base_url", "max_pages"}
    assert "forum's address" in err.value.errors["base_url"]
    assert validate_config("discourse", {"base_url": "http://127.0.0.1:8080/", "max_pages": "3"}) == {
        "base_url": "http://127.0.0.1:8080",
        "max_pages": 3,
    }


def _facts(server: FakeDiscourse, **credentials) -> ChannelFacts:
    return ChannelFacts(network="discourse", pk=7, config={"base_url": server.url}, credentials=credentials)


def test_reply_posts_in_the_topic_under_the_post(fake_discourse: FakeDiscourse) -> None:
    question = fake_discourse.add_post("My iPhone 5 drops to 3G", username="ole_k", topic_id=9921)
    facts = _facts(fake_discourse, api_key=API_KEY, api_username=API_USERNAME)
    assert read_only_reason(facts) is None
    client = reply_client(facts)
    site = client.site
    target = ReplyTarget(
        text="Thanks Ole, we are looking at the cells in the centre.",
        network="discourse",
        last_external_id=f"{site}:{question['id']}",
    )
    new_id = client.send_reply(**reply_args(target))
    assert new_id.startswith(f"{site}:")
    (sent,) = [r for r in fake_discourse.requests if r.method == "POST"]
    assert sent.path == "/posts.json"
    assert sent.headers["api-key"] == API_KEY and sent.headers["api-username"] == API_USERNAME
    assert sent.headers["content-type"] == "application/json"
    assert sent.json() == {
        "raw": "Thanks Ole, we are looking at the cells in the centre.",
        "topic_id": 9921,
        "reply_to_post_number": question["post_number"],
    }


def test_reply_errors_are_not_retried_blindly(fake_discourse: FakeDiscourse) -> None:
    question = fake_discourse.add_post("hello")
    client = reply_client(_facts(fake_discourse, api_key=API_KEY, api_username=API_USERNAME))
    with pytest.raises(ConnectorError) as err:
        client.send_reply(text="too short", in_reply_to=f"{client.site}:{question['id']}")
    assert err.value.status == 422 and err.value.retryable is False
    with pytest.raises(ConnectorError, match="not a post of"):
        client.send_reply(text="a reply long enough to post", in_reply_to=f"other.example:{question['id']}")
    assert fake_discourse.created == []


def test_without_a_key_the_channel_is_read_only(fake_discourse: FakeDiscourse) -> None:
    facts = _facts(fake_discourse)
    assert reply_client(facts) is None
    assert "read-only" in read_only_reason(facts) and "api_key" in read_only_reason(facts)


def test_dead_letters_of_a_poll_name_the_channel_and_post(fake_discourse: FakeDiscourse) -> None:
    bad = fake_discourse.add_post("x")
    bad["topic_id"] = "nine"
    letters: list[dict] = []
    ((key, poll),) = list(
        discourse_channel.poll_sources(_facts(fake_discourse), dead_letter=lambda **k: letters.append(k))
    )
    assert key == "posts" and poll(None).posts == []
    (letter,) = letters
    assert letter["source"] == f"poll:discourse:7:post:{bad['id']}" and letter["fmt"] == "discourse"
    assert letter["reason"].startswith("topic_id:")
