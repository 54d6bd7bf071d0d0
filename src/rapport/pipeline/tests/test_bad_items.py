"""POST /api/v1/posts: a bad item is rejected naming its field and dead-lettered; the good items beside it are kept."""

from __future__ import annotations

import pytest

from rapport.listening.models import Post
from rapport.pipeline.models import DeadLetter

pytestmark = pytest.mark.django_db
GOOD = {
    "network": "twitter",
    "external_id": "1",
    "created_at": "2024-01-01T00:00:00Z",
    "text": "Great service today",
    "author": {"handle": "ann"},
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": 5}, "url"),
        ({"url": {"href": "x"}}, "url"),
        ({"author": {"handle": 5}}, "author.handle"),
        ({"author": {"handle": "a", "name": ["x"]}}, "author.name"),
        ({"author": {"external_id": {"id": 1}}}, "author.external_id"),
        ({"author": {"handle": "a", "followers": 10**30}}, "author.followers"),
        ({"created_at": "9999-12-31T23:59:59-12:00"}, "created_at"),
        ({"created_at": "0001-01-01T00:00:00+01:00"}, "created_at"),
        ({"created_at": "1000-01-01T00:00:00Z"}, "created_at"),
        ({"text": "\ud800"}, "text"),
        ({"text": "a\x00b"}, "text"),
        ({"network": "x\ud800"}, "network"),
        ({"author": {"handle": "\udfff"}}, "author.handle"),
        ({"raw": {"a": "\ud800"}}, "raw.a"),
        ({"raw": {"a": float("inf")}}, "raw.a"),
        ({"kind": ["post"]}, "kind"),
        ({"in_reply_to": [1]}, "in_reply_to"),
        ({"thread_id": {"a": 1}}, "thread_id"),
    ],
)
def test_a_bad_item_is_rejected_naming_the_field_and_the_good_one_is_stored(api, change, field):
    api.client.raise_request_exception = False
    bad = {**GOOD, "external_id": "2", **change}
    r = api.post("/posts", [GOOD, bad])
    assert r.status_code == 200, r.content
    data = r.json()
    assert data["stored"] == 1 and data["rejected"] == 1
    rejected = data["items"][1]
    assert rejected["status"] == "rejected" and rejected["reason"].startswith(f"{field}:"), rejected
    assert Post.objects.get().external_id == "1"
    letter = DeadLetter.objects.get(pk=rejected["dead_letter_id"])
    assert letter.reason == rejected["reason"] and letter.source == "api:item 1"


def test_counts_out_of_range_are_dropped_not_fatal(api):
    item = {**GOOD, "metrics": {"likes": "inf", "reposts": "12", "replies": "2.5", "quotes": -3, "views": 10**30}}
    r = api.post("/posts", [item])
    assert r.status_code == 200 and r.json()["stored"] == 1
    assert Post.objects.get().metrics == {"reposts": 12, "replies": 2}
