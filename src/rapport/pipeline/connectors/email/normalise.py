"""Raw email (RFC 5322 / MIME) to Rapport's post shape: one private message from the sender to the brand."""

from __future__ import annotations

import email
import email.policy
import email.utils
from datetime import UTC, datetime

from ..base import PayloadError, Post, html_to_text, make_author, make_post, utc_iso

MAX_TEXT = 20_000


def _first_id(value: str | None) -> str | None:
    ids = (value or "").split()
    return ids[0].strip() if ids else None


def _body(msg: email.message.EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    return html_to_text(content) if part.get_content_type() == "text/html" else content


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
    name, address = email.utils.parseaddr(str(msg.get("From", "")))
    if not address or "@" not in address:
        raise PayloadError("From: no sender address")
    message_id = (msg.get("Message-ID") or "").strip()
    if not message_id:
        raise PayloadError("Message-ID: missing")
    try:
        sent = email.utils.parsedate_to_datetime(str(msg.get("Date")))
    except (TypeError, ValueError):
        raise PayloadError("Date: missing or not an RFC 5322 date") from None
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    subject = str(msg.get("Subject", "")).strip()
    text = _strip_quoted(_body(msg))
    references = str(msg.get("References", "") or "")
    return make_post(
        network="email",
        external_id=message_id[:200],
        created_at=utc_iso(sent.astimezone(UTC) if sent <= datetime.now(UTC) else datetime.now(UTC)),
        text=(f"{subject}\n\n{text}" if subject else text)[:MAX_TEXT],
        author=make_author(external_id=address.lower(), handle=address.lower(), name=name or None),
        kind="direct_message",
        in_reply_to=_first_id(str(msg.get("In-Reply-To", "") or "")),
        thread_id=_first_id(references),
        raw={"subject": subject, "to": str(msg.get("To", "")), "message_id": message_id},
    )
