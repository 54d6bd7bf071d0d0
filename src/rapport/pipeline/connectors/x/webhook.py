"""X (Twitter) Account Activity API webhook verification: the CRC challenge and POST signatures."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..base import SignatureError
from ..signing import base64_signature, signatures_match

SIGNATURE_HEADER = "x-twitter-webhooks-signature"
# X signs event bodies with the same consumer secret it uses for the challenge, so answering any crc_token would
# sign any body an attacker chooses. X's tokens are short opaque base64 strings: nothing else is answered, and no
# JSON body (braces, quotes, colons, spaces) can pass for one.
MAX_CRC_TOKEN = 128
_CRC_TOKEN = re.compile(rf"[A-Za-z0-9_\-+/]{{1,{MAX_CRC_TOKEN}}}={{0,2}}")


def crc_response(crc_token: str, *, consumer_secret: str) -> dict[str, str]:
    """Answer the GET challenge-response check: {"response_token": "sha256=<base64 HMAC>"}."""
    if not crc_token:
        raise SignatureError("crc_token is missing")
    if not _CRC_TOKEN.fullmatch(crc_token):
        raise SignatureError(f"crc_token must be up to {MAX_CRC_TOKEN} base64 characters, as X sends it")
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


def answer_crc(params: Mapping[str, str], credentials: dict[str, Any]) -> dict[str, str]:
    """The CRC challenge answered with the channel's consumer secret."""
    return crc_response(params.get("crc_token", ""), consumer_secret=credentials.get("consumer_secret", ""))


def crc_facts(params: Mapping[str, str]) -> dict[str, Any]:
    """What the audit keeps of a challenge: the token's length, never the token or the answer."""
    return {"token_length": len(params.get("crc_token", ""))}


def verify_request(body: bytes, headers: Mapping[str, str], credentials: dict[str, Any]) -> str:
    """Check a POST against the channel's consumer secret; return its signature."""
    signature = headers.get(SIGNATURE_HEADER)
    verify_signature(body, signature, consumer_secret=credentials.get("consumer_secret", ""))
    return signature or ""
