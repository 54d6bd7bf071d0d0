"""`rapport enrichment detect`: read interests and life events again from the posts already heard."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Enrichment with permission: (re)detect interests and life events over existing posts and form answers."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        detect = sub.add_parser(
            "detect", help="read the posts of everyone with the enrichment purpose again (JSON per workspace)"
        )
        detect.add_argument("--workspace", help="workspace slug (default: every workspace)")
        detect.add_argument("--contact", type=int, action="append", help="only this contact id (repeatable)")

    def handle(self, *args, action, **options):
        from rapport.core.models import Workspace
        from rapport.listening.enrichment import redetect

        workspaces = Workspace.objects.all()
        if options.get("workspace"):
            workspaces = workspaces.filter(slug=options["workspace"])
            if not workspaces.exists():
                raise CommandError(f"no workspace {options['workspace']!r}")
        out = {}
        for ws in workspaces:
            out[ws.slug] = redetect(workspace_id=ws.pk, person_ids=options.get("contact"))
        self.stdout.write(json.dumps(out))
