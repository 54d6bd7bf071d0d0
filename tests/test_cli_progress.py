"""Long commands draw a progress bar (rate, ETA) on a terminal's stderr and stay plain and machine-readable piped."""

from __future__ import annotations

import csv
import itertools
import json
import os
import pty
import re
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


def _on_a_terminal(args: list[str], env: dict[str, str], *, stdout_too: bool = False) -> tuple[int, str, str]:
    """Run a command with stderr (and stdout too, when asked) on a pseudo-terminal: (exit code, screen, stdout)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*RAPPORT, *args],
        env={**env, "COLUMNS": "120", "TERM": "xterm"},
        stdout=slave if stdout_too else subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    screen = _read(master, proc)
    out, _ = proc.communicate(timeout=300)
    os.close(master)
    return proc.returncode, screen.decode(errors="replace"), (out or b"").decode()


def _read(master: int, proc: subprocess.Popen) -> bytes:
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
    return screen


def test_on_a_terminal_stderr_shows_a_bar_and_stdout_stays_json(home, tmp_path):
    path = _sample(tmp_path, 1500)
    code, text, out = _on_a_terminal(["ingest", str(path), "--format", "airline-csv", "--batch-size", "250"], home)
    assert code == 0, text
    assert "ingesting tweets.csv" in text and "━" in text
    assert "/s" in text  # the rate
    assert "/1500" in text  # the total, so an ETA can be given
    summary = json.loads(out)  # nothing but the JSON line on stdout
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


def test_eval_shows_its_phase_and_the_import_inside_it_on_a_terminal(home):
    """`rapport eval ...` is made of phases: a spinner names the one it is in; stdout is exactly what a pipe
    gets."""
    code, screen, out = _on_a_terminal(["eval", "identity", "--pairs", "200"], home)
    assert code == 0, screen
    assert "eval identity" in screen
    assert "━" in screen
    assert "precision" in screen  # a phase the eval reported, shown beside the spinner
    piped = subprocess.run(
        [*RAPPORT, "eval", "identity", "--pairs", "200"], env=home, capture_output=True, text=True, timeout=300
    )
    assert piped.returncode == 0, piped.stderr
    assert "\x1b[" not in piped.stderr and "━" not in piped.stderr
    for got in (out, piped.stdout):
        summary = json.loads(got.strip().splitlines()[-1])
        assert summary["pairs"] == 200 and "auto_f1" in summary


def test_eval_on_one_terminal_prints_its_lines_above_the_spinner(home):
    code, screen, _ = _on_a_terminal(["eval", "identity", "--pairs", "200"], home, stdout_too=True)
    assert code == 0, screen
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen).replace("\r", "\n")
    last = [line for line in plain.splitlines() if line.strip().startswith('{"pairs"') and line.strip().endswith("}")]
    assert last and json.loads(last[-1].strip())["pairs"] == 200  # the result line is whole, not overdrawn


def test_dedupe_shows_a_bar_on_a_terminal(home, tmp_path):
    people = tmp_path / "people.csv"
    with people.open("w", encoding="utf-8") as fh:
        fh.write("first_name,last_name,email\n")
        for i in range(40):
            fh.write(f"Hanne{i},Kristensen,hanne{i}@example.dk\n")
    subprocess.run(
        [*RAPPORT, "contacts", "import", str(people), "--workspace", "acme"], env=home, check=True, capture_output=True
    )
    report = tmp_path / "dupes.csv"
    code, screen, out = _on_a_terminal(["contacts", "dedupe", "--workspace", "acme", "--report", str(report)], home)
    assert code == 0, screen
    assert "comparing people" in screen and "/40" in screen
    summary = json.loads(out)
    assert summary["report"] == str(report) and report.exists()


def test_a_bar_inside_a_phased_command_joins_its_display():
    """An import run by a bench (call_command) draws its bar as a line of the bench's display: a terminal holds
    one live display at a time, and rich refuses a second."""
    from rapport.core import cli

    lines: list[str] = []
    with cli.activity("bench value", lines.append) as out:
        outer = cli._active[-1]
        with cli.progress_bar("importing", 10) as advance:
            assert cli._active == [outer]  # no second display was opened
            advance(4)
            (task,) = [t for t in outer.tasks if t.description == "importing"]
            assert task.completed == 4
        assert [t.description for t in outer.tasks] == ["bench value"]  # the bar's line is gone with it
        out("import: 7,100 lines/s")
    assert lines == ["import: 7,100 lines/s"] and cli._active == []
