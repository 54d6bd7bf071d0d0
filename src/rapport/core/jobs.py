"""Periodic jobs on django-tasks: a registry, one schedule row per job, claims with leases, retries with backoff.

django-tasks (Django 6's tasks API) and its database backend queue and run tasks; they have no schedules and no
retries. This module adds them:

- `@scheduled("care.sla_tick", every=30, retries=3)` turns a function into a django-tasks task and registers it.
  Apps declare their jobs in their `tasks.py`, discovered on first use.
- The scheduler pass claims each due job with one conditional UPDATE (a compare-and-set on the schedule row), and
  enqueues the task in the same transaction: of two workers that both saw the job due, exactly one enqueues it.
- A claim carries a token and a lease. A run whose worker died (kill -9) never finishes; once its lease has passed,
  the job is due again and claimed afresh. A task whose token is no longer the row's was superseded and is skipped.
- A failed run records its error and is retried with exponential backoff through the task's `run_after`, up to
  `retries` times; then the job waits for its next regular run. Jobs must be idempotent: a run may happen twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task

from rapport.core.models import ScheduledJob

log = logging.getLogger(__name__)

ERROR_CHARS = 2000  # the error kept on the schedule row; the full traceback is in the task result


@dataclass(frozen=True)
class Job:
    """A registered periodic job."""

    name: str
    func: Callable[[], Any]
    every: int  # seconds between runs
    retries: int  # extra attempts after a failure before waiting for the next regular run
    backoff: float  # seconds before the first retry; doubled for each next one
    lease: int  # seconds a claimed run may take before it counts as abandoned and is claimed again
    task: Task

    def retry_delay(self, attempt: int) -> timedelta:
        """Exponential backoff, never longer than the interval (the next regular run would come first)."""
        return timedelta(seconds=min(self.backoff * 2**attempt, max(self.every, self.backoff)))


_registry: dict[str, Job] = {}
_discovered = False


class UnknownJob(LookupError):
    """No job is registered under that name."""


def scheduled(name: str, *, every: int, retries: int = 3, backoff: float = 5.0, lease: int = 600):
    """Decorator: register a module-level function as periodic job `name`; it becomes a django-tasks Task."""

    def decorate(func: Callable[[], Any]) -> Task:
        def run(token: str = "") -> Any:
            return execute(name, token=token)

        # The task must import as the decorated name (the database backend stores the task's dotted path).
        run.__module__, run.__qualname__, run.__name__ = func.__module__, func.__qualname__, func.__name__
        run.__doc__ = func.__doc__
        job_task = task()(run)
        _registry[name] = Job(name, func, int(every), int(retries), float(backoff), int(lease), job_task)
        return job_task

    return decorate


def registry() -> dict[str, Job]:
    """Every registered job by name, after importing each installed app's `tasks` module once."""
    global _discovered
    if not _discovered:
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("tasks")
        _discovered = True
    return dict(sorted(_registry.items()))


def get_job(name: str) -> Job:
    """The registered job, or UnknownJob naming the ones that exist."""
    jobs = registry()
    if name not in jobs:
        raise UnknownJob(f"no job named {name!r}; known jobs: {', '.join(jobs) or 'none'}")
    return jobs[name]


def sync(*, now: datetime | None = None) -> list[ScheduledJob]:
    """Make the schedule table match the registry: a row for each new job (due now), intervals kept current."""
    now = now or timezone.now()
    jobs = registry()
    rows = {row.name: row for row in ScheduledJob.objects.filter(name__in=jobs)}
    missing = [ScheduledJob(name=n, every_seconds=j.every, next_run_at=now) for n, j in jobs.items() if n not in rows]
    if missing:
        ScheduledJob.objects.bulk_create(missing, ignore_conflicts=True)  # another worker may be creating them too
    for name, job in jobs.items():
        if name in rows and rows[name].every_seconds != job.every:
            ScheduledJob.objects.filter(name=name).update(every_seconds=job.every)
    return list(ScheduledJob.objects.filter(name__in=jobs))


def snapshot() -> list[tuple[Job, ScheduledJob | None]]:
    """Each registered job beside its schedule row (None before any worker or command has synced it); no writes."""
    rows = {row.name: row for row in ScheduledJob.objects.filter(name__in=registry())}
    return [(job, rows.get(name)) for name, job in registry().items()]


def _due(now: datetime) -> Q:
    return Q(next_run_at__lte=now) & (Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))


def due_names(*, now: datetime) -> list[str]:
    """Names of the jobs due at `now` and not held by a live claim (a read: claiming is what decides)."""
    return list(ScheduledJob.objects.filter(_due(now), name__in=registry()).values_list("name", flat=True))


def claim(name: str, *, now: datetime) -> str | None:
    """Claim one due run and enqueue its task; the token, or None when it was not due or another claimer won."""
    job = get_job(name)
    token = uuid.uuid4().hex
    with transaction.atomic():
        won = ScheduledJob.objects.filter(_due(now), name=name).update(
            claim_token=token, claimed_until=now + timedelta(seconds=job.lease), attempt=0
        )
        if won:
            job.task.enqueue(token=token)
    return token if won else None


def schedule(*, now: datetime | None = None) -> list[str]:
    """One scheduler pass: sync the table, claim every due job and enqueue it. The names claimed."""
    now = now or timezone.now()
    sync(now=now)
    return [name for name in due_names(now=now) if claim(name, now=now)]


def execute(name: str, *, token: str) -> Any:
    """Run one claimed run of a job and record how it went (what the job's task does on a worker)."""
    job = get_job(name)
    started = timezone.now()
    if not token:  # enqueued by hand (job.task.enqueue()): a run outside the schedule, recorded like `jobs run`
        token = _force_claim(job, now=started)
    if not ScheduledJob.objects.filter(name=name, claim_token=token).update(last_run_at=started):
        log.info("job %s: run %s was superseded (its lease passed or it was run by hand); skipped", name, token)
        return {"skipped": "superseded"}
    try:
        result = job.func()
    except Exception as exc:
        _record_failure(job, token=token, started=started, error=f"{type(exc).__name__}: {exc}"[:ERROR_CHARS])
        raise
    _record_success(job, token=token, started=started)
    return result


def run_now(name: str) -> Any:
    """Run a job in this process now, whether due or not, recording it as the scheduler would (`rapport jobs run`)."""
    job = get_job(name)
    return execute(name, token=_force_claim(job, now=timezone.now()))


def _force_claim(job: Job, *, now: datetime) -> str:
    sync(now=now)
    token = uuid.uuid4().hex
    ScheduledJob.objects.filter(name=job.name).update(
        claim_token=token, claimed_until=now + timedelta(seconds=job.lease), attempt=0
    )
    return token


def _next_regular(job: Job, *, started: datetime, now: datetime) -> datetime:
    return max(started + timedelta(seconds=job.every), now)


def _record_success(job: Job, *, token: str, started: datetime) -> None:
    now = timezone.now()
    ScheduledJob.objects.filter(name=job.name, claim_token=token).update(
        claim_token="",
        claimed_until=None,
        attempt=0,
        failures=0,
        last_error="",
        last_finished_at=now,
        runs=F("runs") + 1,
        next_run_at=_next_regular(job, started=started, now=now),
    )


def _record_failure(job: Job, *, token: str, started: datetime, error: str) -> None:
    now = timezone.now()
    row = ScheduledJob.objects.filter(name=job.name, claim_token=token).first()
    if row is None:
        return  # superseded while running: the newer run's record stands
    common = {"failures": F("failures") + 1, "runs": F("runs") + 1, "last_error": error, "last_finished_at": now}
    with transaction.atomic():
        if row.attempt < job.retries:
            retry_at = now + job.retry_delay(row.attempt)
            ScheduledJob.objects.filter(pk=row.pk, claim_token=token).update(
                **common,
                attempt=F("attempt") + 1,
                next_run_at=retry_at,
                claimed_until=retry_at + timedelta(seconds=job.lease),  # the retry keeps the claim
            )
            job.task.using(run_after=retry_at).enqueue(token=token)
        else:
            ScheduledJob.objects.filter(pk=row.pk, claim_token=token).update(
                **common,
                claim_token="",
                claimed_until=None,
                attempt=0,
                next_run_at=_next_regular(job, started=started, now=now),
            )
    log.warning("job %s failed (attempt %d): %s", job.name, row.attempt + 1, error)


def recycle_connections() -> None:
    """Between jobs and batches: drop connections that are broken or past their age, as a request would."""
    if not connection.in_atomic_block:  # inside a test's transaction there is nothing to recycle
        close_old_connections()
