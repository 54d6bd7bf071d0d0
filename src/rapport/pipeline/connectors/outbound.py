"""The one guarded way out: every fetch, reply and mailbox connection resolves its host, refuses internal addresses
and connects to the address it checked.

Channel configs are typed by workspace admins, so a feed URL or an instance's base_url is untrusted input. Without
this guard Rapport fetches `http://127.0.0.1:8000/...` (or cloud metadata at 169.254.169.254) on their behalf, and
sends the stored token wherever a config points. Operators list internal hosts they trust in
RAPPORT_OUTBOUND_ALLOW (host names, addresses or CIDR networks); the list is empty by default.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpx

from .base import ConnectorError

MAX_REDIRECTS = 5
MAX_RESPONSE_BYTES = 10 * 1024 * 1024  # a feed or an API page is kilobytes; anything near this is hostile or broken
MAX_SECONDS = 60.0  # a whole response, so a server dripping one byte at a time cannot hold a poller forever

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class OutboundBlocked(ConnectorError):
    """A destination Rapport refuses to contact (internal address, bad scheme, too many redirects, too large)."""

    def __init__(self, message: str, *, network: str = "") -> None:
        super().__init__(message, retryable=False, network=network)


def _allow_entries() -> list[str]:
    # Read at call time so an operator's setting (or a test's override of it) applies without a restart.
    try:
        from django.conf import settings

        value = getattr(settings, "RAPPORT_OUTBOUND_ALLOW", ()) if settings.configured else ()
    except ImportError:  # the connectors also run without Django (scripts, notebooks)
        value = ()
    if isinstance(value, str):
        value = value.split(",")
    return [str(v).strip().lower() for v in value if str(v).strip()]


class AllowList:
    """Host names and networks an operator declared internal but trusted."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.names: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in entries:
            try:
                self.networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                self.names.add(entry.rstrip("."))

    @classmethod
    def from_settings(cls) -> AllowList:
        return cls(_allow_entries())

    def allows_address(self, ip: IPAddress) -> bool:
        candidates = [ip]
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            candidates.append(ip.ipv4_mapped)
        return any(c in net for c in candidates for net in self.networks if c.version == net.version)


def forbidden_reason(ip: IPAddress) -> str | None:
    """Why an address must not be contacted (loopback, private, ...), or None for a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        # Addresses that carry an IPv4 address inside reach that IPv4 host: judge the embedded one.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and any(ip in net for net in _NAT64):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return forbidden_reason(embedded)
        if ip.teredo:
            return "Teredo tunnel"
    checks = (
        ("is_unspecified", "unspecified"),
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
        ("is_private", "private"),
        ("is_reserved", "reserved"),
    )
    for attr, label in checks:
        if getattr(ip, attr):
            return label
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "shared (CGNAT)"
    if not ip.is_global:
        return "not globally routable"
    return None


def _clean_host(host: str) -> str:
    return (host or "").strip().strip("[]").rstrip(".").lower()


def resolve_checked(host: str, port: int, *, network: str = "", allow: AllowList | None = None) -> list[str]:
    """Resolve host and return its addresses, refusing if any is internal (unless allow-listed).

    Resolution goes through the system resolver, so every spelling of an address (2130706433, 0177.0.0.1,
    0x7f.1, 127.1, ::ffff:127.0.0.1) ends up as the address it means before it is judged.
    """
    allow = allow or AllowList.from_settings()
    name = _clean_host(host)
    if not name:
        raise OutboundBlocked(f"{network or 'outbound'}: no host to connect to", network=network)
    try:
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ConnectorError(
            f"{network or 'outbound'}: cannot resolve {name}: {exc}", retryable=True, network=network
        ) from None
    addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
    if name in allow.names:
        return addresses
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if allow.allows_address(ip):
            continue
        reason = forbidden_reason(ip)
        if reason:
            shown = address if address == name else f"{name} = {address}"
            raise OutboundBlocked(
                f"{network or 'outbound'}: {shown} is a {reason} address; Rapport only contacts public hosts "
                "unless RAPPORT_OUTBOUND_ALLOW lists it",
                network=network,
            )
    return addresses


def connect_checked(host: str, port: int, *, timeout: float | None, network: str = "") -> socket.socket:
    """A TCP connection to a checked address of host (for IMAP and SMTP): no second lookup that could differ."""
    last: OSError | None = None
    for address in resolve_checked(host, port, network=network):
        try:
            return socket.create_connection((address, port), timeout=timeout)
        except OSError as exc:
            last = exc
    raise last or OSError(f"cannot connect to {host}:{port}")


def destination_problem(value: str, *, url: bool) -> str | None:
    """Why a configured URL (or bare host name) cannot be used, for errors at save time; None when it can.

    A name that does not resolve now is accepted: DNS may be down, and every fetch checks again anyway.
    """
    if url:
        try:
            parts = urlsplit(value)
            port = parts.port
        except ValueError as exc:
            return f"not a valid URL ({exc})"
        if parts.scheme not in ("http", "https"):
            return "must be an http:// or https:// URL"
        if not parts.hostname:
            return "must name a host"
        if parts.username or parts.password:
            return "must not carry a user name or password; enter credentials separately"
        host, port = parts.hostname, port or (443 if parts.scheme == "https" else 80)
    else:
        host, port = _clean_host(value), 0
        if not host or (any(c in host for c in "/:@ ?#") and not _is_ip(host)):
            return "must be a host name, e.g. imap.example.com"
    try:
        resolve_checked(host, port or 443)
    except OutboundBlocked as exc:
        return str(exc).split(": ", 1)[-1]
    except ConnectorError:
        return None
    return None


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport that checks each request's host (redirects included) and connects to what it checked.

    The request goes to the checked IP address while the Host header, TLS SNI and certificate check keep the
    name, so a DNS answer that changes between the check and the connection (rebinding) cannot redirect it.
    """

    def __init__(self, inner: httpx.BaseTransport | None = None, *, network: str = "") -> None:
        self._inner = inner or httpx.HTTPTransport(trust_env=False)
        self.network = network

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise OutboundBlocked(f"{self.network}: refusing {url.scheme}:// URLs", network=self.network)
        host = url.host
        port = url.port or (443 if url.scheme == "https" else 80)
        last: Exception | None = None
        for address in resolve_checked(host, port, network=self.network):
            pinned = httpx.Request(
                request.method,
                url.copy_with(host=address),
                headers=request.headers,  # keeps Host: the name, not the address
                stream=request.stream,
                extensions={**request.extensions, "sni_hostname": host},
            )
            try:
                response = self._inner.handle_request(pinned)
            except httpx.ConnectError as exc:  # try the next checked address, as a browser would
                last = exc
                continue
            # Capped here as well as by HttpClient: httpx reads the bodies of redirect answers on its own.
            capped = _CappedStream(response.stream, f"{self.network}: {request.method} {url}", self.network)
            return httpx.Response(
                response.status_code, headers=response.headers, stream=capped, extensions=response.extensions
            )
        assert last is not None
        raise last

    def close(self) -> None:
        self._inner.close()


class _CappedStream(httpx.SyncByteStream):
    """A response body that stops at MAX_RESPONSE_BYTES (as sent) and MAX_SECONDS."""

    def __init__(self, inner: httpx.SyncByteStream, what: str, network: str) -> None:
        self._inner, self._what, self._network = inner, what, network

    def __iter__(self):
        size, deadline = 0, time.monotonic() + MAX_SECONDS
        for chunk in self._inner:
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                raise OutboundBlocked(
                    f"{self._what}: response larger than {MAX_RESPONSE_BYTES} bytes", network=self._network
                )
            if time.monotonic() > deadline:
                raise OutboundBlocked(
                    f"{self._what}: response took longer than {MAX_SECONDS:g} s", network=self._network
                )
            yield chunk

    def close(self) -> None:
        self._inner.close()
