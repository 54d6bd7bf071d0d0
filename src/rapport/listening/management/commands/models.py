"""`rapport models build|status`: the models Rapport trains from $RAPPORT_DATA_DIR, built once and cached."""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Build (once, with progress) or inspect the cached models under $RAPPORT_HOME/models."
    requires_system_checks: list[str] = []  # start in well under a second; `rapport django check` checks

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        build = sub.add_parser("build", help="train the sentiment model from $RAPPORT_DATA_DIR unless it is current")
        build.add_argument("--force", action="store_true", help="rebuild even when the cached model is current")
        build.add_argument(
            "--if-data",
            action="store_true",
            help="succeed quietly when there is no training data (install: the lexicon fallback is used)",
        )
        sub.add_parser("status", help="where the model is and whether it is current (JSON)")

    def handle(self, *args, action, **options):
        from rapport.listening.nlp.modelcache import model_status

        status = model_status()
        if action == "status":
            self.stdout.write(json.dumps(status, indent=2))
            return
        if not status["data_present"]:
            message = (
                f"no training data at {status['data']} (set RAPPORT_DATA_DIR): "
                "sentiment falls back to the lexicon scorer"
            )
            if options["if_data"]:
                self.stderr.write(message)
                self.stdout.write(json.dumps({"built": False, "state": status["state"], "reason": "no data"}))
                return
            raise CommandError(message)
        if status["state"] == "ready" and not options["force"]:
            self.stdout.write(json.dumps({"built": False, "state": "ready", "path": status["path"]}))
            return
        from rapport.listening.nlp import sentiment  # scikit-learn and numpy: only when building

        started = time.perf_counter()
        info = sentiment.build_with_progress()
        self.stdout.write(
            json.dumps(
                {"built": True, "was": status["state"], **info, "seconds": round(time.perf_counter() - started, 1)}
            )
        )
