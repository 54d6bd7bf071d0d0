"""Polling a mailbox over IMAP: new messages by UID since the last poll, read-only, restartable."""

from __future__ import annotations

import contextlib
import imaplib
import re
from typing import Any

from .. import config as checks
from ..base import ConnectorError, PayloadError, PollResult
from ..outbound import connect_checked
from .normalise import message_to_post

_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")


def validate_config(config: Any) -> dict[str, Any]:
    """An email channel's config: {"imap_host", "imap_port" (993), "imap_ssl" (true), "mailbox" ("INBOX")}."""
    config, errors = checks.mapping(config), {}
    cleaned: dict[str, Any] = {
        "imap_host": checks.host(config, "imap_host", errors),
        "imap_port": checks.integer(config, "imap_port", errors, low=1, high=65535),
        "imap_ssl": checks.boolean(config, "imap_ssl", errors, default=True) if "imap_ssl" in config else None,
    }
    mailbox = config.get("mailbox")
    if mailbox is not None and (
        not isinstance(mailbox, str) or not 0 < len(mailbox) <= 200 or any(ord(c) < 32 for c in mailbox)
    ):
        errors["mailbox"] = "must be a mailbox name (up to 200 characters, no control characters)"
    return checks.finish(config, cleaned, errors)


class _GuardedIMAP4(imaplib.IMAP4):
    """IMAP over a socket to the checked address of the host (the guard's pinning, for plain IMAP)."""

    def _create_socket(self, timeout):  # noqa: ANN001 - imaplib's signature
        return connect_checked(self.host, self.port, timeout=timeout, network="email")


class _GuardedIMAP4_SSL(imaplib.IMAP4_SSL):  # noqa: N801 - mirrors imaplib's name
    """IMAPS to the checked address; the certificate is still verified against the host name."""

    def _create_socket(self, timeout):  # noqa: ANN001 - imaplib's signature
        sock = connect_checked(self.host, self.port, timeout=timeout, network="email")
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)


class ImapClient:
    """Fetch new messages of one mailbox; the state ({uidvalidity, last_uid}) makes every poll resume where it left."""

    network = "email"

    def __init__(
        self,
        *,
        host: str,
        port: int = 993,
        username: str,
        password: str,
        ssl: bool = True,
        mailbox: str = "INBOX",
        batch: int = 200,
        timeout: float = 20.0,
    ) -> None:
        self.host, self.port, self.username, self.password = host, port, username, password
        self.ssl, self.mailbox, self.batch, self.timeout = ssl, mailbox, batch, timeout
        self.rejected: list[tuple[int, str, bytes]] = []  # (uid, reason, raw) of messages that could not be read

    def _connect(self) -> imaplib.IMAP4:
        cls = _GuardedIMAP4_SSL if self.ssl else _GuardedIMAP4
        conn = cls(self.host, self.port, timeout=self.timeout)
        conn.login(self.username, self.password)
        return conn

    def poll(self, *, state: dict[str, Any] | None = None) -> PollResult:
        """New messages since state["last_uid"]; a changed UIDVALIDITY (mailbox rebuilt) starts over."""
        state = dict(state or {})
        self.rejected = []
        try:
            conn = self._connect()
        except (imaplib.IMAP4.error, OSError) as exc:
            raise ConnectorError(
                f"imap: {exc}", retryable=not isinstance(exc, imaplib.IMAP4.error), network="email"
            ) from None
        try:
            typ, _ = conn.select(self.mailbox, readonly=True)
            if typ != "OK":
                raise ConnectorError(f"imap: cannot open mailbox {self.mailbox!r}", retryable=False, network="email")
            validity = next(
                (
                    int(m.group(1))
                    for line in (conn.response("OK")[1] or [])
                    if line
                    for m in [_UIDVALIDITY.search(line)]
                    if m
                ),
                None,
            )
            last = int(state.get("last_uid", 0)) if state.get("uidvalidity") == validity else 0
            typ, data = conn.uid("SEARCH", None, f"UID {last + 1}:*")
            uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) > last)[: self.batch]
            posts = []
            for uid in uids:
                typ, parts = conn.uid("FETCH", str(uid), "(RFC822)")
                raw = next((p[1] for p in parts if isinstance(p, tuple)), b"")
                try:
                    posts.append(message_to_post(raw))
                except PayloadError as exc:
                    self.rejected.append((uid, str(exc), raw))
            return PollResult(posts=posts, state={"uidvalidity": validity, "last_uid": max(uids, default=last)})
        except (imaplib.IMAP4.error, OSError) as exc:
            raise ConnectorError(f"imap: {exc}", retryable=True, network="email") from None
        finally:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                conn.logout()

    def close(self) -> None:
        """Connections are per poll; nothing to close."""
