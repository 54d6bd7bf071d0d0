"""Rapport's generic signed JSON webhook: HMAC over "timestamp.body" with replay protection (see core.signing)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rapport.core.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, TOLERANCE_SECONDS, sign, verify_signature

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "TOLERANCE_SECONDS", "sign", "verify_request", "verify_signature"]


def verify_request(body: bytes, headers: Mapping[str, str], credentials: dict[str, Any]) -> str:
    """Check Rapport's signature and its timestamp window against the channel's secret; return the signature.

    Inbound email is signed the same way."""
    signature = headers.get(SIGNATURE_HEADER)
    verify_signature(body, signature, headers.get(TIMESTAMP_HEADER), secret=credentials.get("secret", ""))
    return signature or ""
