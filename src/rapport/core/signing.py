"""Rapport's own webhook signature: HMAC-SHA256 over "timestamp.body", sent in and out (generic webhooks, alerts).

Constant-time comparisons only; a timestamp window in both directions keeps replays out.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Rapport-Signature"
TIMESTAMP_HEADER = "X-Rapport-Timestamp"
TOLERANCE_SECONDS = 300


def seen(scope: str, signature: str | None) -> bool:
    """Whether this signed request (its signature, under a scope such as a channel's or a workspace's key) was
    already handled: a replay, or the sender's retry of a delivery that went through."""
    from django.core.cache import cache

    return bool(signature) and bool(cache.get(_seen_key(scope, signature)))


def remember(scope: str, signature: str | None, *, seconds: int) -> None:
    """Remember a signed request once it was handled, for as long as its signature could be replayed."""
    from django.core.cache import cache

    if signature:
        cache.set(_seen_key(scope, signature), True, timeout=seconds)


def _seen_key(scope: str, signature: str) -> str:
    return "signed-seen:" + hashlib.sha256(f"{scope}:{signature}".encode()).hexdigest()


class SignatureError(ValueError):
    """A request's signature is missing, wrong or stale."""


def hmac_sha256(secret: str | bytes, message: bytes) -> bytes:
    """Return the raw HMAC-SHA256 digest of message under secret."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, message, hashlib.sha256).digest()


def hex_signature(secret: str | bytes, message: bytes) -> str:
    """Return 'sha256=<hex digest>', the form Meta and Rapport's generic webhook send."""
    return "sha256=" + hmac_sha256(secret, message).hex()


def signatures_match(expected: str, received: str | None) -> bool:
    """Compare two signature strings in constant time; a missing one never matches."""
    if not received:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), received.strip().encode("utf-8"))


def sign(body: bytes, *, timestamp: int | str, secret: str) -> str:
    """Return the X-Rapport-Signature value for body sent at timestamp (Unix seconds)."""
    return hex_signature(secret, str(timestamp).encode("ascii") + b"." + body)


def verify_signature(
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    *,
    secret: str,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Check signature and freshness; raise SignatureError for a missing/bad header, wrong HMAC or stale request."""
    if not secret:
        raise SignatureError("no webhook secret configured")
    if not signature:
        raise SignatureError(f"{SIGNATURE_HEADER} header is missing")
    if not timestamp:
        raise SignatureError(f"{TIMESTAMP_HEADER} header is missing")
    try:
        sent = int(timestamp.strip())
    except ValueError:
        raise SignatureError(f"{TIMESTAMP_HEADER} is not Unix seconds") from None
    current = time.time() if now is None else now
    # Both directions: an old request may be a replay, a far-future one would stay valid too long.
    if abs(current - sent) > tolerance:
        raise SignatureError(f"{TIMESTAMP_HEADER} is outside the {tolerance}s window")
    if not signatures_match(sign(body, timestamp=sent, secret=secret), signature):
        raise SignatureError(f"{SIGNATURE_HEADER} does not match the body")
