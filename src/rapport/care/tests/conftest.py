"""The local fake network servers that outbound replies are tested against."""

from tests.fakes.mastodon import fake_mastodon
from tests.fakes.outbound import fake_graph, fake_x

__all__ = ["fake_graph", "fake_mastodon", "fake_x"]
