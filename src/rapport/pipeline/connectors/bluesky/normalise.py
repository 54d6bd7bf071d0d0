"""Pure mapping of Bluesky (AT Protocol app.bsky) post views and notifications to Rapport posts."""

from __future__ import annotations

from typing import Any

from ..base import PayloadError, Post, make_author, make_post, obj, optional_str, parse_iso, utc_iso

NETWORK = "bluesky"
NOTIFICATION_KINDS = {"mention": "mention", "reply": "reply", "quote": "mention"}


def rkey(uri: str) -> str:
    """Return the record key, the last segment of an at:// URI."""
    return uri.rstrip("/").rsplit("/", 1)[-1]


def web_url(handle: str | None, uri: str) -> str | None:
    """Return the bsky.app address of a post."""
    return f"https://bsky.app/profile/{handle}/post/{rkey(uri)}" if handle else None


def _post(
    *, uri: str, record: dict[str, Any], author: dict[str, Any], kind: str | None, metrics: dict[str, Any], raw: Any
) -> Post:
    if not uri or not isinstance(uri, str) or not isinstance(record, dict) or not author:
        raise PayloadError("uri: post without uri, record or author")
    author = obj(author, "author")
    try:
        created = utc_iso(parse_iso(record["createdAt"]))
    except (KeyError, ValueError):
        raise PayloadError(f"record.createdAt: bad timestamp {record.get('createdAt')!r}") from None
    reply = obj(record.get("reply"), "record.reply")
    parent = optional_str(obj(reply.get("parent"), "record.reply.parent").get("uri"), "record.reply.parent.uri")
    root = optional_str(obj(reply.get("root"), "record.reply.root").get("uri"), "record.reply.root.uri")
    handle = optional_str(author.get("handle"), "author.handle")
    return make_post(
        network=NETWORK,
        external_id=uri,
        created_at=created,
        text=record.get("text"),
        author=make_author(
            external_id=author.get("did"),
            handle=handle,
            name=author.get("displayName"),
            followers=author.get("followersCount"),
        ),
        kind=kind or ("reply" if parent else "post"),
        in_reply_to=parent,
        url=web_url(handle, uri),
        thread_id=root or uri,
        metrics=metrics,
        raw=raw,
    )


def post_view_to_post(view: dict[str, Any]) -> Post:
    """Map an app.bsky.feed.defs#postView (searchPosts, getPosts) to a post."""
    if not isinstance(view, dict):
        raise PayloadError(f"post: expected an object, got {type(view).__name__}")
    return _post(
        uri=view.get("uri", ""),
        record=view.get("record") or {},
        author=view.get("author") or {},
        kind=None,
        metrics={
            "likes": view.get("likeCount"),
            "reposts": view.get("repostCount"),
            "replies": view.get("replyCount"),
            "quotes": view.get("quoteCount"),
        },
        raw=view,
    )


def notification_to_post(notification: dict[str, Any]) -> Post | None:
    """Map a listNotifications item; only mentions, replies and quotes carry a post, others give None."""
    if not isinstance(notification, dict):
        raise PayloadError(f"notification: expected an object, got {type(notification).__name__}")
    reason = notification.get("reason")
    kind = NOTIFICATION_KINDS.get(reason) if isinstance(reason, str) else None
    if kind is None:
        return None
    return _post(
        uri=notification.get("uri", ""),
        record=notification.get("record") or {},
        author=notification.get("author") or {},
        kind=kind,
        metrics={},
        raw=notification,
    )
