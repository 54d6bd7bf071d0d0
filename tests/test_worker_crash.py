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


def test_a_killed_worker_loses_nothing_and_doubles_nothing(tmp_path: Path):
    import redis

    queue_url = _redis_db(REDIS_URL, 7)  # a database of its own: nothing else reads this stream
    redis.Redis.from_url(queue_url).flushdb()
    db_file = tmp_path / "crash.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "PYTEST", "DJANGO_SETTINGS"))},
        "DATABASE_URL": f"sqlite:///{db_file}",
        "RAPPORT_SECRET_KEY": secrets.token_urlsafe(40),  # a real key: weak ones are refused
        "RAPPORT_QUEUE_URL": queue_url,
        "RAPPORT_HOME": os.environ.get("RAPPORT_HOME", str(tmp_path)),  # shares the built models when set
    }
    rapport = [sys.executable, "-m", "rapport.cli"]

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*rapport, *args], env=env, capture_output=True, text=True, timeout=600, check=True)

    run("migrate", "-v", "0")
    run(
        "createuser",
        "crash@rapport.example",
        "--password",
        "Crash-Pass-1234",
        "--workspace",
        "crash",
        "--role",
        "admin",
    )
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
