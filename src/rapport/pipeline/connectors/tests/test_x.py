"""X Account Activity API: CRC, signatures and event normalisation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from rapport.pipeline.connectors.base import SignatureError
from rapport.pipeline.connectors.x.normalise import normalise_payload
from rapport.pipeline.connectors.x.webhook import crc_response, sign, verify_signature

from .conftest import load_fixture

SECRET = "consumer-secret-xyz"


def test_crc_matches_independent_hmac() -> None:
    token = "Y2hhbGxlbmdlLXRva2Vu"
    expected = base64.b64encode(hmac.new(SECRET.encode(), token.encode(), hashlib.sha256).digest()).decode()
    assert crc_response(token, consumer_secret=SECRET) == {"response_token": "sha256=" + expected}
    assert crc_response(token, consumer_secret="other") != crc_response(token, consumer_secret=SECRET)


def test_crc_needs_token() -> None:
    with pytest.raises(SignatureError):
        crc_response("", consumer_secret=SECRET)


def test_crc_answers_only_token_shaped_challenges() -> None:
    # X signs bodies with the consumer secret too: answering a JSON "token" would sign a forged event.
    for forged in ('{"tweet_create_events": []}', "a" * 129, "two words", "x\n"):
        with pytest.raises(SignatureError):
            crc_response(forged, consumer_secret=SECRET)


def test_signature_accept_and_reject() -> None:
    body = json.dumps(load_fixture("x", "tweet_create_events.json")).encode()
    good = sign(body, consumer_secret=SECRET)
    verify_signature(body, good, consumer_secret=SECRET)
    for bad_body, header in [(body, sign(body, consumer_secret="nope")), (body + b" ", good), (body, None), (body, "")]:
        with pytest.raises(SignatureError):
            verify_signature(bad_body, header, consumer_secret=SECRET)


def test_tweet_events() -> None:
    payload = load_fixture("x", "tweet_create_events.json")
    posts = normalise_payload(payload)
    assert len(posts) == 2  # the plain retweet carries no new words
    mention, reply = posts
    assert mention["kind"] == "mention" and mention["network"] == "twitter"
    assert mention["text"].endswith("kept the receipt.")  # full text of the extended tweet
    assert mention["author"] == {
        "external_id": "6253282",
        "handle": "priyaraman",
        "name": "Priya Raman",
        "followers": 1843,
    }
    assert mention["created_at"] == "2018-10-10T20:19:24Z"
    assert mention["metrics"] == {"likes": 5, "reposts": 2, "replies": 0, "quotes": 0}
    assert mention["url"] == "https://twitter.com/priyaraman/status/1050118621198921728"
    assert reply["kind"] == "reply" and reply["in_reply_to"] == mention["external_id"]
    assert reply["author"]["followers"] == 58210


def test_tweet_without_mention_of_subscriber_is_a_post() -> None:
    payload = load_fixture("x", "tweet_create_events.json")
    payload["for_user_id"] = "1"
    assert normalise_payload(payload)[0]["kind"] == "post"


def test_direct_message_events_use_users_map() -> None:
    (dm,) = normalise_payload(load_fixture("x", "direct_message_events.json"))
    assert dm["kind"] == "direct_message"
    assert dm["text"] == "Order number is AC-88231, thanks!"
    assert dm["author"]["handle"] == "priyaraman" and dm["author"]["followers"] == 1843
    assert dm["created_at"] == "2018-10-10T20:35:00.557Z"
    assert dm["thread_id"] == "6253282"


def test_favorite_events_are_ignored() -> None:
    assert normalise_payload(load_fixture("x", "favorite_events.json")) == []
