"""Influence's jobs: the incremental update of the accounts touched by new posts, and the full recompute."""

from __future__ import annotations

from rapport.core.jobs import scheduled


@scheduled("influence.refresh", every=60, retries=3)
def refresh() -> dict[str, int]:
    """Rescore the accounts whose interactions changed since the last run, then look for rising authors in
    negative spikes (idempotent)."""
    from rapport.core.models import Workspace
    from rapport.influence.alerts import detect
    from rapport.influence.services import refresh as run

    done = run()
    done["rising_alerts"] = sum(len(detect(pk)) for pk in Workspace.objects.values_list("pk", flat=True))
    return done


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
