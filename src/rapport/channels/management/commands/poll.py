"""`rapport poll [--workspace SLUG] [--every SECONDS]`: poll RSS / Atom, Mastodon and Bluesky channels."""

from __future__ import annotations

import json
import threading

from django.core.management.base import BaseCommand

from rapport.channels.polling import poll_all
from rapport.core.cli import resolve_workspace
from rapport.pipeline.workers import install_signal_handlers


class Command(BaseCommand):
    help = "Poll the feed, Mastodon and Bluesky channels once, or every N seconds until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--workspace", default=None, help="only this workspace (default: all)")
        parser.add_argument("--every", type=float, default=None, metavar="SECONDS")

    def handle(self, *args, workspace, every, **options):
        ws_id = resolve_workspace(workspace).pk if workspace else None
        stop = threading.Event()
        install_signal_handlers(stop)
        while True:
            self.stdout.write(json.dumps(poll_all(workspace_id=ws_id)))
            if not every or stop.wait(every):
                return
