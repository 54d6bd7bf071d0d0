"""`rapport purchases import FILE`: order lines from CSV or JSONL, linked to people, unmatched ones kept for review."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from rapport.commerce.importer import ALL_HEADERS, PurchaseFileError, import_purchases, parse_mapping
from rapport.core.cli import progress_bar, resolve_workspace
from rapport.core.csvread import parse_delimiter


class Command(BaseCommand):
    help = "Import purchases (order lines) from CSV or JSONL."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import order lines; bad rows are named by line, good rows import")
        imp.add_argument("file")
        imp.add_argument("--workspace")
        imp.add_argument(
            "--map", default="", help="column mapping: src=field,... (fields: " + ", ".join(ALL_HEADERS) + ")"
        )
        imp.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        imp.add_argument("--format", choices=["csv", "jsonl"], help="default: by the file's extension")
        imp.add_argument("--source", default="import", help="the system the orders come from (idempotency key)")
        imp.add_argument("--encoding", default="utf-8-sig", help="CSV: the file's encoding (default: detected)")
        imp.add_argument("--delimiter", help="CSV: , ; tab | (default: detected from the header)")

    def handle(self, *args, action, **options):
        return getattr(self, f"do_{action}")(**options)

    def do_import(
        self, *, file, workspace, map, dry_run, format=None, source="import", encoding="utf-8-sig", delimiter=None, **_
    ):
        ws = resolve_workspace(workspace)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        fmt = format or ("jsonl" if path.suffix.lower() in (".jsonl", ".ndjson", ".json") else "csv")
        source = (source or "import").strip()[:64]
        try:
            mapping = parse_mapping(map)
            sep = parse_delimiter(delimiter)
            lines = max(0, sum(1 for _ in path.open("rb")) - (0 if fmt == "jsonl" else 1))
            with path.open("rb") as fh, progress_bar("importing", lines) as advance:
                result = import_purchases(
                    workspace=ws,
                    stream=fh,
                    mapping=mapping,
                    dry_run=dry_run,
                    fmt=fmt,
                    source=source,
                    progress=advance,
                    encoding=encoding or "utf-8-sig",
                    delimiter=sep,
                )
        except PurchaseFileError as exc:
            raise CommandError(f"{file}: {exc}") from None
        for col in result.unknown_columns:
            self.stderr.write(f"warning: column {col!r} is not a purchase field and was ignored (map it with --map)")
        for rejection in result.rejected:
            self.stderr.write(f"rejected {rejection}")
        if result.unmatched and not dry_run:
            self.stderr.write(
                f"{result.unmatched} orders named nobody known: they wait for review at /commerce/review/"
            )
        self.stdout.write(json.dumps(result.summary()))
        if result.rejected:
            sys.exit(1)
