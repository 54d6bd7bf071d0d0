"""A small IMAP4rev1 server on loopback: LOGIN, SELECT/EXAMINE (with UIDVALIDITY), UID SEARCH, UID FETCH, LOGOUT."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator

import pytest

from .server import allow_loopback


class _Handler(socketserver.StreamRequestHandler):
    def send(self, line: bytes) -> None:
        self.wfile.write(line + b"\r\n")

    def handle(self) -> None:  # noqa: C901 - a protocol loop
        box: FakeImap = self.server.box  # type: ignore[attr-defined]
        self.send(b"* OK [CAPABILITY IMAP4rev1] fake ready")
        authed = False
        while True:
            line = self.rfile.readline()
            if not line:
                return
            tag, _, rest = line.strip().partition(b" ")
            cmd, _, args = rest.partition(b" ")
            cmd = cmd.upper()
            if cmd == b"CAPABILITY":
                self.send(b"* CAPABILITY IMAP4rev1")
                self.send(tag + b" OK done")
            elif cmd == b"LOGIN":
                user, _, password = args.partition(b" ")
                authed = (user.strip(b'"'), password.strip(b'"')) == (box.user.encode(), box.password.encode())
                self.send(tag + (b" OK logged in" if authed else b" NO [AUTHENTICATIONFAILED] bad credentials"))
            elif cmd in (b"SELECT", b"EXAMINE") and authed:
                self.send(b"* %d EXISTS" % len(box.messages))
                self.send(b"* OK [UIDVALIDITY %d] ok" % box.uidvalidity)
                self.send(tag + b" OK [READ-ONLY] selected")
            elif cmd == b"UID" and authed:
                sub, _, spec = args.partition(b" ")
                if sub.upper() == b"SEARCH":
                    start = int(spec.split(b" ")[-1].split(b":")[0])
                    uids = sorted(box.messages)
                    hits = [u for u in uids if u >= start] or uids[-1:]  # n:* always includes the highest UID
                    self.send(b"* SEARCH " + b" ".join(b"%d" % u for u in hits))
                    self.send(tag + b" OK search done")
                elif sub.upper() == b"FETCH":
                    uid = int(spec.split(b" ")[0])
                    raw = box.messages.get(uid)
                    if raw is not None:
                        self.wfile.write(b"* 1 FETCH (UID %d RFC822 {%d}\r\n" % (uid, len(raw)) + raw + b")\r\n")
                    self.send(tag + b" OK fetch done")
            elif cmd == b"LOGOUT":
                self.send(b"* BYE")
                self.send(tag + b" OK bye")
                return
            else:
                self.send(tag + b" BAD unknown or not allowed")


class FakeImap:
    """`with FakeImap(user, password) as imap:`; add messages with imap.deliver(raw_bytes) (UIDs count up)."""

    def __init__(self, user: str = "care@acme.example", password: str = "imap-pass") -> None:
        self.user, self.password = user, password
        self.messages: dict[int, bytes] = {}
        self.uidvalidity = 42
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.box = self  # type: ignore[attr-defined]
        self.port = self.server.server_address[1]

    def deliver(self, raw: bytes) -> int:
        uid = max(self.messages, default=100) + 1
        self.messages[uid] = raw
        return uid

    def __enter__(self) -> FakeImap:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_imap(settings) -> Iterator[FakeImap]:
    allow_loopback(settings)
    with FakeImap() as imap:
        yield imap
