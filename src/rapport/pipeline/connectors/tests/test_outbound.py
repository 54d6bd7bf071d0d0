"""Outbound replies recorded by the fake Mastodon, Graph and X servers, with typed retryable errors."""

from __future__ import annotations

import pytest
from tests.fakes.mastodon import TOKEN, FakeMastodon
from tests.fakes.outbound import GRAPH_TOKEN, X_TOKEN, FakeGraph, FakeX

from rapport.pipeline.connectors.base import ConnectorError
from rapport.pipeline.connectors.mastodon import MastodonClient
from rapport.pipeline.connectors.meta import MetaClient
from rapport.pipeline.connectors.x import XClient


def test_mastodon_reply_is_idempotent(fake_mastodon: FakeMastodon, waits: list[float]) -> None:
    parent = fake_mastodon.add_status("@acmeoutdoor refund?")
    client = MastodonClient(base_url=fake_mastodon.url, access_token=TOKEN, sleep=waits.append)
    new_id = client.send_reply(text="@kaja looking into it", in_reply_to=parent["id"], idempotency_key="k1")
    again = client.send_reply(text="@kaja looking into it", in_reply_to=parent["id"], idempotency_key="k1")
    assert new_id == again
    assert fake_mastodon.posted == [{"status": "@kaja looking into it", "in_reply_to_id": parent["id"]}]
    client.send_reply(text="@kaja details?", in_reply_to=parent["id"], kind="direct_message")
    assert fake_mastodon.posted[-1]["visibility"] == "direct"


def test_mastodon_validation_error_is_not_retryable(fake_mastodon: FakeMastodon, waits: list[float]) -> None:
    client = MastodonClient(base_url=fake_mastodon.url, access_token=TOKEN, sleep=waits.append)
    with pytest.raises(ConnectorError) as err:
        client.send_reply(text="", in_reply_to="1")
    assert err.value.status == 422 and err.value.retryable is False and waits == []


def test_graph_comment_reply_and_message(fake_graph: FakeGraph, waits: list[float]) -> None:
    client = MetaClient(access_token=GRAPH_TOKEN, base_url=fake_graph.url, sleep=waits.append)
    comment_id = client.send_reply(text="Sorry Maria!", in_reply_to="486527713573555_1135402227366470")
    message_id = client.send_reply(
        text="Can you share the order email?", in_reply_to="6039183729473629", kind="direct_message"
    )
    ig_id = client.send_reply(text="DM us", in_reply_to="17865799348089039", network="instagram")
    assert [s["id"] for s in fake_graph.sent] == [comment_id, message_id, ig_id]
    assert fake_graph.sent[0] == {
        "kind": "comments",
        "object_id": "486527713573555_1135402227366470",
        "message": "Sorry Maria!",
        "id": comment_id,
    }
    assert fake_graph.sent[1]["recipient"] == "6039183729473629"
    assert fake_graph.sent[1]["message"] == {"text": "Can you share the order email?"}
    assert fake_graph.sent[1]["messaging_type"] == "RESPONSE"
    assert fake_graph.sent[2]["kind"] == "replies"
    assert fake_graph.requests[0].path == "/v21.0/486527713573555_1135402227366470/comments"


def test_graph_errors_are_typed(fake_graph: FakeGraph, waits: list[float]) -> None:
    bad = MetaClient(access_token="expired", base_url=fake_graph.url, sleep=waits.append)
    with pytest.raises(ConnectorError) as err:
        bad.send_reply(text="hi", in_reply_to="1_2")
    assert err.value.retryable is False and err.value.status == 400
    # Graph throttling arrives as HTTP 400 with code 4; it must count as retryable.
    fake_graph.fail(500, times=4)
    client = MetaClient(access_token=GRAPH_TOKEN, base_url=fake_graph.url, sleep=waits.append)
    with pytest.raises(ConnectorError) as err:
        client.send_reply(text="hi", in_reply_to="1_2")
    assert err.value.retryable is True and fake_graph.sent == []


def test_graph_throttle_code_is_retryable(fake_graph: FakeGraph, waits: list[float]) -> None:
    import httpx

    from rapport.pipeline.connectors.meta.client import is_retryable

    throttled = httpx.Response(400, json={"error": {"message": "(#4) Application request limit reached", "code": 4}})
    bad_token = httpx.Response(400, json={"error": {"message": "Invalid OAuth access token", "code": 190}})
    assert is_retryable(throttled) and not is_retryable(bad_token)


def test_x_reply_and_dm(fake_x: FakeX, waits: list[float]) -> None:
    client = XClient(access_token=X_TOKEN, base_url=fake_x.url, sleep=waits.append)
    tweet_id = client.send_reply(text="@priyaraman DM us!", in_reply_to="1050118621198921728")
    dm_id = client.send_reply(text="Replacement on its way", in_reply_to="6253282", kind="direct_message")
    assert fake_x.sent[0] == {
        "kind": "tweet",
        "text": "@priyaraman DM us!",
        "reply": {"in_reply_to_tweet_id": "1050118621198921728"},
        "id": tweet_id,
    }
    assert fake_x.sent[1]["participant"] == "6253282" and fake_x.sent[1]["id"] == dm_id


def test_x_rate_limit_then_success(fake_x: FakeX, waits: list[float]) -> None:
    fake_x.fail(429, times=1, headers={"Retry-After": "2"})
    client = XClient(access_token=X_TOKEN, base_url=fake_x.url, sleep=waits.append)
    client.send_reply(text="hi", in_reply_to="1")
    assert waits == [2.0] and len(fake_x.sent) == 1


def test_x_bad_token_is_not_retryable(fake_x: FakeX, waits: list[float]) -> None:
    with pytest.raises(ConnectorError) as err:
        XClient(access_token="nope", base_url=fake_x.url, sleep=waits.append).send_reply(text="hi", in_reply_to="1")
    assert err.value.status == 401 and err.value.retryable is False


def test_unreachable_server_is_retryable(waits: list[float], settings) -> None:
    import socket

    from tests.fakes.server import allow_loopback

    allow_loopback(settings)

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        client = XClient(access_token=X_TOKEN, base_url=f"http://127.0.0.1:{port}", sleep=waits.append, max_retries=1)
        with pytest.raises(ConnectorError) as err:
            client.send_reply(text="hi", in_reply_to="1")
    assert err.value.retryable is True and waits == [0.5]
