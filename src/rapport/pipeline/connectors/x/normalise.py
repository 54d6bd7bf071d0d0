"""Pure mapping of X Account Activity API events (v1.1 tweet and DM objects) to Rapport posts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..base import (
    PayloadError,
    Post,
    in_range,
    iso_from_epoch,
    make_author,
    make_post,
    obj,
    objects,
    tweet_text,
    utc_iso,
)

NETWORK = "twitter"
_V1_TIME = "%a %b %d %H:%M:%S %z %Y"


def normalise_payload(payload: dict[str, Any]) -> list[Post]:
    """Turn one Account Activity body into posts; likes, follows and typing events give none."""
    if not isinstance(payload, dict):
        raise PayloadError("body: expected a JSON object")
    for_user = str(payload.get("for_user_id") or "")
    tweets = objects(payload.get("tweet_create_events"), "tweet_create_events")
    posts = [p for p in (tweet_to_post(t, for_user_id=for_user) for t in tweets) if p]
    users = obj(payload.get("users"), "users")
    for event in objects(payload.get("direct_message_events"), "direct_message_events"):
        post = dm_event_to_post(event, users=users, for_user_id=for_user)
        if post:
            posts.append(post)
    return posts


def tweet_to_post(tweet: dict[str, Any], *, for_user_id: str = "") -> Post | None:
    """Map a v1.1 tweet object to a post; plain retweets carry no new words and give None."""
    if tweet.get("retweeted_status"):
        return None
    tweet_id = tweet.get("id_str") or tweet.get("id")
    user = obj(tweet.get("user"), "user")
    if not tweet_id or not user:
        raise PayloadError("id_str: tweet without id or user")
    try:
        created = utc_iso(in_range(datetime.strptime(tweet["created_at"], _V1_TIME)))
    except (KeyError, TypeError, ValueError, OverflowError):
        raise PayloadError(f"created_at: bad tweet timestamp {tweet.get('created_at')!r}") from None
    extended = obj(tweet.get("extended_tweet"), "extended_tweet")
    text = extended.get("full_text") or tweet.get("full_text") or tweet.get("text") or ""
    if not isinstance(text, str):
        raise PayloadError(f"text: expected a string, got {type(text).__name__}")
    text = tweet_text(text)
    parent = tweet.get("in_reply_to_status_id_str") or tweet.get("in_reply_to_status_id")
    entities = obj(extended.get("entities") or tweet.get("entities"), "entities")
    mentions = objects(entities.get("user_mentions"), "entities.user_mentions")
    mentioned = bool(for_user_id) and any(m.get("id_str") == for_user_id for m in mentions)
    from_self = str(user.get("id_str") or user.get("id")) == for_user_id
    kind = "reply" if parent else ("mention" if mentioned and not from_self else "post")
    handle = user.get("screen_name")
    return make_post(
        network=NETWORK,
        external_id=tweet_id,
        created_at=created,
        text=text,
        author=make_author(
            external_id=user.get("id_str") or user.get("id"),
            handle=handle,
            name=user.get("name"),
            followers=user.get("followers_count"),
        ),
        kind=kind,
        in_reply_to=parent,
        url=f"https://twitter.com/{handle}/status/{tweet_id}" if handle else None,
        metrics={
            "likes": tweet.get("favorite_count"),
            "reposts": tweet.get("retweet_count"),
            "replies": tweet.get("reply_count"),
            "quotes": tweet.get("quote_count"),
        },
        raw=tweet,
    )


def dm_event_to_post(event: dict[str, Any], *, users: dict[str, Any], for_user_id: str = "") -> Post | None:
    """Map a direct_message_events item (type message_create) to a direct message post."""
    if event.get("type") != "message_create":
        return None
    create = obj(event.get("message_create"), "message_create")
    sender_id = str(create.get("sender_id") or "")
    recipient_id = str(obj(create.get("target"), "message_create.target").get("recipient_id") or "")
    if not event.get("id") or not sender_id:
        raise PayloadError("id: direct message without id or sender")
    try:
        created = iso_from_epoch(int(event["created_timestamp"]) / 1000)
    except (KeyError, ValueError, TypeError, OverflowError):
        raise PayloadError(f"created_timestamp: bad value {event.get('created_timestamp')!r}") from None
    user = obj(users.get(sender_id), f"users.{sender_id}")
    # The conversation belongs to whoever is not the subscribed account.
    other = recipient_id if sender_id == for_user_id else sender_id
    return make_post(
        network=NETWORK,
        external_id=event["id"],
        created_at=created,
        text=obj(create.get("message_data"), "message_create.message_data").get("text"),
        author=make_author(
            external_id=sender_id,
            handle=user.get("screen_name"),
            name=user.get("name"),
            followers=user.get("followers_count"),
        ),
        kind="direct_message",
        thread_id=other,
        raw=event,
    )
