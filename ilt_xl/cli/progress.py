"""Progress on standard error for the commands that can take seconds on a large planner.

Shown only when standard error is a terminal, and never with ``--quiet``: standard output
carries only results, so ``ilt-xl report plan.xlsx > report.txt`` and ``... --format json | jq``
stay clean, and a log file never fills with redraws.

    with Steps(quiet, total=3) as steps:
        steps.next("Reading plan.xlsx")
        ...
"""
from __future__ import annotations

from typing import Iterable

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

QUIET = typer.Option(False, "--quiet", "-q", help="Show no progress on standard error (results still print).")


def _progress(quiet: bool) -> Progress | None:
    from ilt_xl.cli.app import err_console

    if quiet or not err_console.is_terminal:
        return None
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console, transient=True)


class Steps:
    """The phases of one command: a spinner, the current phase, how many of ``total`` are done."""

    def __init__(self, quiet: bool, total: int | None = None) -> None:
        self._progress = _progress(quiet)
        self._total = total
        self._task = None

    def __enter__(self) -> "Steps":
        if self._progress is not None:
            self._progress.start()
            self._task = self._progress.add_task("Starting", total=self._total)
        return self

    def next(self, description: str) -> None:
        """Start phase ``description`` (the previous phase is done)."""
        if self._progress is not None:
            task = self._progress.tasks[0]
            advance = 0 if task.description == "Starting" else 1
            self._progress.update(self._task, description=description, advance=advance)

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.stop()


class Files:
    """A batch: one bar over the files, naming those in work, advanced as each file ends."""

    def __init__(self, quiet: bool, total: int, verb: str) -> None:
        self._progress = _progress(quiet)
        self._total, self._verb = total, verb
        self._task = None

    def __enter__(self) -> "Files":
        if self._progress is not None:
            self._progress.start()
            self._task = self._progress.add_task(self._verb, total=self._total)
        return self

    def working_on(self, names: Iterable[str]) -> None:
        """Name the files being worked on now (the bar keeps moving while the first file runs)."""
        if self._progress is not None:
            shown = list(names)
            more = f" +{len(shown) - 2}" if len(shown) > 2 else ""
            self._progress.update(self._task, description=f"{self._verb} {', '.join(shown[:2])}{more}")

    def done(self) -> None:
        if self._progress is not None:
            self._progress.advance(self._task)

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.stop()
