"""Name -> connector class, so settings and the pipeline can refer to connectors by a short name."""

from __future__ import annotations

from .base import Connector
from .bluesky import BlueskyClient
from .files import FileConnector
from .generic import GenericWebhookConnector
from .mastodon import MastodonClient
from .meta import MetaConnector
from .rss import RssClient
from .x import XConnector

CONNECTORS: dict[str, type[Connector]] = {
    "files": FileConnector,
    "meta": MetaConnector,
    "x": XConnector,
    "generic": GenericWebhookConnector,
    "rss": RssClient,
    "mastodon": MastodonClient,
    "bluesky": BlueskyClient,
}


def get_connector(name: str) -> type[Connector]:
    """Return the connector class registered under name; raise KeyError listing the known names."""
    try:
        return CONNECTORS[name]
    except KeyError:
        raise KeyError(f"unknown connector {name!r}; known: {', '.join(sorted(CONNECTORS))}") from None


def with_capability(capability: str) -> dict[str, type[Connector]]:
    """Return the registered connectors that offer capability ("file", "webhook", "poll" or "reply")."""
    return {name: cls for name, cls in CONNECTORS.items() if capability in cls.capabilities}
