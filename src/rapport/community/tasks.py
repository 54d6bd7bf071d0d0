"""Community background work: unanswered questions from the inbox go back to care, ended suspensions are lifted,
and members' levels are recomputed after the thresholds change."""

from __future__ import annotations

from django_tasks import task

from rapport.community.services import return_unanswered
from rapport.core.jobs import scheduled


@scheduled("community.return_unanswered", every=900, retries=3)
def return_unanswered_tick() -> dict[str, int]:
    """Every 15 minutes (idempotent: each question returns once)."""
    return return_unanswered()


@scheduled("community.lift_ended_suspensions", every=900, retries=3)
def lift_ended_suspensions_tick() -> int:
    """Every 15 minutes: suspensions whose end date has passed are lifted (and audited as expired)."""
    from rapport.community.moderation import lift_ended

    return lift_ended()


@task()
def refresh_levels(workspace_id: int) -> int:
    """Every member's trust level again after an admin changed the thresholds; returns how many moved."""
    from rapport.community.levels import refresh_all

    return refresh_all(workspace_id)
