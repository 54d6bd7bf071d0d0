"""A fake Bluesky PDS/AppView: createSession, searchPosts, listNotifications, getPosts, createRecord over XRPC."""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from .server import FakeServer, Request, Response, allow_loopback

HANDLE = "acmeoutdoor.com"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
OWN_DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
_START = datetime(2024, 11, 18, 14, 0, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error(status: int, name: str, message: str) -> Response:
    return Response(status, {"error": name, "message": message})


class FakeBluesky(FakeServer):
    """Stores post views newest-last; cursors are offsets, as opaque to clients as the real ones."""

    def __init__(self, *, identifier: str = HANDLE, password: str = APP_PASSWORD) -> None:
        super().__init__()
        self.identifier = identifier
        self.password = password
        self.tokens: set[str] = set()
        self.posts: list[dict[str, Any]] = []
        self.notifications: list[dict[str, Any]] = []
        self.created: list[dict[str, Any]] = []
        self._seq = itertools.count(1)
        self.route("POST", r"/xrpc/com\.atproto\.server\.createSession", self._create_session)
        self.route("GET", r"/xrpc/app\.bsky\.feed\.searchPosts", self._search)
        self.route("GET", r"/xrpc/app\.bsky\.notification\.listNotifications", self._list_notifications)
        self.route("GET", r"/xrpc/app\.bsky\.feed\.getPosts", self._get_posts)
        self.route("POST", r"/xrpc/com\.atproto\.repo\.createRecord", self._create_record)

    def add_post(
        self,
        text: str,
        *,
        handle: str = "mira.bsky.social",
        reason: str | None = None,
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Add a post view (and a notification with `reason`, e.g. "mention"); return the view."""
        n = next(self._seq)
        did = "did:plc:" + hashlib.sha256(handle.encode()).hexdigest()[:24]
        moment = _START + timedelta(minutes=n)
        uri = f"at://{did}/app.bsky.feed.post/3lbd{n:09d}"
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "createdAt": _iso(moment),
            "langs": ["en"],
            "text": text,
        }
        if reply_to:
            ref = {"uri": reply_to["uri"], "cid": reply_to["cid"]}
            root = (reply_to["record"].get("reply") or {}).get("root") or ref
            record["reply"] = {"root": root, "parent": ref}
        view = {
            "uri": uri,
            "cid": "bafyrei" + hashlib.sha256(uri.encode()).hexdigest()[:52],
            "author": {"did": did, "handle": handle, "displayName": handle.split(".")[0].title(), "labels": []},
            "record": record,
            "replyCount": 0,
            "repostCount": 0,
            "likeCount": n % 7,
            "quoteCount": 0,
            "indexedAt": _iso(moment + timedelta(milliseconds=350)),
            "labels": [],
        }
        self.posts.append(view)
        if reason:
            self.notifications.append(
                {
                    "uri": uri,
                    "cid": view["cid"],
                    "author": view["author"],
                    "reason": reason,
                    "record": record,
                    "isRead": False,
                    "indexedAt": view["indexedAt"],
                    "labels": [],
                }
            )
        return view

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        return header.startswith("Bearer ") and header[7:] in self.tokens

    def _create_session(self, request: Request, match: re.Match[str]) -> Response:
        body = request.json()
        if body.get("identifier") != self.identifier or body.get("password") != self.password:
            return _error(401, "AuthenticationRequired", "Invalid identifier or password")
        token = f"access-{next(self._seq)}"
        self.tokens.add(token)
        return Response(
            200,
            {
                "accessJwt": token,
                "refreshJwt": f"refresh-{token}",
                "handle": self.identifier,
                "did": OWN_DID,
                "email": "social@acmeoutdoor.com",
                "emailConfirmed": True,
                "active": True,
            },
        )

    def expire_tokens(self) -> None:
        """Invalidate every issued access token, as expiry would."""
        self.tokens.clear()

    def _page(self, request: Request, items: list[dict[str, Any]], key: str) -> Response:
        if not self._authorised(request):
            return _error(401, "ExpiredToken", "Token has expired")
        limit = max(1, min(int(request.arg("limit", "25") or 25), 100))
        offset = int(request.arg("cursor", "0") or 0)
        page = items[offset : offset + limit]
        body: dict[str, Any] = {key: page}
        if offset + limit < len(items):
            body["cursor"] = str(offset + limit)
        return Response(200, body)

    def _search(self, request: Request, match: re.Match[str]) -> Response:
        q = (request.arg("q") or "").lower()
        if not q:
            return _error(400, "InvalidRequest", 'Error: Params must have the property "q"')
        since = request.arg("since")
        hits = [p for p in reversed(self.posts) if q in p["record"]["text"].lower()]
        if since:
            hits = [p for p in hits if p["indexedAt"] >= since]
        response = self._page(request, hits, "posts")
        if response.status == 200:
            response.body["hitsTotal"] = len(hits)
        return response

    def _list_notifications(self, request: Request, match: re.Match[str]) -> Response:
        return self._page(request, list(reversed(self.notifications)), "notifications")

    def _get_posts(self, request: Request, match: re.Match[str]) -> Response:
        if not self._authorised(request):
            return _error(401, "ExpiredToken", "Token has expired")
        wanted = request.query.get("uris") or []
        return Response(200, {"posts": [p for p in self.posts if p["uri"] in wanted]})

    def _create_record(self, request: Request, match: re.Match[str]) -> Response:
        if not self._authorised(request):
            return _error(401, "ExpiredToken", "Token has expired")
        body = request.json()
        if body.get("repo") != OWN_DID or body.get("collection") != "app.bsky.feed.post":
            return _error(400, "InvalidRequest", "repo or collection not allowed")
        record = body.get("record") or {}
        if not record.get("text") or not record.get("createdAt"):
            return _error(400, "InvalidRecord", "Record/text must be set")
        self.created.append(body)
        n = next(self._seq)
        uri = f"at://{OWN_DID}/app.bsky.feed.post/3lbz{n:09d}"
        return Response(
            200,
            {
                "uri": uri,
                "cid": "bafyrei" + hashlib.sha256(uri.encode()).hexdigest()[:52],
                "commit": {"cid": "bafyreicommit", "rev": f"3lbz{n}"},
                "validationStatus": "valid",
            },
        )


@pytest.fixture
def fake_bluesky(settings) -> Iterator[FakeBluesky]:
    """A running FakeBluesky on 127.0.0.1."""
    allow_loopback(settings)
    with FakeBluesky() as server:
        yield server
