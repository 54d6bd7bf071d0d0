"""How things heard elsewhere enter a person's timeline: one mapping from a post to its touchpoint."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rapport.contacts.models import Touchpoint, TouchpointChannel, TouchpointDirection, TouchpointKind
from rapport.core.privacy import Reader, is_private, readable_private_posts

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
        private=is_private(kind=kind, network=network),
    )


def withhold_private(rows: list[Touchpoint], *, reader: Reader | None) -> list[Touchpoint]:
    """Blank the text of the private entries this reader may not read, keeping their time, channel and kind.

    One question for the page's private rows (rapport.core.privacy), none per row; no reader means nobody's eyes.
    """
    private = [t for t in rows if t.private]
    if not private:
        return rows
    if reader is not None and reader.reads_every_private:
        return rows
    readable = readable_private_posts(reader=reader, post_ids=[p for t in private if (p := _post_id(t))])
    for t in private:
        if _post_id(t) not in readable:
            t.title, t.body, t.withheld = "", "", True
            t.data = {"network": (t.data or {}).get("network")}
    return rows


def _post_id(t: Touchpoint) -> int | None:
    return int(t.source_id) if t.source == "post" and t.source_id.isdigit() else None
