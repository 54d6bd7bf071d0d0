"""Pure mapping of Meta webhook payloads (Page feed, Messenger, Instagram) to Rapport posts."""

from __future__ import annotations

from typing import Any

from ..base import PayloadError, Post, iso_from_epoch, make_author, make_post, obj, objects

POST_ITEMS = frozenset({"post", "status", "photo", "video", "share"})
TEXT_VERBS = frozenset({"add", "edited", "edit"})
INSTAGRAM_COMMENT_FIELDS = frozenset({"comments", "live_comments"})


def _epoch(value: Any, field: str) -> str:
    # Meta mixes seconds (feed) and milliseconds (messaging, Instagram) in the same envelope.
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise TypeError
        number = float(value)
        return iso_from_epoch(number / 1000 if number > 1e11 else number)
    except (TypeError, ValueError, OverflowError):
        raise PayloadError(f"{field}: not a Unix time: {value!r}") from None


def _key(value: Any, field: str) -> str:
    """An id the post is keyed by: a non-empty string or integer."""
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise PayloadError(f"{field}: missing or not an id")
    return str(value)


def normalise_payload(payload: dict[str, Any]) -> list[Post]:
    """Turn one webhook body ({"object": "page"|"instagram", "entry": [...]}) into posts."""
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise PayloadError("entry: missing or not a list")
    target = payload.get("object")
    if target not in ("page", "instagram"):
        raise PayloadError(f"object: unsupported value {target!r}")
    network = "facebook" if target == "page" else "instagram"
    posts: list[Post] = []
    for n, entry in enumerate(objects(payload["entry"], "entry")):
        entry_time = entry.get("time")
        for event in objects(entry.get("messaging"), f"entry.{n}.messaging"):
            post = messaging_to_post(event, network=network, account_id=str(entry.get("id", "")))
            if post:
                posts.append(post)
        for m, change in enumerate(objects(entry.get("changes"), f"entry.{n}.changes")):
            field, value = change.get("field"), obj(change.get("value"), f"entry.{n}.changes.{m}.value")
            post = None
            if not isinstance(field, str):
                continue
            if target == "page" and field == "feed":
                post = feed_change_to_post(value, page_id=str(entry.get("id", "")))
            elif target == "instagram" and field in INSTAGRAM_COMMENT_FIELDS:
                post = instagram_comment_to_post(value, entry_time=entry_time)
            elif target == "instagram" and field == "mentions":
                post = instagram_mention_to_post(value, entry_time=entry_time)
            if post:
                posts.append(post)
    return posts


def removed_ids(payload: dict[str, Any]) -> list[str]:
    """List the ids of Page posts and comments that a feed webhook reports as removed."""
    ids: list[str] = []
    if not isinstance(payload, dict):
        raise PayloadError("body: expected a JSON object")
    for entry in objects(payload.get("entry"), "entry"):
        for change in objects(entry.get("changes"), "entry.changes"):
            value = obj(change.get("value"), "entry.changes.value")
            if change.get("field") == "feed" and value.get("verb") == "remove":
                ident = value.get("comment_id") if value.get("item") == "comment" else value.get("post_id")
                if isinstance(ident, str | int) and not isinstance(ident, bool) and ident != "":
                    ids.append(str(ident))
    return ids


def feed_change_to_post(value: dict[str, Any], *, page_id: str) -> Post | None:
    """Map a Page `feed` change (comment or visitor/page post) to a post; other items and removals give None."""
    item, verb = value.get("item"), value.get("verb")
    if not isinstance(item, str) or not isinstance(verb, str):
        return None
    if verb not in TEXT_VERBS or (item != "comment" and item not in POST_ITEMS):
        return None
    sender = obj(value.get("from"), "from")
    created = value.get("created_time") or value.get("published")
    if created is None:
        raise PayloadError("created_time: missing in feed change")
    post_info = obj(value.get("post"), "post")
    author = make_author(external_id=sender.get("id"), name=sender.get("name"))
    if item == "comment":
        post_id = value.get("post_id")
        return make_post(
            network="facebook",
            external_id=_key(value.get("comment_id"), "comment_id"),
            created_at=_epoch(created, "created_time"),
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
        created_at=_epoch(created, "created_time"),
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
    sender = str(obj(event.get("sender"), "sender").get("id", ""))
    recipient = str(obj(event.get("recipient"), "recipient").get("id", ""))
    # Echoes are the business's own replies; the conversation is keyed by the customer's id either way.
    customer = recipient if message.get("is_echo") else sender
    return make_post(
        network=network,
        external_id=_key(message.get("mid"), "message.mid"),
        created_at=_epoch(event.get("timestamp"), "timestamp"),
        text=message.get("text"),
        author=make_author(external_id=sender or account_id),
        kind="direct_message",
        in_reply_to=obj(message.get("reply_to"), "message.reply_to").get("mid"),
        thread_id=customer,
        raw=event,
    )


def instagram_comment_to_post(value: dict[str, Any], *, entry_time: Any) -> Post:
    """Map an Instagram `comments` change to a comment on the brand's media."""
    sender = obj(value.get("from"), "from")
    media = obj(value.get("media"), "media")
    if not value.get("id"):
        raise PayloadError("id: missing in Instagram comment")
    return make_post(
        network="instagram",
        external_id=_key(value["id"], "id"),
        created_at=_epoch(entry_time, "time"),
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
        external_id=_key(ident, "media_id"),
        created_at=_epoch(entry_time, "time"),
        text="",
        author=make_author(),
        kind="mention",
        in_reply_to=value.get("media_id") if value.get("comment_id") else None,
        thread_id=value.get("media_id"),
        raw=value,
    )
