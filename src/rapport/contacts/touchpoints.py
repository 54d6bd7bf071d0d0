"""How things heard elsewhere enter a person's timeline: one mapping from a post to its touchpoint."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rapport.contacts.models import Touchpoint, TouchpointChannel, TouchpointDirection, TouchpointKind

_CHANNELS = frozenset(TouchpointChannel.values)


def post_touchpoint(
    *,
    workspace_id: int,
    person_id: int,
    post_id: int,
    network: str,
    kind: str,
    text: str,
    occurred_at: datetime,
    external_id: str,
    url: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Touchpoint:
    """The (unsaved) timeline entry of a stored post or private message; `source_id` is the post's id."""
    return Touchpoint(
        workspace_id=workspace_id,
        person_id=person_id,
        kind=TouchpointKind.MESSAGE if kind == "direct_message" else TouchpointKind.POST,
        channel=network if network in _CHANNELS else TouchpointChannel.OTHER,
        direction=TouchpointDirection.INBOUND,
        occurred_at=occurred_at,
        title=((text or "").splitlines() or [""])[0][:200],
        body=text or "",
        source="post",
        source_id=str(post_id),
        data={"network": network, "external_id": external_id, "url": url, **(extra or {})},
    )
