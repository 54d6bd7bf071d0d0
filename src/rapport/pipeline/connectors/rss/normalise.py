"""Pure mapping of feedparser entries (RSS 0.9x/1.0/2.0, Atom) to Rapport posts."""

from __future__ import annotations

import calendar
import time
from typing import Any

import feedparser

from ..base import PayloadError, Post, html_to_text, iso_from_epoch, make_author, make_post

NETWORK = "rss"


def entry_key(entry: dict[str, Any]) -> str | None:
    """Return the stable identity of an entry: its id/guid, else its link."""
    return entry.get("id") or entry.get("link")


def _jsonable(value: Any) -> Any:
    # feedparser hands back struct_time and dict subclasses; keep only what JSON can store.
    if isinstance(value, time.struct_time):
        return None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items() if not isinstance(v, time.struct_time)}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def entry_to_post(entry: dict[str, Any], *, feed_url: str, feed_title: str | None = None) -> Post:
    """Map one parsed entry to a post; text is the title followed by the plain-text body."""
    key = entry_key(entry)
    if not key:
        raise PayloadError("id: entry has neither id nor link")
    stamp = entry.get("published_parsed") or entry.get("updated_parsed") or entry.get("created_parsed")
    if stamp is None:
        raise PayloadError("published: entry has no parseable date")
    contents = entry.get("content") or []
    body_html = contents[0].get("value") if contents else entry.get("summary")
    body = html_to_text(body_html)
    title = html_to_text(entry.get("title"))
    text = body if not title or body.startswith(title) else f"{title}\n\n{body}".strip()
    detail = entry.get("author_detail") or {}
    author_name = entry.get("author") or detail.get("name")
    return make_post(
        network=NETWORK,
        external_id=key,
        created_at=iso_from_epoch(calendar.timegm(stamp)),
        text=text,
        author=make_author(
            external_id=detail.get("href") or detail.get("email"), handle=author_name, name=detail.get("name")
        ),
        kind="post",
        url=entry.get("link"),
        thread_id=feed_url,
        raw={"feed": feed_url, "feed_title": feed_title, "entry": _jsonable(dict(entry))},
    )


def parse_feed(content: bytes, *, headers: dict[str, str] | None = None) -> Any:
    """feedparser's parse of a fetched document; PayloadError when it cannot even decode it.

    feedparser reports most broken feeds as `bozo`, but a mangled encoding declaration or a NUL in a declared
    encoding raises from inside it (UnicodeDecodeError, ValueError, LookupError).
    """
    try:
        return feedparser.parse(content, response_headers=headers or {})
    except (UnicodeError, ValueError, LookupError, TypeError) as exc:
        raise PayloadError(f"body: not a readable feed ({type(exc).__name__}: {exc})"[:300]) from None
