"""Tin can built from a brand channel: its webhook (a hex HMAC of the body, a GET ping) and its replay."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...base import PayloadError, Post, SignatureError, json_body, make_author, make_post, objects
from ...base_channel import Challenge, Webhook
from ...files.client import Rejection
from ...signing import hex_signature, signatures_match

SIGNATURE_HEADER = "X-Tincan-Signature"


def sign(body: bytes, *, secret: str) -> str:
    return hex_signature(secret, body)


def verify_request(body: bytes, headers: Mapping[str, str], credentials: dict[str, Any]) -> str:
    signature = headers.get(SIGNATURE_HEADER)
    if not credentials.get("secret"):
        raise SignatureError("no secret configured")
    if not signatures_match(sign(body, secret=credentials["secret"]), signature):
        raise SignatureError(f"{SIGNATURE_HEADER} does not match the body")
    return signature or ""


def answer_ping(params: Mapping[str, str], credentials: dict[str, Any]) -> str:
    if params.get("ping") != credentials.get("ping_word"):
        raise SignatureError("ping: wrong word")
    return "pong"


def read(payload: Any) -> list[Post]:
    if not isinstance(payload, dict):
        raise PayloadError("body: expected a JSON object")
    return [
        make_post(
            network="tincan",
            external_id=item.get("id"),
            created_at="2024-05-01T10:00:00Z",
            text=item.get("said"),
            author=make_author(handle=item.get("from")),
            kind="direct_message",
            raw=item,
        )
        for item in objects(payload.get("messages"), "messages")
    ]


def parse_body(body: bytes) -> tuple[list[Post], list[Rejection]]:
    return read(json_body(body)), []


webhook = Webhook(
    name="tincan",
    verify=verify_request,
    parse=parse_body,
    replay_window=600,
    challenge=Challenge(
        answer=answer_ping, name="ping", refused_status=400, limits=(("channel", 2, 60),), audit=lambda q: {}
    ),
)


def replay(payload: str) -> list[dict]:
    import json

    return list(read(json.loads(payload)))
