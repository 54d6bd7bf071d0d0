"""Fake Graph API (Page/Instagram comment replies, Send API) and X API v2 (tweets, DMs) that record what was sent."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest

from .server import FakeServer, Request, Response, allow_loopback

GRAPH_TOKEN = "page-access-token"
X_TOKEN = "x-user-token"


class FakeGraph(FakeServer):
    """Accepts POST /{version}/{id}/comments, /{id}/replies and /{version}/me/messages with a Bearer token."""

    def __init__(self, *, token: str = GRAPH_TOKEN) -> None:
        super().__init__()
        self.token = token
        self.sent: list[dict[str, Any]] = []
        self._ids = itertools.count(1000)
        self.route("POST", r"/(?P<version>v\d+\.\d+)/me/messages", self._message)
        self.route("POST", r"/(?P<version>v\d+\.\d+)/(?P<object_id>[\w]+)/(?P<edge>comments|replies)", self._comment)

    def _check(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Response(
                400,
                {
                    "error": {
                        "message": "Invalid OAuth access token - Cannot parse access token",
                        "type": "OAuthException",
                        "code": 190,
                        "fbtrace_id": "AbCdEf",
                    }
                },
            )
        return None

    def _comment(self, request: Request, match: re.Match[str]) -> Response:
        if (denied := self._check(request)) is not None:
            return denied
        message = request.form().get("message")
        if not message:
            return Response(
                400,
                {
                    "error": {
                        "message": "(#100) Missing message",
                        "type": "OAuthException",
                        "code": 100,
                        "fbtrace_id": "AbCdEf",
                    }
                },
            )
        new_id = f"{match['object_id'].split('_')[0]}_{next(self._ids)}"
        self.sent.append({"kind": match["edge"], "object_id": match["object_id"], "message": message, "id": new_id})
        return Response(200, {"id": new_id})

    def _message(self, request: Request, match: re.Match[str]) -> Response:
        if (denied := self._check(request)) is not None:
            return denied
        body = request.json()
        recipient = (body.get("recipient") or {}).get("id")
        mid = f"m_{next(self._ids)}"
        self.sent.append(
            {
                "kind": "message",
                "recipient": recipient,
                "message": body.get("message"),
                "messaging_type": body.get("messaging_type"),
                "id": mid,
            }
        )
        return Response(200, {"recipient_id": recipient, "message_id": mid})


class FakeX(FakeServer):
    """Accepts POST /2/tweets and POST /2/dm_conversations/with/{id}/messages with a Bearer token."""

    def __init__(self, *, token: str = X_TOKEN) -> None:
        super().__init__()
        self.token = token
        self.sent: list[dict[str, Any]] = []
        self._ids = itertools.count(1850000000000000000)
        self.route("POST", r"/2/tweets", self._tweet)
        self.route("POST", r"/2/dm_conversations/with/(?P<participant>\d+)/messages", self._dm)

    def _check(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Response(
                401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
            )
        return None

    def _tweet(self, request: Request, match: re.Match[str]) -> Response:
        if (denied := self._check(request)) is not None:
            return denied
        body = request.json()
        if not body.get("text"):
            return Response(
                400,
                {
                    "errors": [{"message": "text is required"}],
                    "title": "Invalid Request",
                    "detail": "One or more parameters to your request was invalid.",
                    "type": "https://api.twitter.com/2/problems/invalid-request",
                },
            )
        tweet_id = str(next(self._ids))
        self.sent.append({"kind": "tweet", **body, "id": tweet_id})
        return Response(201, {"data": {"id": tweet_id, "text": body["text"], "edit_history_tweet_ids": [tweet_id]}})

    def _dm(self, request: Request, match: re.Match[str]) -> Response:
        if (denied := self._check(request)) is not None:
            return denied
        body = request.json()
        event_id = str(next(self._ids))
        self.sent.append({"kind": "dm", "participant": match["participant"], **body, "id": event_id})
        return Response(
            201, {"data": {"dm_conversation_id": f"{match['participant']}-2244994945", "dm_event_id": event_id}}
        )


@pytest.fixture
def fake_graph(settings) -> Iterator[FakeGraph]:
    """A running FakeGraph on 127.0.0.1."""
    allow_loopback(settings)
    with FakeGraph() as server:
        yield server


@pytest.fixture
def fake_x(settings) -> Iterator[FakeX]:
    """A running FakeX on 127.0.0.1."""
    allow_loopback(settings)
    with FakeX() as server:
        yield server
