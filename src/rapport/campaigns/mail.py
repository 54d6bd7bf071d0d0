"""The sender's side of campaign and journey mail: DKIM signing (RFC 6376, with dkimpy), the Message-IDs that tie a
bounce back to the send it answers, and the workspace's mail settings.

The private key is the workspace's own (stored Fernet-encrypted, like channel credentials) or, for a deployment
that signs for one domain, `RAPPORT_DKIM_PRIVATE_KEY` (the PEM text) or `RAPPORT_DKIM_PRIVATE_KEY_FILE` in the
environment; the domain and selector are the workspace's settings (or `RAPPORT_DKIM_DOMAIN`/`RAPPORT_DKIM_SELECTOR`).
Signing is relaxed/relaxed over the headers a receiver shows, so re-folding in transit does not break it."""

from __future__ import annotations

import base64
import os
import re
import secrets
from functools import lru_cache

import dkim
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from django.core.mail import EmailMultiAlternatives

from rapport.campaigns.models import MailSettings
from rapport.channels.crypto import CredentialsUnreadable, decrypt_json, encrypt_json  # noqa: F401 - re-exported
from rapport.core.errors import FieldErrors

SIGNED_HEADERS = [
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"mime-version",
    b"content-type",
    b"content-transfer-encoding",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
]
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_SELECTOR = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


# dkimpy does the RSA step of a signature with Python integers (about 7 ms for a 2048-bit key here); OpenSSL, through
# `cryptography`, does the same PKCS#1 v1.5 signature, byte for byte (it is deterministic), in well under 1 ms. Only
# that one step is swapped; canonicalisation, hashing and the header stay dkimpy's.
_PURE_PYTHON_SIGN = dkim.RSASSA_PKCS1_v1_5_sign
_PREHASHED = {"sha256": hashes.SHA256, "sha1": hashes.SHA1}


@lru_cache(maxsize=64)
def _openssl_key(n: int, e: int, d: int, p: int, q: int, dp: int, dq: int, qi: int) -> rsa.RSAPrivateKey:
    public = rsa.RSAPublicNumbers(e, n)
    return rsa.RSAPrivateNumbers(p, q, d, dp, dq, qi, public).private_key()


def _openssl_sign(hash, private_key: dict) -> bytes:
    algorithm = _PREHASHED.get(hash.name.lower())
    if algorithm is None:
        return _PURE_PYTHON_SIGN(hash, private_key)
    key = _openssl_key(
        *(
            private_key[k]
            for k in (
                "modulus",
                "publicExponent",
                "privateExponent",
                "prime1",
                "prime2",
                "exponent1",
                "exponent2",
                "coefficient",
            )
        )
    )
    return key.sign(hash.digest(), padding.PKCS1v15(), Prehashed(algorithm()))


dkim.RSASSA_PKCS1_v1_5_sign = _openssl_sign
# dkimpy parses the PEM key (ASN.1 in Python) on every signature; the parsed key is only read, so it is kept.
dkim.parse_pem_private_key = lru_cache(maxsize=64)(dkim.parse_pem_private_key)


class Signer:
    """Signs messages for one domain and selector with one RSA private key (PEM)."""

    def __init__(self, domain: str, selector: str, key_pem: bytes) -> None:
        self.domain = domain.encode()
        self.selector = selector.encode()
        self.key = key_pem

    def header(self, data: bytes) -> tuple[str, str]:
        """The DKIM-Signature header (name, unfolded value) for a whole message's bytes."""
        line = dkim.sign(
            data,
            self.selector,
            self.domain,
            self.key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=[h for h in SIGNED_HEADERS if _has_header(data, h)],
        ).decode("ascii")
        name, _, value = line.partition(":")
        return name, " ".join(value.split())


def _has_header(data: bytes, name: bytes) -> bool:
    head = data.split(b"\r\n\r\n", 1)[0].lower()
    return head.startswith(name + b":") or (b"\n" + name + b":") in head


class SignedMessage(EmailMultiAlternatives):
    """A message that carries a DKIM signature over exactly the bytes the SMTP backend sends."""

    signer: Signer | None = None

    def message(self):
        msg = super().message()
        if self.signer is not None:
            name, value = self.signer.header(msg.as_bytes(linesep="\r\n"))
            msg._headers.insert(0, (name, value))  # first, where receivers expect it; not part of what was signed
        return msg


def new_message(*args, signer: Signer | None = None, **kwargs) -> SignedMessage:
    msg = SignedMessage(*args, **kwargs)
    msg.signer = signer
    return msg


# --- Message-IDs: a bounce names the message it answers -------------------------------------------------------------


def message_id(kind: str, row: int, domain: str) -> str:
    """<rc.c123.nonce@domain> for a campaign send, <rc.j45.nonce@domain> for a journey step: a bounce or complaint
    quoting it is counted against that send."""
    return f"<rc.{kind}{row}.{secrets.token_hex(4)}@{domain or 'rapport.invalid'}>"


_ID = re.compile(r"<?rc\.([cj])(\d+)\.[0-9a-f]+@[^>\s]+>?")


def parse_message_id(value: str) -> tuple[str, int] | None:
    m = _ID.search(value or "")
    return (m.group(1), int(m.group(2))) if m else None


# --- the workspace's settings --------------------------------------------------------------------------------------


def settings_row(workspace_id: int) -> MailSettings:
    row = MailSettings.objects.filter(workspace_id=workspace_id).first()
    if row is None:
        row, _ = MailSettings.objects.get_or_create(
            workspace_id=workspace_id, defaults={"bounce_key": secrets.token_urlsafe(18)[:24]}
        )
    return row


def _environment_key() -> bytes:
    pem = os.environ.get("RAPPORT_DKIM_PRIVATE_KEY", "")
    path = os.environ.get("RAPPORT_DKIM_PRIVATE_KEY_FILE", "")
    if not pem and path:
        with open(path, "rb") as fh:
            return fh.read()
    return pem.replace("\\n", "\n").encode()


def _stored_key(row: MailSettings) -> bytes:
    if not row.dkim_key_encrypted:
        return b""
    return decrypt_json(row.dkim_key_encrypted)["pem"].encode()


def signer_for(workspace_id: int) -> Signer | None:
    """The workspace's signer, or None when it has no domain, selector or key (mail then goes unsigned)."""
    row = MailSettings.objects.filter(workspace_id=workspace_id).first()
    domain = (row.dkim_domain if row else "") or os.environ.get("RAPPORT_DKIM_DOMAIN", "")
    selector = (row.dkim_selector if row else "") or os.environ.get("RAPPORT_DKIM_SELECTOR", "")
    key = (_stored_key(row) if row else b"") or _environment_key()
    if not (domain and selector and key):
        return None
    return Signer(domain, selector, key)


def sender_domain(workspace_id: int, from_email: str) -> str:
    row = MailSettings.objects.filter(workspace_id=workspace_id).first()
    return (row.dkim_domain if row else "") or from_email.rpartition("@")[2].strip("> ") or "rapport.invalid"


def _check_key(pem: str) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise FieldErrors({"dkim_private_key": f"not a PEM private key without a passphrase ({exc})"}) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise FieldErrors({"dkim_private_key": "an RSA key is needed (rsa-sha256, what every receiver checks)"})
    if key.key_size < 1024:
        raise FieldErrors({"dkim_private_key": f"a {key.key_size}-bit key is too short: 2048 bits are usual"})
    return key


def generate_key(bits: int = 2048) -> str:
    """A new RSA private key as PKCS#1 PEM, the form dkimpy reads."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


def save_settings(*, workspace_id: int, data: dict) -> MailSettings:
    """Validate and store the DKIM domain, selector and key (left empty: the stored key is kept; "generate": a new
    2048-bit key) and the soft-bounce limit; FieldErrors names each bad field."""
    errors: dict[str, str] = {}
    domain = (data.get("dkim_domain") or "").strip().lower().rstrip(".")
    selector = (data.get("dkim_selector") or "").strip().lower()
    if domain and not _DOMAIN.match(domain):
        errors["dkim_domain"] = f"{domain!r} is not a domain name"
    if selector and not _SELECTOR.match(selector):
        errors["dkim_selector"] = f"{selector!r} is not a selector (letters, digits, hyphens, dots)"
    if bool(domain) != bool(selector):
        errors.setdefault("dkim_selector" if domain else "dkim_domain", "DKIM needs both a domain and a selector")
    pem = (data.get("dkim_private_key") or "").strip()
    if data.get("generate_key"):
        pem = generate_key()
    elif pem:
        try:
            _check_key(pem)
        except FieldErrors as exc:
            errors |= exc.errors
    limit = data.get("soft_bounce_limit", 3)
    try:
        limit = int(limit)
        if not 1 <= limit <= 100:
            raise ValueError
    except (TypeError, ValueError):
        errors["soft_bounce_limit"] = "a number of soft bounces from 1 to 100"
    if errors:
        raise FieldErrors(errors)
    row = settings_row(workspace_id)
    row.dkim_domain, row.dkim_selector, row.soft_bounce_limit = domain, selector, limit
    if pem:
        row.dkim_key_encrypted = encrypt_json({"pem": pem + "\n"})
    if data.get("remove_key"):
        row.dkim_key_encrypted = ""
    if data.get("new_bounce_secret") or not row.bounce_secret_encrypted:
        row.bounce_secret_encrypted = encrypt_json({"secret": secrets.token_urlsafe(32)})
    row.save()
    return row


def bounce_secret(row: MailSettings) -> str:
    if not row.bounce_secret_encrypted:
        row.bounce_secret_encrypted = encrypt_json({"secret": secrets.token_urlsafe(32)})
        row.save(update_fields=["bounce_secret_encrypted", "updated_at"])
    return decrypt_json(row.bounce_secret_encrypted)["secret"]


def dns_record(workspace_id: int) -> tuple[str, str] | None:
    """The TXT record to publish: (name, value) for the signing key's public half, or None without a key."""
    signer = signer_for(workspace_id)
    if signer is None:
        return None
    return (
        f"{signer.selector.decode()}._domainkey.{signer.domain.decode()}",
        f"v=DKIM1; k=rsa; p={public_key_b64(signer.key)}",
    )


@lru_cache(maxsize=64)
def public_key_b64(key_pem: bytes) -> str:
    key = serialization.load_pem_private_key(key_pem, password=None)
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()
