"""Core's own periodic jobs: delivering events left undelivered, and keeping the outbox and task results small."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from rapport.core import events
from rapport.core.jobs import scheduled

KEEP_RESULTS = timedelta(days=2)  # long enough to read what went wrong over a weekend


@scheduled("core.prune_task_results", every=3600, retries=1)
def prune_task_results() -> dict[str, int]:
    """Delete finished task results older than two days, and runs abandoned that long ago by a dead worker."""
    cutoff = timezone.now() - KEEP_RESULTS
    old = DBTaskResult.objects.filter(
        Q(status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED], finished_at__lt=cutoff)
        | Q(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
    )
    deleted, _ = old.delete()
    return {"deleted": deleted}


@scheduled("events.deliver", every=10, retries=0, lease=120)
def deliver_events() -> dict[str, int]:
    """Deliver outbox events a crash or a failing handler left undelivered, once their retry is due."""
    return events.deliver_pending()


@scheduled("events.purge", every=3600, retries=1)
def purge_events() -> dict[str, int]:
    """Drop delivered outbox rows after a week; undelivered ones are kept whatever their age."""
    return {"deleted": events.purge_delivered()}
