"""`rapport ingest FILE --format {jsonl,airline-csv,twcs-csv} [--workspace SLUG]`: load posts from a file."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from itertools import islice

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from rapport.core.cli import progress_bar, resolve_workspace
from rapport.pipeline.connectors.base import parse_iso
from rapport.pipeline.connectors.files import FORMATS, Rejection, detect_format, iter_records


def _rows_in(path: str, fmt: str) -> int | None:
    """About how many records the file holds (its lines, less a CSV header), for the progress bar's ETA."""
    try:
        with open(path, "rb") as fh:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
    except OSError:
        return None
    return max(0, lines - (1 if fmt.endswith("csv") else 0)) or None


class Command(BaseCommand):
    help = "Ingest posts from a JSON-lines or CSV file; prints one JSON line of counts at the end."
    requires_system_checks: list[str] = []  # start in well under a second; `rapport django check` checks

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--format", choices=FORMATS, default=None, help="default: guessed from the first line")
        parser.add_argument("--workspace", default=None, help="workspace slug (default: the only one)")
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument(
            "--queue",
            action="store_true",
            help="send posts to RAPPORT_QUEUE_URL for `rapport worker` instead of processing here",
        )

    def handle(self, *args, file, format, workspace, batch_size, queue, **options):
        # The stream's stages (and their models) load once the command has something to do.
        from rapport.pipeline import deadletters
        from rapport.pipeline.ingest import BatchResult, process_stream
        from rapport.pipeline.queue import RedisQueue, get_queue

        if not os.path.isfile(file):
            raise CommandError(f"no such file: {file}")
        ws = resolve_workspace(workspace)
        fmt = format or "auto"
        sink = get_queue() if queue else None
        if queue and not isinstance(sink, RedisQueue):
            raise CommandError("--queue needs RAPPORT_QUEUE_URL=redis://...")
        fmt = fmt if fmt != "auto" else detect_format(file)
        source = f"file:{os.path.basename(file)}"
        records = iter_records(file, fmt)
        rejected = 0
        live_days = settings.RAPPORT_CARE_LIVE_DAYS
        cutoff = timezone.now() - timedelta(days=live_days)
        history = 0  # posts older than the inbox's live window: stored and analysed, never queued for an answer

        def batches():
            nonlocal rejected, history
            while chunk := list(islice(records, batch_size)):
                bad = [r for r in chunk if isinstance(r, Rejection)]
                for r in bad:
                    self.stderr.write(f"rejected line {r.line}: {r.reason}")
                rejected += deadletters.record_rejections(workspace_id=ws.pk, source=source, fmt=fmt, rejections=bad)
                advance(len(chunk))
                good = [r for r in chunk if not isinstance(r, Rejection)]
                history += sum(1 for r in good if parse_iso(r["created_at"]) < cutoff)
                yield good

        with progress_bar(f"ingesting {os.path.basename(file)}", _rows_in(file, fmt)) as advance:
            if sink is not None:
                totals = BatchResult()
                for posts in batches():
                    totals.add(sink.enqueue(workspace_id=ws.pk, posts=posts, source=source))
            else:
                # Analysis of the next batch runs in a helper process while this one is written.
                totals = process_stream(workspace_id=ws.pk, batches=batches(), source=source)
        if sink is not None:
            summary = {"received": totals.received + rejected, "queued": totals.received, "rejected": rejected}
        else:
            summary = {
                "received": totals.received + rejected,
                "stored": totals.stored,
                "duplicates": totals.duplicates,
                "rejected": rejected,
            }
        summary["backfill"] = history
        if history:
            self.stderr.write(
                f"backfill: {history} posts older than {live_days} days (before {cutoff:%Y-%m-%d}) are stored and "
                "analysed as history; no conversations opened, no SLA clocks started (RAPPORT_CARE_LIVE_DAYS)",
                style_func=self.style.WARNING,
            )
        self.stdout.write(json.dumps(summary))
