"""What a connector needs of a brand channel, without the channels app: the facts the channel row holds.

Each network's folder has a `channel.py` that builds its clients from these facts: `reply_client()` for replies,
`poll_sources()` for what `rapport poll` fetches, `replay()` for its dead letters. The registry finds them by
network, so replies, polling and replay never branch on the network themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .base import PollResult

PollSource = tuple[str, Callable[[Any], PollResult]]  # (state key, poll(state) -> result)
DeadLetterSink = Callable[..., Any]  # dead_letter(source=..., fmt=..., payload=..., reason=...)


@dataclass(frozen=True)
class ChannelFacts:
    """A brand channel as its connector sees it."""

    network: str
    pk: int | None = None
    workspace_id: int | None = None
    handle: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    credentials: dict[str, Any] = field(default_factory=dict)


def reply_options(credentials: dict[str, Any]) -> dict[str, Any]:
    """HTTP options shared by the reply clients: no retries inside a send (retry_failed's job), the channel's
    base URL when it has one."""
    opts: dict[str, Any] = {"max_retries": 0}
    if credentials.get("base_url"):
        opts["base_url"] = credentials["base_url"]
    return opts
