"""Redis Streams queue against a real redis-server: consumer groups, acknowledgement and redelivery."""

from __future__ import annotations

import os
import threading
import time
import uuid

import pytest

from rapport.listening.models import Post
from rapport.pipeline.queue import InProcessQueue, RedisQueue, get_queue
from rapport.pipeline.tests.factories import make_post
from rapport.pipeline.workers import run_worker

pytestmark = pytest.mark.django_db
REDIS_URL = os.environ.get("RAPPORT_TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="RAPPORT_TEST_REDIS_URL is not set")


@pytest.fixture
def queue():
    q = RedisQueue(REDIS_URL, stream=f"rapport:test:{uuid.uuid4().hex}", group="workers")
    yield q
    q.redis.delete(q.stream)


def test_default_queue_is_in_process(settings, workspace):
    settings.RAPPORT_QUEUE_URL = ""
    q = get_queue()
    assert isinstance(q, InProcessQueue)
    assert q.enqueue(workspace_id=workspace.pk, posts=[make_post(1)]).stored == 1


@needs_redis
def test_enqueued_posts_are_stored_once_by_a_worker(queue, workspace):
    queue.enqueue(workspace_id=workspace.pk, posts=[make_post(i) for i in range(30)] + [make_post(3)])
    result = queue.consume(consumer="w1", count=100, block_ms=100)
    assert (result.received, result.stored, result.duplicates) == (31, 30, 1)
    assert queue.pending() == 0 and queue.backlog() == 0
    assert Post.objects.filter(workspace=workspace).count() == 30


@needs_redis
def test_messages_of_a_worker_killed_mid_batch_are_claimed_by_another(queue, workspace):
    queue.enqueue(workspace_id=workspace.pk, posts=[make_post(i) for i in range(20)])
    # Worker A reads a batch and dies before processing or acknowledging it.
    taken = queue.read(consumer="A", count=8, block_ms=100, claim_idle_ms=60_000)
    assert len(taken) == 8 and queue.pending() == 8
    # B reads only new messages while A's are not yet idle long enough...
    fresh = queue.consume(consumer="B", count=100, block_ms=100, claim_idle_ms=60_000)
    assert fresh.stored == 12 and queue.pending() == 8
    time.sleep(0.2)
    # ...and once they are, claims and processes them.
    claimed = queue.consume(consumer="B", count=100, block_ms=100, claim_idle_ms=100)
    assert (claimed.received, claimed.stored) == (8, 8)
    assert queue.pending() == 0
    assert Post.objects.filter(workspace=workspace).count() == 20


@needs_redis
def test_a_batch_committed_but_not_acknowledged_is_not_stored_twice(queue, workspace):
    from rapport.pipeline.ingest import process_batch

    queue.enqueue(workspace_id=workspace.pk, posts=[make_post(i) for i in range(10)])
    taken = queue.read(consumer="A", count=10, block_ms=100, claim_idle_ms=60_000)
    process_batch(workspace_id=workspace.pk, posts=[m.post for m in taken])  # committed; A dies before XACK
    time.sleep(0.15)
    redelivered = queue.consume(consumer="B", count=100, block_ms=100, claim_idle_ms=100)
    assert (redelivered.received, redelivered.stored, redelivered.duplicates) == (10, 0, 10)
    assert Post.objects.filter(workspace=workspace).count() == 10 and queue.pending() == 0


@needs_redis
def test_worker_loop_stops_when_idle_and_reports_stats(queue, workspace):
    queue.enqueue(workspace_id=workspace.pk, posts=[make_post(i) for i in range(25)])
    stats = run_worker(queue, consumer="w", batch_size=10, block_ms=50, idle_exit_s=0.3, stop=threading.Event())
    assert stats.batches == 3
    assert stats.as_dict()["stored"] == 25


@needs_redis
def test_ingest_queue_then_worker_command(settings, workspace, tmp_path):
    import json
    from io import StringIO

    from django.core.management import call_command

    settings.RAPPORT_QUEUE_URL = REDIS_URL
    stream = RedisQueue(REDIS_URL)
    stream.redis.delete(stream.stream)
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(json.dumps(make_post(i)) for i in range(40)) + "\n")
    out = StringIO()
    call_command("ingest", str(path), "--format", "jsonl", "--queue", stdout=out)
    # The factory's posts are from March: history, stored and analysed but opening no conversation, and said so.
    assert json.loads(out.getvalue()) == {"received": 40, "queued": 40, "rejected": 0, "backfill": 40}
    assert Post.objects.count() == 0
    out = StringIO()
    try:
        call_command(
            "worker", "--batch-size", "15", "--block-ms", "50", "--exit-when-idle", "0.3", stdout=out, stderr=StringIO()
        )
    finally:
        stream.redis.delete(stream.stream)
    stats = json.loads(out.getvalue())
    assert (stats["batches"], stats["stored"], stats["duplicates"]) == (3, 40, 0)
    assert Post.objects.filter(workspace=workspace).count() == 40


@needs_redis
def test_messages_no_workspace_can_hold_are_parked_and_the_good_ones_stored(queue, workspace):
    import json

    queue.enqueue(workspace_id=workspace.pk, posts=[make_post(1)])
    queue.enqueue(workspace_id=987654321, posts=[make_post(2)])  # a workspace that was deleted
    queue.ensure_group()
    queue.redis.xadd(queue.stream, {"d": "{not json"})
    try:
        result = queue.consume(consumer="c1", count=10, block_ms=100)
        assert result.stored == 1 and Post.objects.count() == 1
        parked = queue.redis.xrange(queue.parked_stream)
        assert sorted(fields["reason"] for _, fields in parked) == [
            "unreadable queue message",
            "workspace 987654321 does not exist",
        ]
        kept = {fields["reason"]: fields["d"] for _, fields in parked}
        assert json.loads(kept["workspace 987654321 does not exist"])["w"] == 987654321  # the message, whole
        assert kept["unreadable queue message"] == "{not json"
        assert queue.pending() == 0  # nothing left to crash the next worker
    finally:
        queue.redis.delete(queue.parked_stream)


@needs_redis
def test_a_redis_without_aof_is_reported(queue):
    assert "appendonly no" in (queue.durability_warning() or "")


def test_a_worker_waits_for_redis_to_come_back(workspace, tmp_path):
    import shutil
    import socket
    import subprocess

    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    def start() -> subprocess.Popen:
        proc = subprocess.Popen(
            [server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return proc
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    url = f"redis://127.0.0.1:{port}/0"
    first = start()
    q = RedisQueue(url, stream="rapport:test:restart", group="workers")
    q.ensure_group()
    stop = threading.Event()

    def restart_then_post() -> None:
        time.sleep(0.5)
        first.kill()
        first.wait(5)
        time.sleep(1.0)  # the worker finds Redis gone at least once
        second = start()
        try:
            RedisQueue(url, stream="rapport:test:restart", group="workers").enqueue(
                workspace_id=workspace.pk, posts=[make_post(7)]
            )
            deadline = time.monotonic() + 20
            while not stop.is_set() and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            stop.set()
            second.kill()
            second.wait(5)

    helper = threading.Thread(target=restart_then_post, daemon=True)
    helper.start()
    stats = run_worker(q, consumer="c1", block_ms=100, stop=stop, max_batches=1)
    stop.set()
    helper.join(30)
    assert stats.reconnects >= 1
    assert stats.totals.stored == 1 and Post.objects.count() == 1


@needs_redis
def test_a_database_outage_mid_batch_dead_letters_nothing_and_the_batch_is_read_again(queue, workspace, monkeypatch):
    from django.db import OperationalError

    from rapport.pipeline import queue as queue_module
    from rapport.pipeline.models import DeadLetter

    queue.enqueue(workspace_id=workspace.pk, posts=[make_post(i) for i in range(6)])
    real = queue_module.process_batch

    def restarting(**kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(queue_module, "process_batch", restarting)
    with pytest.raises(OperationalError):
        queue.consume(consumer="A", count=100, block_ms=100)
    # Not a poisoned post: no dead letter, nothing acknowledged.
    assert not DeadLetter.objects.exists() and queue.pending() == 6
    monkeypatch.setattr(queue_module, "process_batch", real)
    again = queue.consume(consumer="A", count=100, block_ms=100, own_pending=True)
    assert (again.received, again.stored) == (6, 6) and queue.pending() == 0


def test_the_worker_waits_out_a_database_restart_and_reads_its_batch_again(monkeypatch):
    from django.db import OperationalError

    from rapport.pipeline.ingest import BatchResult

    asked: list[bool] = []

    class Restarting:
        def consume(self, **kwargs):
            asked.append(kwargs["own_pending"])
            if len(asked) == 1:
                raise OperationalError("server closed the connection unexpectedly")
            return BatchResult(received=4, stored=4)

        def reset(self):
            raise AssertionError("a database outage does not reset the queue")

    stop = threading.Event()
    monkeypatch.setattr("rapport.pipeline.workers.MAX_BACKOFF_S", 0.01)
    stats = run_worker(Restarting(), consumer="w", max_batches=1, stop=stop)
    assert asked == [False, True]
    assert (stats.batches, stats.reconnects, stats.totals.stored) == (1, 1, 4)
