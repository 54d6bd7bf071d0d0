"""Property tests of every connector's parser: whatever arrives, it returns storable posts or raises PayloadError.

Seeds are the real payload fixtures, mutated node by node (hostile JSON values, dropped keys) or byte by byte.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..base import PayloadError
from ..bluesky.normalise import notification_to_post as bluesky_notification
from ..bluesky.normalise import post_view_to_post
from ..email.normalise import message_to_post
from ..files.normalise import AIRLINE_COLUMNS, TWCS_COLUMNS, airline_row_to_post, jsonl_to_post, twcs_row_to_post
from ..generic.normalise import normalise_body
from ..mastodon.normalise import notification_to_post as mastodon_notification
from ..mastodon.normalise import status_to_post
from ..meta.normalise import normalise_payload as meta_payload
from ..meta.normalise import removed_ids
from ..rss.normalise import entry_to_post, parse_feed
from ..x.normalise import normalise_payload as x_payload
from .conftest import CONNECTORS_DIR, load_fixture
from .properties import NASTY_STRINGS, assert_storable, json_values, mutated, mutated_bytes

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def fixtures(network: str, *names: str) -> list:
    return [load_fixture(network, name) for name in names]


def outcome(parse, value) -> list:
    """Run a parser; its posts (checked storable), or [] when it refused with PayloadError."""
    try:
        result = parse(value)
    except PayloadError:
        return []
    posts = result if isinstance(result, list) else [result]
    for post in posts:
        if post is not None:
            assert_storable(post)
    return posts


GENERIC = load_fixture("generic", "posts.json")
META = fixtures(
    "meta",
    "instagram_comment.json",
    "instagram_mention.json",
    "instagram_message.json",
    "messenger_message.json",
    "page_feed_comment.json",
    "page_feed_post.json",
)
X = fixtures("x", "direct_message_events.json", "favorite_events.json", "tweet_create_events.json")
MASTODON_STATUS = load_fixture("mastodon", "status.json")
MASTODON_NOTIFICATION = load_fixture("mastodon", "notification_mention.json")
BLUESKY_POSTS = load_fixture("bluesky", "search_posts.json")["posts"]
BLUESKY_NOTIFICATIONS = load_fixture("bluesky", "list_notifications.json")["notifications"]
FEEDS = [(CONNECTORS_DIR / "rss" / "fixtures" / name).read_bytes() for name in ("blog_atom.xml", "reviews_rss2.xml")]
EMAIL = (CONNECTORS_DIR / "email" / "fixtures" / "reply.eml").read_bytes()


def test_the_seeds_themselves_give_posts() -> None:
    assert len(normalise_body(json.dumps(GENERIC).encode())[0]) == len(GENERIC)
    assert all(outcome(meta_payload, f) for f in META) and outcome(x_payload, X[2])
    assert outcome(status_to_post, MASTODON_STATUS) and outcome(message_to_post, EMAIL)
    assert all(outcome(post_view_to_post, v) for v in BLUESKY_POSTS)


@FAST
@given(st.one_of(mutated(GENERIC), mutated(GENERIC[0]), json_values))
def test_generic_webhook_bodies(body) -> None:
    raw = json.dumps(body).encode()
    try:
        posts, rejections = normalise_body(raw)
    except PayloadError:
        return
    for post in posts:
        assert_storable(post)
    for rejection in rejections:
        assert rejection.reason.split(":")[0] and rejection.raw.encode("utf-8")


@FAST
@given(st.one_of(st.binary(max_size=50), mutated_bytes(json.dumps(GENERIC).encode())))
def test_generic_webhook_raw_bytes(raw) -> None:
    try:
        posts, _ = normalise_body(raw)
    except PayloadError:
        return
    for post in posts:
        assert_storable(post)


@FAST
@given(st.one_of(mutated(GENERIC[0]), mutated(GENERIC[1]), json_values))
def test_jsonl_records(record) -> None:
    outcome(jsonl_to_post, record)


@FAST
@given(st.sampled_from(META).flatmap(mutated))
def test_meta_payloads(payload) -> None:
    outcome(meta_payload, payload)
    try:
        ids = removed_ids(payload)
    except PayloadError:
        return
    assert all(isinstance(i, str) for i in ids)


@FAST
@given(st.sampled_from(X).flatmap(mutated))
def test_x_payloads(payload) -> None:
    outcome(x_payload, payload)


@FAST
@given(st.one_of(mutated(MASTODON_STATUS), json_values))
def test_mastodon_statuses(status) -> None:
    outcome(status_to_post, status)


@FAST
@given(st.one_of(mutated(MASTODON_NOTIFICATION), json_values))
def test_mastodon_notifications(notification) -> None:
    outcome(mastodon_notification, notification)


@FAST
@given(st.sampled_from(BLUESKY_POSTS).flatmap(mutated))
def test_bluesky_post_views(view) -> None:
    outcome(post_view_to_post, view)


@FAST
@given(st.one_of(st.sampled_from(BLUESKY_NOTIFICATIONS).flatmap(mutated), json_values))
def test_bluesky_notifications(notification) -> None:
    outcome(bluesky_notification, notification)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FEEDS).flatmap(mutated_bytes))
def test_feeds(document) -> None:
    try:
        parsed = parse_feed(document)
    except PayloadError:
        return
    for entry in parsed.entries:
        outcome(lambda e: entry_to_post(e, feed_url="https://blog.example/feed", feed_title=None), entry)


@FAST
@given(st.one_of(mutated_bytes(EMAIL), st.binary(max_size=80)))
def test_raw_email(raw) -> None:
    outcome(message_to_post, raw)


@FAST
@given(st.sampled_from(NASTY_STRINGS).flatmap(lambda s: st.just(s)), st.sampled_from(["Date", "From", "Message-ID"]))
def test_email_headers(value, header) -> None:
    lines = EMAIL.decode("utf-8").splitlines(keepends=True)
    swapped = [f"{header}: {value}\n" if line.startswith(f"{header}:") else line for line in lines]
    outcome(message_to_post, "".join(swapped).encode("utf-8", "surrogatepass"))


row_values = st.one_of(st.sampled_from(NASTY_STRINGS), st.text(max_size=8), st.just("123"), st.just("True"))


@FAST
@given(st.fixed_dictionaries({c: row_values for c in AIRLINE_COLUMNS}))
def test_airline_csv_rows(row) -> None:
    outcome(airline_row_to_post, row)


@FAST
@given(st.fixed_dictionaries({c: row_values for c in TWCS_COLUMNS}))
def test_twcs_csv_rows(row) -> None:
    outcome(twcs_row_to_post, row)


@pytest.mark.parametrize(
    "document",
    [b'<?xml version="1.0" encoding="\x80"?><rss/>', b'<?xml version="1.0" encoding="utf-8\x00"?><rss/>'],
)
def test_a_feed_whose_encoding_declaration_is_mangled_is_refused(document) -> None:
    with pytest.raises(PayloadError, match="not a readable feed"):
        parse_feed(document)
