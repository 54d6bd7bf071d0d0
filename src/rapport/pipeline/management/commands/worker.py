"""`rapport worker`: the job runner (scheduled and queued background jobs) and, when RAPPORT_QUEUE_URL is set,
the Redis Streams post consumer. Run as many as you like: jobs are claimed once, stream batches are shared."""

from __future__ import annotations

import json
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from rapport.core.runner import JobRunner, default_worker_id
from rapport.pipeline.queue import RedisQueue, get_queue
from rapport.pipeline.workers import WorkerStats, install_signal_handlers, run_worker


class Command(BaseCommand):
    requires_migrations_checks = True  # say "run rapport migrate" rather than fail on a missing table
    help = (
        "Run background jobs (SLA ticks, polling, queued tasks) and, with RAPPORT_QUEUE_URL, consume queued posts "
        "from the Redis Streams consumer group in batches."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--block-ms", type=int, default=2000, help="how long one read waits for new posts")
        parser.add_argument(
            "--claim-idle-ms",
            type=int,
            default=60_000,
            help="take over posts another worker left unacknowledged this long",
        )
        parser.add_argument("--name", default=None, help="consumer and worker name (default host-pid)")
        parser.add_argument("--max-batches", type=int, default=None)
        parser.add_argument(
            "--exit-when-idle", type=float, default=None, metavar="SECONDS", help="stop after this long with no work"
        )
        parser.add_argument("--no-jobs", action="store_true", help="consume the stream only; run no background jobs")

    def handle(self, *args, batch_size, block_ms, claim_idle_ms, name, max_batches, exit_when_idle, no_jobs, **options):
        stop = threading.Event()
        restore_signals = install_signal_handlers(stop)
        try:
            self._work(stop, batch_size, block_ms, claim_idle_ms, name, max_batches, exit_when_idle, no_jobs)
        finally:
            restore_signals()

    def _work(self, stop, batch_size, block_ms, claim_idle_ms, name, max_batches, exit_when_idle, no_jobs) -> None:
        name = name or default_worker_id()
        runner = None if no_jobs else JobRunner(worker_id=name, stop=stop)
        queue = get_queue()
        if isinstance(queue, RedisQueue):
            if (warning := queue.durability_warning()) is not None:
                if settings.RAPPORT_REQUIRE_DURABLE_QUEUE:
                    raise CommandError(f"{warning}; set `appendonly yes` (RAPPORT_REQUIRE_DURABLE_QUEUE=1 refuses)")
                self.stderr.write(f"warning: {warning}; production needs `appendonly yes`")
            if not settings.RAPPORT_CACHE_URL:
                self.stderr.write(
                    "warning: RAPPORT_CACHE_URL is unset, so rate limits and webhook replay checks are per process; "
                    "with several server processes set it to a Redis database of its own"
                )
            jobs = "no jobs" if no_jobs else "running jobs"
            self.stderr.write(f"worker {name} reading {queue.stream} as group {queue.group}, {jobs}")
            stats = run_worker(
                queue,
                consumer=name,
                batch_size=batch_size,
                block_ms=block_ms,
                claim_idle_ms=claim_idle_ms,
                max_batches=max_batches,
                idle_exit_s=exit_when_idle,
                stop=stop,
                report=lambda s: self.stderr.write(json.dumps(s.as_dict())),
                jobs=runner,
            )
        else:
            stats = WorkerStats()
            if runner is not None:  # the in-process post queue needs no consumer: jobs are the whole work
                self.stderr.write(f"worker {name} running jobs (no RAPPORT_QUEUE_URL: posts are processed in-process)")
                stats.tasks = runner.run(
                    idle_exit_s=exit_when_idle,
                    report=lambda s: self.stderr.write(json.dumps({"tasks": s.tasks, "claimed": s.claimed})),
                ).tasks
        self.stdout.write(json.dumps(stats.as_dict()))
