"""Commands whose subcommands live in the domain apps (`rapport bench NAME`, `rapport eval NAME`)."""

from __future__ import annotations

import importlib
from types import ModuleType

from django.core.management.base import BaseCommand, CommandError


def available(registry: dict[str, str]) -> dict[str, ModuleType]:
    """The registry's modules that exist; an app that has not written its module yet is skipped."""
    found = {}
    for name, path in registry.items():
        try:
            found[name] = importlib.import_module(path)
        except ModuleNotFoundError as exc:
            if exc.name and path.startswith(exc.name):
                continue
            raise
    return found


class RegistryCommand(BaseCommand):
    """Each registered module provides add_arguments(parser) and run(options, write)."""

    registry: dict[str, str] = {}
    dest = "name"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest=self.dest, required=True)
        for name, module in available(self.registry).items():
            module.add_arguments(sub.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0]))

    def handle(self, *args, **options):
        name = options.pop(self.dest)
        modules = available(self.registry)
        if name not in modules:
            raise CommandError(f"unknown {self.dest} {name!r}")
        modules[name].run(options, self.stdout.write)
