"""Pure mapping of Mastodon REST entities (Status, Notification) to Rapport posts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..base import (
    PayloadError,
    Post,
    check_raw,
    html_to_text,
    make_author,
    make_post,
    obj,
    optional_str,
    parse_iso,
    utc_iso,
)

NETWORK = "mastodon"


def full_acct(account: dict[str, Any]) -> str | None:
    """Return user@domain; local accounts only carry `user` in acct, so add the domain of their profile URL."""
    acct = optional_str(account.get("acct"), "account.acct")
    if not acct or "@" in acct:
        return acct
    try:
        domain = urlsplit(optional_str(account.get("url"), "account.url") or "").hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        domain = None
    return f"{acct}@{domain}" if domain else acct


def status_to_post(status: dict[str, Any], *, kind: str | None = None) -> Post | None:
    """Map a Status to a post; boosts (reblogs) carry no words of their own and give None."""
    if not isinstance(status, dict):
        raise PayloadError(f"status: expected an object, got {type(status).__name__}")
    if status.get("reblog"):
        return None
    account = obj(status.get("account"), "account")
    if not status.get("id") or not account:
        raise PayloadError("id: status without id or account")
    try:
        created = utc_iso(parse_iso(status["created_at"]))
    except (KeyError, ValueError):
        raise PayloadError(f"created_at: bad status timestamp {status.get('created_at')!r}") from None
    text = html_to_text(status.get("content"))
    if spoiler := optional_str(status.get("spoiler_text"), "spoiler_text"):
        # The content warning is part of what the author said, so it stays ahead of the body.
        text = f"{spoiler}\n{text}".strip()
    parent = status.get("in_reply_to_id")
    return make_post(
        network=NETWORK,
        external_id=status["id"],
        created_at=created,
        text=text,
        author=make_author(
            external_id=account.get("id"),
            handle=full_acct(account),
            name=account.get("display_name"),
            followers=account.get("followers_count"),
        ),
        kind=kind or ("reply" if parent else "post"),
        in_reply_to=parent,
        url=status.get("url") or status.get("uri"),
        metrics={
            "likes": status.get("favourites_count"),
            "reposts": status.get("reblogs_count"),
            "replies": status.get("replies_count"),
        },
        raw=status,
    )


def notification_to_post(notification: dict[str, Any]) -> Post | None:
    """Map a `mention` Notification to a post of kind mention; other notification types give None."""
    if not isinstance(notification, dict):
        raise PayloadError(f"notification: expected an object, got {type(notification).__name__}")
    status = notification.get("status")
    if notification.get("type") != "mention" or not isinstance(status, dict):
        return None
    post = status_to_post(status, kind="mention")
    if post is not None:
        post["raw"] = check_raw(notification)
    return post
