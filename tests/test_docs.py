"""Every setting and every `rapport` subcommand is documented in the README."""

import re
from pathlib import Path

from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_every_setting_read_from_the_environment_is_documented():
    names = set()
    for path in (ROOT / "src" / "rapport").rglob("*.py"):
        if "tests" in path.parts:
            continue
        names |= set(re.findall(r"environ(?:\.get)?\(?\[?\"(RAPPORT_[A-Z_]+)\"", path.read_text()))
    names -= {"RAPPORT_TESTING"}
    assert names, "no settings found: the pattern is wrong"
    missing = sorted(n for n in names if f"`{n}`" not in README)
    assert not missing, f"settings missing from the README table: {missing}"


def test_every_rapport_command_is_documented():
    ours = {name for name, app in get_commands().items() if app.startswith("rapport")}
    assert {"demo", "serve", "contacts", "ingest", "bench"} <= ours
    missing = sorted(name for name in ours if f"rapport {name}" not in README)
    assert not missing, f"commands missing from the README: {missing}"
