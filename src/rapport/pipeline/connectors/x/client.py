"""Outbound replies through the X API v2: POST /2/tweets with a reply target, and DMs to a participant."""

from __future__ import annotations

from typing import Any, ClassVar

from ..base import ConnectorError
from ..http import ApiClient, HttpClient

DEFAULT_BASE_URL = "https://api.x.com"


class XClient(ApiClient):
    """Posts replies and direct messages as the brand account (OAuth 2.0 user-context token)."""

    network = "twitter"
    capabilities: ClassVar[frozenset[str]] = frozenset({"reply"})

    def __init__(self, *, access_token: str, base_url: str = DEFAULT_BASE_URL, **http_options: Any) -> None:
        self.http = HttpClient(
            base_url=base_url, network="twitter", headers={"Authorization": f"Bearer {access_token}"}, **http_options
        )

    def send_reply(self, *, text: str, in_reply_to: str, kind: str = "reply") -> str:
        """Reply to a tweet, or (kind="direct_message") message the user whose id is in_reply_to; return the id."""
        if kind == "direct_message":
            data = self.http.json("POST", f"/2/dm_conversations/with/{in_reply_to}/messages", json={"text": text})
            ident = (data.get("data") or {}).get("dm_event_id") if isinstance(data, dict) else None
        else:
            body = {"text": text, "reply": {"in_reply_to_tweet_id": in_reply_to}}
            data = self.http.json("POST", "/2/tweets", json=body)
            ident = (data.get("data") or {}).get("id") if isinstance(data, dict) else None
        if not ident:
            raise ConnectorError(f"twitter: answer without an id: {data!r}"[:300], retryable=False, network="twitter")
        return str(ident)
