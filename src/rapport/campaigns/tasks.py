"""Campaigns' background work: sending, run by the job runner."""

from __future__ import annotations

from django_tasks import task

from rapport.campaigns import sending


@task()
def send_campaign(campaign_id: int) -> dict:
    """Send a queued campaign; running it again after a crash resumes without sending anyone twice."""
    return sending.run(campaign_id)
