"""Facebook and Instagram built from a brand channel: the Graph API reply client, the webhook and its replay."""

from __future__ import annotations

import json

from ..base import Post, json_body
from ..base_channel import Challenge, ChannelFacts, ReplyTarget, Webhook, default_reply_args, reply_options
from ..files.client import Rejection
from .client import MetaClient
from .normalise import normalise_payload
from .webhook import answer_handshake, verify_request

# Meta's signatures carry no timestamp: a handled delivery is remembered for an hour, which covers its retries.
REPLAY_WINDOW_S = 3600


def reply_client(channel: ChannelFacts) -> MetaClient | None:
    """The Graph API client, or None without an access token."""
    token = channel.credentials.get("access_token")
    return MetaClient(access_token=token, **reply_options(channel.credentials)) if token else None


def reply_args(target: ReplyTarget) -> dict[str, object]:
    """A DM as the default; anything else is a comment under the customer's post or comment, on its network."""
    if target.last_kind == "direct_message":
        return default_reply_args(target)
    return {"text": target.text, "in_reply_to": target.last_external_id, "kind": "comment", "network": target.network}


def parse_body(body: bytes) -> tuple[list[Post], list[Rejection]]:
    """The posts of a signed event body; PayloadError when it is not JSON or not Meta's shape."""
    return list(normalise_payload(json_body(body))), []


# Page feed, Messenger and Instagram events, X-Hub-Signature-256 signed; the GET hub.challenge subscription check.
webhook = Webhook(
    name="meta",
    verify=verify_request,
    parse=parse_body,
    replay_window=REPLAY_WINDOW_S,
    challenge=Challenge(answer=answer_handshake, name="handshake", refused_status=403),
)


def replay(payload: str) -> list[dict]:
    """Posts from a dead-lettered Meta webhook payload."""
    return list(normalise_payload(json.loads(payload)))
