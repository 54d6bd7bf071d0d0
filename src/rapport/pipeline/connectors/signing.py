"""HMAC helpers shared by the webhook verifiers (constant-time comparisons only)."""

from __future__ import annotations

import base64

from rapport.core.signing import hex_signature, hmac_sha256, signatures_match

__all__ = ["base64_signature", "hex_signature", "hmac_sha256", "signatures_match"]


def base64_signature(secret: str | bytes, message: bytes) -> str:
    """Return 'sha256=<base64 digest>', the form X's Account Activity API sends."""
    return "sha256=" + base64.b64encode(hmac_sha256(secret, message)).decode("ascii")
