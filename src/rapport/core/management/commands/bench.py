"""`rapport bench NAME ...`: benchmarks that print their figures beside a baseline measured in the same run."""

from __future__ import annotations

import importlib

from django.core.management.base import BaseCommand, CommandError

# name -> module with add_arguments(parser) and run(options, write); modules that do not exist yet are skipped.
BENCHMARKS = {
    "contacts": "rapport.contacts.bench",
    "pipeline": "rapport.pipeline.bench",
    "identity": "rapport.identity.bench",
    "inbox": "rapport.care.bench",
}


def _available() -> dict:
    found = {}
    for name, path in BENCHMARKS.items():
        try:
            found[name] = importlib.import_module(path)
        except ModuleNotFoundError as exc:
            if exc.name and path.startswith(exc.name):
                continue
            raise
    return found


class Command(BaseCommand):
    help = "Run a benchmark; each prints medians and p95s beside its baseline, measured in the same run."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="benchmark", required=True)
        for name, module in _available().items():
            module.add_arguments(sub.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0]))

    def handle(self, *args, benchmark, **options):
        modules = _available()
        if benchmark not in modules:
            raise CommandError(f"unknown benchmark {benchmark!r}")
        modules[benchmark].run(options, self.stdout.write)
