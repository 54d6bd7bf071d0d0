"""What `rapport bench pipeline` needs from the apps above the pipeline, registered by them in `AppConfig.ready`.

The bench measures the user's path with a brand in the workspace: a brand channel for the posts to address, and a
straightforward per-post baseline that opens one conversation per addressed post. Channels and the inbox live on
floors above the pipeline, so care (which may import both) registers how that is done; asking before it did is a
configuration error, not a silent bench without a brand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class BrandHooks:
    """add_channel(workspace_id, network, handle): an active brand channel for the handle.
    route_one(workspace_id, post, identity) -> bool: the per-post baseline's inbox step for one stored post (a
    listening Post and its author's SocialIdentity): open or join the author's conversation and add the message,
    one post at a time; True when the post became a message.
    messages(workspace_id) -> int: inbound messages in the workspace's conversations (posts routed so far)."""

    add_channel: Callable[[int, str, str], None]
    route_one: Callable[[int, Any, Any], bool]
    messages: Callable[[int], int]


_hooks: BrandHooks | None = None


def register(hooks: BrandHooks) -> None:
    global _hooks
    _hooks = hooks


def brand() -> BrandHooks:
    if _hooks is None:
        raise ImproperlyConfigured("rapport.care registers the bench's brand hooks in its AppConfig.ready")
    return _hooks
