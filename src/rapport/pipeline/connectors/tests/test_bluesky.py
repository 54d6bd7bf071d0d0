"""Bluesky: post view / notification normalisation and polling against the fake XRPC server."""

from __future__ import annotations

import pytest
from tests.fakes.bluesky import APP_PASSWORD, HANDLE, OWN_DID, FakeBluesky

from rapport.pipeline.connectors.base import ConnectorError
from rapport.pipeline.connectors.bluesky import BlueskyClient
from rapport.pipeline.connectors.bluesky.normalise import notification_to_post, post_view_to_post

from .conftest import load_fixture


def test_search_fixture() -> None:
    question, answer = (post_view_to_post(v) for v in load_fixture("bluesky", "search_posts.json")["posts"])
    assert question["external_id"] == "at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3lbdi2ja2xc2s"
    assert question["url"] == "https://bsky.app/profile/mira.bsky.social/post/3lbdi2ja2xc2s"
    assert question["author"] == {
        "external_id": "did:plc:z72i7hdynmk6r22z27h6tvur",
        "handle": "mira.bsky.social",
        "name": "Mira Okafor",
        "followers": None,
    }
    assert question["created_at"] == "2024-11-18T14:02:31.442Z"
    assert question["metrics"] == {"likes": 14, "reposts": 1, "replies": 3, "quotes": 0}
    assert question["kind"] == "post" and question["thread_id"] == question["external_id"]
    assert answer["kind"] == "reply" and answer["in_reply_to"] == question["external_id"]
    assert answer["thread_id"] == question["external_id"]


def test_notifications_fixture() -> None:
    items = load_fixture("bluesky", "list_notifications.json")["notifications"]
    posts = [notification_to_post(n) for n in items]
    assert [p and p["kind"] for p in posts] == ["mention", None, "reply"]


def _client(server: FakeBluesky, waits: list[float], password: str = APP_PASSWORD) -> BlueskyClient:
    return BlueskyClient(identifier=HANDLE, app_password=password, base_url=server.url, sleep=waits.append)


def test_bad_app_password(fake_bluesky: FakeBluesky, waits: list[float]) -> None:
    with pytest.raises(ConnectorError) as err:
        _client(fake_bluesky, waits, password="nope").poll_search("acme")
    assert err.value.status == 401 and not err.value.retryable


def test_search_cursor_pages_and_since_state(fake_bluesky: FakeBluesky, waits: list[float]) -> None:
    for i in range(7):
        fake_bluesky.add_post(f"acme tent question {i}")
    fake_bluesky.add_post("unrelated")
    client = _client(fake_bluesky, waits)
    first = client.poll_search("ACME", limit=3)
    assert sorted(p["text"] for p in first.posts) == [f"acme tent question {i}" for i in range(7)]
    cursors = [r.arg("cursor") for r in fake_bluesky.requests if r.path.endswith("searchPosts")]
    assert cursors == [None, "3", "6"]
    assert first.state["since"] == first.posts[0]["raw"]["indexedAt"]

    again = client.poll_search("acme", state=first.state, limit=3)
    assert again.posts == [] and again.state["since"] == first.state["since"]

    fake_bluesky.add_post("acme stove broke")
    third = client.poll_search("acme", state=again.state, limit=3)
    assert [p["text"] for p in third.posts] == ["acme stove broke"]
    assert fake_bluesky.requests[-1].arg("since") == first.state["since"]
    assert sum(1 for r in fake_bluesky.requests if r.path.endswith("createSession")) == 1


def test_notifications_stop_at_known_items(fake_bluesky: FakeBluesky, waits: list[float]) -> None:
    question = fake_bluesky.add_post("@acmeoutdoor.com help", reason="mention")
    fake_bluesky.add_post("liked", reason="like")
    client = _client(fake_bluesky, waits)
    first = client.poll_notifications(limit=2)
    assert [p["text"] for p in first.posts] == ["@acmeoutdoor.com help"]
    for i in range(4):
        fake_bluesky.add_post(f"reply {i}", reason="reply", reply_to=question)
    second = client.poll_notifications(state=first.state, limit=2)
    assert [p["text"] for p in second.posts] == [f"reply {i}" for i in (3, 2, 1, 0)]
    assert all(p["in_reply_to"] == question["uri"] for p in second.posts)
    assert client.poll_notifications(state=second.state, limit=2).posts == []


def test_expired_token_logs_in_again(fake_bluesky: FakeBluesky, waits: list[float]) -> None:
    fake_bluesky.add_post("acme", reason="mention")
    client = _client(fake_bluesky, waits)
    client.login()
    fake_bluesky.expire_tokens()
    assert len(client.poll_notifications().posts) == 1
    assert sum(1 for r in fake_bluesky.requests if r.path.endswith("createSession")) == 2


def test_reply_builds_root_and_parent_refs(fake_bluesky: FakeBluesky, waits: list[float]) -> None:
    root = fake_bluesky.add_post("acme my stove broke")
    child = fake_bluesky.add_post("same here", reply_to=root)
    client = _client(fake_bluesky, waits)
    uri = client.send_reply(text="Sorry! DM us please.", in_reply_to=child["uri"])
    assert uri.startswith(f"at://{OWN_DID}/app.bsky.feed.post/")
    (sent,) = fake_bluesky.created
    assert sent["repo"] == OWN_DID and sent["record"]["text"] == "Sorry! DM us please."
    assert sent["record"]["reply"]["parent"] == {"uri": child["uri"], "cid": child["cid"]}
    assert sent["record"]["reply"]["root"] == {"uri": root["uri"], "cid": root["cid"]}


def test_reply_to_missing_post_is_not_retryable(fake_bluesky: FakeBluesky, waits: list[float]) -> None:
    with pytest.raises(ConnectorError) as err:
        _client(fake_bluesky, waits).send_reply(text="hi", in_reply_to="at://did:plc:x/app.bsky.feed.post/zzz")
    assert err.value.retryable is False and fake_bluesky.created == []
