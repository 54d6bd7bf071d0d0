"""A real `rapport worker` process killed (SIGKILL) mid-stream: another worker finishes; every post is stored once."""

from __future__ import annotations

import json
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

REDIS_URL = os.environ.get("RAPPORT_TEST_REDIS_URL")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not REDIS_URL, reason="RAPPORT_TEST_REDIS_URL is not set"),
    # The workers run on a database file of their own, so the PostgreSQL pass would only repeat the SQLite one.
    pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass"),
]
N = 3000


def _redis_db(url: str, db: int) -> str:
    base = url.rsplit("/", 1)[0] if url.count("/") > 2 else url
    return f"{base}/{db}"


RAPPORT = [sys.executable, "-m", "rapport.cli"]


def _install(tmp_path: Path, *, name: str, redis_db: int, **extra_env: str) -> tuple[dict, Path]:
    """A fresh SQLite install with one admin, whose workers share a Redis database of their own (flushed)."""
    import redis

    queue_url = _redis_db(REDIS_URL, redis_db)  # a database of its own: nothing else reads this stream
    redis.Redis.from_url(queue_url).flushdb()
    db_file = tmp_path / f"{name}.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "PYTEST", "DJANGO_SETTINGS"))},
        "DATABASE_URL": f"sqlite:///{db_file}",
        "RAPPORT_SECRET_KEY": secrets.token_urlsafe(40),  # a real key: weak ones are refused
        "RAPPORT_QUEUE_URL": queue_url,
        "RAPPORT_HOME": os.environ.get("RAPPORT_HOME", str(tmp_path)),  # shares the built models when set
        **extra_env,
    }
    _rapport(env, "migrate", "-v", "0")
    _rapport(
        env,
        "createuser",
        "crash@rapport.example",
        "--password",
        "Crash-Pass-1234",
        "--workspace",
        "crash",
        "--role",
        "admin",
    )
    return env, db_file


def _rapport(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*RAPPORT, *args], env=env, capture_output=True, text=True, timeout=600, check=True)


def test_a_killed_worker_loses_nothing_and_doubles_nothing(tmp_path: Path):
    import redis

    env, db_file = _install(tmp_path, name="crash", redis_db=7)
    queue_url = env["RAPPORT_QUEUE_URL"]
    rapport = RAPPORT

    def run(*args: str) -> subprocess.CompletedProcess:
        return _rapport(env, *args)

    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        "".join(
            json.dumps(
                {
                    "network": "twitter",
                    "external_id": f"c{i}",
                    "created_at": "2026-11-01T10:00:00Z",
                    "text": f"Post {i}: my flight was delayed again",
                    "author": {"external_id": f"u{i % 97}", "handle": f"user{i % 97}"},
                }
            )
            + "\n"
            for i in range(N)
        )
    )
    queued = json.loads(run("ingest", str(posts), "--format", "jsonl", "--queue").stdout.strip().splitlines()[-1])
    assert queued["queued"] == N

    def stored() -> int:
        with sqlite3.connect(db_file) as conn:
            return conn.execute("SELECT count(*) FROM listening_post").fetchone()[0]

    first = subprocess.Popen(
        [*rapport, "worker", "--batch-size", "200", "--block-ms", "100", "--name", "first"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while stored() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    at_kill = stored()
    assert 0 < at_kill < N, "the first worker should die mid-stream"
    second = run(
        "worker",
        "--batch-size",
        "200",
        "--block-ms",
        "100",
        "--claim-idle-ms",
        "200",
        "--exit-when-idle",
        "3",
        "--name",
        "second",
    )
    stats = json.loads(second.stdout.strip().splitlines()[-1])
    with sqlite3.connect(db_file) as conn:
        total, distinct = conn.execute("SELECT count(*), count(DISTINCT external_id) FROM listening_post").fetchone()
    assert (total, distinct) == (N, N)
    assert stats["stored"] == N - at_kill  # what the dead worker had committed is not stored again
    redis.Redis.from_url(queue_url).flushdb()


ROUTED = 1500
RECENT = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
CHANNEL = (
    "from rapport.channels.services import upsert_channel; from rapport.core.actors import Actor; "
    "from rapport.core.models import Workspace; "
    "upsert_channel(workspace=Workspace.objects.get(slug='crash'), actor=Actor.system('test'), network='twitter', "
    "handle='acmeair', name='acmeair', external_id='twitter-brand', credentials={'access_token': 'x'})"
)
DRAIN = (
    "from datetime import timedelta; from rapport.core.events import deliver_pending; "
    "deliver_pending(grace=timedelta(0))"
)


def test_workers_killed_again_and_again_route_every_post_exactly_once(tmp_path: Path):
    """SIGKILL at whatever step each worker is in (storing, linking, routing): every post still ends in exactly one
    inbox message, through the outbox's redelivery, with no manual step."""
    import redis

    env, db_file = _install(
        tmp_path,
        name="kills",
        redis_db=8,
        RAPPORT_EVENT_LEASE_SECONDS="1",  # a killed worker's events: taken at once
    )
    queue_url = env["RAPPORT_QUEUE_URL"]
    rapport = RAPPORT

    def run(*args: str) -> subprocess.CompletedProcess:
        return _rapport(env, *args)

    def count(sql: str) -> int:
        with sqlite3.connect(db_file, timeout=30) as conn:
            return conn.execute(sql).fetchone()[0]

    run("shell", "-c", CHANNEL)
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        "".join(
            json.dumps(
                {
                    "network": "twitter",
                    "external_id": f"k{i}",
                    "created_at": RECENT,  # live posts: history (older than RAPPORT_CARE_LIVE_DAYS) opens nothing
                    "text": f"@acmeair bag {i} lost, nobody answers",
                    "author": {"external_id": f"k-u{i}", "handle": f"kuser{i}"},
                }
            )
            + "\n"
            for i in range(ROUTED)
        )
    )
    run("ingest", str(posts), "--format", "jsonl", "--queue")
    worker = [*rapport, "worker", "--batch-size", "100", "--block-ms", "100", "--claim-idle-ms", "200"]
    kills = 0
    for wait_for in (1, 400, 800):  # kill once the first posts are stored, then further along
        proc = subprocess.Popen(worker, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 300
        while count("SELECT count(*) FROM listening_post") < wait_for and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        kills += 1
    assert count("SELECT count(*) FROM listening_post") < ROUTED, "the workers should die before the end"
    run(*worker[3:], "--exit-when-idle", "3")
    time.sleep(1.5)  # past the killed workers' leases
    run("shell", "-c", DRAIN)
    run("shell", "-c", DRAIN)  # identity's event follows the posts' event
    posts_stored = count("SELECT count(*) FROM listening_post")
    messages = count("SELECT count(*) FROM care_message WHERE direction = 'inbound'")
    distinct = count("SELECT count(DISTINCT post_id) FROM care_message WHERE direction = 'inbound'")
    undelivered = count("SELECT count(*) FROM core_outboxevent WHERE delivered_at IS NULL")
    assert kills == 3
    assert (posts_stored, messages, distinct, undelivered) == (ROUTED, ROUTED, ROUTED, 0)
    redis.Redis.from_url(queue_url).flushdb()
