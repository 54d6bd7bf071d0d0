"""A small threaded HTTP server on 127.0.0.1 with routing, request recording and failure injection."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit


def allow_loopback(settings: Any) -> None:
    """Let Rapport's outbound guard reach the fakes on 127.0.0.1, the way an operator allow-lists an internal host."""
    settings.RAPPORT_OUTBOUND_ALLOW = [*getattr(settings, "RAPPORT_OUTBOUND_ALLOW", []), "127.0.0.1"]


@dataclass
class Request:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        """Return the first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """Decode the body as JSON."""
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict[str, str]:
        """Decode an application/x-www-form-urlencoded body."""
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8")).items()}


@dataclass
class Response:
    """What a route answers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


Route = Callable[[Request, re.Match[str]], Response]


@dataclass
class _Failure:
    status: int
    times: int
    path: str | None
    headers: dict[str, str]


class FakeServer:
    """Base class: subclasses register routes; tests read `requests` and call `fail()` to inject errors."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._routes: list[tuple[str, re.Pattern[str], Route]] = []
        self._failures: list[_Failure] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def route(self, method: str, pattern: str, handler: Route) -> None:
        """Register handler for method and a full-match path regex."""
        self._routes.append((method, re.compile(pattern), handler))

    def fail(
        self, status: int, *, times: int = 1, path: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        """Answer the next `times` requests (to `path`, if given) with `status` instead of the real route."""
        with self._lock:
            self._failures.append(_Failure(status, times, path, headers or {}))

    @property
    def url(self) -> str:
        """Base URL of the running server."""
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Self:
        """Bind to an ephemeral port on 127.0.0.1 and serve in a daemon thread."""
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                response = server.dispatch(request)
                payload = response.body
                if isinstance(payload, str):
                    data = payload.encode("utf-8")
                elif isinstance(payload, bytes):
                    data = payload
                elif payload is None:
                    data = b""
                else:
                    data = json.dumps(payload).encode("utf-8")
                self.send_response(response.status)
                if data or response.status not in (204, 304):
                    self.send_header("Content-Type", response.content_type)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _handle  # noqa: N815 - stdlib naming

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=type(self).__name__, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut the server down and wait for its thread."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def dispatch(self, request: Request) -> Response:
        """Record the request, apply any injected failure, else run the matching route."""
        with self._lock:
            self.requests.append(request)
            for failure in self._failures:
                if failure.times > 0 and (failure.path is None or failure.path == request.path):
                    failure.times -= 1
                    return Response(failure.status, {"error": f"injected {failure.status}"}, failure.headers)
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if match and method == request.method:
                return handler(request, match)
        return Response(404, {"error": "Record not found"})

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
