"""X (Twitter) Account Activity API webhook verification: the CRC challenge and POST signatures."""

from __future__ import annotations

from ..base import SignatureError
from ..signing import base64_signature, signatures_match

SIGNATURE_HEADER = "x-twitter-webhooks-signature"


def crc_response(crc_token: str, *, consumer_secret: str) -> dict[str, str]:
    """Answer the GET challenge-response check: {"response_token": "sha256=<base64 HMAC>"}."""
    if not crc_token:
        raise SignatureError("crc_token is missing")
    if not consumer_secret:
        raise SignatureError("no consumer secret configured")
    return {"response_token": base64_signature(consumer_secret, crc_token.encode("utf-8"))}


def sign(body: bytes, *, consumer_secret: str) -> str:
    """Return the x-twitter-webhooks-signature value X would send for body."""
    return base64_signature(consumer_secret, body)


def verify_signature(body: bytes, signature: str | None, *, consumer_secret: str) -> None:
    """Check x-twitter-webhooks-signature against the raw body; raise SignatureError if it does not match."""
    if not consumer_secret:
        raise SignatureError("no consumer secret configured")
    if not signature:
        raise SignatureError(f"{SIGNATURE_HEADER} header is missing")
    if not signatures_match(sign(body, consumer_secret=consumer_secret), signature):
        raise SignatureError(f"{SIGNATURE_HEADER} does not match the body")
