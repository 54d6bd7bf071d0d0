"""Rapport's generic signed JSON webhook: HMAC over "timestamp.body" with replay protection."""

from __future__ import annotations

import time

from ..base import SignatureError
from ..signing import hex_signature, signatures_match

SIGNATURE_HEADER = "X-Rapport-Signature"
TIMESTAMP_HEADER = "X-Rapport-Timestamp"
TOLERANCE_SECONDS = 300


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
