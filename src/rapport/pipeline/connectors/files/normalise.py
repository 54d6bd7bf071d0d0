"""Pure mapping of file records (JSON lines, airline CSV, customer-support CSV) to Rapport posts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..base import (
    KINDS,
    MAX_FOLLOWERS,
    PayloadError,
    Post,
    in_range,
    make_author,
    make_post,
    parse_iso,
    tweet_text,
    utc_iso,
    without_vouched,
)

AIRLINE_COLUMNS = (
    "tweet_id",
    "airline_sentiment",
    "airline_sentiment_confidence",
    "negativereason",
    "negativereason_confidence",
    "airline",
    "airline_sentiment_gold",
    "name",
    "negativereason_gold",
    "retweet_count",
    "text",
    "tweet_coord",
    "tweet_created",
    "tweet_location",
    "user_timezone",
)
TWCS_COLUMNS = (
    "",
    "tweet_id",
    "author_id",
    "inbound",
    "created_at",
    "text",
    "response_tweet_id",
    "in_response_to_tweet_id",
)
_AIRLINE_TIME = "%Y-%m-%d %H:%M:%S %z"
_TWITTER_TIME = "%a %b %d %H:%M:%S %z %Y"


class FieldError(PayloadError):
    """A record is unusable because of one named field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


def _required_str(record: dict[str, Any], key: str, *, allow_empty: bool = False) -> str:
    value = record.get(key)
    if value is None or (isinstance(value, str) and not value.strip() and not allow_empty):
        raise FieldError(key, "missing")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FieldError(key, f"expected a string, got {type(value).__name__}")
    return str(value)


def _timestamp(value: str, fmt: str | None, field: str) -> str:
    try:
        parsed = parse_iso(value) if fmt is None else datetime.strptime(value.strip(), fmt)
        return utc_iso(in_range(parsed))
    except OverflowError:  # a year-9999 time with a negative offset lies past datetime.max in UTC
        raise FieldError(field, f"bad timestamp {value!r} (out of range)") from None
    except (TypeError, ValueError) as exc:
        if "out of range" in str(exc):
            raise FieldError(field, f"bad timestamp {value!r} ({exc})") from None
        expected = "ISO 8601 with a time zone" if fmt is None else f"format {fmt!r}"
        raise FieldError(field, f"bad timestamp {value!r} (expected {expected})") from None


def jsonl_to_post(record: Any) -> Post:
    """Validate one decoded JSON line and return it as a canonical post (raw keeps the input)."""
    if not isinstance(record, dict):
        raise FieldError("line", f"expected a JSON object, got {type(record).__name__}")
    network = _required_str(record, "network")
    external_id = _required_str(record, "external_id")
    created_at = _timestamp(_required_str(record, "created_at"), None, "created_at")
    text = _required_str(record, "text", allow_empty=True)
    author = record.get("author")
    if not isinstance(author, dict):
        raise FieldError("author", "missing or not an object")
    if not (author.get("external_id") or author.get("handle")):
        raise FieldError("author.external_id", "author needs external_id or handle")
    followers = author.get("followers")
    if followers is not None and (isinstance(followers, bool) or not isinstance(followers, int)):
        raise FieldError("author.followers", "expected an integer")
    if followers is not None and not 0 <= followers <= MAX_FOLLOWERS:
        raise FieldError("author.followers", f"out of range (0 to {MAX_FOLLOWERS})")
    kind = record.get("kind") or ("reply" if record.get("in_reply_to") else "post")
    if not isinstance(kind, str) or kind not in KINDS:
        raise FieldError("kind", f"unknown value {kind!r}")
    metrics = record.get("metrics") or {}
    if not isinstance(metrics, dict):
        raise FieldError("metrics", "expected an object")
    return make_post(
        network=network,
        external_id=external_id,
        created_at=created_at,
        text=text,
        author=make_author(
            external_id=author.get("external_id"),
            handle=author.get("handle"),
            name=author.get("name"),
            followers=followers,
        ),
        kind=kind,
        in_reply_to=record.get("in_reply_to"),
        url=record.get("url"),
        thread_id=record.get("thread_id"),
        metrics=metrics,
        raw=without_vouched(record.get("raw", record)),
    )


def airline_row_to_post(row: dict[str, str]) -> Post:
    """Map a row of the Twitter US Airline Sentiment CSV to a post; labels stay in raw."""
    tweet_id = _required_str(row, "tweet_id")
    if not tweet_id.isdigit():
        raise FieldError("tweet_id", f"not a tweet id: {tweet_id!r}")
    handle = _required_str(row, "name")
    text = tweet_text(_required_str(row, "text"))
    created_at = _timestamp(_required_str(row, "tweet_created"), _AIRLINE_TIME, "tweet_created")
    # Every tweet in this corpus is addressed to an airline's account, so it is a mention of the brand.
    return make_post(
        network="twitter",
        external_id=tweet_id,
        created_at=created_at,
        text=text,
        author=make_author(handle=handle),
        kind="mention",
        url=f"https://twitter.com/{handle}/status/{tweet_id}",
        metrics={"reposts": row.get("retweet_count") or 0},
        raw=row,
    )


def twcs_row_to_post(row: dict[str, str]) -> Post:
    """Map a row of the Customer Support on Twitter CSV to a post, threading by in_response_to_tweet_id."""
    tweet_id = _required_str(row, "tweet_id")
    author_id = _required_str(row, "author_id")
    text = tweet_text(_required_str(row, "text"))
    created_at = _timestamp(_required_str(row, "created_at"), _TWITTER_TIME, "created_at")
    inbound = (row.get("inbound") or "").strip()
    if inbound not in ("True", "False"):
        raise FieldError("inbound", f"expected True or False, got {inbound!r}")
    parent_raw = (row.get("in_response_to_tweet_id") or "").strip()
    parent: str | None = None
    if parent_raw:
        try:
            parent = str(int(float(parent_raw)))
        except ValueError:
            raise FieldError("in_response_to_tweet_id", f"not a tweet id: {parent_raw!r}") from None
    kind = "reply" if parent else ("mention" if inbound == "True" else "post")
    # Customer ids are anonymised numbers; brand accounts keep their screen name, which doubles as the handle.
    handle = None if author_id.isdigit() else author_id
    return make_post(
        network="twitter",
        external_id=tweet_id,
        created_at=created_at,
        text=text,
        author=make_author(external_id=author_id, handle=handle),
        kind=kind,
        in_reply_to=parent,
        raw=row,
    )
