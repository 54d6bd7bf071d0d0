"""RSS/Atom: fixture normalisation and polling a fake feed host with conditional GET."""

from __future__ import annotations

import feedparser
import pytest
from tests.fakes.rss import FakeFeeds

from rapport.pipeline.connectors.base import ConnectorError
from rapport.pipeline.connectors.rss import RssClient
from rapport.pipeline.connectors.rss.normalise import entry_to_post

from .conftest import load_fixture


def test_rss2_fixture() -> None:
    parsed = feedparser.parse(load_fixture("rss", "reviews_rss2.xml"))
    zip_post, bag_post = (entry_to_post(e, feed_url="https://f/rss") for e in parsed.entries)
    assert zip_post["external_id"] == "forum.trailgear.example-topic-4412"
    assert zip_post["text"] == (
        "Zip on the Alpine 2 jacket broke\n\nSecond time this winter. Anyone know if Acme repairs zips?"
    )
    assert zip_post["author"]["handle"] == "hikerhannah"
    assert zip_post["created_at"] == "2024-11-18T15:12:09Z"
    assert zip_post["network"] == "rss" and zip_post["kind"] == "post"
    assert bag_post["text"].endswith("liner.\nBudget is ~300€.")  # content:encoded wins over description


def test_atom_fixture() -> None:
    (entry,) = feedparser.parse(load_fixture("rss", "blog_atom.xml")).entries
    post = entry_to_post(entry, feed_url="https://packsandpeaks.example/atom.xml")
    assert post["external_id"] == "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
    assert post["created_at"] == "2024-11-16T09:30:00Z"
    assert post["author"] == {
        "external_id": "https://packsandpeaks.example/about",
        "handle": "Jules Martin",
        "name": "Jules Martin",
        "followers": None,
    }
    assert post["url"] == "https://packsandpeaks.example/2024/11/acme-trailblazer-review"


@pytest.mark.parametrize("path", ["/rss.xml", "/atom.xml"])
def test_poll_returns_only_new_entries(fake_feeds: FakeFeeds, waits: list[float], path: str) -> None:
    fake_feeds.add_item("Zip broke", "Second time")
    fake_feeds.add_item("Tent pegs", "Flimsy")
    client = RssClient(sleep=waits.append)
    url = fake_feeds.url + path
    first = client.poll(url)
    assert [p["text"].split("\n")[0] for p in first.posts] == ["Zip broke", "Tent pegs"]
    unchanged = client.poll(url, state=first.state)
    assert unchanged.posts == [] and fake_feeds.requests[-1].headers.get("if-none-match") == first.state["etag"]
    fake_feeds.add_item("Refund took 3 weeks", "Not happy", author="ole_k")
    second = client.poll(url, state=unchanged.state)
    assert [p["text"] for p in second.posts] == ["Refund took 3 weeks\n\nNot happy"]
    assert second.posts[0]["author"]["handle"] == "ole_k"
    assert set(second.state["seen"]) == {p["external_id"] for p in first.posts + second.posts}


def test_poll_html_page_is_an_error(fake_feeds: FakeFeeds, waits: list[float]) -> None:
    with pytest.raises(ConnectorError) as err:
        RssClient(sleep=waits.append).poll(fake_feeds.url + "/not-a-feed")
    assert err.value.retryable is False


def test_poll_retries_then_succeeds(fake_feeds: FakeFeeds, waits: list[float]) -> None:
    fake_feeds.add_item("One", "body")
    fake_feeds.fail(500, times=1)
    assert len(RssClient(sleep=waits.append).poll(fake_feeds.url + "/rss.xml").posts) == 1
    assert waits == [0.5]
