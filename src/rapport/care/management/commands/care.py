"""`rapport care tick` checks SLAs and retries failed replies once (the job runner does it every 30 s as
`care.sla_tick`); `rapport care evaluate` measures the needs-response classifier on the customer-care sample."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Care inbox tasks: SLA checks and reply retries (tick), classifier evaluation (evaluate)."
    requires_system_checks: list[str] = []  # start in well under a second; `rapport django check` checks

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("tick", help="check SLAs and retry failed replies, once")
        sub.add_parser("evaluate", help="precision / recall of needs-response detection")

    def handle(self, *args, action, **options):
        if action == "tick":
            from rapport.care import tasks

            self.stdout.write(json.dumps(tasks.tick()))
        elif action == "evaluate":
            from rapport.care.evaluate import data_path, evaluate

            if not data_path().exists():
                raise CommandError(f"{data_path()} not found: set RAPPORT_DATA_DIR")
            self.stdout.write(json.dumps(evaluate(), indent=2))
