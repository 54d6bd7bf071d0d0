"""Name -> connector class, so settings and the pipeline can refer to connectors by a short name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import config as checks
from .base import Connector
from .bluesky import BlueskyClient
from .email import validate_config as validate_email_config
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


# Channel network -> the rules for its config, kept beside each connector. Networks not listed take any object.
CONFIG_RULES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "rss": RssClient.validate_config,
    "mastodon": MastodonClient.validate_config,
    "bluesky": BlueskyClient.validate_config,
    "email": validate_email_config,
}


def validate_config(network: str, config: Any) -> dict[str, Any]:
    """Check a channel's config against its network's rules; return it clean or raise ConfigError naming each key."""
    rules = CONFIG_RULES.get(network)
    return rules(config) if rules else checks.mapping(config)


def get_connector(name: str) -> type[Connector]:
    """Return the connector class registered under name; raise KeyError listing the known names."""
    try:
        return CONNECTORS[name]
    except KeyError:
        raise KeyError(f"unknown connector {name!r}; known: {', '.join(sorted(CONNECTORS))}") from None


def with_capability(capability: str) -> dict[str, type[Connector]]:
    """Return the registered connectors that offer capability ("file", "webhook", "poll" or "reply")."""
    return {name: cls for name, cls in CONNECTORS.items() if capability in cls.capabilities}
