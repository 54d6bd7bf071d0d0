"""Pure mapping of Discourse's JSON (the `latest_posts` of /posts.json, a topic's `post_stream`) to Rapport posts.

A Discourse post id is unique within one forum only, so ids and authors are qualified by the forum's host
("forum.example.org:48213", "kohlmark@forum.example.org"). What makes a post a forum post (its topic, number, the
post it answers, category, tags, whether the Solved plugin marks it the accepted answer, its likes) is kept under
`raw["forum"]`, a shape that does not depend on the forum software; the post as Discourse sent it stays under
`raw["discourse"]`.
"""

from __future__ import annotations

from typing import Any

from ..base import (
    PayloadError,
    Post,
    html_to_text,
    make_author,
    make_post,
    optional_str,
    parse_iso,
    utc_iso,
)

NETWORK = "discourse"
# 1 regular, 2 moderator action, 3 small action (a "closed this topic" line: no words), 4 whisper (staff only).
PUBLIC_POST_TYPES = frozenset({1, 2})
LIKE_ACTION = 2  # the post action type id of a like in actions_summary


def _int(value: Any, field: str, *, required: bool = False) -> int | None:
    if value is None or value == "":
        if required:
            raise PayloadError(f"{field}: missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise PayloadError(f"{field}: expected a whole number, got {type(value).__name__}")
    return value


def likes(item: dict[str, Any]) -> int:
    """A post's likes: `like_count` when the serializer sends it, else the like entry of `actions_summary`."""
    count = item.get("like_count")
    if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
        return count
    for action in item.get("actions_summary") or []:
        if isinstance(action, dict) and action.get("id") == LIKE_ACTION:
            n = action.get("count")
            return n if isinstance(n, int) and not isinstance(n, bool) and n >= 0 else 0
    return 0


def post_id(external_id: str, site: str) -> int | None:
    """The Discourse post id in one of this forum's external ids ("forum.example.org:48213"), else None."""
    prefix, _, number = external_id.rpartition(":")
    return int(number) if prefix == site and number.isdigit() else None


def post_to_post(
    item: Any, *, site: str, base_url: str, categories: dict[int, dict[str, str]] | None = None
) -> Post | None:
    """One Discourse post as a Rapport post; None for what carries no public words (deleted, hidden, whispers,
    small actions). PayloadError naming the field for a post that cannot be read."""
    if not isinstance(item, dict):
        raise PayloadError(f"post: expected an object, got {type(item).__name__}")
    ident = _int(item.get("id"), "id", required=True)
    post_type = _int(item.get("post_type"), "post_type") or 1
    if post_type not in PUBLIC_POST_TYPES or item.get("deleted_at") or item.get("hidden") is True:
        return None
    topic_id = _int(item.get("topic_id"), "topic_id", required=True)
    number = _int(item.get("post_number"), "post_number", required=True)
    parent = _int(item.get("reply_to_post_number"), "reply_to_post_number")
    category_id = _int(item.get("category_id"), "category_id")
    username = optional_str(item.get("username"), "username")
    if not username:
        raise PayloadError("username: missing")
    try:
        created = utc_iso(parse_iso(item.get("created_at")))
    except (TypeError, ValueError):
        raise PayloadError(f"created_at: bad timestamp {item.get('created_at')!r}") from None
    body = html_to_text(item.get("cooked"), "cooked")
    if not body:  # a post without rendered HTML (an old API, a webhook's payload) still has its Markdown
        body = (optional_str(item.get("raw"), "raw") or "").strip()
    title = optional_str(item.get("topic_title"), "topic_title") or ""
    text = f"{title}\n\n{body}".strip() if number == 1 and title and not body.startswith(title) else body
    slug = optional_str(item.get("topic_slug"), "topic_slug") or "-"
    category = (categories or {}).get(category_id or -1, {})
    tags = [t for t in (item.get("tags") or []) if isinstance(t, str) and t.strip()]
    tags += [t["name"] for t in (item.get("tags") or []) if isinstance(t, dict) and isinstance(t.get("name"), str)]
    user_id = _int(item.get("user_id"), "user_id")
    forum = {
        "software": "discourse",
        "site": site,
        "topic_id": topic_id,
        "topic_title": title,
        "post_number": number,
        "reply_to_post_number": parent,
        "category_id": category_id,
        "category": category.get("name", ""),
        "category_slug": category.get("slug", ""),
        "tags": tags,
        "accepted": item.get("accepted_answer") is True,
        "likes": likes(item),
    }
    return make_post(
        network=NETWORK,
        external_id=f"{site}:{ident}",
        created_at=created,
        text=text,
        author=make_author(
            external_id=f"{site}:{user_id}" if user_id is not None else None,
            handle=f"{username}@{site}",
            name=item.get("name") or item.get("display_username") or None,
        ),
        kind="post" if number == 1 else "reply",
        url=f"{base_url}/t/{slug}/{topic_id}/{number}",
        thread_id=f"{site}:t:{topic_id}",
        metrics={"likes": forum["likes"], "replies": item.get("reply_count"), "reads": item.get("reads")},
        raw={"forum": forum, "discourse": item},
    )
