"""A fake Mastodon instance: tag/public timelines, notifications, statuses; Bearer auth and Link-header paging."""

from __future__ import annotations

import itertools
import re
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from .server import FakeServer, Request, Response, allow_loopback

TOKEN = "mastodon-test-token"
_START = datetime(2024, 11, 14, 9, 0, tzinfo=UTC)


def _key(ident: str) -> tuple[int, str]:
    return (len(ident), ident)


class FakeMastodon(FakeServer):
    """Holds statuses and notifications newest-last; pages them the way Mastodon does."""

    def __init__(self, *, token: str = TOKEN, require_auth_for_timelines: bool = False) -> None:
        super().__init__()
        self.token = token
        self.require_auth_for_timelines = require_auth_for_timelines
        self.statuses: list[dict[str, Any]] = []
        self.notifications: list[dict[str, Any]] = []
        self.posted: list[dict[str, Any]] = []
        self._ids = itertools.count(113494719316848192)
        self._idempotency: dict[str, dict[str, Any]] = {}
        self.route("GET", r"/api/v1/timelines/tag/(?P<tag>[^/]+)", self._tag)
        self.route("GET", r"/api/v1/timelines/public", self._public)
        self.route("GET", r"/api/v1/notifications", self._notifications)
        self.route("POST", r"/api/v1/statuses", self._post_status)

    def add_status(
        self,
        text: str,
        *,
        tags: tuple[str, ...] = (),
        acct: str = "kaja",
        in_reply_to_id: str | None = None,
        mention: bool = False,
    ) -> dict[str, Any]:
        """Create a status (and a mention notification when mention=True); return it."""
        ident = str(next(self._ids))
        created = _START + timedelta(minutes=len(self.statuses))
        tag_html = " ".join(
            f'<a href="https://fake.social/tags/{t}" class="mention hashtag" rel="tag">#<span>{t}</span></a>'
            for t in tags
        )
        status = {
            "id": ident,
            "created_at": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "in_reply_to_id": in_reply_to_id,
            "in_reply_to_account_id": None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "public",
            "language": "en",
            "uri": f"https://fake.social/users/{acct}/statuses/{ident}",
            "url": f"https://fake.social/@{acct}/{ident}",
            "replies_count": 0,
            "reblogs_count": 1,
            "favourites_count": 3,
            "content": f"<p>{text} {tag_html}</p>",
            "reblog": None,
            "account": {
                "id": str(zlib.crc32(acct.encode())),
                "username": acct.split("@")[0],
                "acct": acct,
                "display_name": acct.title(),
                "url": f"https://fake.social/@{acct}",
                "followers_count": 42,
            },
            "media_attachments": [],
            "mentions": [],
            "tags": [{"name": t.lower(), "url": f"https://fake.social/tags/{t}"} for t in tags],
            "emojis": [],
        }
        self.statuses.append(status)
        if mention:
            self.notifications.append(
                {
                    "id": str(34975861 + len(self.notifications)),
                    "type": "mention",
                    "created_at": status["created_at"],
                    "account": status["account"],
                    "status": status,
                }
            )
        return status

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    def _unauthorised(self) -> Response:
        return Response(401, {"error": "The access token is invalid"})

    def _tag(self, request: Request, match: re.Match[str]) -> Response:
        if self.require_auth_for_timelines and not self._authorised(request):
            return self._unauthorised()
        tag = match["tag"].lower()
        items = [s for s in self.statuses if any(t["name"] == tag for t in s["tags"])]
        return self._page(request, items)

    def _public(self, request: Request, match: re.Match[str]) -> Response:
        if self.require_auth_for_timelines and not self._authorised(request):
            return self._unauthorised()
        return self._page(request, list(self.statuses))

    def _notifications(self, request: Request, match: re.Match[str]) -> Response:
        if not self._authorised(request):
            return self._unauthorised()
        types = request.query.get("types[]")
        items = [n for n in self.notifications if not types or n["type"] in types]
        return self._page(request, items)

    def _page(self, request: Request, items: list[dict[str, Any]]) -> Response:
        """Apply max_id/since_id/min_id/limit and answer newest-first with next/prev Link headers."""
        limit = min(int(request.arg("limit", "20") or 20), 40)
        items = sorted(items, key=lambda s: _key(s["id"]))
        if request.arg("max_id"):
            items = [s for s in items if _key(s["id"]) < _key(request.arg("max_id") or "")]
        if request.arg("since_id"):
            items = [s for s in items if _key(s["id"]) > _key(request.arg("since_id") or "")]
        if request.arg("min_id"):
            # min_id returns the page just above the cursor; since_id/max_id return the newest page.
            items = [s for s in items if _key(s["id"]) > _key(request.arg("min_id") or "")][:limit]
        page = list(reversed(items[-limit:]))
        headers = {}
        if page:
            base = f"{self.url}{request.path}"
            extra = {k: v[0] for k, v in request.query.items() if k not in ("max_id", "since_id", "min_id")}
            nxt = f"{base}?{urlencode({**extra, 'max_id': page[-1]['id']})}"
            prev = f"{base}?{urlencode({**extra, 'min_id': page[0]['id']})}"
            headers["Link"] = f'<{nxt}>; rel="next", <{prev}>; rel="prev"'
        return Response(200, page, headers)

    def _post_status(self, request: Request, match: re.Match[str]) -> Response:
        if not self._authorised(request):
            return self._unauthorised()
        key = request.headers.get("idempotency-key")
        if key and key in self._idempotency:
            return Response(200, self._idempotency[key])
        body = request.json() if "json" in request.headers.get("content-type", "") else request.form()
        if not body.get("status"):
            return Response(422, {"error": "Validation failed: Text can't be blank"})
        self.posted.append(body)
        status = self.add_status(body["status"], acct="acmeoutdoor", in_reply_to_id=body.get("in_reply_to_id"))
        status["visibility"] = body.get("visibility", "public")
        if key:
            self._idempotency[key] = status
        return Response(200, status)


@pytest.fixture
def fake_mastodon(settings) -> Iterator[FakeMastodon]:
    """A running FakeMastodon on 127.0.0.1."""
    allow_loopback(settings)
    with FakeMastodon() as server:
        yield server
