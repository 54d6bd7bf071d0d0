"""Raw email (RFC 5322 / MIME) to Rapport's post shape: one private message from the sender to the brand."""

from __future__ import annotations

import email
import email.policy
import email.utils
import hashlib
import re
from datetime import UTC, datetime

from ..base import PayloadError, Post, html_to_text, in_range, make_author, make_post, storable_text, utc_iso

MAX_TEXT = 20_000


def _first_id(value: str | None) -> str | None:
    ids = (value or "").split()
    return ids[0].strip() if ids else None


# What the standard library's header and content parsers raise on malformed mail instead of recording a defect.
_MALFORMED = (ValueError, TypeError, LookupError, IndexError, AttributeError, KeyError, AssertionError, OverflowError)


def _header(msg: email.message.EmailMessage, name: str) -> str:
    """A header as storable text ("" when absent or unparseable); 8-bit bytes in it become U+FFFD."""
    try:
        value = msg.get(name)
        return storable_text(str(value)) if value is not None else ""
    except _MALFORMED:
        return ""


def _body(msg: email.message.EmailMessage) -> str:
    try:
        part = msg.get_body(preferencelist=("plain", "html"))
        if part is None:
            return ""
        try:
            content = part.get_content()
        except _MALFORMED:  # an unknown charset or a broken transfer encoding: keep what the bytes say
            payload = part.get_payload(decode=True)
            content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload or "")
        if not isinstance(content, str):
            return ""
        content = storable_text(content)
        return html_to_text(content) if part.get_content_type() == "text/html" else content
    except _MALFORMED:
        return ""


def _strip_quoted(text: str) -> str:
    """Drop the quoted history under a reply ("On ... wrote:" and "> " lines): the thread already holds it."""
    kept = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(">") or (stripped.startswith("On ") and stripped.endswith("wrote:")):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def _sender(msg: email.message.EmailMessage) -> tuple[str, str]:
    """(name, address) of who wrote: From, else Sender or Reply-To (mailing lists and gateways set those)."""
    for header in ("From", "Sender", "Reply-To"):
        name, address = email.utils.parseaddr(_header(msg, header))
        if address and "@" in address.strip("@"):
            return name, address
    return "", ""


_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"^\s*(dmarc|dkim)\s*=\s*([a-z]+)(.*)$", re.I | re.S)
_PROPERTY = re.compile(r"([a-z][\w-]*\.[\w-]+)\s*=\s*\"?([^\s\";]+)", re.I)


def _aligned(domain: str, from_domain: str) -> bool:
    """DMARC's relaxed alignment: the signing domain is the From domain or a parent of it."""
    domain = domain.lower().strip(".")
    return bool(domain) and (from_domain == domain or from_domain.endswith("." + domain))


def sender_authenticated_by(msg: email.message.EmailMessage, address: str) -> str:
    """The authserv-id of the receiving server that verified this sender, or "".

    Reads only the topmost Authentication-Results header (RFC 8601), the one the last receiving server added: it
    counts when DMARC passed for the From domain, or DKIM passed with a signing domain aligned with it, and the
    sender is the From address itself. Whether that server is trusted is the operator's setting, not the mail's.
    """
    try:
        tops = msg.get_all("Authentication-Results") or []
        _name, from_address = email.utils.parseaddr(_header(msg, "From"))
    except _MALFORMED:
        return ""
    if not tops or not from_address or from_address.lower() != (address or "").lower():
        return ""
    from_domain = from_address.rpartition("@")[2].lower().strip(".")
    header = _COMMENT.sub(" ", storable_text(str(tops[0])))
    authserv, _, results = header.partition(";")
    authserv_id = (authserv.split() or [""])[0][:200]
    for result in results.split(";"):
        m = _RESULT.match(result)
        if not m or m.group(2).lower() != "pass":
            continue
        props = {k.lower(): v for k, v in _PROPERTY.findall(m.group(3))}
        if m.group(1).lower() == "dmarc":
            domain = props.get("header.from", from_domain)
        else:
            domain = props.get("header.d") or props.get("header.i", "").rpartition("@")[2]
        if _aligned(domain, from_domain):
            return authserv_id
    return ""


def _parse_date(value: str) -> datetime | None:
    try:
        sent = in_range(email.utils.parsedate_to_datetime(value))
    except (TypeError, ValueError, OverflowError):
        return None
    return sent if sent.tzinfo else sent.replace(tzinfo=UTC)


def _sent_at(msg: email.message.EmailMessage, received_at: datetime) -> tuple[datetime, str]:
    """When the message was written and what says so: its Date, else the newest Received hop, else when it came."""
    sent = _parse_date(_header(msg, "Date"))
    if sent is not None:
        return sent, "date"
    try:
        hops = msg.get_all("Received") or []
    except _MALFORMED:
        hops = []
    for hop in hops:  # the first Received header is the last hop: when the message reached the receiving server
        stamp = _parse_date(str(hop).rpartition(";")[2].strip())
        if stamp is not None:
            return stamp, "received"
    return received_at, "arrival"


def synthesized_message_id(raw: bytes) -> str:
    """A stable Message-ID for mail that has none (optional in practice): the same bytes get the same id, so a
    message delivered twice is still stored once."""
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@message-id.rapport.invalid>"


def message_to_post(raw: bytes, *, received_at: datetime | None = None) -> Post:
    """Parse one raw email into a post; raise PayloadError only for what cannot become a message at all.

    Message-ID and Date are optional in practice (much real mail lacks them): a missing id is synthesized from the
    content, a missing or malformed date falls back to the Received header, then to the time it arrived. Mail
    without any sender address (no From, Sender or Reply-To; a MIME fragment; a bounce from `<>`) is refused.
    """
    if not raw or not raw.strip():
        raise PayloadError("body: empty message")
    received_at = received_at or datetime.now(UTC)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    name, address = _sender(msg)
    if not address:
        raise PayloadError("From: no sender address (nor Sender or Reply-To): nobody to link or answer")
    message_id = _header(msg, "Message-ID").strip()
    synthesized = not message_id
    if synthesized:
        message_id = synthesized_message_id(raw)
    sent, sent_from = _sent_at(msg, received_at)
    subject = _header(msg, "Subject").strip()
    text = _strip_quoted(_body(msg))
    references = _header(msg, "References")
    verified_by = sender_authenticated_by(msg, address)
    return make_post(
        network="email",
        external_id=message_id[:200],
        created_at=utc_iso(sent.astimezone(UTC) if sent <= datetime.now(UTC) else datetime.now(UTC)),
        text=(f"{subject}\n\n{text}" if subject else text)[:MAX_TEXT],
        author=make_author(external_id=address.lower(), handle=address.lower(), name=name or None),
        kind="direct_message",
        in_reply_to=_first_id(_header(msg, "In-Reply-To")),
        thread_id=_first_id(references),
        raw={
            "subject": subject,
            "to": _header(msg, "To"),
            "message_id": message_id,
            **({"message_id_synthesized": True} if synthesized else {}),
            **({"date_from": sent_from} if sent_from != "date" else {}),
            **({"sender_authenticated_by": verified_by} if verified_by else {}),
        },
    )
