"""Generic signed webhook: signature over "timestamp.body", replay window and body parsing."""

from __future__ import annotations

import json
import time

import pytest

from rapport.pipeline.connectors.base import PayloadError, SignatureError
from rapport.pipeline.connectors.generic.normalise import normalise_body
from rapport.pipeline.connectors.generic.webhook import sign, verify_signature

from .conftest import CONNECTORS_DIR

SECRET = "generic-secret"
BODY = (CONNECTORS_DIR / "generic" / "fixtures" / "posts.json").read_bytes()


def test_fresh_signed_request_is_accepted() -> None:
    now = int(time.time())
    verify_signature(BODY, sign(BODY, timestamp=now, secret=SECRET), str(now), secret=SECRET)


@pytest.mark.parametrize(
    "case", ["wrong_secret", "tampered", "missing_sig", "missing_ts", "stale", "future", "ts_swapped", "garbage_ts"]
)
def test_bad_requests_are_rejected(case: str) -> None:
    now = 1_700_000_000
    body, ts = BODY, str(now)
    sig: str | None = sign(body, timestamp=now, secret=SECRET)
    if case == "wrong_secret":
        sig = sign(body, timestamp=now, secret="other")
    elif case == "tampered":
        body = body.replace(b"three weeks", b"two days")
    elif case == "missing_sig":
        sig = None
    elif case == "missing_ts":
        ts = ""
    elif case == "stale":
        ts = str(now - 301)
        sig = sign(body, timestamp=ts, secret=SECRET)
    elif case == "future":
        ts = str(now + 301)
        sig = sign(body, timestamp=ts, secret=SECRET)
    elif case == "ts_swapped":
        ts = str(now - 10)  # the signature was made for another timestamp
    else:
        ts = "yesterday"
    with pytest.raises(SignatureError):
        verify_signature(body, sig, ts, secret=SECRET, now=now)


def test_just_inside_window_is_accepted() -> None:
    now = 1_700_000_000
    ts = now - 299
    verify_signature(BODY, sign(BODY, timestamp=ts, secret=SECRET), str(ts), secret=SECRET, now=now)


def test_body_list_and_single_object() -> None:
    posts, rejects = normalise_body(BODY)
    assert rejects == []
    assert [p["network"] for p in posts] == ["trustpilot", "forum"]
    assert posts[0]["created_at"] == "2025-03-02T08:15:00Z"
    assert posts[1]["kind"] == "reply" and posts[1]["thread_id"] == "t-9912"
    single, _ = normalise_body(json.dumps(json.loads(BODY)[1]).encode())
    assert single == posts[1:]


def test_bad_items_are_reported_not_fatal() -> None:
    items = json.loads(BODY) + [{"network": "forum", "text": "no id"}]
    posts, rejects = normalise_body(json.dumps(items).encode())
    assert len(posts) == 2 and rejects[0].line == 3 and rejects[0].reason.startswith("external_id")


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b""])
def test_unreadable_body(body: bytes) -> None:
    with pytest.raises(PayloadError):
        normalise_body(body)
