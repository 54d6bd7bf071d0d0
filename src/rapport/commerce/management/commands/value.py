"""`rapport value fit`: refit RFM, BG/NBD and Gamma-Gamma for a workspace and refresh every customer's value."""

from __future__ import annotations

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from rapport.commerce import services
from rapport.core.cli import resolve_workspace


class Command(BaseCommand):
    help = "Customer value models."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        fit = sub.add_parser("fit", help="refit the value models; prints one JSON line last")
        fit.add_argument("--workspace")
        fit.add_argument("--period", choices=list(services.PERIODS), default="week", help="the models' time unit")
        fit.add_argument("--until", help="calibration end YYYY-MM-DD (default today)")

    def handle(self, *args, action, **options):
        return getattr(self, f"do_{action}")(**options)

    def do_fit(self, *, workspace, period, until, **_):
        ws = resolve_workspace(workspace)
        end = None
        if until:
            try:
                end = date.fromisoformat(until)
            except ValueError:
                raise CommandError(f"--until {until!r} is not a date YYYY-MM-DD") from None
        result = services.fit(workspace=ws, period=period, until=end)
        for note in result.notes:
            self.stderr.write(f"note: {note}")
        self.stderr.write("timings: " + ", ".join(f"{k} {v:.2f}s" for k, v in result.seconds.items()))
        self.stdout.write(json.dumps(result.summary()))
