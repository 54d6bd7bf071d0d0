"""`rapport deadletters list|replay [--id N]`: inspect and replay rejected payloads."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from rapport.core.cli import resolve_workspace
from rapport.pipeline import deadletters
from rapport.pipeline.models import DeadLetter


class Command(BaseCommand):
    help = "List dead letters, or replay them through the pipeline after a fix."
    requires_system_checks: list[str] = []  # start in well under a second; `rapport django check` checks

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "replay"])
        parser.add_argument("--id", type=int, action="append", dest="ids", help="only this dead letter (repeatable)")
        parser.add_argument("--workspace", default=None)
        parser.add_argument("--all", action="store_true", help="list replayed ones too")
        parser.add_argument("--limit", type=int, default=50)

    def handle(self, *args, action, ids, workspace, all, limit, **options):
        ws = resolve_workspace(workspace)
        if action == "replay":
            self.stdout.write(json.dumps(deadletters.replay(workspace_id=ws.pk, ids=ids)))
            return
        qs = DeadLetter.objects.filter(workspace=ws)
        if ids:
            qs = qs.filter(pk__in=ids)
        elif not all:
            qs = qs.exclude(status=DeadLetter.Status.REPLAYED)
        for letter in qs[:limit]:
            self.stdout.write(
                f"{letter.pk}\t{letter.status}\t{letter.created_at:%Y-%m-%d %H:%M}\t{letter.source}\t{letter.reason}"
            )
            if ids:
                self.stdout.write(letter.payload)
        self.stdout.write(f"{qs.count()} dead letter(s)")
