"""The connectors by name and by network: what replies, polling, webhooks and dead-letter replay ask for.

A network's folder holds everything about it (client, normalise, webhook, fixtures, and `channel.py`, which builds
its clients from a brand channel and declares its `webhook`): adding a network is one new folder and one line in
`NETWORK_MODULES`. The channels app's one webhook view, `rapport poll`, replies and replay find it from there.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

from . import config as checks
from .base import Connector, PayloadError
from .base_channel import ChannelFacts, PollSource, ReplyTarget, Webhook, default_reply_args
from .bluesky import BlueskyClient
from .discourse import DiscourseClient
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
    "discourse": DiscourseClient,
}


# Channel network -> the rules for its config, kept beside each connector. Networks not listed take any object.
CONFIG_RULES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "rss": RssClient.validate_config,
    "mastodon": MastodonClient.validate_config,
    "bluesky": BlueskyClient.validate_config,
    "discourse": DiscourseClient.validate_config,
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


# Channel network (or dead-letter format) -> the folder whose channel.py builds its clients.
NETWORK_MODULES: dict[str, str] = {
    "twitter": "x",
    "facebook": "meta",
    "instagram": "meta",
    "mastodon": "mastodon",
    "bluesky": "bluesky",
    "discourse": "discourse",
    "rss": "rss",
    "email": "email",
    "generic": "generic",
}


def _module(folder: str | None) -> ModuleType | None:
    return importlib.import_module(f"{__package__}.{folder}.channel") if folder else None


def _channel_module(network: str) -> ModuleType | None:
    return _module(NETWORK_MODULES.get(network))


def reply_client(channel: ChannelFacts) -> Any | None:
    """The client that sends replies on the channel's network; None when it cannot send (no credentials)."""
    module = _channel_module(channel.network)
    build = getattr(module, "reply_client", None)
    return build(channel) if build else None


def read_only_reason(channel: ChannelFacts) -> str | None:
    """Why the channel cannot send replies although its network could (a forum without an API key), or None."""
    check = getattr(_channel_module(channel.network), "read_only_reason", None)
    return check(channel) if check else None


def reply_args(target: ReplyTarget) -> dict[str, Any]:
    """The keyword arguments of the network's `send_reply` for this reply (the network's own rule, else the default)."""
    module = _channel_module(target.network)
    build = getattr(module, "reply_args", None) if module is not None else None
    return (build or default_reply_args)(target)


def poll_sources(channel: ChannelFacts, **options: Any) -> Iterator[PollSource]:
    """(state key, poll(state)) for every source the channel's config names; none for networks not polled."""
    module = _channel_module(channel.network)
    sources = getattr(module, "poll_sources", None)
    return sources(channel, **options) if sources is not None else iter(())


def polled_networks() -> tuple[str, ...]:
    """The channel networks `rapport poll` looks at."""
    return tuple(network for network in sorted(NETWORK_MODULES) if hasattr(_channel_module(network), "poll_sources"))


def webhook(network: str) -> Webhook | None:
    """How the channel network's inbound webhooks are checked and read; None when it receives none."""
    return getattr(_channel_module(network), "webhook", None)


def webhook_networks(name: str) -> tuple[str, ...]:
    """The channel networks whose webhook is addressed as `name` (`/webhooks/<name>/<key>`): "meta" is both
    facebook and instagram; none for a name no network declares."""
    return tuple(network for network in sorted(NETWORK_MODULES) if getattr(webhook(network), "name", None) == name)


def webhook_names() -> tuple[str, ...]:
    """Every name a webhook is addressed by."""
    return tuple(sorted({hook.name for network in NETWORK_MODULES if (hook := webhook(network)) is not None}))


def _format_module(fmt: str) -> ModuleType | None:
    """Dead letters name the payload's format: a channel network, or a webhook's name ("x", "meta")."""
    if fmt in NETWORK_MODULES:
        return _channel_module(fmt)
    networks = webhook_networks(fmt)
    return _channel_module(networks[0]) if networks else None


def replay(fmt: str, payload: str) -> list[dict]:
    """Posts from a dead letter of a network's payload format; PayloadError when no connector can replay it."""
    module = _format_module(fmt)
    again = getattr(module, "replay", None)
    if again is None:
        raise PayloadError(f"format: cannot replay {fmt!r}")
    return again(payload)
