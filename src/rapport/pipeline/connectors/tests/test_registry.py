"""The connector registry and the shared base helpers."""

from __future__ import annotations

import pytest

from rapport.pipeline.connectors.base import (
    Connector,
    PayloadError,
    SignatureError,
    html_to_text,
    make_post,
    parse_iso,
    utc_iso,
)
from rapport.pipeline.connectors.registry import (
    CONNECTORS,
    get_connector,
    webhook,
    webhook_names,
    webhook_networks,
    with_capability,
)


def test_every_connector_satisfies_the_protocol() -> None:
    for name, cls in CONNECTORS.items():
        assert isinstance(cls.network, str) and cls.capabilities, name
        assert isinstance(cls, Connector)


def test_lookup_and_capabilities() -> None:
    assert get_connector("mastodon").network == "mastodon"
    assert set(with_capability("poll")) == {"rss", "mastodon", "bluesky", "discourse"}
    assert set(with_capability("reply")) == {"mastodon", "bluesky", "meta", "x", "discourse"}
    assert set(with_capability("webhook")) == {"meta", "x", "generic"}
    with pytest.raises(KeyError, match="known"):
        get_connector("myspace")


def test_timestamps() -> None:
    assert utc_iso(parse_iso("2024-01-01T01:00:00+01:00")) == "2024-01-01T00:00:00Z"
    with pytest.raises(ValueError):
        parse_iso("2024-01-01T01:00:00")


def test_html_to_text_handles_attributes_with_brackets() -> None:
    assert html_to_text('<p>a <a href="x>y">b</a> &lt;3</p><p>c<br/>d</p>') == "a b <3\nc\nd"


def test_make_post_rejects_unknown_kind() -> None:
    author = {"external_id": "1", "handle": None, "name": None, "followers": None}
    with pytest.raises(ValueError):
        make_post(network="n", external_id=1, created_at="2024-01-01T00:00:00Z", text="t", author=author, kind="x")


def test_every_declared_webhook_refuses_unsigned_requests_and_unreadable_bodies() -> None:
    for name in webhook_names():
        hook = webhook(webhook_networks(name)[0])
        assert hook is not None and hook.name == name and hook.replay_window > 0
        with pytest.raises(SignatureError):
            hook.verify(b"{}", {}, {})
        with pytest.raises(PayloadError):
            hook.parse(b"{not json")
    assert {n: webhook(webhook_networks(n)[0]).methods for n in webhook_names()} == {
        "email": ("POST",),
        "generic": ("POST",),
        "meta": ("GET", "POST"),
        "x": ("GET", "POST"),
    }
