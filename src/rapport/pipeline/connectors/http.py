"""HTTP plumbing shared by the polling and outbound clients: the outbound guard, retries on 429/5xx, typed errors."""

from __future__ import annotations

import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any, Self

import httpx

from rapport.core.redact import redact_text, redact_url

from .base import ConnectorError
from .outbound import MAX_REDIRECTS, MAX_RESPONSE_BYTES, MAX_SECONDS, GuardedTransport, OutboundBlocked

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
USER_AGENT = "Rapport/0.1"


class HttpClient:
    """A thin httpx wrapper that retries transient failures and raises ConnectorError otherwise.

    Every request, and every redirect it follows, passes the outbound guard (public hosts only, pinned to the
    checked address); responses are capped in size and total time.
    """

    def __init__(
        self,
        *,
        base_url: str,
        network: str,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_wait: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        headers: dict[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        is_retryable: Callable[[httpx.Response], bool] | None = None,
        max_bytes: int = MAX_RESPONSE_BYTES,
        max_seconds: float = MAX_SECONDS,
    ) -> None:
        self.network = network
        self._is_retryable = is_retryable or (lambda response: response.status_code in RETRYABLE_STATUS)
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_wait = max_wait
        self._sleep = sleep
        self.max_bytes, self.max_seconds = max_bytes, max_seconds
        self._origin = _origin(httpx.URL(base_url)) if base_url else None
        # A transport passed in (tests, proxies) is wrapped, never trusted instead of the guard. httpx drops the
        # Authorization header itself when a redirect leaves the origin.
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=DEFAULT_TIMEOUT,
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            transport=GuardedTransport(transport, network=network),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            trust_env=False,
        )

    def close(self) -> None:
        """Close the underlying connection pool."""
        self._client.close()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send a request, retrying 429/5xx/transport errors with backoff; raise ConnectorError when it fails."""
        if self._origin and _origin(httpx.URL(url)) not in (None, self._origin):
            # A client with a base URL carries that host's token: an absolute URL from an answer (a Link header)
            # must not take it to another host.
            raise OutboundBlocked(f"{self.network}: {url} leaves {self._origin}", network=self.network)
        attempt = 0
        while True:
            try:
                response = self._fetch(method, url, **kwargs)
            except httpx.TooManyRedirects as exc:
                raise OutboundBlocked(
                    f"{self.network}: {method} {url}: more than {MAX_REDIRECTS} redirects", network=self.network
                ) from exc
            except httpx.TransportError as exc:
                if attempt >= self.max_retries:
                    raise ConnectorError(
                        redact_text(f"{self.network}: {method} {url} failed: {exc}"),
                        retryable=True,
                        network=self.network,
                    ) from exc
                self._sleep(self._delay(attempt, None))
                attempt += 1
                continue
            if response.status_code < 400:
                return response
            retryable = self._is_retryable(response)
            if not retryable or attempt >= self.max_retries:
                raise ConnectorError(
                    f"{self.network}: {method} {redact_url(url)} returned {response.status_code}: {_snippet(response)}",
                    retryable=retryable,
                    status=response.status_code,
                    network=self.network,
                )
            self._sleep(self._delay(attempt, response))
            attempt += 1

    def _fetch(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request (redirects followed), its body read under the size and time caps."""
        response = self._client.send(self._client.build_request(method, url, **kwargs), stream=True)
        deadline = time.monotonic() + self.max_seconds
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_bytes():  # decoded bytes, so a compressed bomb is capped too
                size += len(chunk)
                if size > self.max_bytes:
                    raise OutboundBlocked(
                        f"{self.network}: {method} {url}: response larger than {self.max_bytes} bytes",
                        network=self.network,
                    )
                if time.monotonic() > deadline:
                    raise OutboundBlocked(
                        f"{self.network}: {method} {url}: response took longer than {self.max_seconds:g} s",
                        network=self.network,
                    )
                chunks.append(chunk)
        finally:
            response.close()
        response._content = b"".join(chunks)  # what Response.read() sets; the body was read above under the caps
        return response

    def json(self, method: str, url: str, **kwargs: Any) -> Any:
        """Send a request and decode its JSON body; a non-JSON success is a non-retryable error."""
        response = self.request(method, url, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise ConnectorError(
                f"{self.network}: {redact_url(url)} did not return JSON",
                retryable=False,
                status=response.status_code,
                network=self.network,
            ) from exc

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        # Honour the server's Retry-After (seconds or HTTP date) before falling back to exponential backoff.
        if response is not None:
            header = response.headers.get("Retry-After")
            if header:
                wait = _retry_after_seconds(header)
                if wait is not None:
                    return min(max(wait, 0.0), self.max_wait)
        return min(self.backoff * (2**attempt), self.max_wait)


class ApiClient:
    """Base for network clients: owns an HttpClient and closes it, also when used as a context manager."""

    http: HttpClient

    def close(self) -> None:
        """Release the HTTP connection pool."""
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _origin(url: httpx.URL) -> tuple[str, str, int] | None:
    if not url.is_absolute_url:
        return None
    return (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))


def _retry_after_seconds(header: str) -> float | None:
    try:
        return float(header)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return when.timestamp() - time.time()


def _snippet(response: httpx.Response) -> str:
    return response.text[:300].replace("\n", " ")
