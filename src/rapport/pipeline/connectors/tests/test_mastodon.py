"""Mastodon: status normalisation and polling against the fake instance (paging, cursors, auth, retries)."""

from __future__ import annotations

import pytest
from tests.fakes.mastodon import TOKEN, FakeMastodon

from rapport.pipeline.connectors.base import ConnectorError
from rapport.pipeline.connectors.mastodon import MastodonClient
from rapport.pipeline.connectors.mastodon.normalise import notification_to_post, status_to_post

from .conftest import load_fixture


def test_status_fixture() -> None:
    post = status_to_post(load_fixture("mastodon", "status.json"))
    assert post is not None
    assert post["text"] == (
        "Third week waiting for a refund from @acmeoutdoor & still nothing.\nAnyone else? #AcmeOutdoor"
    )
    assert post["author"] == {
        "external_id": "109302513470281203",
        "handle": "kaja@fosstodon.org",
        "name": "Kaja Novak",
        "followers": 812,
    }
    assert post["created_at"] == "2024-11-14T09:21:37.123Z"
    assert post["metrics"] == {"likes": 11, "reposts": 4, "replies": 2}
    assert post["url"] == "https://fosstodon.org/@kaja/113494719316848192"
    assert post["kind"] == "post" and post["in_reply_to"] is None


def test_mention_notification_fixture() -> None:
    notification = load_fixture("mastodon", "notification_mention.json")
    post = notification_to_post(notification)
    assert post is not None and post["kind"] == "mention"
    assert post["text"] == "rant\n@acmeoutdoor Der Reißverschluss ist schon wieder kaputt.\nZweites Mal!"
    assert post["in_reply_to"] == "113494801234567890"
    assert post["author"]["handle"] == "lena@chaos.social"
    assert notification_to_post({**notification, "type": "favourite"}) is None


def test_boosts_are_skipped() -> None:
    status = load_fixture("mastodon", "status.json")
    assert status_to_post({**status, "reblog": dict(status)}) is None


def _client(server: FakeMastodon, waits: list[float], token: str | None = TOKEN) -> MastodonClient:
    return MastodonClient(base_url=server.url, access_token=token, sleep=waits.append)


def test_hashtag_poll_cursor_and_pagination(fake_mastodon: FakeMastodon, waits: list[float]) -> None:
    for i in range(5):
        fake_mastodon.add_status(f"old {i}", tags=("acme",))
    fake_mastodon.add_status("untagged")
    client = _client(fake_mastodon, waits)
    first = client.poll_hashtag("#acme")
    assert [p["text"] for p in first.posts] == [f"old {i} #acme" for i in range(5)]
    assert first.state == {"min_id": first.posts[-1]["external_id"]}

    assert client.poll_hashtag("acme", state=first.state).posts == []

    # 90 new statuses need three pages of 40 walking the Link rel="prev" chain.
    for i in range(90):
        fake_mastodon.add_status(f"new {i}", tags=("acme",))
    second = client.poll_hashtag("acme", state=first.state)
    assert [p["text"] for p in second.posts] == [f"new {i} #acme" for i in range(90)]
    assert len({p["external_id"] for p in second.posts}) == 90
    pages = [r for r in fake_mastodon.requests if r.path == "/api/v1/timelines/tag/acme"]
    assert pages[-4].arg("min_id") == first.state["min_id"]
    assert len(pages) == 1 + 1 + 4  # first poll, empty poll, 3 full pages + the empty page that ends the walk
    assert client.poll_hashtag("acme", state=second.state).posts == []


def test_public_timeline(fake_mastodon: FakeMastodon, waits: list[float]) -> None:
    fake_mastodon.add_status("hello", tags=("x",))
    fake_mastodon.add_status("world")
    result = _client(fake_mastodon, waits, token=None).poll_public()
    assert [p["text"] for p in result.posts] == ["hello #x", "world"]


def test_mentions_need_token_and_advance(fake_mastodon: FakeMastodon, waits: list[float]) -> None:
    fake_mastodon.add_status("@acmeoutdoor help", mention=True)
    fake_mastodon.add_status("no mention")
    with pytest.raises(ConnectorError) as err:
        _client(fake_mastodon, waits, token="wrong").poll_mentions()
    assert err.value.status == 401 and err.value.retryable is False
    client = _client(fake_mastodon, waits)
    first = client.poll_mentions()
    assert [(p["kind"], p["text"]) for p in first.posts] == [("mention", "@acmeoutdoor help")]
    fake_mastodon.add_status("@acmeoutdoor again", mention=True)
    second = client.poll_mentions(state=first.state)
    assert [p["text"] for p in second.posts] == ["@acmeoutdoor again"]


def test_poll_retries_server_errors(fake_mastodon: FakeMastodon, waits: list[float]) -> None:
    fake_mastodon.add_status("hi", tags=("acme",))
    fake_mastodon.fail(503, times=2)
    result = _client(fake_mastodon, waits).poll_hashtag("acme")
    assert len(result.posts) == 1 and waits == [0.5, 1.0]


def test_poll_gives_up_with_retryable_error(fake_mastodon: FakeMastodon, waits: list[float]) -> None:
    fake_mastodon.fail(429, times=10, headers={"Retry-After": "7"})
    with pytest.raises(ConnectorError) as err:
        _client(fake_mastodon, waits).poll_hashtag("acme")
    assert err.value.retryable is True and err.value.status == 429
    assert waits == [7.0, 7.0, 7.0]
