"""`rapport consent import FILE.csv --workspace SLUG`: existing consents with their dates."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from rapport.consent.importing import import_consents
from rapport.core import csvread
from rapport.core.cli import resolve_workspace


class Command(BaseCommand):
    help = "Import existing consents (grants and withdrawals with their original dates) from CSV."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import consents from a CSV file")
        imp.add_argument("file")
        imp.add_argument("--workspace")
        imp.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        imp.add_argument("--encoding", default="utf-8-sig", help="the file's encoding (default: detected)")
        imp.add_argument("--delimiter", help=", ; tab | (default: detected from the header)")

    def handle(self, *args, action, file, workspace, dry_run, encoding="utf-8-sig", delimiter=None, **options):
        ws = resolve_workspace(workspace)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        try:
            result = import_consents(
                ws,
                path,
                dry_run=dry_run,
                encoding=encoding or "utf-8-sig",
                delimiter=csvread.parse_delimiter(delimiter),
            )
        except csvread.CsvFileError as exc:
            raise CommandError(f"{file}: {exc}") from None
        for error in result.errors:
            self.stderr.write(error)
        self.stdout.write(json.dumps({"imported": result.imported, "rejected": len(result.errors), "dry_run": dry_run}))
        if result.errors:
            raise SystemExit(1)
