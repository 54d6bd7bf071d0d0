"""Mastodon built from a brand channel: hashtag and mention polling, and replies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..base_channel import ChannelFacts, DeadLetterSink, PollSource, reply_options
from .client import MastodonClient


def reply_client(channel: ChannelFacts) -> MastodonClient | None:
    """The REST client on the channel's instance, or None without an access token."""
    token = channel.credentials.get("access_token")
    return MastodonClient(access_token=token, **reply_options(channel.credentials)) if token else None


def poll_sources(
    channel: ChannelFacts, *, dead_letter: DeadLetterSink | None = None, **http_options: Any
) -> Iterator[PollSource]:
    """One source per followed hashtag, plus the channel's mentions when asked for."""
    cfg = channel.config
    if not cfg.get("base_url"):
        return  # a reply-only channel: nothing to poll
    client = MastodonClient(
        base_url=cfg["base_url"], access_token=channel.credentials.get("access_token"), **http_options
    )
    for tag in cfg.get("hashtags", []):
        yield f"#{tag.lstrip('#')}", lambda state, tag=tag: client.poll_hashtag(tag, state=state)
    if cfg.get("mentions"):
        yield "mentions", lambda state: client.poll_mentions(state=state)
