"""The job runner: scheduler passes plus django-tasks' database worker, in `rapport worker` or a thread of `serve`.

One stop policy: a threading.Event, set by SIGTERM / SIGINT (or by `serve` on exit); the current task finishes,
then the loop returns. One connection policy: connections are recycled between tasks (core.jobs.recycle_connections).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.utils import OperationalError
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from rapport.core.jobs import recycle_connections, schedule

log = logging.getLogger(__name__)

MAX_TASKS_PER_STEP = 100  # then the stream gets its turn again
ERROR_PAUSE_S = 5.0  # after a database error (restart, lock storm): wait, then carry on


def default_worker_id() -> str:
    """host-pid, as the stream consumer names itself."""
    return f"{socket.gethostname()}-{os.getpid()}"[:64]


class _DatabaseWorker(Worker):
    """django-tasks-db's worker, driven one task at a time so our loop owns stopping, sleeping and connections.

    `Worker.run()` sleeps, installs its own signal handlers and exits the process; `take_one` is the claim step of
    its loop, and `run_task` (the library's) runs the task and records its result.
    """

    def take_one(self) -> bool:
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        try:
            with exclusive_transaction(tasks.db):
                found = tasks.get_locked()
                if found is not None:
                    found.claim(self.worker_id)  # RUNNING: no other worker takes it
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return False
            raise
        if found is None:
            return False
        self.run_task(found)
        return True


@dataclass
class RunnerStats:
    """What the runner has done since it started."""

    passes: int = 0
    claimed: int = 0
    tasks: int = 0
    errors: int = 0
    started: float = field(default_factory=time.monotonic)


class JobRunner:
    """Scheduler + database worker. `step()` does one round; `run()` loops until stopped or idle."""

    def __init__(self, *, worker_id: str | None = None, stop: threading.Event | None = None):
        self.stop = stop or threading.Event()
        self.stats = RunnerStats()
        self.worker = _DatabaseWorker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id or default_worker_id(),
            excluded_queue_names=[],
        )

    def step(self) -> int:
        """Claim due jobs, then run ready tasks until none is left (or the stop is set). Tasks run."""
        try:
            recycle_connections()
            self.stats.passes += 1
            self.stats.claimed += len(schedule())
            ran = 0
            while ran < MAX_TASKS_PER_STEP and not self.stop.is_set() and self.worker.take_one():
                ran += 1
                recycle_connections()
        except OperationalError:
            # Our loop must outlive a database restart; the claim or the task row converges on the next pass.
            log.exception("job runner: database error; retrying in %.0f s", ERROR_PAUSE_S)
            self.stats.errors += 1
            self.stop.wait(ERROR_PAUSE_S)
            return 0
        self.stats.tasks += ran
        return ran

    def run(
        self,
        *,
        interval: float = 1.0,
        idle_exit_s: float | None = None,
        max_passes: int | None = None,
        report: Callable[[RunnerStats], None] | None = None,
        report_every_s: float = 60.0,
    ) -> RunnerStats:
        """Loop: step, then sleep `interval` when there was nothing to do; until stopped, idle or max_passes."""
        last_work = last_report = time.monotonic()
        while not self.stop.is_set():
            ran = self.step()
            now = time.monotonic()
            if ran:
                last_work = now
            if report and now - last_report >= report_every_s:
                report(self.stats)
                last_report = now
            if max_passes is not None and self.stats.passes >= max_passes:
                break
            if idle_exit_s is not None and now - last_work >= idle_exit_s:
                break
            if not ran:
                self.stop.wait(interval)
        return self.stats


def start_embedded() -> tuple[threading.Thread, threading.Event] | None:
    """`rapport serve`'s job runner: a daemon thread, unless RAPPORT_JOBS_EMBEDDED is off. (thread, stop) or None."""
    if not settings.RAPPORT_JOBS_EMBEDDED:
        return None
    stop = threading.Event()
    runner = JobRunner(worker_id=f"{default_worker_id()}-serve", stop=stop)

    def loop() -> None:
        try:
            runner.run()
        finally:
            from django.db import connection

            connection.close()

    thread = threading.Thread(target=loop, name="rapport-jobs", daemon=True)
    thread.start()
    return thread, stop
