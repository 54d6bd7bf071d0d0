"""`rapport poll [--workspace SLUG]`: poll RSS / Atom, Mastodon, Bluesky and IMAP channels once.

The job runner (`rapport worker`, or `rapport serve`'s thread) polls every minute as the job `channels.poll`.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from rapport.channels.polling import poll_all
from rapport.core.cli import resolve_workspace


class Command(BaseCommand):
    help = "Poll the feed, Mastodon, Bluesky and IMAP channels once."
    requires_system_checks: list[str] = []  # start in well under a second; `rapport django check` checks

    def add_arguments(self, parser):
        parser.add_argument("--workspace", default=None, help="only this workspace (default: all)")

    def handle(self, *args, workspace, **options):
        ws_id = resolve_workspace(workspace).pk if workspace else None
        self.stdout.write(json.dumps(poll_all(workspace_id=ws_id)))
