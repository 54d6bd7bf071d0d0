"""`rapport contacts import|export|dedupe`: CSV in and out, matching against existing people, duplicate clusters."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from rapport.contacts.csvfile import CANONICAL_HEADERS, ImportFileError, parse_delimiter, parse_mapping
from rapport.contacts.exporter import export_contacts
from rapport.contacts.importer import import_contacts
from rapport.contacts.matching import contact_matching
from rapport.core.actors import Actor
from rapport.core.cli import progress_bar, resolve_workspace


class Command(BaseCommand):
    help = "Import or export contacts as CSV."
    requires_system_checks: list[str] = []  # start in well under a second; `rapport django check` checks

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import people from a CSV file")
        imp.add_argument("file")
        imp.add_argument("--workspace")
        imp.add_argument(
            "--map",
            default="",
            help="column mapping: src=field,src2=field2 (fields: " + ", ".join(CANONICAL_HEADERS) + ")",
        )
        imp.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        imp.add_argument(
            "--encoding",
            default="utf-8-sig",
            help="text encoding (default UTF-8; UTF-16 with a byte-order mark and Windows-1252 are detected)",
        )
        imp.add_argument(
            "--delimiter", default="auto", help="field delimiter: , ; tab | or auto (detected from the header)"
        )
        imp.add_argument(
            "--match",
            action="store_true",
            help="link rows to existing people (above the link threshold), queue doubtful ones for review",
        )
        imp.add_argument(
            "--report", help="with --match: write row, external_id, contact_id, contact_external_id, score, decision"
        )
        exp = sub.add_parser("export", help="export live people to a CSV file")
        exp.add_argument("file")
        exp.add_argument("--workspace")
        self._extend(sub)

    def _extend(self, sub) -> None:
        """Later subcommands (dedupe, matching) register here."""
        ded = sub.add_parser("dedupe", help="find clusters of duplicate people in a workspace")
        ded.add_argument("--workspace")
        ded.add_argument("--report", required=True, help="CSV to write: cluster_id, contact_id, score")
        ded.add_argument(
            "--queue-review", action="store_true", help="also queue doubtful pairs in the review queue of the web UI"
        )

    def handle(self, *args, action, **options):
        return getattr(self, f"do_{action}")(**options)

    def do_import(self, *, file, workspace, map, dry_run, encoding, delimiter="auto", match=False, report=None, **_):
        ws = resolve_workspace(workspace)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        if report and not match:
            raise CommandError("--report needs --match")
        resolver = None
        try:
            mapping = parse_mapping(map)
            sep = parse_delimiter(delimiter)
            if match:
                resolver = contact_matching().resolver(ws)
            lines = max(0, sum(1 for _ in path.open("rb")) - 1)
            with path.open("rb") as fh, progress_bar("importing", lines) as advance:
                result = import_contacts(
                    workspace=ws,
                    actor=Actor.importer(f"import {path.name}"),
                    stream=fh,
                    mapping=mapping,
                    dry_run=dry_run,
                    encoding=encoding,
                    delimiter=sep,
                    progress=advance,
                    resolver=resolver,
                    parallel=True,
                )
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc}") from None
        except LookupError:
            raise CommandError(f"unknown encoding {encoding!r}") from None
        for col in result.unknown_columns:
            self.stderr.write(f"warning: column {col!r} is not a Rapport field and was ignored (map it with --map)")
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        for rejection in result.rejected:
            self.stderr.write(f"rejected {rejection}")
        summary = result.summary()
        summary.update(encoding=result.dialect.encoding, delimiter=result.dialect.delimiter)
        if resolver is not None:
            matching = contact_matching()
            summary.update(
                matching.outcome(workspace=ws, result=result, resolver=resolver, report=report, dry_run=dry_run)
            )
        self.stdout.write(json.dumps(summary))
        if result.rejected:
            sys.exit(1)

    def do_dedupe(self, *, workspace, report, queue_review=False, **_):
        ws = resolve_workspace(workspace)
        summary = contact_matching().dedupe(
            workspace=ws, report=report, queue_review=queue_review, progress=progress_bar
        )
        self.stdout.write(json.dumps(summary))

    def do_export(self, *, file, workspace, **_):
        ws = resolve_workspace(workspace)
        count = export_contacts(workspace=ws, path=Path(file))
        self.stdout.write(json.dumps({"exported": count, "file": str(file)}))
