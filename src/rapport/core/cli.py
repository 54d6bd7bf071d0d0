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
    SpinnerColumn,
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


_active: list[Progress] = []  # the display already on the terminal, which a bar inside it joins as a new line


def _columns() -> list[ProgressColumn]:
    return [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]


@contextmanager
def progress_bar(description: str, total: int | None):
    """A rich progress bar on stderr (quiet when stderr is not a terminal and nobody would see it redraw).

    Inside another display (an import run by `rapport bench ...`) the bar is one more line of that display:
    a terminal holds one live display at a time.
    """
    if _active:
        outer = _active[-1]
        task = outer.add_task(description, total=total, phase="")
        try:
            yield lambda n=1: outer.advance(task, n)
        finally:
            outer.remove_task(task)
        return
    progress = Progress(
        *_columns(),
        transient=False,
        disable=not sys.stderr.isatty(),
        console=Console(stderr=True),  # stdout stays the command's machine-readable output, even on a terminal
    )
    with progress:
        _active.append(progress)
        try:
            task = progress.add_task(description, total=total)
            yield lambda n=1: progress.advance(task, n)
        finally:
            _active.pop()


@contextmanager
def no_progress(description: str, total: int | None):
    """What code that can show progress is given when nobody watches (jobs, tests): advancing does nothing."""
    yield lambda n=1: None


@contextmanager
def activity(description: str, write):
    """For a long command made of phases (`rapport bench ...`, `rapport eval ...`): a spinner on stderr with the
    elapsed time and the phase the command last reported, so a terminal never sits silent.

    Yields the write function to use instead of `write`: each line still goes to stdout (machine-readable when
    piped) and becomes the spinner's phase. When stdout and stderr are the same terminal the line is printed
    above the spinner instead, so the redraw never overwrites it. Quiet when stderr is not a terminal.
    """
    shown = sys.stderr.isatty()
    progress = Progress(
        SpinnerColumn(),
        *_columns(),
        TextColumn("{task.fields[phase]}", style="progress.description"),
        transient=True,
        disable=not shown,
        console=Console(stderr=True),
    )
    same_terminal = shown and sys.stdout.isatty()
    with progress:
        _active.append(progress)
        task = progress.add_task(description, total=None, phase="starting")

        def out(text: str = "", *args, **kwargs) -> None:
            if same_terminal:
                progress.print(text, markup=False, highlight=False, soft_wrap=True)
            else:
                write(text, *args, **kwargs)
            last = next((line.strip() for line in reversed(str(text).splitlines()) if line.strip()), "")
            if last:
                progress.update(task, phase=last[:70])

        try:
            yield out
        finally:
            _active.pop()
