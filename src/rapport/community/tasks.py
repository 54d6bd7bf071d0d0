"""Periodic community work: questions asked from the inbox that got no accepted answer in time go back to care."""

from __future__ import annotations

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
