"""Commerce's event handlers: a merge or un-merge moves orders and points, so both people's summaries are redone."""

from __future__ import annotations

from typing import Any

from rapport.core.models import Workspace


def on_merge(event: str, payload: dict[str, Any]) -> None:
    """Recompute the value summary of the kept and the absorbed person (idempotent)."""
    from rapport.commerce import loyalty, services

    ws = Workspace.objects.filter(pk=payload.get("workspace_id")).first()
    if ws is None:
        return
    ids = {pid for pid in (payload.get("kept"), payload.get("absorbed")) if pid}
    services.refresh_values(workspace=ws, person_ids=ids)
    programme = loyalty.active_programme(ws)
    if programme is not None:
        loyalty.sync_people(programme, ids)
