"""Facebook and Instagram built from a brand channel: the Graph API reply client and webhook replay."""

from __future__ import annotations

import json

from ..base_channel import ChannelFacts, reply_options
from .client import MetaClient
from .normalise import normalise_payload


def reply_client(channel: ChannelFacts) -> MetaClient | None:
    """The Graph API client, or None without an access token."""
    token = channel.credentials.get("access_token")
    return MetaClient(access_token=token, **reply_options(channel.credentials)) if token else None


def replay(payload: str) -> list[dict]:
    """Posts from a dead-lettered Meta webhook payload."""
    return list(normalise_payload(json.loads(payload)))
