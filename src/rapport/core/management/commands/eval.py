"""`rapport eval NAME`: quality evaluations (accuracy, F1...) on held-out and hand-labelled data."""

from __future__ import annotations

import importlib

from django.core.management.base import BaseCommand, CommandError

# name -> module with add_arguments(parser) and run(options, write); modules that do not exist yet are skipped.
EVALUATIONS = {
    "listening": "rapport.listening.evaluation",
    "identity": "rapport.identity.evaluation",
}


def _available() -> dict:
    found = {}
    for name, path in EVALUATIONS.items():
        try:
            found[name] = importlib.import_module(path)
        except ModuleNotFoundError as exc:
            if exc.name and path.startswith(exc.name):
                continue
            raise
    return found


class Command(BaseCommand):
    help = "Run a quality evaluation and print its figures beside their goals and baselines."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="evaluation", required=True)
        for name, module in _available().items():
            module.add_arguments(sub.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0]))

    def handle(self, *args, evaluation, **options):
        modules = _available()
        if evaluation not in modules:
            raise CommandError(f"unknown evaluation {evaluation!r}")
        modules[evaluation].run(options, self.stdout.write)
