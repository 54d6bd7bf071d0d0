"""Email built from a brand channel: the SMTP reply client, the IMAP mailbox to poll, the inbound-mail webhook and
raw MIME replay."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..base import Post
from ..base_channel import ChannelFacts, DeadLetterSink, PollSource, ReplyTarget, Webhook
from ..files.client import Rejection
from ..generic.webhook import TOLERANCE_SECONDS, verify_request
from .client import SmtpClient
from .imap import ImapClient
from .normalise import message_to_post


def reply_client(channel: ChannelFacts) -> SmtpClient | None:
    """The SMTP client, or None without an SMTP host."""
    creds = channel.credentials
    if not creds.get("smtp_host"):
        return None
    return SmtpClient(
        host=creds["smtp_host"],
        port=int(creds.get("smtp_port") or 587),
        username=creds.get("smtp_username", ""),
        password=creds.get("smtp_password", ""),
        from_address=creds.get("from_address") or channel.handle,
        starttls=str(creds.get("smtp_starttls", "1")) not in ("0", "false", "False"),
    )


def reply_args(target: ReplyTarget) -> dict[str, Any]:
    """A reply by email goes to the sender (else the contact's address), in the thread of the last message, under
    its subject line (the first line of a message that has a subject and a body)."""
    subject = (target.last_text.split("\n", 1)[0] if "\n\n" in target.last_text else "")[:150]
    return {
        "text": target.text,
        "to": target.account_id or target.email,
        "in_reply_to": target.last_external_id,
        "subject": subject,
    }


def poll_sources(
    channel: ChannelFacts, *, dead_letter: DeadLetterSink | None = None, **http_options: Any
) -> Iterator[PollSource]:
    """The channel's IMAP mailbox, when its config names one; unreadable mail goes to `dead_letter`."""
    cfg, creds = channel.config, channel.credentials
    if not cfg.get("imap_host"):
        return
    client = ImapClient(
        host=cfg["imap_host"],
        port=int(cfg.get("imap_port") or 993),
        username=creds.get("imap_username") or channel.handle,
        password=creds.get("imap_password", ""),
        ssl=bool(cfg.get("imap_ssl", True)),
        mailbox=cfg.get("mailbox", "INBOX"),
    )

    def poll_mailbox(state):
        result = client.poll(state=state)
        for uid, reason, raw in client.rejected:  # unreadable mail is kept for an admin, never dropped
            if dead_letter is not None:
                dead_letter(
                    source=f"poll:email:{channel.pk}:uid:{uid}",
                    fmt="email",
                    payload=raw.decode("utf-8", "replace"),
                    reason=reason,
                )
        return result

    yield f"imap:{cfg.get('mailbox', 'INBOX')}", poll_mailbox


def parse_message(body: bytes) -> tuple[list[Post], list[Rejection]]:
    """The one message of a raw RFC 5322 body; PayloadError when it cannot be read (e.g. it names no sender)."""
    return [message_to_post(body)], []


# One raw message per request, as a mail provider's inbound route posts it, signed like the generic webhook
# (X-Rapport-Signature over "timestamp.body").
webhook = Webhook(name="email", verify=verify_request, parse=parse_message, replay_window=TOLERANCE_SECONDS)


def replay(payload: str) -> list[dict]:
    """The message from a dead-lettered raw MIME payload."""
    return [message_to_post(payload.encode("utf-8", "replace"))]
