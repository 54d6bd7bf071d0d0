"""Exposes every fake-server fixture; other test folders import the same names from the modules directly."""

from tests.fakes.bluesky import fake_bluesky
from tests.fakes.discourse import fake_discourse
from tests.fakes.mastodon import fake_mastodon
from tests.fakes.outbound import fake_graph, fake_x
from tests.fakes.rss import fake_feeds

__all__ = ["fake_bluesky", "fake_discourse", "fake_feeds", "fake_graph", "fake_mastodon", "fake_x"]
