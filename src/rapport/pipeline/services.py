"""The pipeline's door: every entry point (API, webhooks, polling, web chat, `rapport ingest`) submits through here.

`submit()` normalises each raw item, dead-letters what is bad (naming the item and the field), enqueues the good
items on the stream (processed at once in-process, or queued for the workers on Redis) and returns one outcome
per item, in the order given. Entry points whose connector normalises a whole payload at once (a webhook body,
a poll) hand over its posts with `submit_posts()` and what it could not read with `dead_letter()` /
`dead_letter_rejections()`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rapport.pipeline import deadletters
from rapport.pipeline.connectors.base import PayloadError
from rapport.pipeline.connectors.files.client import Rejection
from rapport.pipeline.connectors.files.normalise import jsonl_to_post
from rapport.pipeline.ingest import BatchResult
from rapport.pipeline.models import DeadLetter
from rapport.pipeline.queue import RedisQueue, get_queue

Status = Literal["stored", "duplicate", "queued", "rejected"]
Normaliser = Callable[[Any], dict[str, Any]]
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class ItemOutcome:
    """What became of one submitted item."""

    index: int
    status: Status
    network: str | None = None
    external_id: str | None = None
    reason: str | None = None
    dead_letter_id: int | None = None


@dataclass
class Submitted:
    """The outcome of one submission: the pipeline's counts and one outcome per item."""

    received: int = 0
    rejected: int = 0
    queued: int = 0
    batch: BatchResult = field(default_factory=BatchResult)
    items: list[ItemOutcome] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return self.batch.stored

    @property
    def duplicates(self) -> int:
        return self.batch.duplicates


def _raw_text(item: Any) -> str:
    if isinstance(item, str | bytes):
        return item.decode("utf-8", "replace") if isinstance(item, bytes) else item
    text = json.dumps(item, ensure_ascii=False, default=str)
    # A lone surrogate cannot be stored as text; as a JSON escape it still replays to the same (rejected) item.
    return text if text.isascii() or not _SURROGATE.search(text) else json.dumps(item, default=str)


def _echo(item: Any, key: str) -> str | None:
    """A rejected item's network or id as the outcome reports it: a string or an integer, else nothing."""
    value = item.get(key) if isinstance(item, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value)[:200]


def submit(
    *,
    workspace_id: int,
    items: Sequence[Any],
    source: str,
    normalise: Normaliser = jsonl_to_post,
    fmt: str = "post",
) -> Submitted:
    """Normalise, dead-letter the bad, enqueue the good; one outcome per item (its index counts from 0)."""
    out = Submitted(received=len(items))
    good: list[tuple[int, dict[str, Any]]] = []
    for index, item in enumerate(items):
        try:
            good.append((index, normalise(item)))
        except PayloadError as exc:
            letter = deadletters.record(
                workspace_id=workspace_id,
                source=f"{source}:item {index}",
                fmt=fmt,
                payload=_raw_text(item)[:100_000],
                reason=str(exc),
            )
            out.items.append(
                ItemOutcome(
                    index=index,
                    status="rejected",
                    reason=str(exc),
                    dead_letter_id=letter.pk,
                    network=_echo(item, "network"),
                    external_id=_echo(item, "external_id"),
                )
            )
    out.rejected = len(items) - len(good)
    queue = get_queue()
    out.batch = queue.enqueue(workspace_id=workspace_id, posts=[p for _, p in good], source=source)
    queued = isinstance(queue, RedisQueue)
    out.queued = len(good) if queued else 0
    seen: set[tuple[str, str]] = set()
    for index, post in good:
        key = (post["network"], post["external_id"])
        fresh = key in out.batch.stored_keys and key not in seen
        status: Status = "queued" if queued else "stored" if fresh else "duplicate"
        seen.add(key)
        out.items.append(ItemOutcome(index, status, network=post["network"], external_id=post["external_id"]))
    out.items.sort(key=lambda r: r.index)
    return out


def submit_posts(*, workspace_id: int, posts: list[dict[str, Any]], source: str) -> BatchResult:
    """Enqueue posts a connector has already normalised (a webhook body, a poll); returns the pipeline's counts."""
    return get_queue().enqueue(workspace_id=workspace_id, posts=posts, source=source)


def dead_letter(*, workspace_id: int, source: str, fmt: str, payload: str, reason: str) -> DeadLetter:
    """Keep one payload that could not be read, with the reason, for an admin to see and replay."""
    return deadletters.record(workspace_id=workspace_id, source=source, fmt=fmt, payload=payload, reason=reason)


def dead_letter_rejections(*, workspace_id: int, source: str, fmt: str, rejections: Sequence[Rejection]) -> int:
    """Keep the records of a payload or file that could not be read, each naming its line or item."""
    return deadletters.record_rejections(workspace_id=workspace_id, source=source, fmt=fmt, rejections=rejections)
