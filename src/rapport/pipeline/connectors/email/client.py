"""Replies by email over SMTP, threaded with In-Reply-To and References so the customer's client keeps one thread."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from ..base import ConnectorError
from ..outbound import connect_checked


class _GuardedSMTP(smtplib.SMTP):
    """SMTP to the checked address of the host; STARTTLS still verifies the certificate against the name."""

    def _get_socket(self, host, port, timeout):  # noqa: ANN001 - smtplib's signature
        return connect_checked(host, port, timeout=timeout, network="email")


class SmtpClient:
    """Send replies through the brand's SMTP server (STARTTLS on 587 by default)."""

    network = "email"

    def __init__(
        self,
        *,
        host: str,
        port: int = 587,
        username: str = "",
        password: str = "",
        from_address: str,
        starttls: bool = True,
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.username, self.password = host, port, username, password
        self.from_address, self.starttls, self.timeout = from_address, starttls, timeout

    def send_reply(self, *, text: str, to: str, in_reply_to: str | None = None, subject: str = "") -> str:
        """Send one reply; returns its Message-ID. Temporary SMTP failures are retryable, refusals are not."""
        if not self.host or not to:
            raise ConnectorError("email: no SMTP host or recipient configured", retryable=False, network="email")
        msg = EmailMessage()
        msg["From"], msg["To"] = self.from_address, to
        msg["Subject"] = subject if subject.lower().startswith("re:") or not subject else f"Re: {subject}"
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain=self.from_address.rpartition("@")[2] or None)
        if in_reply_to:
            msg["In-Reply-To"] = msg["References"] = in_reply_to
        msg.set_content(text)
        try:
            with _GuardedSMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(msg)
        except smtplib.SMTPResponseException as exc:
            raise ConnectorError(
                f"email: SMTP {exc.smtp_code} {exc.smtp_error!r}",
                retryable=400 <= exc.smtp_code < 500,
                status=exc.smtp_code,
                network="email",
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise ConnectorError(
                f"email: recipient refused {exc.recipients}", retryable=False, network="email"
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise ConnectorError(f"email: {exc}", retryable=True, network="email") from None
        return str(msg["Message-ID"])

    def close(self) -> None:
        """Connections are per message; nothing to close."""
