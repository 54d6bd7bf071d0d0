"""Rapport's generic signed JSON webhook: HMAC over "timestamp.body" with replay protection (see core.signing)."""

from rapport.core.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, TOLERANCE_SECONDS, sign, verify_signature

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "TOLERANCE_SECONDS", "sign", "verify_signature"]
