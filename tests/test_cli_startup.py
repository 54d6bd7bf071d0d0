"""`rapport --help` answers without Django or heavy libraries, grouped by task; commands start light."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rapport import cli

HEAVY = ("numpy", "scipy", "sklearn", "joblib", "phonenumbers", "pandas")
PROBE = """
import atexit, json, sys
def report():
    tops = sorted({m.split(".")[0] for m in sys.modules})
    sys.stderr.write("\\nMODULES " + json.dumps(tops) + "\\n")
atexit.register(report)
from rapport.cli import main
main(sys.argv[1:])
"""


def _loaded(*args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "rapport.settings"}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    line = next(ln for ln in proc.stderr.splitlines() if ln.startswith("MODULES "))
    return proc, set(json.loads(line.removeprefix("MODULES ")))


def test_help_loads_neither_django_nor_heavy_libraries():
    proc, modules = _loaded("--help")
    assert proc.returncode == 0, proc.stderr
    assert not modules & {"django", *HEAVY}, sorted(modules & {"django", *HEAVY})
    for group in ("Get started:", "Contacts and identity:", "Listening:", "Care inbox:", "Pipeline and jobs:"):
        assert group in proc.stdout
    assert "  ingest" in proc.stdout and "  contacts" in proc.stdout
    listed = {ln.split()[0] for ln in proc.stdout.splitlines() if ln.startswith("  ")}
    assert not listed & {"dbshell", "flush", "startapp", "migrate", "axes_reset"}  # Django's own are not listed
    assert "rapport django dbshell" in proc.stdout  # but it says where they are


@pytest.mark.parametrize("argv", [["ingest", "--help"], ["models", "status"], ["bench", "--help"], ["eval", "--help"]])
def test_commands_start_without_heavy_libraries(argv, tmp_path):
    proc, modules = _loaded(*argv)
    assert proc.returncode == 0, proc.stderr
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


def test_every_rapport_command_is_listed_with_its_help():
    text = cli.grouped_help()
    for name, (_app, help_line) in cli.rapport_commands().items():
        assert f"  {name} " in text, name
        assert help_line, f"{name} has no help line"


@pytest.mark.django_db
def test_listed_commands_are_the_ones_django_runs():
    from django.core.management import get_commands

    django_side = {n for n, app in get_commands().items() if app.startswith("rapport.")}
    assert set(cli.rapport_commands()) == django_side


def test_django_commands_stay_reachable():
    proc = subprocess.run(
        [sys.executable, "-m", "rapport.cli", "django", "help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "dbshell" in proc.stdout and "migrate" in proc.stdout
    proc = subprocess.run(
        [sys.executable, "-m", "rapport.cli", "django", "sqlmigrate", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0 and "usage: rapport sqlmigrate" in proc.stdout
