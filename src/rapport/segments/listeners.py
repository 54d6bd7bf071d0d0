"""Event handlers: people's data changed, so their lifecycle stage and their segment memberships may have."""

from __future__ import annotations

from typing import Any

from rapport.listening.models import Post
from rapport.segments import lifecycle, services


def _person_ids(event: str, payload: dict[str, Any]) -> list[int]:
    if event in ("listening.posts_stored", "identity.posts_linked"):
        ids = payload.get("post_ids") or []
        return list(
            Post.objects.filter(pk__in=ids, person__isnull=False).values_list("person_id", flat=True).distinct()
        )
    if event in ("contact.merged", "contact.unmerged"):
        return [pk for pk in (payload.get("kept"), payload.get("absorbed")) if pk]
    if "person_ids" in payload:
        return [int(pk) for pk in payload["person_ids"] or []]
    return [payload["person_id"]] if payload.get("person_id") else []


def on_people_changed(event: str, payload: dict[str, Any]) -> None:
    """Re-evaluate the people an event names in the segments that read the data it changed."""
    workspace_id = payload.get("workspace_id")
    ids = _person_ids(event, payload)
    if workspace_id and ids:
        services.refresh_people(workspace_id=workspace_id, person_ids=ids, families=services.FAMILIES_OF_EVENT[event])


def on_signals(event: str, payload: dict[str, Any]) -> None:
    """New purchases, value or posts: infer the lifecycle stage of those people (a move emits contact.updated)."""
    workspace_id = payload.get("workspace_id")
    ids = _person_ids(event, payload)
    if workspace_id and ids:
        lifecycle.infer(workspace_id=workspace_id, person_ids=ids)
