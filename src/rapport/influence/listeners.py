"""Influence's event handlers: the graph grows with every stored batch."""

from __future__ import annotations

from typing import Any


def on_posts_stored(event: str, payload: dict[str, Any]) -> None:
    """Handler of listening.posts_stored: add the batch's interactions and follower counts (bounded bulk queries);
    the authors and the accounts they named are queued for the incremental job."""
    from rapport.influence.graph import ingest_posts

    workspace_id = payload.get("workspace_id")
    post_ids = payload.get("post_ids") or []
    if workspace_id and post_ids:
        ingest_posts(int(workspace_id), [int(p) for p in post_ids])
