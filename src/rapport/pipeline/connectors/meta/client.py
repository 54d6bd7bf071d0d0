"""Outbound replies through Meta's Graph API: Page comment replies, Instagram comment replies, Send API messages."""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from ..base import ConnectorError
from ..http import RETRYABLE_STATUS, ApiClient, HttpClient

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_VERSION = "v21.0"
# Graph error codes for throttling and temporary outages; everything else needs a human (bad token, deleted object).
RETRYABLE_CODES = frozenset({1, 2, 4, 17, 32, 341, 368, 613, 80001, 80002, 80004})


def is_retryable(response: httpx.Response) -> bool:
    """Decide from a Graph API error body whether trying again later can succeed."""
    if response.status_code in RETRYABLE_STATUS:
        return True
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return False
    return bool(error.get("is_transient")) or error.get("code") in RETRYABLE_CODES


class MetaClient(ApiClient):
    """Sends replies as a Facebook Page or Instagram professional account."""

    network = "facebook"
    capabilities: ClassVar[frozenset[str]] = frozenset({"reply"})

    def __init__(
        self,
        *,
        access_token: str,
        base_url: str = DEFAULT_BASE_URL,
        api_version: str = DEFAULT_VERSION,
        **http_options: Any,
    ) -> None:
        self.api_version = api_version
        self.http = HttpClient(
            base_url=base_url,
            network="meta",
            headers={"Authorization": f"Bearer {access_token}"},
            is_retryable=is_retryable,
            **http_options,
        )

    def send_reply(self, *, text: str, in_reply_to: str, kind: str = "comment", network: str = "facebook") -> str:
        """Reply to a comment (kind="comment") or message a person (kind="direct_message"); return the new id."""
        if kind == "direct_message":
            return self.send_message(recipient_id=in_reply_to, text=text)
        if network == "instagram":
            return self._create(f"{in_reply_to}/replies", {"message": text})
        return self._create(f"{in_reply_to}/comments", {"message": text})

    def send_message(self, *, recipient_id: str, text: str) -> str:
        """Send a Messenger/Instagram message inside the 24-hour window; return the message id."""
        body = {"recipient": {"id": recipient_id}, "messaging_type": "RESPONSE", "message": {"text": text}}
        data = self.http.json("POST", f"/{self.api_version}/me/messages", json=body)
        if not isinstance(data, dict) or "message_id" not in data:
            raise ConnectorError("meta: Send API answer has no message_id", retryable=False, network="meta")
        return str(data["message_id"])

    def _create(self, edge: str, form: dict[str, str]) -> str:
        data = self.http.json("POST", f"/{self.api_version}/{edge}", data=form)
        if not isinstance(data, dict) or "id" not in data:
            raise ConnectorError("meta: Graph API answer has no id", retryable=False, network="meta")
        return str(data["id"])
