"""Commands whose subcommands live in the domain apps (`rapport bench NAME`, `rapport eval NAME`).

Each installed app that has the command's module (`bench.py`, `evaluation.py`) provides a subcommand, named by the
module's `NAME` or else by the app's label: core names no domain app, and a new app's bench joins by existing.

The registry is read from the modules' source (their `NAME`, docstring and top-level functions), not by importing
them: `rapport bench pipeline` imports the pipeline's bench alone, and `rapport bench --help` imports none.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from rapport.core import sourcescan


@dataclass(frozen=True)
class Entry:
    """One app's subcommand, as its source declares it."""

    name: str
    module: str  # dotted path
    help: str


def _entry(path: Path, dotted: str, label: str) -> Entry | None:
    tree = sourcescan.parse(path)
    if tree is None:
        return None
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    if not {"run", "add_arguments"} <= functions:
        return None
    doc = (ast.get_docstring(tree) or "").strip()
    name = sourcescan.string_constant(tree.body, "NAME") or label
    return Entry(name=name, module=dotted, help=doc.splitlines()[0] if doc else "")


def registry(module_name: str) -> dict[str, Entry]:
    """Subcommand name -> where it lives, for every installed app that has `module_name`; nothing is imported."""
    found: dict[str, Entry] = {}
    for config in apps.get_app_configs():
        base = Path(config.path)
        for path in (base / f"{module_name}.py", base / module_name / "__init__.py"):
            if path.is_file():
                entry = _entry(path, f"{config.name}.{module_name}", config.label)
                if entry is not None:
                    found[entry.name] = entry
                break
    return dict(sorted(found.items()))


def available(module_name: str) -> dict[str, ModuleType]:
    """Subcommand name -> imported module, for every installed app that has `module_name`."""
    return {name: importlib.import_module(e.module) for name, e in registry(module_name).items()}


class RegistryCommand(BaseCommand):
    """Each app's module provides add_arguments(parser) and run(options, write)."""

    module_name = ""
    dest = "name"
    # These commands measure; Django's system checks (which import every URLconf and view) are `rapport django check`.
    requires_system_checks: list[str] = []
    _words: list[str] | None = None  # the command line's words; None under call_command (import them all)

    def run_from_argv(self, argv):
        # From the command line only the chosen subcommand's module is imported to build its arguments.
        self._words = list(argv[2:])
        return super().run_from_argv(argv)

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest=self.dest, required=True)
        entries = registry(self.module_name)
        chosen = None if self._words is None else next((w for w in self._words if w in entries), "")
        for name, entry in entries.items():
            sp = sub.add_parser(name, help=entry.help)
            if chosen is None or chosen == name:
                importlib.import_module(entry.module).add_arguments(sp)

    def handle(self, *args, **options):
        name = options.pop(self.dest)
        entries = registry(self.module_name)
        if name not in entries:
            raise CommandError(f"unknown {self.dest} {name!r}")
        from rapport.core.cli import activity

        module = importlib.import_module(entries[name].module)
        with activity(f"{self.__module__.rsplit('.', 1)[-1]} {name}", self.stdout.write) as write:
            module.run(options, write)
