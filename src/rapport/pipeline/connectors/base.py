"""Common shapes for Rapport's network connectors: the normalised post, errors and the connector protocol."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any, ClassVar, Literal, NotRequired, Protocol, TypedDict, runtime_checkable

from rapport.core.errors import FieldErrors
from rapport.core.signing import SignatureError  # noqa: F401 - every verifier raises the one error

PostKind = Literal["post", "reply", "comment", "direct_message", "mention"]
KINDS: frozenset[str] = frozenset({"post", "reply", "comment", "direct_message", "mention"})
REQUIRED_FIELDS: tuple[str, ...] = ("network", "external_id", "created_at", "text")


class Author(TypedDict):
    """The person who wrote a post, as the network identifies them."""

    external_id: str | None
    handle: str | None
    name: str | None
    followers: int | None


class Post(TypedDict):
    """One normalised post: the JSON-line shape every connector emits."""

    network: str
    external_id: str
    created_at: str
    text: str
    author: Author
    in_reply_to: str | None
    url: str | None
    kind: str
    thread_id: NotRequired[str | None]
    metrics: dict[str, int]
    raw: Any


class ConnectorError(Exception):
    """A failed call to a network; `retryable` tells the caller whether trying again later may succeed."""

    def __init__(self, message: str, *, retryable: bool, status: int | None = None, network: str = "") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.network = network


class ConfigError(FieldErrors):
    """A channel config a connector cannot work with; `errors` maps each bad key (e.g. "feeds.0") to the reason."""


class PayloadError(ValueError):
    """A webhook or file payload could not be understood."""


@dataclass
class PollResult:
    """Posts fetched by one poll plus the opaque state the caller persists and passes to the next poll."""

    posts: list[Post]
    state: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Connector(Protocol):
    """What the registry knows about a connector; polling and webhook connectors add their own methods."""

    network: ClassVar[str]
    capabilities: ClassVar[frozenset[str]]  # subset of {"file", "webhook", "poll", "reply"}


def utc_iso(value: datetime) -> str:
    """Render an aware datetime as an ISO 8601 UTC string ending in Z (naive datetimes are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    text = value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def parse_iso(value: str) -> datetime:
    """Parse an ISO 8601 timestamp that carries an offset (or Z); raise ValueError on anything else."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("empty timestamp")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp has no time zone: {value!r}")
    return parsed.astimezone(UTC)


def iso_from_epoch(seconds: float) -> str:
    """Render Unix seconds as an ISO 8601 UTC string."""
    return utc_iso(datetime.fromtimestamp(seconds, tz=UTC))


def make_author(
    *, external_id: Any = None, handle: str | None = None, name: str | None = None, followers: Any = None
) -> Author:
    """Build an author dict, coercing ids to strings and follower counts to int."""
    return {
        "external_id": None if external_id in (None, "") else str(external_id),
        "handle": handle or None,
        "name": name or None,
        "followers": _as_int(followers),
    }


def make_post(
    *,
    network: str,
    external_id: Any,
    created_at: str,
    text: str | None,
    author: Author,
    kind: str = "post",
    in_reply_to: Any = None,
    url: str | None = None,
    thread_id: Any = None,
    metrics: dict[str, Any] | None = None,
    raw: Any = None,
) -> Post:
    """Assemble a post dict in the canonical shape; raise PayloadError on an unknown kind."""
    if kind not in KINDS:
        raise PayloadError(f"kind: unknown value {kind!r}")
    post: Post = {
        "network": network,
        "external_id": str(external_id),
        "created_at": created_at,
        "text": text or "",
        "author": author,
        "in_reply_to": None if in_reply_to in (None, "") else str(in_reply_to),
        "url": url or None,
        "kind": kind,
        "metrics": {k: int(v) for k, v in (metrics or {}).items() if _as_int(v) is not None},
        "raw": raw,
    }
    if thread_id not in (None, ""):
        post["thread_id"] = str(thread_id)
    return post


def _as_int(value: Any) -> int | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


class _TextExtractor(HTMLParser):
    """Collects text nodes, turning block and line-break tags into newlines."""

    _BREAKS: ClassVar[frozenset[str]] = frozenset({"br", "p", "div", "li", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BREAKS and self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def tweet_text(text: str) -> str:
    """Twitter's v1.1 payloads (and the corpora captured from them) escape &, < and > as HTML entities."""
    return html.unescape(text) if "&" in text else text


def html_to_text(markup: str | None) -> str:
    """Strip HTML to plain text, keeping paragraph and line breaks as newlines."""
    if not markup:
        return ""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    lines = (line.strip() for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def dedupe(posts: Iterable[Post]) -> list[Post]:
    """Drop repeated (network, external_id) pairs, keeping the first occurrence."""
    seen: set[tuple[str, str]] = set()
    unique: list[Post] = []
    for post in posts:
        key = (post["network"], post["external_id"])
        if key not in seen:
            seen.add(key)
            unique.append(post)
    return unique
