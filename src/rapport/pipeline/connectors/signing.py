"""HMAC helpers shared by the webhook verifiers (constant-time comparisons only)."""

from __future__ import annotations

import base64
import hashlib
import hmac


def hmac_sha256(secret: str | bytes, message: bytes) -> bytes:
    """Return the raw HMAC-SHA256 digest of message under secret."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, message, hashlib.sha256).digest()


def hex_signature(secret: str | bytes, message: bytes) -> str:
    """Return 'sha256=<hex digest>', the form Meta and Rapport's generic webhook send."""
    return "sha256=" + hmac_sha256(secret, message).hex()


def base64_signature(secret: str | bytes, message: bytes) -> str:
    """Return 'sha256=<base64 digest>', the form X's Account Activity API sends."""
    return "sha256=" + base64.b64encode(hmac_sha256(secret, message)).decode("ascii")


def signatures_match(expected: str, received: str | None) -> bool:
    """Compare two signature strings in constant time; a missing one never matches."""
    if not received:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), received.strip().encode("utf-8"))
