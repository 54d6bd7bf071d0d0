"""Dead-letter store: keep rejected records with their reason, and replay them after a fix."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from rapport.pipeline.connectors.base import PayloadError, storable_text
from rapport.pipeline.connectors.files.client import Rejection
from rapport.pipeline.connectors.files.normalise import (
    AIRLINE_COLUMNS,
    TWCS_COLUMNS,
    airline_row_to_post,
    jsonl_to_post,
    twcs_row_to_post,
)
from rapport.pipeline.models import DeadLetter


def record(*, workspace_id: int, source: str, fmt: str, payload: str, reason: str) -> DeadLetter:
    """Store one rejected payload."""
    return DeadLetter.objects.create(
        workspace_id=workspace_id,
        source=storable_text(source[:200]),
        format=fmt,
        payload=storable_text(payload),
        reason=storable_text(reason),
    )


def record_rejections(*, workspace_id: int, source: str, fmt: str, rejections: Iterable[Rejection]) -> int:
    """Store file rejections in bulk, naming the line each came from; return how many."""
    rows = [
        DeadLetter(
            workspace_id=workspace_id,
            source=storable_text(f"{source}:{r.line}"[:200]),
            format=fmt,
            payload=storable_text(r.raw),
            reason=storable_text(r.reason),
        )
        for r in rejections
    ]
    DeadLetter.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def _csv_post(payload: str, columns: tuple[str, ...], to_post) -> dict[str, Any]:
    rows = list(csv.reader(io.StringIO(payload)))
    if len(rows) != 1:
        raise PayloadError(f"row: expected one CSV record, got {len(rows)}")
    if len(rows[0]) != len(columns):
        raise PayloadError(f"row: expected {len(columns)} columns, got {len(rows[0])}")
    return to_post(dict(zip(columns, rows[0], strict=True)))


def parse(letter: DeadLetter) -> list[dict[str, Any]]:
    """Parse a dead letter's payload again with today's code; raise PayloadError (or ValueError) if still bad."""
    fmt = letter.format
    if fmt in ("jsonl", "post"):
        try:
            record_ = json.loads(letter.payload)
        except json.JSONDecodeError as exc:
            raise PayloadError(f"json: {exc.msg} at column {exc.colno}") from None
        return [jsonl_to_post(record_)]
    if fmt == "airline-csv":
        return [_csv_post(letter.payload, AIRLINE_COLUMNS, airline_row_to_post)]
    if fmt == "twcs-csv":
        return [_csv_post(letter.payload, TWCS_COLUMNS, twcs_row_to_post)]
    from rapport.pipeline.connectors.registry import replay as replay_payload

    return replay_payload(fmt, letter.payload)  # a network's own payload: its connector reads it again


def replay(*, workspace_id: int, ids: list[int] | None = None) -> dict[str, int]:
    """Re-run pending (or the given) dead letters through the pipeline; returns replayed/failed/stored counts."""
    from rapport.pipeline.ingest import process_batch

    qs = DeadLetter.objects.filter(workspace_id=workspace_id)
    qs = qs.filter(pk__in=ids) if ids else qs.exclude(status=DeadLetter.Status.REPLAYED)
    counts = {"replayed": 0, "failed": 0, "stored": 0, "duplicates": 0}
    for letter in qs.order_by("id").iterator(chunk_size=500):
        try:
            posts = parse(letter)
        except (PayloadError, ValueError, KeyError, TypeError) as exc:
            letter.status, letter.reason = DeadLetter.Status.FAILED, str(exc) or type(exc).__name__
            letter.replayed_at = timezone.now()
            letter.save(update_fields=["status", "reason", "replayed_at"])
            counts["failed"] += 1
            continue
        result = process_batch(workspace_id=workspace_id, posts=posts, source=f"replay:{letter.pk}")
        letter.status, letter.replayed_at = DeadLetter.Status.REPLAYED, timezone.now()
        letter.save(update_fields=["status", "replayed_at"])
        counts["replayed"] += 1
        counts["stored"] += result.stored
        counts["duplicates"] += result.duplicates
    return counts
