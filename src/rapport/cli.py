"""The `rapport` command: Rapport's own commands grouped by what users do; Django's under `rapport django ...`.

`rapport`, `rapport --help` and `rapport help` answer without setting Django up: the command list is read from the
apps' `management/commands/` folders and each command's `help = "..."` line (parsed, not imported), so no heavy
library is loaded to print it. Every other word is a management command run as Django runs it; Django's own
commands (`migrate`, `dbshell`, `shell`, ...) work as before and are listed by `rapport django help`.
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

from rapport.core import sourcescan

# Command -> the group it is listed under; a command no group names is listed under its app.
GROUPS: dict[str, tuple[str, ...]] = {
    "Get started": ("demo", "serve", "createuser"),
    "Contacts and identity": ("contacts",),
    "Listening": ("ingest", "poll", "models"),
    "Care inbox": ("care",),
    "Customers and value": ("purchases", "value"),
    "Privacy": ("consent",),
    "Pipeline and jobs": ("worker", "jobs", "deadletters"),
    "Measure": ("bench", "eval"),
}
_PACKAGE = Path(__file__).resolve().parent


def _help_line(path: Path) -> str:
    """The `help = "..."` of the module's Command class, read from its source without importing it."""
    tree = sourcescan.parse(path)
    for node in tree.body if tree else ():
        if isinstance(node, ast.ClassDef) and node.name == "Command":
            return (sourcescan.string_constant(node.body, "help") or "").strip()
    return ""


def rapport_commands() -> dict[str, tuple[str, str]]:
    """Every management command Rapport's apps define: name -> (app label, one-line help)."""
    found: dict[str, tuple[str, str]] = {}
    for path in sorted(_PACKAGE.glob("*/management/commands/*.py")):
        if path.name.startswith("_"):
            continue
        found[path.stem] = (path.parents[2].name, _help_line(path))
    return found


def grouped_help() -> str:
    """The text of `rapport --help`."""
    commands = rapport_commands()
    sections: dict[str, list[str]] = {title: [n for n in names if n in commands] for title, names in GROUPS.items()}
    listed = {n for names in sections.values() for n in names}
    for name, (app, _help) in commands.items():
        if name not in listed:
            sections.setdefault(app.capitalize(), []).append(name)
    width = max((len(n) for n in commands), default=10) + 2
    lines = [
        "usage: rapport COMMAND [ARGS]",
        "",
        "Rapport, the social CRM. `rapport COMMAND --help` tells more about a command.",
    ]
    for title, names in sections.items():
        if not names:
            continue
        lines += ["", f"{title}:"]
        for name in names:
            first = commands[name][1].split(". ")[0].rstrip(".")
            if len(first) > 96:
                first = first[:95].rsplit(" ", 1)[0].rstrip(",;:") + " ..."
            lines.append(f"  {name.ljust(width)}{first}")
    lines += [
        "",
        "Django's own commands (migrate, shell, dbshell, check, ...): `rapport django help`, `rapport django dbshell`.",
    ]
    return "\n".join(lines) + "\n"


def _django(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["rapport", *argv])


def main(argv: list[str] | None = None) -> None:
    """Run a `rapport` subcommand (e.g. `rapport demo`, `rapport contacts import FILE`, `rapport django dbshell`)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help") or args == ["help"]:
        sys.stdout.write(grouped_help())
        return
    if args[0] == "django":
        rest = args[1:]
        # `rapport django` and `rapport django --help` list every command, Django's included.
        _django(rest if rest and rest[0] not in ("-h", "--help") else ["help"])
        return
    _django(args)


if __name__ == "__main__":
    main()
