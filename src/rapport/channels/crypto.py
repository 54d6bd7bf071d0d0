"""Encryption at rest for channel credentials (Fernet: AES-128-CBC with HMAC-SHA256)."""

from __future__ import annotations

import base64
import json
import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def _derived_key(secret: str) -> bytes:
    # HKDF with a fixed context keeps the credential key distinct from every other use of SECRET_KEY.
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"rapport-channel-credentials", info=b"fernet-v1")
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


def _fernet() -> MultiFernet:
    """RAPPORT_ENCRYPTION_KEY (comma-separated Fernet keys, newest first, for rotation) or a key from SECRET_KEY."""
    configured = os.environ.get("RAPPORT_ENCRYPTION_KEY", "") or getattr(settings, "RAPPORT_ENCRYPTION_KEY", "")
    keys = [k.strip().encode() for k in configured.split(",") if k.strip()]
    keys.append(_derived_key(settings.SECRET_KEY))
    return MultiFernet([Fernet(k) for k in keys])


class CredentialsUnreadable(Exception):
    """The stored credentials were encrypted under a key Rapport no longer has."""


def encrypt_json(value: dict) -> str:
    """Encrypt a JSON-able dict to a Fernet token string."""
    return _fernet().encrypt(json.dumps(value, separators=(",", ":")).encode()).decode()


def decrypt_json(token: str) -> dict:
    """Decrypt a Fernet token produced by encrypt_json."""
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise CredentialsUnreadable("channel credentials cannot be decrypted with the configured keys") from exc
