"""Long commands draw a progress bar (rate, ETA) on a terminal's stderr and stay plain and machine-readable piped."""

from __future__ import annotations

import csv
import itertools
import json
import os
import pty
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rapport.listening.nlp import data

RAPPORT = [sys.executable, "-m", "rapport.cli"]


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> dict[str, str]:
    """A real installation in a temporary RAPPORT_HOME: migrated, one workspace, the cached model copied in."""
    if not data.tweets_path().exists():
        pytest.skip(f"{data.tweets_path()} not found (set RAPPORT_DATA_DIR)")
    root = tmp_path_factory.mktemp("home")
    models = data.models_dir()
    if models.is_dir():
        shutil.copytree(models, root / "models")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["RAPPORT_HOME"] = str(root)
    for args in (
        ["migrate", "-v0"],
        ["createuser", "a@acme.example", "--password", "Pw-4821-xyz", "--workspace", "acme", "--role", "admin"],
    ):
        subprocess.run([*RAPPORT, *args], env=env, check=True, capture_output=True, timeout=300)
    return env


def _sample(tmp_path: Path, rows: int) -> Path:
    """The first rows of the airline CSV, one line each (the bar's total counts lines)."""
    path = tmp_path / "tweets.csv"
    with data.tweets_path().open(encoding="utf-8", newline="") as src, path.open("w", encoding="utf-8") as dst:
        reader = csv.DictReader(src)
        writer = csv.DictWriter(dst, fieldnames=list(reader.fieldnames or []))
        writer.writeheader()
        for row in itertools.islice(reader, rows):
            writer.writerow({k: (v or "").replace("\n", " ").replace("\r", " ") for k, v in row.items()})
    return path


def test_on_a_terminal_stderr_shows_a_bar_and_stdout_stays_json(home, tmp_path):
    path = _sample(tmp_path, 1500)
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*RAPPORT, "ingest", str(path), "--format", "airline-csv", "--batch-size", "250"],
        env={**home, "COLUMNS": "120", "TERM": "xterm"},
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    screen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
        elif proc.poll() is not None:
            break
    out, _ = proc.communicate(timeout=300)
    os.close(master)
    assert proc.returncode == 0, screen.decode(errors="replace")
    text = screen.decode(errors="replace")
    assert "ingesting tweets.csv" in text and "━" in text
    assert "/s" in text  # the rate
    assert "/1500" in text  # the total, so an ETA can be given
    summary = json.loads(out.decode())  # nothing but the JSON line on stdout
    assert summary["received"] == 1500


def test_piped_output_is_plain(home, tmp_path):
    path = _sample(tmp_path, 300)
    proc = subprocess.run(
        [*RAPPORT, "ingest", str(path), "--format", "airline-csv"],
        env={**home, "TERM": "xterm"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "\x1b[" not in proc.stderr and "━" not in proc.stderr
    assert json.loads(proc.stdout)["received"] == 300
    assert proc.stderr.startswith("backfill: 300 posts older than")  # the one line a pipe gets, plain
