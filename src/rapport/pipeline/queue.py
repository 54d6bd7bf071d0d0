"""The post queue: in-process by default, Redis Streams with a consumer group when RAPPORT_QUEUE_URL is set.

Redis delivery is at-least-once: a worker acknowledges (XACK) a message only after the batch holding it has
committed, and messages a dead worker left pending are claimed by another worker (XAUTOCLAIM) once idle for
`claim_idle_ms`. Storage is idempotent on (workspace, network, external_id), so a redelivered post is counted
as a duplicate and never stored twice.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError

from rapport.core.models import Workspace
from rapport.pipeline.ingest import BatchResult, process_batch

log = logging.getLogger(__name__)
# The database restarting or unreachable: nothing is wrong with the posts, so nothing is dead-lettered.
DATABASE_DOWN = (OperationalError, InterfaceError)
STREAM = "rapport:posts"
GROUP = "rapport-workers"


@dataclass
class QueuedPost:
    """One queued post with its workspace and source."""

    id: str
    workspace_id: int
    source: str
    post: dict[str, Any] | None
    raw: str


class InProcessQueue:
    """The embedded default: enqueue runs the pipeline at once in the caller's process."""

    url = "in-process"

    def enqueue(self, *, workspace_id: int, posts: list[dict[str, Any]], source: str = "") -> BatchResult:
        """Process the posts now and return the batch result."""
        return process_batch(workspace_id=workspace_id, posts=posts, source=source)

    def consume(self, **_: Any) -> BatchResult:
        """Nothing is ever waiting in the in-process queue."""
        return BatchResult()


class RedisQueue:
    """A Redis stream read by a consumer group; any number of `rapport worker` processes share the work."""

    def __init__(self, url: str, *, stream: str = STREAM, group: str = GROUP) -> None:
        import redis

        self.url = url
        self.redis = redis.Redis.from_url(url, decode_responses=True)
        self.stream, self.group = stream, group
        self._group_ready = False

    def reset(self) -> None:
        """Forget what this process knows of the server (after a restart the group may have to be created again)."""
        self._group_ready = False
        self.redis.connection_pool.disconnect()

    def ensure_group(self) -> None:
        """Create the consumer group (and the stream) if missing, starting from the first message."""
        import redis

        if self._group_ready:
            return
        try:
            self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    def enqueue(self, *, workspace_id: int, posts: list[dict[str, Any]], source: str = "") -> BatchResult:
        """XADD one message per post (pipelined); the result counts them as received only."""
        self.ensure_group()
        pipe = self.redis.pipeline(transaction=False)
        for post in posts:
            body = json.dumps({"w": workspace_id, "s": source, "p": post}, ensure_ascii=False, default=str)
            pipe.xadd(self.stream, {"d": body})
        pipe.execute()
        return BatchResult(received=len(posts))

    def _decode(self, entries: list) -> list[QueuedPost]:
        out = []
        for msg_id, fields in entries:
            raw = (fields or {}).get("d", "")
            try:
                data = json.loads(raw)
                out.append(QueuedPost(msg_id, int(data["w"]), str(data.get("s", "")), data["p"], raw))
            except (ValueError, KeyError, TypeError):
                out.append(QueuedPost(msg_id, 0, "", None, raw))
        return out

    def read(
        self, *, consumer: str, count: int, block_ms: int, claim_idle_ms: int, own_pending: bool = False
    ) -> list[QueuedPost]:
        """Messages for this consumer: with `own_pending`, first those it read and never acknowledged (a batch the
        database went away under); then ones a dead consumer left idle; else new ones (blocking up to block_ms)."""
        self.ensure_group()
        if own_pending:
            got = self.redis.xreadgroup(self.group, consumer, {self.stream: "0"}, count=count)
            mine = [e for e in (got[0][1] if got else []) if e[1]]
            if mine:
                return self._decode(mine)
        _, claimed, _ = self.redis.xautoclaim(
            self.stream, self.group, consumer, min_idle_time=claim_idle_ms, start_id="0-0", count=count
        )
        if claimed:
            return self._decode([c for c in claimed if c[1] is not None])
        got = self.redis.xreadgroup(self.group, consumer, {self.stream: ">"}, count=count, block=block_ms or None)
        return self._decode(got[0][1]) if got else []

    def ack(self, ids: list[str]) -> None:
        """Acknowledge processed messages and drop them from the stream."""
        if ids:
            pipe = self.redis.pipeline(transaction=False)
            pipe.xack(self.stream, self.group, *ids)
            pipe.xdel(self.stream, *ids)
            pipe.execute()

    @property
    def parked_stream(self) -> str:
        """Where messages that belong to no workspace are kept for an operator (`XRANGE rapport:posts:parked`)."""
        return f"{self.stream}:parked"

    def park(self, message: QueuedPost, reason: str) -> None:
        """Keep a message no workspace can hold (unreadable, or for a workspace that is gone) beside the stream."""
        log.error("queue message %s parked on %s: %s", message.id, self.parked_stream, reason)
        self.redis.xadd(self.parked_stream, {"d": message.raw, "reason": reason, "id": message.id}, maxlen=100_000)

    def durability_warning(self) -> str | None:
        """Why queued posts could be lost on a Redis restart (no AOF), or None when Redis persists every write."""
        try:
            aof = self.redis.config_get("appendonly").get("appendonly")
        except Exception:  # noqa: BLE001 - managed Redis may forbid CONFIG: say so rather than guess
            return "could not read Redis's appendonly setting: make sure AOF persistence is on"
        if aof != "yes":
            return "Redis runs without AOF persistence (appendonly no): queued posts are lost if Redis restarts"
        return None

    def pending(self) -> int:
        """Messages delivered but not yet acknowledged."""
        self.ensure_group()
        return int(self.redis.xpending(self.stream, self.group)["pending"])

    def backlog(self) -> int:
        """Messages in the stream (pending or not yet delivered)."""
        return int(self.redis.xlen(self.stream))

    def consume(
        self,
        *,
        consumer: str,
        count: int = 500,
        block_ms: int = 1000,
        claim_idle_ms: int = 60_000,
        own_pending: bool = False,
    ) -> BatchResult:
        """Read one batch, run it through the pipeline per workspace, then XACK it; returns the counts.

        A database that is restarting is not a poisoned post: the error goes up unacknowledged (the worker waits and
        reads the same messages again) instead of dead-lettering posts that are fine."""
        from rapport.pipeline import deadletters

        messages = self.read(
            consumer=consumer, count=count, block_ms=block_ms, claim_idle_ms=claim_idle_ms, own_pending=own_pending
        )
        total = BatchResult()
        by_ws: dict[int, list[QueuedPost]] = defaultdict(list)
        for m in messages:
            if m.post is None or not m.workspace_id:
                self.park(m, "unreadable queue message")
                continue
            by_ws[m.workspace_id].append(m)
        known = set(Workspace.objects.filter(pk__in=list(by_ws)).values_list("pk", flat=True)) if by_ws else set()
        for workspace_id in [w for w in by_ws if w not in known]:
            for m in by_ws.pop(workspace_id):  # no workspace to keep a dead letter in: parked on the stream
                self.park(m, f"workspace {workspace_id} does not exist")
        for workspace_id, batch in by_ws.items():
            try:
                total.add(
                    process_batch(workspace_id=workspace_id, posts=[m.post for m in batch], source=batch[0].source)
                )
            except DATABASE_DOWN:
                raise
            except Exception as exc:  # noqa: BLE001 - one poisoned post must not block the stream
                log.exception("batch failed; retrying its posts one by one")
                for m in batch:
                    try:
                        total.add(process_batch(workspace_id=workspace_id, posts=[m.post], source=m.source))
                    except DATABASE_DOWN:
                        raise
                    except Exception as one:  # noqa: BLE001
                        deadletters.record(
                            workspace_id=workspace_id,
                            source=f"queue:{m.source}",
                            fmt="post",
                            payload=json.dumps(m.post, default=str),
                            reason=f"pipeline: {one or exc}",
                        )
        self.ack([m.id for m in messages])
        return total


def default_consumer_name() -> str:
    """host-pid: unique per worker process, stable for its life."""
    return f"{socket.gethostname()}-{os.getpid()}"


def get_queue(url: str | None = None) -> InProcessQueue | RedisQueue:
    """The configured queue: Redis Streams for redis:// URLs, else in-process."""
    url = settings.RAPPORT_QUEUE_URL if url is None else url
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisQueue(url)
    return InProcessQueue()


def enqueue(*, workspace_id: int, posts: list[dict[str, Any]], source: str = "") -> BatchResult:
    """Send posts down the configured queue."""
    return get_queue().enqueue(workspace_id=workspace_id, posts=posts, source=source)
