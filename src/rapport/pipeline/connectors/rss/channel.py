"""Feeds built from a brand channel: one poll source per feed URL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..base_channel import ChannelFacts, DeadLetterSink, PollSource
from .client import RssClient


def poll_sources(
    channel: ChannelFacts, *, dead_letter: DeadLetterSink | None = None, **http_options: Any
) -> Iterator[PollSource]:
    """One source per feed the channel follows."""
    client = RssClient(**http_options)
    for url in channel.config.get("feeds", []):
        yield url, lambda state, url=url: client.poll(url, state=state)
