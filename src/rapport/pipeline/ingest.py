"""The pipeline's heart: analyse a batch of normalised posts and store it idempotently in one transaction.

Idempotence rests on the unique (workspace, network, external_id) constraint: rows go in with
INSERT ... ON CONFLICT DO NOTHING, tagged with a batch token, and the batch then reads back exactly the rows it
inserted. Whatever a concurrent or redelivered batch already stored is counted as a duplicate, never twice.
"""

from __future__ import annotations

import multiprocessing
import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from rapport.contacts.models import Touchpoint
from rapport.contacts.touchpoints import post_touchpoint
from rapport.core import events
from rapport.core.privacy import is_private
from rapport.listening import spikes
from rapport.listening.models import Post, PostRule
from rapport.listening.rules import compiled_rules
from rapport.pipeline.sql import insert_ignore, json_value, select_in
from rapport.pipeline.stages import Item, analyse, link_authors
from rapport.pipeline.stages.analyse import analyse_texts, apply_results
from rapport.pipeline.stages.dedupe import first_with_hash, flag_within_batch, split_exact

PIPELINE_VERSION = 1
_NO_METRICS = json_value({})  # most posts carry no metrics: serialised once, passed through by the bulk insert


@dataclass
class BatchResult:
    """Counts for one batch; stored + duplicates == received (rejections are counted by the caller)."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    identities_created: int = 0
    touchpoints: int = 0
    near_duplicates: int = 0
    alerts: int = 0
    stored_keys: set[tuple[str, str]] = field(default_factory=set)

    def add(self, other: BatchResult) -> None:
        """Accumulate another batch's counts (stored_keys are not kept across batches)."""
        for name in (
            "received",
            "stored",
            "duplicates",
            "identities_created",
            "touchpoints",
            "near_duplicates",
            "alerts",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def summary(self) -> dict[str, int]:
        """The counts as a dict."""
        return {"received": self.received, "stored": self.stored, "duplicates": self.duplicates}


def _existing_keys(workspace_id: int, posts: list[dict[str, Any]]) -> set[tuple[str, str]]:
    by_net: dict[str, list[str]] = {}
    for p in posts:
        by_net.setdefault(p["network"], []).append(p["external_id"])
    sql = (
        f"SELECT external_id FROM {Post._meta.db_table} "  # noqa: S608
        "WHERE workspace_id = %s AND network = %s AND external_id IN ({in})"
    )
    return {(net, ext) for net, ids in by_net.items() for (ext,) in select_in(sql, [workspace_id, net], ids)}


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


POST_COLUMNS = (
    "workspace",
    "network",
    "external_id",
    "author",
    "person",
    "text",
    "language",
    "language_confidence",
    "sentiment_label",
    "sentiment_score",
    "created_at",
    "url",
    "in_reply_to",
    "kind",
    "private",
    "thread_id",
    "metrics",
    "raw",
    "source",
    "batch",
    "ingested_at",
    "pipeline_version",
    "text_hash",
    "near_duplicate_of",
)


def _row(workspace_id: int, item: Item, *, source: str, batch: str, now: datetime, duplicate_of: int | None) -> tuple:
    p = item.post
    kind = p.get("kind") or "post"
    return (
        workspace_id,
        p["network"][:16],
        p["external_id"][:200],
        item.author_id,
        item.person_id,
        p["text"],
        item.language,
        item.language_confidence,
        item.sentiment_label,
        item.sentiment_score,
        item.created_at,
        (p.get("url") or "")[:500],
        (p.get("in_reply_to") or "")[:200],
        kind,
        is_private(kind=kind, network=p["network"]),
        (p.get("thread_id") or "")[:200],
        p.get("metrics") or _NO_METRICS,
        p.get("raw"),
        source[:64],
        batch,
        now,
        PIPELINE_VERSION,
        item.text_hash,
        duplicate_of,
    )


def _touchpoint(workspace_id: int, item: Item, post_id: int) -> Touchpoint:
    p = item.post
    return post_touchpoint(
        workspace_id=workspace_id,
        person_id=item.person_id,
        post_id=post_id,
        network=p["network"],
        kind=p.get("kind") or "post",
        text=p["text"],
        occurred_at=item.created_at,
        external_id=p["external_id"],
        url=p.get("url"),
        extra={"sentiment": item.sentiment_label, "language": item.language},
    )


def _series(items: list[Item], rule_names: dict[int, str]) -> tuple[Counter, Counter, dict]:
    keys: list[tuple[str, str, datetime]] = []
    negative_keys: list[tuple[str, str, datetime]] = []
    for item in items:
        if is_private(kind=item.post.get("kind"), network=item.post["network"]):
            continue  # spikes are listening's: a private message's tags and @mentions must not surface in alerts
        hour = spikes.hour_of(item.created_at)
        start = len(keys)
        keys.append(("all", "*", hour))
        keys.extend([("rule", str(r), hour) for r in item.rule_ids])
        # "Around an author" means posts mentioning them: a wave about someone is written by many others.
        keys.extend([("author" if t[0] == "@" else "topic", t, hour) for t in item.topics])
        if item.sentiment_label == "negative":
            negative_keys.extend(keys[start:])
    counts, negatives = Counter(keys), Counter(negative_keys)  # counted in C, not one update per key
    labels = {(dim, key): rule_names.get(int(key), key) if dim == "rule" else key for dim, key, _ in counts}
    return counts, negatives, labels


@dataclass
class Prepared:
    """A batch after de-duplication against the database, ready for the analysis stages."""

    received: int
    items: list[Item]
    rules: list


def prepare(*, workspace_id: int, posts: list[dict[str, Any]]) -> Prepared:
    """Drop repeats inside the batch and posts already stored; load the workspace's compiled rules."""
    unique, _ = split_exact(posts)
    known = _existing_keys(workspace_id, unique)
    items = [
        Item(post=p, created_at=_parse_time(p["created_at"]))
        for p in unique
        if (p["network"], p["external_id"]) not in known
    ]
    return Prepared(received=len(posts), items=items, rules=compiled_rules(workspace_id) if items else [])


def store(*, workspace_id: int, prepared: Prepared, source: str = "", detect_spikes: bool = True) -> BatchResult:
    """Link authors and write an analysed batch in one transaction; returns exact stored / duplicate counts."""
    result = BatchResult(received=prepared.received)
    items, rules = prepared.items, prepared.rules
    if not items:
        result.duplicates = result.received
        return result
    now = timezone.now()
    batch = uuid.uuid4().hex
    # Authors first, in a short transaction of their own: a worker creating the same new authors waits for this
    # commit, not for the whole batch's (identities are idempotent, so a batch that fails later leaves no harm).
    with transaction.atomic():
        result.identities_created = link_authors(workspace_id=workspace_id, items=items)
    with transaction.atomic():
        # Posts repeating an already stored text point at it from the start; repeats inside the batch are
        # flagged once their ids are known.
        earlier = first_with_hash(model=Post, workspace_id=workspace_id, hashes={i.text_hash for i in items} - {""})
        returned = insert_ignore(
            Post,
            POST_COLUMNS,
            [
                _row(workspace_id, i, source=source, batch=batch, now=now, duplicate_of=earlier.get(i.text_hash))
                for i in items
            ],
            conflict=("workspace", "network", "external_id"),
            returning=("id", "network", "external_id", "text_hash"),
        )
        inserted = {(net, ext): (pk, h) for pk, net, ext, h in returned}
        stored_items = [
            (i, inserted[(i.post["network"], i.post["external_id"])][0])
            for i in items
            if (i.post["network"], i.post["external_id"]) in inserted
        ]
        insert_ignore(
            PostRule,
            ("workspace", "post", "rule", "created_at"),
            [(workspace_id, pk, r, i.created_at) for i, pk in stored_items for r in i.rule_ids],
            conflict=("post", "rule"),
        )
        touches = [_touchpoint(workspace_id, i, pk) for i, pk in stored_items if i.person_id]
        Touchpoint.objects.bulk_create(touches, batch_size=500)
        result.near_duplicates = sum(1 for i, _ in stored_items if i.text_hash in earlier) + flag_within_batch(
            model=Post, stored=list(inserted.values()), known=earlier
        )
        counts, negatives, labels = _series([i for i, _ in stored_items], {r.id: r.name for r in rules})
        spikes.add_counts(workspace_id=workspace_id, counts=counts, negatives=negatives)
        if detect_spikes:
            touched = {(d, k, h) for d, k, h in counts if d != "all"}
            result.alerts = len(spikes.detect(workspace_id=workspace_id, touched=touched, labels=labels))
    if inserted:
        events.emit(
            "listening.posts_stored", {"workspace_id": workspace_id, "post_ids": [pk for pk, _ in inserted.values()]}
        )
    result.stored = len(inserted)
    result.touchpoints = len(touches)
    result.duplicates = result.received - result.stored
    result.stored_keys = set(inserted)
    return result


def process_batch(
    *, workspace_id: int, posts: list[dict[str, Any]], source: str = "", detect_spikes: bool = True
) -> BatchResult:
    """Analyse, link and store a batch of normalised posts; duplicates (in the batch or already stored) are skipped."""
    prepared = prepare(workspace_id=workspace_id, posts=posts)
    analyse(prepared.items, prepared.rules)
    return store(workspace_id=workspace_id, prepared=prepared, source=source, detect_spikes=detect_spikes)


def process_stream(
    *,
    workspace_id: int,
    batches: Iterable[list[dict[str, Any]]],
    source: str = "",
    on_batch: Callable[[BatchResult], None] | None = None,
) -> BatchResult:
    """process_batch over many batches, analysing batch k+1 in a helper process while batch k is written.

    Analysis is CPU-bound Python and numpy, writing mostly waits on the database: on two or more cores they
    overlap. The helper process never touches the database; all reads and writes stay on the calling thread.
    """
    total = BatchResult()
    pool = None
    if (os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods():
        pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
    try:
        pending: tuple[Prepared, Future | None] | None = None
        for posts in batches:
            prepared = prepare(workspace_id=workspace_id, posts=posts)
            future = None
            if pool is not None and prepared.items:
                future = pool.submit(
                    analyse_texts,
                    [(i.post["text"], i.post["network"]) for i in prepared.items],
                    tuple(r.spec for r in prepared.rules),
                )
            if pending is not None:
                total.add(_finish(workspace_id, pending, source, on_batch))
            pending = (prepared, future)
        if pending is not None:
            total.add(_finish(workspace_id, pending, source, on_batch))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return total


def _finish(workspace_id: int, pending: tuple[Prepared, Future | None], source: str, on_batch) -> BatchResult:
    prepared, future = pending
    if future is None:
        analyse(prepared.items, prepared.rules)
    else:
        apply_results(prepared.items, future.result())
    result = store(workspace_id=workspace_id, prepared=prepared, source=source)
    if on_batch:
        on_batch(result)
    return result
