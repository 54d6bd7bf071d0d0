"""`rapport jobs list [--json]` shows every scheduled job; `rapport jobs run NAME` runs one now, in the foreground."""

from __future__ import annotations

import json
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from rapport.core import jobs


def job_rows() -> list[dict]:
    """One dict per registered job: schedule and record (the table is synced from the registry first)."""
    registered = jobs.registry()
    return [
        {
            "name": row.name,
            "every_s": row.every_seconds,
            "retries": registered[row.name].retries,
            "last_run_at": _iso(row.last_run_at),
            "last_finished_at": _iso(row.last_finished_at),
            "next_run_at": _iso(row.next_run_at),
            "runs": row.runs,
            "failures": row.failures,
            "last_error": row.last_error,
        }
        for row in sorted(jobs.sync(), key=lambda r: r.name)
    ]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _when(value: str | None, *, past: str = "ago") -> str:
    if not value:
        return "never"
    seconds = (datetime.fromisoformat(value) - timezone.now()).total_seconds()
    if seconds <= 0 and past == "due":
        return "due"
    span = f"{abs(seconds):.0f} s" if abs(seconds) < 120 else f"{abs(seconds) / 60:.0f} min"
    return f"in {span}" if seconds > 0 else f"{span} ago"


class Command(BaseCommand):
    help = "Scheduled background jobs: list them with their last and next run, or run one now."
    requires_system_checks: list[str] = []  # start in well under a second; `rapport django check` checks

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        ls = sub.add_parser("list", help="every scheduled job: last run, next run, runs, failures, last error")
        ls.add_argument("--json", action="store_true", help="one JSON array, for machines")
        run = sub.add_parser("run", help="run one job now in this process, recorded as the scheduler would")
        run.add_argument("name")

    def handle(self, *args, action, **options):
        from django.db import DEFAULT_DB_ALIAS, connections
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("the database is not set up yet: run `rapport migrate` first")
        if action == "list":
            self._list(as_json=options["json"])
        else:
            self._run(options["name"])

    def _list(self, *, as_json: bool) -> None:
        rows = job_rows()
        if as_json or not self.stdout.isatty():
            self.stdout.write(json.dumps(rows, indent=2 if as_json else None))
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title="Scheduled jobs")
        table.add_column("job", no_wrap=True)
        for column in ("every", "last run", "next run", "runs", "failures", "last error"):
            table.add_column(column, overflow="fold")
        for r in rows:
            table.add_row(
                r["name"],
                f"{r['every_s']} s",
                _when(r["last_run_at"]),
                _when(r["next_run_at"], past="due"),
                str(r["runs"]),
                f"[red]{r['failures']}[/red]" if r["failures"] else "0",
                r["last_error"][:120],
            )
        Console(file=self.stdout._out).print(table)  # the raw stream: OutputWrapper would add line endings

    def _run(self, name: str) -> None:
        try:
            job = jobs.get_job(name)
        except jobs.UnknownJob as exc:
            raise CommandError(str(exc)) from exc
        try:
            result = jobs.run_now(job.name)
        except Exception as exc:
            raise CommandError(f"job {name} failed: {type(exc).__name__}: {exc}") from exc
        self.stdout.write(json.dumps({"job": name, "result": result}, default=str))
