"""Bluesky polling (searchPosts, listNotifications) and replies over XRPC, authenticated by an app password."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

from .. import config as checks
from ..base import ConnectorError, PollResult, Post, parse_iso, utc_iso
from ..http import ApiClient, HttpClient
from .normalise import notification_to_post, post_view_to_post

DEFAULT_BASE_URL = "https://bsky.social"
SEEN_LIMIT = 500  # uris remembered at the since boundary; bounds the persisted state


def validate_config(config: Any) -> dict[str, Any]:
    """A Bluesky channel's config: {"base_url": PDS (default bsky.social), "search": [...], "notifications": bool}."""
    config, errors = checks.mapping(config), {}
    cleaned = {
        "base_url": checks.url(config, "base_url", errors),
        "search": checks.text_list(config, "search", errors),
        "notifications": checks.boolean(config, "notifications", errors),
    }
    return checks.finish(config, cleaned, errors)


class BlueskyClient(ApiClient):
    """One Bluesky account session; each poll returns posts plus {"since", "seen"} state to persist."""

    network = "bluesky"
    capabilities: ClassVar[frozenset[str]] = frozenset({"poll", "reply"})
    validate_config = staticmethod(validate_config)

    def __init__(
        self, *, identifier: str, app_password: str, base_url: str = DEFAULT_BASE_URL, **http_options: Any
    ) -> None:
        self.identifier = identifier
        self._password = app_password
        self.http = HttpClient(base_url=base_url, network="bluesky", **http_options)
        self.session: dict[str, Any] | None = None

    def login(self) -> dict[str, Any]:
        """Create a session (com.atproto.server.createSession) and keep its accessJwt and did."""
        body = {"identifier": self.identifier, "password": self._password}
        session = self.http.json("POST", "/xrpc/com.atproto.server.createSession", json=body)
        if not isinstance(session, dict) or "accessJwt" not in session:
            raise ConnectorError("bluesky: createSession answer has no accessJwt", retryable=False, network="bluesky")
        self.session = session
        return session

    def _xrpc(self, method: str, nsid: str, **kwargs: Any) -> Any:
        if self.session is None:
            self.login()
        for attempt in range(2):
            assert self.session is not None
            headers = {"Authorization": f"Bearer {self.session['accessJwt']}"}
            try:
                return self.http.json(method, f"/xrpc/{nsid}", headers=headers, **kwargs)
            except ConnectorError as exc:
                # Access tokens last minutes; on expiry log in again once instead of failing the poll.
                expired = exc.status == 401 or (exc.status == 400 and "ExpiredToken" in str(exc))
                if expired and attempt == 0:
                    self.login()
                    continue
                raise
        raise AssertionError("unreachable")

    def poll_search(
        self, query: str, *, state: dict[str, Any] | None = None, limit: int = 50, max_pages: int = 5
    ) -> PollResult:
        """Search posts (app.bsky.feed.searchPosts, sort=latest) newer than state["since"], following cursors."""
        base: dict[str, Any] = {"q": query, "sort": "latest", "limit": limit}
        if state and state.get("since"):
            base["since"] = state["since"]

        def fetch(cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
            params = {**base, **({"cursor": cursor} if cursor else {})}
            data = self._xrpc("GET", "app.bsky.feed.searchPosts", params=params)
            return data.get("posts") or [], data.get("cursor")

        return self._collect(fetch, post_view_to_post, state, max_pages)

    def poll_notifications(
        self, *, state: dict[str, Any] | None = None, limit: int = 50, max_pages: int = 5
    ) -> PollResult:
        """List notifications (mentions, replies, quotes) newer than state["since"], newest pages first."""

        def fetch(cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
            params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
            data = self._xrpc("GET", "app.bsky.notification.listNotifications", params=params)
            return data.get("notifications") or [], data.get("cursor")

        return self._collect(fetch, notification_to_post, state, max_pages)

    def _collect(
        self,
        fetch: Callable[[str | None], tuple[list[dict[str, Any]], str | None]],
        to_post: Callable[[dict[str, Any]], Post | None],
        state: dict[str, Any] | None,
        max_pages: int,
    ) -> PollResult:
        since: str | None = (state or {}).get("since")
        seen = set((state or {}).get("seen") or [])
        posts: list[Post] = []
        newest = since
        cursor: str | None = None
        for _ in range(max_pages):
            items, cursor = fetch(cursor)
            reached_old = False
            for item in items:
                indexed = item.get("indexedAt") or ""
                if since and (_ts(indexed) < _ts(since) or (_ts(indexed) == _ts(since) and item.get("uri") in seen)):
                    reached_old = True
                    continue
                post = to_post(item)
                if post is not None:
                    posts.append(post)
                if newest is None or _ts(indexed) > _ts(newest):
                    newest = indexed
            if reached_old or not cursor or not items:
                break
        boundary = [p["external_id"] for p in posts if newest and _ts(_indexed(p)) == _ts(newest)]
        if newest == since:
            boundary = sorted(seen | set(boundary))
        return PollResult(posts=posts, state={"since": newest, "seen": boundary[-SEEN_LIMIT:]} if newest else {})

    def send_reply(
        self, *, text: str, in_reply_to: str, parent_cid: str | None = None, root: dict[str, str] | None = None
    ) -> str:
        """Reply to the post at uri in_reply_to (com.atproto.repo.createRecord); return the new post's uri."""
        if parent_cid is None or root is None:
            views = self._xrpc("GET", "app.bsky.feed.getPosts", params={"uris": in_reply_to}).get("posts") or []
            if not views:
                raise ConnectorError(f"bluesky: post {in_reply_to} not found", retryable=False, network="bluesky")
            parent_cid = parent_cid or views[0]["cid"]
            root = root or (views[0].get("record", {}).get("reply") or {}).get("root")
        parent = {"uri": in_reply_to, "cid": parent_cid}
        assert self.session is not None
        record = {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": utc_iso(datetime.now(tz=UTC)),
            "reply": {"root": root or parent, "parent": parent},
        }
        body = {"repo": self.session["did"], "collection": "app.bsky.feed.post", "record": record}
        data = self._xrpc("POST", "com.atproto.repo.createRecord", json=body)
        if not isinstance(data, dict) or "uri" not in data:
            raise ConnectorError("bluesky: createRecord answer has no uri", retryable=False, network="bluesky")
        return str(data["uri"])


_EPOCH = datetime.min.replace(tzinfo=UTC)


def _ts(value: str) -> datetime:
    # Compare instants, not strings: "…00Z" and "…00.500Z" sort the wrong way as text.
    try:
        return parse_iso(value)
    except ValueError:
        return _EPOCH


def _indexed(post: Post) -> str:
    raw = post.get("raw") or {}
    return raw.get("indexedAt", "") if isinstance(raw, dict) else ""
