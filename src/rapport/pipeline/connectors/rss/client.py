"""RSS/Atom polling for blogs, forums and review sites: conditional GET plus remembered entry ids."""

from __future__ import annotations

from typing import Any, ClassVar

from rapport.core.redact import redact_url

from .. import config as checks
from ..base import ConnectorError, PayloadError, PollResult, Post
from ..http import ApiClient, HttpClient
from .normalise import entry_key, entry_to_post, parse_feed

SEEN_LIMIT = 1000  # entry ids remembered per feed; feeds rarely carry more than a few hundred


def validate_config(config: Any) -> dict[str, Any]:
    """An RSS channel's config: {"feeds": [public http(s) feed URLs, at least one]}."""
    config, errors = checks.mapping(config), {}
    feeds = checks.text_list(config, "feeds", errors, check=checks.url_problem)
    if not feeds and not errors:
        errors["feeds"] = "at least one feed URL is required"
    return checks.finish(config, {"feeds": feeds}, errors)


class RssClient(ApiClient):
    """Fetches feeds; state holds ETag/Last-Modified and the ids already returned, so only new entries come back."""

    network = "rss"
    capabilities: ClassVar[frozenset[str]] = frozenset({"poll"})
    validate_config = staticmethod(validate_config)

    def __init__(self, **http_options: Any) -> None:
        self.http = HttpClient(base_url="", network="rss", **http_options)

    def poll(self, url: str, *, state: dict[str, Any] | None = None) -> PollResult:
        """Fetch url and return entries not seen before, with the state to pass next time."""
        state = dict(state or {})
        headers = {"Accept": "application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.8"}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("modified"):
            headers["If-Modified-Since"] = state["modified"]
        response = self.http.request("GET", url, headers=headers)
        if response.status_code == 304:
            return PollResult(posts=[], state=state)
        try:
            parsed = parse_feed(response.content, headers=dict(response.headers))
        except PayloadError as exc:
            raise ConnectorError(f"rss: {redact_url(url)}: {exc}", retryable=False, network="rss") from None
        if parsed.bozo and not parsed.entries:
            raise ConnectorError(
                f"rss: {redact_url(url)} is not a feed: {parsed.get('bozo_exception')}", retryable=False, network="rss"
            )
        seen: list[str] = list(state.get("seen") or [])
        known = set(seen)
        posts: list[Post] = []
        feed_title = parsed.feed.get("title")
        # Feeds list newest first; walk oldest first so the returned posts are in publication order.
        for entry in reversed(parsed.entries):
            key = entry_key(entry)
            if not key or key in known:
                continue
            try:
                posts.append(entry_to_post(entry, feed_url=url, feed_title=feed_title))
            except PayloadError:
                continue
            known.add(key)
            seen.append(key)
        new_state = {"seen": seen[-SEEN_LIMIT:]}
        if response.headers.get("ETag"):
            new_state["etag"] = response.headers["ETag"]
        if response.headers.get("Last-Modified"):
            new_state["modified"] = response.headers["Last-Modified"]
        return PollResult(posts=posts, state=new_state)
