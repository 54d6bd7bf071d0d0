"""X built from a brand channel: the reply client (its webhooks are checked in x/webhook.py)."""

from __future__ import annotations

import json

from ..base_channel import ChannelFacts, reply_options
from .client import XClient
from .normalise import normalise_payload


def reply_client(channel: ChannelFacts) -> XClient | None:
    """The API v2 client, or None without an access token (the reply is then recorded, not attempted)."""
    token = channel.credentials.get("access_token")
    return XClient(access_token=token, **reply_options(channel.credentials)) if token else None


def replay(payload: str) -> list[dict]:
    """Posts from a dead-lettered Account Activity payload."""
    return list(normalise_payload(json.loads(payload)))
