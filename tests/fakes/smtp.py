"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, and can be told to refuse."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from .server import allow_loopback


class _Handler:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.raw: list[bytes] = []  # the bytes as received, for checks over exact content (DKIM)
        self.refuse_with: str | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.refuse_with:
            return self.refuse_with
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.raw.append(envelope.original_content or envelope.content)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


class FakeSmtp:
    """Start with `with FakeSmtp() as smtp:`; smtp.port, smtp.messages, smtp.refuse_with = "451 try later"."""

    def __init__(self) -> None:
        self.handler = _Handler()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        return self.handler.messages

    @property
    def raw(self) -> list[bytes]:
        return self.handler.raw

    @property
    def refuse_with(self) -> str | None:
        return self.handler.refuse_with

    @refuse_with.setter
    def refuse_with(self, value: str | None) -> None:
        self.handler.refuse_with = value

    def __enter__(self) -> FakeSmtp:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


@pytest.fixture
def fake_smtp(settings) -> Iterator[FakeSmtp]:
    allow_loopback(settings)
    with FakeSmtp() as smtp:
        yield smtp
