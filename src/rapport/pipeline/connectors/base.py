"""Common shapes for Rapport's network connectors: the normalised post, errors and the connector protocol."""

from __future__ import annotations

import html
import json
import math
import re
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
# Timestamps outside these years are typing errors or attacks, and near datetime's limits the UTC conversion and
# the hour buckets of spike detection would overflow.
MIN_YEAR, MAX_YEAR = 1900, 2199
MAX_FOLLOWERS = 2**31 - 1  # what the identity's integer column holds
MAX_METRIC = 2**63 - 1  # like and repost counts, kept in JSON but summed as 64-bit integers
MAX_RAW_DEPTH = 64  # nesting of a post's raw payload (JSON) that is kept
# What neither UTF-8 (lone surrogates) nor PostgreSQL text (NUL) can store.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


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


def json_body(body: bytes) -> Any:
    """A request body as JSON; PayloadError naming the body when it is not UTF-8 JSON a parser can take."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:  # ValueError: JSONDecodeError, or an integer of 4,300+ digits
        raise PayloadError(f"body: invalid JSON ({exc})") from None
    except RecursionError:
        raise PayloadError("body: invalid JSON (nested too deeply)") from None


def utc_iso(value: datetime) -> str:
    """Render an aware datetime as an ISO 8601 UTC string ending in Z (naive datetimes are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    text = value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def in_range(value: datetime) -> datetime:
    """Return an aware UTC datetime unchanged, or raise ValueError when its year is outside MIN_YEAR..MAX_YEAR."""
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"timestamp out of range (years {MIN_YEAR} to {MAX_YEAR})")
    return value


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
    try:
        return in_range(parsed.astimezone(UTC))
    except OverflowError:  # e.g. 9999-12-31T23:59:59-12:00 lies past datetime.max in UTC
        raise ValueError(f"timestamp out of range (years {MIN_YEAR} to {MAX_YEAR})") from None


def iso_from_epoch(seconds: float) -> str:
    """Render Unix seconds as an ISO 8601 UTC string; raise ValueError for NaN, infinities and absurd years."""
    try:
        return utc_iso(in_range(datetime.fromtimestamp(seconds, tz=UTC)))
    except (OverflowError, OSError):
        raise ValueError(f"timestamp out of range (years {MIN_YEAR} to {MAX_YEAR})") from None


def check_text(value: str, field: str) -> str:
    """Return value, or raise PayloadError naming the field when it holds what cannot be stored (NUL, surrogates)."""
    bad = _UNSTORABLE.search(value)
    if bad is not None:
        what = "a NUL character" if bad.group() == "\x00" else f"a lone surrogate (\\u{ord(bad.group()):04x})"
        raise PayloadError(f"{field}: contains {what} at position {bad.start()}, not storable text")
    return value


def storable_text(value: str) -> str:
    """Text decoded from bytes (mail, feeds) made storable: NUL dropped, lone surrogates replaced by U+FFFD."""
    if _UNSTORABLE.search(value) is None:
        return value
    return re.sub("[\ud800-\udfff]", "\ufffd", value.replace("\x00", ""))


def _optional_str(value: Any, field: str, *, ids: bool = False) -> str | None:
    """None for None or "", else the string (ids may also be integers); PayloadError naming the field otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return check_text(value, field)
    if ids and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise PayloadError(f"{field}: expected a string, got {type(value).__name__}")


def obj(value: Any, field: str) -> dict[str, Any]:
    """A JSON object of a payload ({} when absent or empty); PayloadError naming the field for anything else."""
    if value is None or (isinstance(value, str | list) and not value):
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"{field}: expected an object, got {type(value).__name__}")
    return value


def objects(value: Any, field: str) -> list[dict[str, Any]]:
    """A JSON list of objects ([] when absent); PayloadError naming the field (and the item) for anything else."""
    if value is None or (isinstance(value, str | dict) and not value):
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{field}: expected a list, got {type(value).__name__}")
    return [obj(item, f"{field}.{i}") for i, item in enumerate(value)]


def optional_str(value: Any, field: str) -> str | None:
    """A string field of a payload, or None; PayloadError naming the field for another type or unstorable text."""
    return _optional_str(value, field)


def check_raw(value: Any, field: str = "raw") -> Any:
    """Return a raw payload when the database can store it as JSON; PayloadError naming the path otherwise.

    Walks without recursion: strings (and keys) must be storable text, numbers finite, nesting bounded.
    """
    stack: list[tuple[Any, str, int]] = [(value, field, 0)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_RAW_DEPTH:
            raise PayloadError(f"{path}: nested deeper than {MAX_RAW_DEPTH} levels")
        if isinstance(item, str):
            check_text(item, path)
        elif isinstance(item, float) and not math.isfinite(item):
            raise PayloadError(f"{path}: {item} is not a JSON number")
        elif isinstance(item, dict):
            for key, sub in item.items():
                name = check_text(key, f"{path} key") if isinstance(key, str) else str(key)
                stack.append((sub, f"{path}.{name}", depth + 1))
        elif isinstance(item, list | tuple):
            stack.extend((sub, f"{path}.{i}", depth + 1) for i, sub in enumerate(item))
    return value


def make_author(*, external_id: Any = None, handle: Any = None, name: Any = None, followers: Any = None) -> Author:
    """Build an author dict, coercing integer ids to strings and follower counts to int.

    Raises PayloadError naming the field for a value that is not a string (an id may be an integer) or is not
    storable text; an unusable follower count becomes None.
    """
    return {
        "external_id": _optional_str(external_id, "author.external_id", ids=True),
        "handle": _optional_str(handle, "author.handle"),
        "name": _optional_str(name, "author.name"),
        "followers": _as_int(followers),
    }


# Keys of a post's raw payload that say who vouched for its author: written only by Rapport's own endpoints and
# connectors (a receiving mail server's verdict, a chat visitor signed in on the brand's site), after they checked
# it. A post that arrives from outside (the API, the generic webhook, a file) never carries them: nobody may vouch
# for themselves.
VOUCHED_RAW_KEYS = frozenset({"sender_authenticated_by", "signed_in"})


def without_vouched(raw: Any) -> Any:
    """The raw payload without the keys only Rapport itself may write."""
    if isinstance(raw, dict) and VOUCHED_RAW_KEYS & raw.keys():
        return {k: v for k, v in raw.items() if k not in VOUCHED_RAW_KEYS}
    return raw


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
    """Assemble a post dict in the canonical shape, every string storable.

    Raises PayloadError naming the field: an unknown kind, a missing id, a value of the wrong type (ids may be
    integers), text the database cannot store (NUL, lone surrogates) or a raw payload it cannot store as JSON.
    """
    if not isinstance(kind, str) or kind not in KINDS:
        raise PayloadError(f"kind: unknown value {kind!r}")
    if not isinstance(network, str) or not network.strip():
        raise PayloadError("network: missing or not a string")
    ident = _optional_str(external_id, "external_id", ids=True)
    if ident is None or not ident.strip():
        raise PayloadError("external_id: missing")
    if text is not None and not isinstance(text, str):
        raise PayloadError(f"text: expected a string, got {type(text).__name__}")
    if not isinstance(author, dict):
        raise PayloadError("author: missing or not an object")
    if metrics is not None and not isinstance(metrics, dict):
        raise PayloadError("metrics: expected an object")
    post: Post = {
        "network": check_text(network, "network"),
        "external_id": ident,
        "created_at": check_text(created_at, "created_at"),
        "text": check_text(text or "", "text"),
        "author": author,
        "in_reply_to": _optional_str(in_reply_to, "in_reply_to", ids=True),
        "url": _optional_str(url, "url"),
        "kind": kind,
        "metrics": {str(k): n for k, v in (metrics or {}).items() if (n := _as_int(v, MAX_METRIC)) is not None},
        "raw": check_raw(raw),
    }
    thread = _optional_str(thread_id, "thread_id", ids=True)
    if thread is not None:
        post["thread_id"] = thread
    return post


def _as_int(value: Any, limit: int = MAX_FOLLOWERS) -> int | None:
    """A count as an int, or None when it is missing, not a number, negative or past what a column holds."""
    if value is None or value == "" or isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = int(value) if isinstance(value, int) else int(float(value))
    except (TypeError, ValueError, OverflowError):  # OverflowError: float("inf")
        return None
    return number if 0 <= number <= limit else None


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


def html_to_text(markup: str | None, field: str = "content") -> str:
    """Strip HTML to plain text, keeping paragraph and line breaks as newlines; PayloadError if it is not a string."""
    if not markup:
        return ""
    if not isinstance(markup, str):
        raise PayloadError(f"{field}: expected a string, got {type(markup).__name__}")
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
