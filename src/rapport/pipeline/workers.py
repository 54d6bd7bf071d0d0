"""The stream loop behind `rapport worker`: consume batches until stopped, with running statistics; between batches
it gives the job runner (core.runner) its turn, under the same stop event and connection policy."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import redis
from django.db import connections

from rapport.core.jobs import recycle_connections
from rapport.core.runner import JobRunner
from rapport.pipeline.ingest import BatchResult
from rapport.pipeline.queue import DATABASE_DOWN, RedisQueue

log = logging.getLogger(__name__)
REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError)
MAX_BACKOFF_S = 30.0


@dataclass
class WorkerStats:
    """What a worker has done since it started."""

    started: float = field(default_factory=time.monotonic)
    batches: int = 0
    totals: BatchResult = field(default_factory=BatchResult)
    busy_seconds: float = 0.0
    tasks: int = 0  # background tasks the job runner ran between batches
    reconnects: int = 0  # times the queue or the database was unreachable and the worker waited for it

    def as_dict(self) -> dict[str, float | int]:
        """Counts plus posts/s while busy."""
        t = self.totals
        return {
            "batches": self.batches,
            "received": t.received,
            "stored": t.stored,
            "duplicates": t.duplicates,
            "alerts": t.alerts,
            "tasks": self.tasks,
            "reconnects": self.reconnects,
            "uptime_s": round(time.monotonic() - self.started, 1),
            "posts_per_s_busy": round(t.received / self.busy_seconds) if self.busy_seconds else 0,
        }


def run_worker(
    queue: RedisQueue,
    *,
    consumer: str,
    batch_size: int = 500,
    block_ms: int = 1000,
    claim_idle_ms: int = 60_000,
    max_batches: int | None = None,
    idle_exit_s: float | None = None,
    stop: threading.Event | None = None,
    report: Callable[[WorkerStats], None] | None = None,
    report_every_s: float = 10.0,
    jobs: JobRunner | None = None,
) -> WorkerStats:
    """Consume until stop is set, max_batches batches are done, or nothing (no post, no task) came for idle_exit_s."""
    stop = stop or threading.Event()
    stats = WorkerStats()
    last_report = last_work = time.monotonic()
    failures = 0  # in a row: the wait before the next try grows with them
    own_pending = False  # after a database outage, the unacknowledged batch is read again first
    while not stop.is_set():
        recycle_connections()  # a long-lived worker must survive database restarts and idle timeouts
        began = time.monotonic()
        try:
            if jobs is not None and (ran := jobs.step()):
                stats.tasks += ran
                last_work = time.monotonic()
            if stop.is_set():
                break
            began = time.monotonic()
            result = queue.consume(
                consumer=consumer,
                count=batch_size,
                block_ms=block_ms,
                claim_idle_ms=claim_idle_ms,
                own_pending=own_pending,
            )
        except REDIS_DOWN as exc:
            # Redis restarted or is unreachable: wait and reconnect; unacknowledged posts are delivered again.
            failures += 1
            stats.reconnects += 1
            delay = min(MAX_BACKOFF_S, 0.25 * 2 ** min(failures, 7))
            log.warning("queue unreachable (%s); retrying in %.1f s", exc, delay)
            queue.reset()
            if stop.wait(delay):
                break
            continue
        except DATABASE_DOWN as exc:
            # The database restarted or is unreachable: drop the broken connections, wait, and read the batch
            # again (it was not acknowledged; what of it committed is recognised as duplicates).
            failures += 1
            stats.reconnects += 1
            own_pending = True
            delay = min(MAX_BACKOFF_S, 0.25 * 2 ** min(failures, 7))
            log.warning("database unreachable (%s); retrying in %.1f s", str(exc).strip()[:200], delay)
            connections.close_all()
            if stop.wait(delay):
                break
            continue
        failures = 0
        own_pending = False
        now = time.monotonic()
        if result.received:
            stats.batches += 1
            stats.totals.add(result)
            stats.busy_seconds += now - began
            last_work = now
        if report and now - last_report >= report_every_s:
            report(stats)
            last_report = now
        if max_batches is not None and stats.batches >= max_batches:
            break
        if idle_exit_s is not None and now - last_work >= idle_exit_s:
            break
    return stats


def install_signal_handlers(stop: threading.Event) -> Callable[[], None]:
    """SIGTERM / SIGINT finish the current batch (so it is acknowledged) or job, and then stop.

    Returns a function that puts the previous handlers back (for a worker run inside a longer-lived process).
    """
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
