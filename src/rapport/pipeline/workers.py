"""The worker loop behind `rapport worker`: consume batches until stopped, with running statistics."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import close_old_connections, connection

from rapport.pipeline.ingest import BatchResult
from rapport.pipeline.queue import RedisQueue


@dataclass
class WorkerStats:
    """What a worker has done since it started."""

    started: float = field(default_factory=time.monotonic)
    batches: int = 0
    totals: BatchResult = field(default_factory=BatchResult)
    busy_seconds: float = 0.0

    def as_dict(self) -> dict[str, float | int]:
        """Counts plus posts/s while busy."""
        t = self.totals
        return {
            "batches": self.batches,
            "received": t.received,
            "stored": t.stored,
            "duplicates": t.duplicates,
            "alerts": t.alerts,
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
) -> WorkerStats:
    """Consume until stop is set, max_batches batches are done, or nothing arrived for idle_exit_s seconds."""
    stop = stop or threading.Event()
    stats = WorkerStats()
    last_report = last_work = time.monotonic()
    while not stop.is_set():
        if not connection.in_atomic_block:  # (inside a test transaction there is nothing to recycle)
            close_old_connections()  # a long-lived worker must survive database restarts and idle timeouts
        began = time.monotonic()
        result = queue.consume(consumer=consumer, count=batch_size, block_ms=block_ms, claim_idle_ms=claim_idle_ms)
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


def install_signal_handlers(stop: threading.Event) -> None:
    """SIGTERM / SIGINT finish the current batch (so it is acknowledged) and then stop."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
