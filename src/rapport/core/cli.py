"""Helpers shared by the `rapport` subcommands: workspace lookup and progress bars."""

from __future__ import annotations

import sys
from contextlib import contextmanager

from django.core.management.base import CommandError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from rapport.core.models import Workspace


def resolve_workspace(slug: str | None) -> Workspace:
    """The named workspace, or the only one when no name is given."""
    if slug:
        ws = Workspace.objects.filter(slug=slug).first()
        if ws is None:
            raise CommandError(f"no workspace {slug!r}; create it with `rapport createuser ... --workspace {slug}`")
        return ws
    spaces = list(Workspace.objects.order_by("id")[:2])
    if len(spaces) == 1:
        return spaces[0]
    if not spaces:
        raise CommandError(
            "there is no workspace yet: create one with `rapport createuser EMAIL --password P "
            "--workspace SLUG --role admin`"
        )
    raise CommandError("there are several workspaces: name one with --workspace SLUG")


class _RateColumn(ProgressColumn):
    """Items per second, e.g. "1,840/s"."""

    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f}/s" if speed else "", style="progress.data.speed")


@contextmanager
def progress_bar(description: str, total: int | None):
    """A rich progress bar on stderr (quiet when stderr is not a terminal and nobody would see it redraw)."""
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        transient=False,
        disable=not sys.stderr.isatty(),
        console=Console(stderr=True),  # stdout stays the command's machine-readable output, even on a terminal
    )
    with progress:
        task = progress.add_task(description, total=total)
        yield lambda n=1: progress.advance(task, n)
