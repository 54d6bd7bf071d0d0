"""Mastodon REST polling (hashtag, public, mention notifications) with min_id cursors, plus outbound replies."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from .. import config as checks
from ..base import ConnectorError, PollResult, Post
from ..http import ApiClient, HttpClient
from .normalise import notification_to_post, status_to_post

PAGE_LIMIT = 40  # Mastodon's maximum for timelines


def _newer(a: str | None, b: str | None) -> str | None:
    # Mastodon ids are numeric strings (Snowflake-like): longer means larger.
    if not a:
        return b
    if not b:
        return a
    return max(a, b, key=lambda s: (len(s), s))


_HASHTAG = re.compile(r"#?\w{1,100}")


def validate_config(config: Any) -> dict[str, Any]:
    """A Mastodon channel's config: {"base_url": instance URL, "hashtags": [...], "mentions": bool}.

    base_url is required as soon as there is something to poll; a reply-only channel may leave the config empty.
    """
    config, errors = checks.mapping(config), {}
    hashtags = checks.text_list(
        config, "hashtags", errors, check=lambda t: None if _HASHTAG.fullmatch(t) else "must be one hashtag"
    )
    mentions = checks.boolean(config, "mentions", errors)
    polls = bool(hashtags or mentions or config.get("hashtags"))
    base_url = checks.url(config, "base_url", errors, required=polls)
    cleaned = {"base_url": base_url, "hashtags": hashtags, "mentions": mentions}
    if "base_url" in errors and errors["base_url"] == "is required":
        errors["base_url"] = "is required to poll hashtags or mentions (the instance, e.g. https://mastodon.social)"
    return checks.finish(config, cleaned, errors)


class MastodonClient(ApiClient):
    """Reads one Mastodon instance; each poll returns the posts plus a state with the newest id seen."""

    network = "mastodon"
    capabilities: ClassVar[frozenset[str]] = frozenset({"poll", "reply"})
    validate_config = staticmethod(validate_config)

    def __init__(self, *, base_url: str, access_token: str | None = None, **http_options: Any) -> None:
        headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
        self.http = HttpClient(base_url=base_url, network="mastodon", headers=headers, **http_options)

    def poll_hashtag(self, hashtag: str, *, state: dict[str, Any] | None = None, max_pages: int = 5) -> PollResult:
        """Fetch statuses tagged #hashtag newer than state["min_id"] (the latest page on the first poll)."""
        tag = quote(hashtag.lstrip("#"), safe="")
        return self._poll(f"/api/v1/timelines/tag/{tag}", {}, state, status_to_post, max_pages)

    def poll_public(
        self, *, state: dict[str, Any] | None = None, local: bool = False, max_pages: int = 5
    ) -> PollResult:
        """Fetch the public (federated, or local) timeline newer than state["min_id"]."""
        params = {"local": "true"} if local else {}
        return self._poll("/api/v1/timelines/public", params, state, status_to_post, max_pages)

    def poll_mentions(self, *, state: dict[str, Any] | None = None, max_pages: int = 5) -> PollResult:
        """Fetch mention notifications newer than state["min_id"]; needs a token with read:notifications."""
        return self._poll("/api/v1/notifications", {"types[]": "mention"}, state, notification_to_post, max_pages)

    def _poll(
        self,
        path: str,
        params: dict[str, str],
        state: dict[str, Any] | None,
        to_post: Callable[[dict[str, Any]], Post | None],
        max_pages: int,
    ) -> PollResult:
        cursor = (state or {}).get("min_id")
        query: dict[str, str] = {**params, "limit": str(PAGE_LIMIT)}
        if cursor:
            query["min_id"] = str(cursor)
        url: str | None = path
        request_params: dict[str, str] | None = query
        posts: list[Post] = []
        newest = cursor
        for _ in range(max_pages):
            response = self.http.request("GET", url, params=request_params)
            items = response.json()
            if not isinstance(items, list):
                raise ConnectorError(f"mastodon: {path} did not return a list", retryable=False, network="mastodon")
            if not items:
                break
            for item in items:
                newest = _newer(newest, str(item.get("id")))
                post = to_post(item)
                if post is not None:
                    posts.append(post)
            # With min_id the "prev" link walks towards newer items; without a cursor, one page is the backlog.
            if not cursor:
                break
            url = _link(response, "prev")
            request_params = None
            if url is None:
                break
        posts.sort(key=lambda p: (len(p["external_id"]), p["external_id"]))
        return PollResult(posts=posts, state={"min_id": newest} if newest else {})

    def send_reply(
        self, *, text: str, in_reply_to: str, kind: str = "reply", idempotency_key: str | None = None
    ) -> str:
        """Post a reply to status in_reply_to (kind="direct_message" makes it a direct mention); return its id."""
        body: dict[str, Any] = {"status": text, "in_reply_to_id": in_reply_to}
        if kind == "direct_message":
            body["visibility"] = "direct"
        # Mastodon deduplicates on Idempotency-Key, so a retried POST cannot publish the reply twice.
        headers = {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
        data = self.http.json("POST", "/api/v1/statuses", json=body, headers=headers)
        if not isinstance(data, dict) or "id" not in data:
            raise ConnectorError("mastodon: status answer without id", retryable=False, network="mastodon")
        return str(data["id"])


def _link(response: httpx.Response, rel: str) -> str | None:
    link = response.links.get(rel)
    return link.get("url") if link else None
