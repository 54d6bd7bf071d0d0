"""Influence's jobs: the incremental update of the accounts touched by new posts, and the full recompute."""

from __future__ import annotations

from rapport.core.jobs import scheduled


@scheduled("influence.refresh", every=60, retries=3)
def refresh() -> dict[str, int]:
    """Rescore the accounts whose interactions changed since the last run (idempotent)."""
    from rapport.influence.services import refresh as run

    return run()


@scheduled("influence.recompute", every=6 * 3600, retries=2, lease=1800)
def recompute() -> dict[str, int]:
    """Rebuild every workspace's scores: PageRank, the scale, per-rule rankings, today's snapshot."""
    from rapport.core.models import Workspace
    from rapport.influence.services import recompute as run

    done = 0
    for pk in Workspace.objects.values_list("pk", flat=True):
        run(pk)
        done += 1
    return {"workspaces": done}
