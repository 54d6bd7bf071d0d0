"""Pure mapping of Meta webhook payloads (Page feed, Messenger, Instagram) to Rapport posts."""

from __future__ import annotations

from typing import Any

from ..base import PayloadError, Post, iso_from_epoch, make_author, make_post

POST_ITEMS = frozenset({"post", "status", "photo", "video", "share"})
TEXT_VERBS = frozenset({"add", "edited", "edit"})
INSTAGRAM_COMMENT_FIELDS = frozenset({"comments", "live_comments"})


def _epoch(value: Any) -> str:
    # Meta mixes seconds (feed) and milliseconds (messaging, Instagram) in the same envelope.
    number = float(value)
    return iso_from_epoch(number / 1000 if number > 1e11 else number)


def normalise_payload(payload: dict[str, Any]) -> list[Post]:
    """Turn one webhook body ({"object": "page"|"instagram", "entry": [...]}) into posts."""
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise PayloadError("entry: missing or not a list")
    obj = payload.get("object")
    if obj not in ("page", "instagram"):
        raise PayloadError(f"object: unsupported value {obj!r}")
    network = "facebook" if obj == "page" else "instagram"
    posts: list[Post] = []
    for entry in payload["entry"]:
        entry_time = entry.get("time")
        for event in entry.get("messaging") or []:
            post = messaging_to_post(event, network=network, account_id=str(entry.get("id", "")))
            if post:
                posts.append(post)
        for change in entry.get("changes") or []:
            field, value = change.get("field"), change.get("value") or {}
            post = None
            if obj == "page" and field == "feed":
                post = feed_change_to_post(value, page_id=str(entry.get("id", "")))
            elif obj == "instagram" and field in INSTAGRAM_COMMENT_FIELDS:
                post = instagram_comment_to_post(value, entry_time=entry_time)
            elif obj == "instagram" and field == "mentions":
                post = instagram_mention_to_post(value, entry_time=entry_time)
            if post:
                posts.append(post)
    return posts


def removed_ids(payload: dict[str, Any]) -> list[str]:
    """List the ids of Page posts and comments that a feed webhook reports as removed."""
    ids: list[str] = []
    for entry in payload.get("entry") or []:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            if change.get("field") == "feed" and value.get("verb") == "remove":
                ident = value.get("comment_id") if value.get("item") == "comment" else value.get("post_id")
                if ident:
                    ids.append(str(ident))
    return ids


def feed_change_to_post(value: dict[str, Any], *, page_id: str) -> Post | None:
    """Map a Page `feed` change (comment or visitor/page post) to a post; other items and removals give None."""
    item, verb = value.get("item"), value.get("verb")
    if verb not in TEXT_VERBS or (item != "comment" and item not in POST_ITEMS):
        return None
    sender = value.get("from") or {}
    created = value.get("created_time") or value.get("published")
    if created is None:
        raise PayloadError("created_time: missing in feed change")
    post_info = value.get("post") or {}
    author = make_author(external_id=sender.get("id"), name=sender.get("name"))
    if item == "comment":
        post_id = value.get("post_id")
        return make_post(
            network="facebook",
            external_id=value["comment_id"],
            created_at=_epoch(created),
            text=value.get("message"),
            author=author,
            kind="comment",
            in_reply_to=value.get("parent_id") or post_id,
            url=post_info.get("permalink_url"),
            thread_id=post_id,
            raw=value,
        )
    post_id = value.get("post_id")
    if not post_id:
        raise PayloadError("post_id: missing in feed change")
    return make_post(
        network="facebook",
        external_id=post_id,
        created_at=_epoch(created),
        text=value.get("message"),
        author=author,
        kind="post",
        url=value.get("link") if item == "share" else f"https://www.facebook.com/{post_id}",
        thread_id=post_id,
        raw=value,
    )


def messaging_to_post(event: dict[str, Any], *, network: str, account_id: str) -> Post | None:
    """Map a Messenger/Instagram `messaging` event to a direct message; deliveries, reads and postbacks give None."""
    message = event.get("message")
    if not isinstance(message, dict) or message.get("is_deleted"):
        return None
    sender = str((event.get("sender") or {}).get("id", ""))
    recipient = str((event.get("recipient") or {}).get("id", ""))
    # Echoes are the business's own replies; the conversation is keyed by the customer's id either way.
    customer = recipient if message.get("is_echo") else sender
    return make_post(
        network=network,
        external_id=message["mid"],
        created_at=_epoch(event["timestamp"]),
        text=message.get("text"),
        author=make_author(external_id=sender or account_id),
        kind="direct_message",
        in_reply_to=(message.get("reply_to") or {}).get("mid"),
        thread_id=customer,
        raw=event,
    )


def instagram_comment_to_post(value: dict[str, Any], *, entry_time: Any) -> Post:
    """Map an Instagram `comments` change to a comment on the brand's media."""
    sender = value.get("from") or {}
    media = value.get("media") or {}
    if not value.get("id"):
        raise PayloadError("id: missing in Instagram comment")
    return make_post(
        network="instagram",
        external_id=value["id"],
        created_at=_epoch(entry_time),
        text=value.get("text"),
        author=make_author(external_id=sender.get("id"), handle=sender.get("username")),
        kind="comment",
        in_reply_to=value.get("parent_id") or media.get("id"),
        thread_id=media.get("id"),
        raw=value,
    )


def instagram_mention_to_post(value: dict[str, Any], *, entry_time: Any) -> Post:
    """Map an Instagram `mentions` change; Meta sends only ids, so text stays empty until fetched."""
    ident = value.get("comment_id") or value.get("media_id")
    if not ident:
        raise PayloadError("media_id: missing in Instagram mention")
    return make_post(
        network="instagram",
        external_id=ident,
        created_at=_epoch(entry_time),
        text="",
        author=make_author(),
        kind="mention",
        in_reply_to=value.get("media_id") if value.get("comment_id") else None,
        thread_id=value.get("media_id"),
        raw=value,
    )
