"""Discourse built from a brand channel: the forum's latest posts, and replies when the channel holds an API key.

Without `api_key` (and `api_username`, the account replies are posted as) the channel is read-only: it is polled,
and a reply is refused with the reason rather than sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..base import PayloadError
from ..base_channel import ChannelFacts, DeadLetterSink, PollSource, ReplyTarget, reply_options
from .client import DiscourseClient

READ_ONLY = (
    "read-only: this Discourse channel has no API key, so replies cannot be posted on the forum "
    "(add api_key and api_username to its credentials)"
)


def read_only_reason(channel: ChannelFacts) -> str | None:
    """Why replies on this channel cannot go out, or None when they can."""
    return None if channel.credentials.get("api_key") else READ_ONLY


def _client(channel: ChannelFacts, **http_options: Any) -> DiscourseClient:
    creds = channel.credentials
    return DiscourseClient(
        base_url=channel.config["base_url"],
        api_key=creds.get("api_key") or None,
        api_username=creds.get("api_username") or None,
        **http_options,
    )


def reply_client(channel: ChannelFacts) -> DiscourseClient | None:
    """The forum's API client with the channel's key, or None for a read-only channel."""
    if read_only_reason(channel) or not channel.config.get("base_url"):
        return None
    options = {k: v for k, v in reply_options(channel.credentials).items() if k != "base_url"}
    return _client(channel, **options)


def reply_args(target: ReplyTarget) -> dict[str, Any]:
    """A reply answers the customer's last post, in its topic."""
    return {"text": target.text, "in_reply_to": target.last_external_id}


def poll_sources(
    channel: ChannelFacts, *, dead_letter: DeadLetterSink | None = None, **http_options: Any
) -> Iterator[PollSource]:
    """The forum's latest posts; a post that cannot be read is dead-lettered, the others go on."""
    cfg = channel.config
    if not cfg.get("base_url"):
        return
    client = _client(channel, **http_options)

    def rejected(key: str, payload: str, reason: str) -> None:
        if dead_letter is not None:
            dead_letter(
                source=f"poll:discourse:{channel.pk}:post:{key}", fmt="discourse", payload=payload, reason=reason
            )

    def poll(state: Any):
        return client.poll_posts(state=state, max_pages=int(cfg.get("max_pages") or 5), rejected=rejected)

    yield "posts", poll


def replay(payload: str) -> list[dict]:
    """The post of a dead letter read again (an admin may have corrected it); it names its forum in `_base_url`."""
    from ..base import json_body
    from .client import site_of
    from .normalise import post_to_post

    item = json_body(payload.encode("utf-8"))
    base = str(item.get("_base_url") or "") if isinstance(item, dict) else ""
    if not base:
        raise PayloadError("_base_url: missing, so the forum this post is from is unknown")
    post = post_to_post(item, site=site_of(base), base_url=base.rstrip("/"))
    return [dict(post)] if post is not None else []
