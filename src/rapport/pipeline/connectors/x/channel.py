"""X built from a brand channel: the reply client, the Account Activity webhook and its replay."""

from __future__ import annotations

import json

from ..base import Post, json_body
from ..base_channel import Challenge, ChannelFacts, ReplyTarget, Webhook, default_reply_args, reply_options
from ..files.client import Rejection
from .client import XClient
from .normalise import normalise_payload
from .webhook import answer_crc, crc_facts, verify_request

# X's signatures carry no timestamp: a handled delivery is remembered for an hour, which covers its retries.
REPLAY_WINDOW_S = 3600
# X sends a CRC when a webhook is registered and about hourly after; a few a minute is already generous.
CRC_PER_CHANNEL = (10, 60)  # (requests, seconds)
CRC_PER_IP = (30, 60)


def reply_client(channel: ChannelFacts) -> XClient | None:
    """The API v2 client, or None without an access token (the reply is then recorded, not attempted)."""
    token = channel.credentials.get("access_token")
    return XClient(access_token=token, **reply_options(channel.credentials)) if token else None


def reply_args(target: ReplyTarget) -> dict[str, object]:
    """As the default, but a DM goes to the account's bare numeric id (Rapport keeps X ids as "tw-<id>")."""
    args = default_reply_args(target)
    if args.get("kind") == "direct_message":
        args["in_reply_to"] = str(args["in_reply_to"]).removeprefix("tw-")
    return args


def parse_body(body: bytes) -> tuple[list[Post], list[Rejection]]:
    """The posts of a signed Account Activity body; PayloadError when it is not JSON or not X's shape."""
    return list(normalise_payload(json_body(body))), []


# Account Activity events signed with x-twitter-webhooks-signature; the GET CRC challenge, answered with the consumer
# secret, so it is rate-limited and audited (see x/webhook.py on which tokens are answered at all).
webhook = Webhook(
    name="x",
    verify=verify_request,
    parse=parse_body,
    replay_window=REPLAY_WINDOW_S,
    challenge=Challenge(
        answer=answer_crc,
        name="crc",
        refused_status=400,
        limits=(("channel", *CRC_PER_CHANNEL), ("ip", *CRC_PER_IP)),
        audit=crc_facts,
    ),
)


def replay(payload: str) -> list[dict]:
    """Posts from a dead-lettered Account Activity payload."""
    return list(normalise_payload(json.loads(payload)))
