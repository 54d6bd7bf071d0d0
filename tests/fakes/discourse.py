"""A fake Discourse forum: /posts.json (newest first, 50 a page, `before=` paging), /categories.json, /posts/{id}.json
and POST /posts.json, answering with the payload shapes of the real API (taken from the connector's fixtures)."""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from .server import FakeServer, Request, Response, allow_loopback

API_KEY = "discourse-test-api-key"
API_USERNAME = "acme_support"
PAGE = 50  # Discourse's page of latest posts
_FIXTURES = Path(__file__).resolve().parents[2] / "src/rapport/pipeline/connectors/discourse/fixtures"
_START = datetime(2024, 11, 18, 9, 0, tzinfo=UTC)


def fixture(name: str) -> Any:
    return json.loads((_FIXTURES / name).read_text("utf-8"))


class FakeDiscourse(FakeServer):
    """Holds posts oldest-first; `add_post` copies the shape of a real latest_posts entry."""

    def __init__(self, *, api_key: str = API_KEY, public: bool = True) -> None:
        super().__init__()
        self.api_key = api_key
        self.public = public
        self.posts: list[dict[str, Any]] = []
        self.created: list[dict[str, Any]] = []
        self._ids = itertools.count(48300)
        self._template = fixture("latest_posts.json")["latest_posts"][0]
        self.route("GET", r"/posts\.json", self._latest)
        self.route("GET", r"/categories\.json", self._categories)
        self.route("GET", r"/posts/(?P<id>\d+)\.json", self._post)
        self.route("POST", r"/posts\.json", self._create)

    def add_post(
        self,
        text: str,
        *,
        username: str = "kohlmark",
        user_id: int = 1187,
        topic_id: int = 9921,
        post_number: int | None = None,
        category_id: int = 12,
        accepted: bool = False,
        likes: int = 0,
        **extra: Any,
    ) -> dict[str, Any]:
        ident = next(self._ids)
        number = post_number or 1 + sum(p["topic_id"] == topic_id for p in self.posts)
        post = copy.deepcopy(self._template)
        created = _START + timedelta(minutes=len(self.posts))
        post.update(
            id=ident,
            username=username,
            name=username.title(),
            user_id=user_id,
            created_at=created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            cooked=f"<p>{text}</p>",
            raw=text,
            topic_id=topic_id,
            post_number=number,
            reply_to_post_number=1 if number > 1 else None,
            category_id=category_id,
            accepted_answer=accepted,
            actions_summary=[{"id": 2, "count": likes}] if likes else [],
            **extra,
        )
        self.posts.append(post)
        return post

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("api-key") == self.api_key and request.headers.get("api-username") == API_USERNAME

    def _latest(self, request: Request, match: re.Match[str]) -> Response:
        if not self.public and not self._authorised(request):
            return Response(
                403,
                {"errors": ["You are not permitted to view the requested resource."], "error_type": "invalid_access"},
            )
        before = int(request.arg("before") or 0)
        items = [p for p in self.posts if not before or p["id"] < before]
        return Response(200, {"latest_posts": list(reversed(items))[:PAGE]})

    def _categories(self, request: Request, match: re.Match[str]) -> Response:
        return Response(200, fixture("categories.json"))

    def _post(self, request: Request, match: re.Match[str]) -> Response:
        for post in self.posts:
            if post["id"] == int(match["id"]):
                return Response(200, post)
        return Response(
            404, {"errors": ["The requested URL or resource could not be found."], "error_type": "not_found"}
        )

    def _create(self, request: Request, match: re.Match[str]) -> Response:
        if not self._authorised(request):
            return Response(
                403,
                {"errors": ["You are not permitted to view the requested resource."], "error_type": "invalid_access"},
            )
        body = request.json()
        if len((body.get("raw") or "").strip()) < 20:
            return Response(422, {"action": "create_post", "errors": ["Body is too short (minimum is 20 characters)"]})
        self.created.append(body)
        answer = fixture("created_post.json")
        answer.update(
            id=next(self._ids),
            topic_id=body["topic_id"],
            reply_to_post_number=body.get("reply_to_post_number"),
            cooked=f"<p>{body['raw']}</p>",
        )
        return Response(200, answer)


@pytest.fixture
def fake_discourse(settings) -> Iterator[FakeDiscourse]:
    """A running FakeDiscourse on 127.0.0.1."""
    allow_loopback(settings)
    with FakeDiscourse() as server:
        yield server
