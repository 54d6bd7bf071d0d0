"""Meta webhooks: handshake, X-Hub-Signature-256, and normalisation of Page, Messenger and Instagram payloads."""

from __future__ import annotations

import json

import pytest

from rapport.pipeline.connectors.base import PayloadError, SignatureError
from rapport.pipeline.connectors.meta import MetaConnector
from rapport.pipeline.connectors.meta.normalise import normalise_payload, removed_ids
from rapport.pipeline.connectors.meta.webhook import sign, verify_handshake, verify_signature

from .conftest import load_fixture

SECRET = "app-secret-123"


def test_handshake_returns_challenge() -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "tok", "hub.challenge": "1158201444"}
    assert verify_handshake(params, verify_token="tok") == "1158201444"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "tok", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": "tok"},
    ],
)
def test_handshake_rejects(params: dict[str, str]) -> None:
    with pytest.raises(SignatureError):
        verify_handshake(params, verify_token="tok")


def test_signature_accepts_exact_body() -> None:
    body = json.dumps(load_fixture("meta", "page_feed_comment.json")).encode()
    header = sign(body, app_secret=SECRET)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    verify_signature(body, header, app_secret=SECRET)


@pytest.mark.parametrize("case", ["wrong_secret", "tampered", "missing", "no_prefix"])
def test_signature_rejects(case: str) -> None:
    body = b'{"object":"page","entry":[]}'
    header: str | None = sign(body, app_secret=SECRET)
    if case == "wrong_secret":
        header = sign(body, app_secret="other")
    elif case == "tampered":
        body = body.replace(b"page", b"paqe")
    elif case == "missing":
        header = None
    else:
        header = header.removeprefix("sha256=")
    with pytest.raises(SignatureError):
        verify_signature(body, header, app_secret=SECRET)


def test_feed_comments_and_removal() -> None:
    payload = load_fixture("meta", "page_feed_comment.json")
    posts = normalise_payload(payload)
    assert [p["external_id"] for p in posts] == ["486527713573555_1135402227366470", "486527713573555_663307208952113"]
    customer, brand = posts
    assert customer["kind"] == "comment" and customer["network"] == "facebook"
    assert customer["author"] == {
        "external_id": "5878461462177358",
        "handle": None,
        "name": "Maria Lopez",
        "followers": None,
    }
    assert customer["created_at"] == "2022-11-15T17:04:12Z"
    assert customer["in_reply_to"] == "104417185563498_486527713573555"
    assert customer["thread_id"] == "104417185563498_486527713573555"
    assert customer["url"].startswith("https://www.facebook.com/")
    assert brand["in_reply_to"] == customer["external_id"]
    assert customer["raw"] is payload["entry"][0]["changes"][0]["value"]
    assert removed_ids(payload) == ["486527713573555_1135402227366999"]


def test_feed_posts_skip_reactions_and_keep_edits() -> None:
    posts = normalise_payload(load_fixture("meta", "page_feed_post.json"))
    assert [p["kind"] for p in posts] == ["post", "post"]
    assert posts[1]["text"].endswith("Need it by June.")
    assert posts[0]["external_id"] == posts[1]["external_id"] == "104417185563498_487012220191771"


def test_messenger_messages_and_echoes() -> None:
    posts = normalise_payload(load_fixture("meta", "messenger_message.json"))
    assert len(posts) == 2  # the delivery receipt is not a message
    incoming, echo = posts
    assert incoming["kind"] == "direct_message" and incoming["text"] == "Hi, my order #4471 never arrived"
    assert incoming["author"]["external_id"] == "6039183729473629"
    assert incoming["created_at"] == "2022-11-16T14:46:39.876Z"
    assert echo["author"]["external_id"] == "104417185563498"
    assert incoming["thread_id"] == echo["thread_id"] == "6039183729473629"
    assert echo["in_reply_to"] == incoming["external_id"]


def test_instagram_comments_mentions_messages() -> None:
    comments = normalise_payload(load_fixture("meta", "instagram_comment.json"))
    assert [c["network"] for c in comments] == ["instagram", "instagram"]
    assert comments[0]["author"]["handle"] == "trail_runner_jo"
    assert comments[0]["in_reply_to"] == "17920238422030506"  # top-level comment answers the media
    assert comments[1]["in_reply_to"] == "17865799348089039"
    assert comments[0]["created_at"] == "2019-09-23T18:14:46.134Z"
    (mention,) = normalise_payload(load_fixture("meta", "instagram_mention.json"))
    assert mention["kind"] == "mention" and mention["external_id"] == "17894227972186120" and mention["text"] == ""
    assert mention["created_at"] == "2019-09-23T18:14:50Z"
    (dm,) = normalise_payload(load_fixture("meta", "instagram_message.json"))
    assert dm["kind"] == "direct_message" and dm["network"] == "instagram"


@pytest.mark.parametrize("payload", [{"object": "user", "entry": []}, {"object": "page"}, []])
def test_unsupported_payloads(payload: object) -> None:
    with pytest.raises(PayloadError):
        normalise_payload(payload)  # type: ignore[arg-type]


def test_connector_class_exposes_the_functions() -> None:
    assert MetaConnector.normalise is normalise_payload
    assert "webhook" in MetaConnector.capabilities
