"""Scheduled segment work: the reconcile pass (time-relative conditions, data that announces nothing, daily sizes)
and the lifecycle sweep."""

from __future__ import annotations

from rapport.core.jobs import scheduled
from rapport.core.models import Workspace
from rapport.segments import lifecycle, services


@scheduled("segments.reconcile", every=900, retries=2, lease=1800)
def reconcile() -> dict[str, int]:
    """Every 15 minutes: bring every segment's stored members in line with its definition and record its size."""
    return services.reconcile_all()


@scheduled("segments.lifecycle", every=3600, retries=2)
def lifecycle_sweep() -> dict[str, int]:
    """Hourly: infer lifecycle stages for people whose signals changed without an event (e.g. a model refit)."""
    moved = 0
    for workspace_id in Workspace.objects.values_list("pk", flat=True):
        moved += len(lifecycle.infer(workspace_id=workspace_id))
    return {"moved": moved}
