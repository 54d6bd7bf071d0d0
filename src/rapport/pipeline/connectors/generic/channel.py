"""Rapport's generic signed webhook: the webhook itself and replay of a dead-lettered body."""

from __future__ import annotations

from ..base import PayloadError
from ..base_channel import Webhook
from .normalise import normalise_body
from .webhook import TOLERANCE_SECONDS, verify_request

# Posts in the JSON-line shape, one or a list, signed over "timestamp.body". Each item is accepted or rejected by
# itself; a signature expires with its timestamp window, so that is how long a handled request is remembered.
webhook = Webhook(
    name="generic",
    verify=verify_request,
    parse=normalise_body,
    replay_window=TOLERANCE_SECONDS,
    itemised=True,
)


def replay(payload: str) -> list[dict]:
    """Posts from a dead-lettered body; still refused when any item is still bad."""
    posts, rejections = normalise_body(payload.encode())
    if rejections:
        raise PayloadError(rejections[0].reason)
    return posts
