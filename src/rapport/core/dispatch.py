"""Commands whose subcommands live in the domain apps (`rapport bench NAME`, `rapport eval NAME`).

Each installed app that has the command's module (`bench.py`, `evaluation.py`) provides a subcommand, named by the
module's `NAME` or else by the app's label: core names no domain app, and a new app's bench joins by existing.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError


def available(module_name: str) -> dict[str, ModuleType]:
    """Subcommand name -> module, for every installed app that has `module_name`."""
    found = {}
    for config in apps.get_app_configs():
        path = f"{config.name}.{module_name}"
        try:
            module = importlib.import_module(path)
        except ModuleNotFoundError as exc:
            if exc.name and path.startswith(exc.name):
                continue
            raise
        if hasattr(module, "run") and hasattr(module, "add_arguments"):
            found[getattr(module, "NAME", config.label)] = module
    return dict(sorted(found.items()))


class RegistryCommand(BaseCommand):
    """Each app's module provides add_arguments(parser) and run(options, write)."""

    module_name = ""
    dest = "name"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest=self.dest, required=True)
        for name, module in available(self.module_name).items():
            module.add_arguments(sub.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0]))

    def handle(self, *args, **options):
        name = options.pop(self.dest)
        modules = available(self.module_name)
        if name not in modules:
            raise CommandError(f"unknown {self.dest} {name!r}")
        modules[name].run(options, self.stdout.write)
