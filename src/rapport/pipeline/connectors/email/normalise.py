"""Raw email (RFC 5322 / MIME) to Rapport's post shape: one private message from the sender to the brand."""

from __future__ import annotations

import email
import email.policy
import email.utils
from datetime import UTC, datetime

from ..base import PayloadError, Post, html_to_text, in_range, make_author, make_post, storable_text, utc_iso

MAX_TEXT = 20_000


def _first_id(value: str | None) -> str | None:
    ids = (value or "").split()
    return ids[0].strip() if ids else None


# What the standard library's header and content parsers raise on malformed mail instead of recording a defect.
_MALFORMED = (ValueError, TypeError, LookupError, IndexError, AttributeError, KeyError, AssertionError)


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


def message_to_post(raw: bytes) -> Post:
    """Parse one raw email; raise PayloadError naming the header that is missing or malformed."""
    if not raw or not raw.strip():
        raise PayloadError("body: empty message")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    name, address = email.utils.parseaddr(_header(msg, "From"))
    if not address or "@" not in address:
        raise PayloadError("From: no sender address")
    message_id = _header(msg, "Message-ID").strip()
    if not message_id:
        raise PayloadError("Message-ID: missing")
    try:
        sent = in_range(email.utils.parsedate_to_datetime(_header(msg, "Date")))
    except (TypeError, ValueError, OverflowError):
        raise PayloadError("Date: missing or not an RFC 5322 date") from None
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    subject = _header(msg, "Subject").strip()
    text = _strip_quoted(_body(msg))
    references = _header(msg, "References")
    return make_post(
        network="email",
        external_id=message_id[:200],
        created_at=utc_iso(sent.astimezone(UTC) if sent <= datetime.now(UTC) else datetime.now(UTC)),
        text=(f"{subject}\n\n{text}" if subject else text)[:MAX_TEXT],
        author=make_author(external_id=address.lower(), handle=address.lower(), name=name or None),
        kind="direct_message",
        in_reply_to=_first_id(_header(msg, "In-Reply-To")),
        thread_id=_first_id(references),
        raw={"subject": subject, "to": _header(msg, "To"), "message_id": message_id},
    )
