"""`rapport bench load` end to end for a few seconds at a small rate: the report's last line and the post counts."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

pytestmark = pytest.mark.slow


def test_bench_load_smoke():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RAPPORT_QUEUE_URL", "RAPPORT_TESTING")}
    env["RAPPORT_HOME"] = tempfile.mkdtemp()
    # The models an install builds (`rapport models build`), so the bench measures serving, not a first training.
    built = os.path.join(os.environ.get("RAPPORT_HOME", ".rapport"), "models")
    if os.path.isdir(built):
        shutil.copytree(built, os.path.join(env["RAPPORT_HOME"], "models"))
    args = ["bench", "load", "--minutes", "0.1", "--agents", "5", "--marketers", "2", "--posts-per-s", "20"]
    done = subprocess.run(
        [sys.executable, "-m", "rapport.cli", *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    summary = json.loads(lines[-1])
    keys = {"error_rate", "p99_ms", "p95_ms", "p50_ms", "healthz_p99_ms", "posts", "rss_mb", "goals_met"}
    assert keys <= set(summary)
    assert {"/inbox/queue/ (poll)", "/api/v1/mentions", "/api/v1/contacts?search=", "webhook", "/healthz"} <= set(
        summary["p99_ms"]
    )
    posts = summary["posts"]
    assert posts["accepted"] > 0
    assert posts["accepted"] == posts["stored"] == posts["routed"] and posts["routed_twice"] == 0
    assert summary["requests"] > 0 and 0 <= summary["error_rate"] <= 1
    assert any("/healthz p99" in line for line in lines) and any("goal" in line for line in lines)
