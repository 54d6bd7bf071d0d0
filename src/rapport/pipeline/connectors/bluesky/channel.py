"""Bluesky built from a brand channel: search and notification polling, and replies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..base_channel import ChannelFacts, DeadLetterSink, PollSource, reply_options
from .client import BlueskyClient


def reply_client(channel: ChannelFacts) -> BlueskyClient | None:
    """A logged-in AT Protocol client, or None without an app password."""
    creds = channel.credentials
    if not creds.get("app_password"):
        return None
    client = BlueskyClient(
        identifier=creds.get("identifier", ""), app_password=creds["app_password"], **reply_options(creds)
    )
    client.login()
    return client


def poll_sources(
    channel: ChannelFacts, *, dead_letter: DeadLetterSink | None = None, **http_options: Any
) -> Iterator[PollSource]:
    """One source per saved search, plus the account's notifications when asked for."""
    cfg = channel.config
    options = {"base_url": cfg["base_url"]} if cfg.get("base_url") else {}
    client = BlueskyClient(
        identifier=channel.handle,
        app_password=channel.credentials.get("app_password", ""),
        **options,
        **http_options,
    )
    for query in cfg.get("search", []):
        yield f"search:{query}", lambda state, query=query: client.poll_search(query, state=state)
    if cfg.get("notifications"):
        yield "notifications", lambda state: client.poll_notifications(state=state)
