"""`rapport contacts import|export`: CSV in and out."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from rapport.contacts.importer import (
    CANONICAL_HEADERS,
    ImportFileError,
    export_contacts,
    import_contacts,
    parse_mapping,
)
from rapport.core.actors import Actor
from rapport.core.cli import progress_bar, resolve_workspace


class Command(BaseCommand):
    help = "Import or export contacts as CSV."

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
        imp.add_argument("--encoding", default="utf-8-sig", help="text encoding of the file (default UTF-8)")
        exp = sub.add_parser("export", help="export live people to a CSV file")
        exp.add_argument("file")
        exp.add_argument("--workspace")
        self._extend(sub)

    def _extend(self, sub) -> None:
        """Later subcommands (dedupe, matching) register here."""

    def handle(self, *args, action, **options):
        return getattr(self, f"do_{action}")(**options)

    def do_import(self, *, file, workspace, map, dry_run, encoding, **_):
        ws = resolve_workspace(workspace)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            mapping = parse_mapping(map)
            lines = max(0, sum(1 for _ in path.open("rb")) - 1)
            with path.open("rb") as fh, progress_bar("importing", lines) as advance:
                result = import_contacts(
                    workspace=ws,
                    actor=Actor.importer(f"import {path.name}"),
                    stream=fh,
                    mapping=mapping,
                    dry_run=dry_run,
                    encoding=encoding,
                    progress=advance,
                )
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc}") from None
        except LookupError:
            raise CommandError(f"unknown encoding {encoding!r}") from None
        for col in result.unknown_columns:
            self.stderr.write(f"warning: column {col!r} is not a Rapport field and was ignored (map it with --map)")
        for rejection in result.rejected:
            self.stderr.write(f"rejected {rejection}")
        self.stdout.write(json.dumps(result.summary()))
        if result.rejected:
            sys.exit(1)

    def do_export(self, *, file, workspace, **_):
        ws = resolve_workspace(workspace)
        count = export_contacts(workspace=ws, path=Path(file))
        self.stdout.write(json.dumps({"exported": count, "file": str(file)}))
