"""Meta (Facebook Pages, Messenger, Instagram) webhook verification: the subscribe handshake and body signatures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..base import SignatureError
from ..signing import hex_signature, signatures_match

SIGNATURE_HEADER = "X-Hub-Signature-256"


def verify_handshake(params: Mapping[str, str], *, verify_token: str) -> str:
    """Answer Meta's GET subscription check: return hub.challenge, or raise SignatureError."""
    if params.get("hub.mode") != "subscribe":
        raise SignatureError("hub.mode must be 'subscribe'")
    if not verify_token or not signatures_match(verify_token, params.get("hub.verify_token")):
        raise SignatureError("hub.verify_token does not match")
    challenge = params.get("hub.challenge")
    if not challenge:
        raise SignatureError("hub.challenge is missing")
    return challenge


def sign(body: bytes, *, app_secret: str) -> str:
    """Return the X-Hub-Signature-256 value Meta would send for body."""
    return hex_signature(app_secret, body)


def verify_signature(body: bytes, signature: str | None, *, app_secret: str) -> None:
    """Check X-Hub-Signature-256 against the raw request body; raise SignatureError if it does not match."""
    if not app_secret:
        raise SignatureError("no app secret configured")
    if not signature:
        raise SignatureError(f"{SIGNATURE_HEADER} header is missing")
    if not signatures_match(sign(body, app_secret=app_secret), signature):
        raise SignatureError(f"{SIGNATURE_HEADER} does not match the body")


def answer_handshake(params: Mapping[str, str], credentials: dict[str, Any]) -> str:
    """The subscription check answered with the channel's verify token."""
    return verify_handshake(params, verify_token=credentials.get("verify_token", ""))


def verify_request(body: bytes, headers: Mapping[str, str], credentials: dict[str, Any]) -> str:
    """Check a POST against the channel's app secret; return its signature."""
    signature = headers.get(SIGNATURE_HEADER)
    verify_signature(body, signature, app_secret=credentials.get("app_secret", ""))
    return signature or ""
