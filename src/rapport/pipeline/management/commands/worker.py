"""`rapport worker`: consume the Redis Streams post queue until stopped (run as many as you like)."""

from __future__ import annotations

import json
import threading

from django.core.management.base import BaseCommand, CommandError

from rapport.pipeline.queue import RedisQueue, default_consumer_name, get_queue
from rapport.pipeline.workers import install_signal_handlers, run_worker


class Command(BaseCommand):
    help = "Process queued posts from RAPPORT_QUEUE_URL (Redis Streams consumer group) in batches."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--block-ms", type=int, default=2000, help="how long one read waits for new posts")
        parser.add_argument(
            "--claim-idle-ms",
            type=int,
            default=60_000,
            help="take over posts another worker left unacknowledged this long",
        )
        parser.add_argument("--name", default=None, help="consumer name (default host-pid)")
        parser.add_argument("--max-batches", type=int, default=None)
        parser.add_argument("--exit-when-idle", type=float, default=None, metavar="SECONDS")

    def handle(self, *args, batch_size, block_ms, claim_idle_ms, name, max_batches, exit_when_idle, **options):
        queue = get_queue()
        if not isinstance(queue, RedisQueue):
            raise CommandError("set RAPPORT_QUEUE_URL=redis://host:6379/0: the in-process queue needs no worker")
        stop = threading.Event()
        install_signal_handlers(stop)
        consumer = name or default_consumer_name()
        self.stderr.write(f"worker {consumer} reading {queue.stream} as group {queue.group}")
        stats = run_worker(
            queue,
            consumer=consumer,
            batch_size=batch_size,
            block_ms=block_ms,
            claim_idle_ms=claim_idle_ms,
            max_batches=max_batches,
            idle_exit_s=exit_when_idle,
            stop=stop,
            report=lambda s: self.stderr.write(json.dumps(s.as_dict())),
        )
        self.stdout.write(json.dumps(stats.as_dict()))
