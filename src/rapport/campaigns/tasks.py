"""Campaigns' background work, run by the job runner: sending campaigns, and moving people along journeys."""

from __future__ import annotations

from django_tasks import task

from rapport.campaigns import journeys_engine, sending
from rapport.core.jobs import scheduled


@task()
def send_campaign(campaign_id: int) -> dict:
    """Send a queued campaign; running it again after a crash resumes without sending anyone twice."""
    return sending.run(campaign_id)


@scheduled("journeys.tick", every=30, retries=3)
def journeys_tick() -> dict:
    """Move every journey pass that is due: waits that ended, messages whose quiet hours are over, new entries."""
    return journeys_engine.tick()
