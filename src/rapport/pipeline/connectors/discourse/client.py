"""Discourse's JSON API: the forum's latest posts (`GET /posts.json`, paged back with `before=`), its categories
(`GET /categories.json`), and replies (`POST /posts.json`) when the channel holds an API key."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import urlsplit

from .. import config as checks
from ..base import ConnectorError, PayloadError, PollResult, Post
from ..http import ApiClient, HttpClient
from .normalise import NETWORK, post_id, post_to_post

MAX_GAPS = 10  # stretches of older posts still to fetch after a burst larger than one poll's pages
Rejected = Callable[[str, str, str], None]  # (item key, payload as JSON, reason)


def validate_config(config: Any) -> dict[str, Any]:
    """A Discourse channel's config: {"base_url": the forum, e.g. https://forum.example.org, "max_pages": 1-20}."""
    config, errors = checks.mapping(config), {}
    base_url = checks.url(config, "base_url", errors, required=True)
    if errors.get("base_url") == "is required":
        errors["base_url"] = "is required (the forum's address, e.g. https://forum.example.org)"
    max_pages = checks.integer(config, "max_pages", errors, low=1, high=20)
    return checks.finish(config, {"base_url": base_url, "max_pages": max_pages}, errors)


def site_of(base_url: str) -> str:
    """The forum's host (and port, when it is not the default): what its post ids and usernames are qualified by."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


class DiscourseClient(ApiClient):
    """Reads one Discourse forum; each poll returns the posts newer than the last id seen, oldest first."""

    network = NETWORK
    capabilities: ClassVar[frozenset[str]] = frozenset({"poll", "reply"})
    validate_config = staticmethod(validate_config)

    def __init__(
        self, *, base_url: str, api_key: str | None = None, api_username: str | None = None, **http_options: Any
    ) -> None:
        headers = {"Accept": "application/json"}
        if api_key:
            headers["Api-Key"] = api_key
            headers["Api-Username"] = api_username or "system"
        self.base_url = base_url.rstrip("/")
        self.site = site_of(self.base_url)
        self.can_reply = bool(api_key)
        self.http = HttpClient(base_url=self.base_url, network=NETWORK, headers=headers, **http_options)

    def categories(self) -> dict[int, dict[str, str]]:
        """Category id -> {"name", "slug"}, subcategories included; {} when the forum does not show them."""
        try:
            data = self.http.json("GET", "/categories.json", params={"include_subcategories": "true"})
        except ConnectorError as exc:
            if exc.retryable:
                raise
            return {}  # a forum that hides its category list: posts keep their category ids
        found: dict[int, dict[str, str]] = {}
        stack = (
            list(((data or {}).get("category_list") or {}).get("categories") or []) if isinstance(data, dict) else []
        )
        while stack:
            cat = stack.pop()
            if not isinstance(cat, dict):
                continue
            if isinstance(cat.get("id"), int) and isinstance(cat.get("name"), str):
                found[cat["id"]] = {"name": cat["name"], "slug": str(cat.get("slug") or "")}
            stack.extend(cat.get("subcategory_list") or [])
        return found

    def _page(self, before: int | None) -> list[Any]:
        data = self.http.json("GET", "/posts.json", params={"before": str(before)} if before else None)
        items = data.get("latest_posts") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise ConnectorError(
                f"discourse: {self.base_url}/posts.json did not return latest_posts (is this a Discourse forum?)",
                retryable=False,
                network=NETWORK,
            )
        return items

    def poll_posts(
        self, *, state: dict[str, Any] | None = None, max_pages: int = 5, rejected: Rejected | None = None
    ) -> PollResult:
        """The posts newer than state["last_id"] (the latest page on the first poll), walking back with `before=`.

        A burst larger than `max_pages` pages leaves a gap, remembered in state["gaps"] and fetched by the next
        polls, so no post is skipped. A post that cannot be read goes to `rejected` (the dead letters) and the
        poll goes on without it.
        """
        state = dict(state or {})
        last = int(state.get("last_id") or 0)
        gaps: list[list[int]] = [list(g) for g in state.get("gaps") or [] if isinstance(g, list) and len(g) == 2]
        categories = self.categories()
        found: dict[int, Post] = {}
        newest = last
        budget = max_pages

        def walk(before: int | None, floor: int) -> int | None:
            """Pages from `before` down to ids above `floor`; returns where a walk cut short would resume."""
            nonlocal budget, newest
            while budget > 0:
                budget -= 1
                items = self._page(before)
                ids = [i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), int)]
                for item in items:
                    ident = item.get("id") if isinstance(item, dict) else None
                    if isinstance(ident, int) and (ident <= floor or ident in found):
                        continue
                    try:
                        post = post_to_post(item, site=self.site, base_url=self.base_url, categories=categories)
                    except PayloadError as exc:
                        if rejected is not None:
                            kept = {"_base_url": self.base_url, **item} if isinstance(item, dict) else item
                            rejected(str(ident if ident is not None else "?"), json.dumps(kept), str(exc))
                        continue
                    if post is not None:
                        found[ident] = post
                if ids:
                    newest = max(newest, *ids)
                if not ids or min(ids) <= floor + 1 or not floor:
                    return None  # reached what was seen before (or, on a first poll, took the one page of backlog)
                before = min(ids)
            return before

        resume = walk(None, last)
        if resume is not None:
            gaps.insert(0, [resume, last])
        still: list[list[int]] = []
        for before, floor in gaps:
            left = walk(before, floor) if budget > 0 else before
            if left is not None:
                still.append([left, floor])
        posts = [found[k] for k in sorted(found)]
        new_state: dict[str, Any] = {"last_id": newest} if newest else {}
        if still:
            new_state["gaps"] = still[:MAX_GAPS]
        return PollResult(posts=posts, state=new_state)

    def send_reply(self, *, text: str, in_reply_to: str, **_: Any) -> str:
        """Reply to the post `in_reply_to` (this forum's "host:id") in its topic; return the new post's external id.

        The post is read first for its topic and number, so a reply lands under the post it answers."""
        ident = post_id(in_reply_to, self.site)
        if ident is None:
            raise ConnectorError(
                f"discourse: {in_reply_to!r} is not a post of {self.site}", retryable=False, network=NETWORK
            )
        parent = self.http.json("GET", f"/posts/{ident}.json")
        topic_id = parent.get("topic_id") if isinstance(parent, dict) else None
        number = parent.get("post_number") if isinstance(parent, dict) else None
        if not isinstance(topic_id, int) or not isinstance(number, int):
            raise ConnectorError(f"discourse: post {ident} has no topic", retryable=False, network=NETWORK)
        body = {"raw": text, "topic_id": topic_id, "reply_to_post_number": number}
        data = self.http.json("POST", "/posts.json", json=body)
        if not isinstance(data, dict) or not isinstance(data.get("id"), int):
            raise ConnectorError("discourse: answer without a post id", retryable=False, network=NETWORK)
        return f"{self.site}:{data['id']}"
