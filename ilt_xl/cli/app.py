"""The ``ilt-xl`` Typer application and its exit-code contract.

Exit codes, for every command:
  0  done, no errors
  1  the workbook was read but holds errors (validation problems, cells in error)
  2  the input could not be used at all (not a workbook, corrupt, unsafe, missing)
  3  the output could not be written (read-only folder, file locked, already present)
"""
from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

app = typer.Typer(
    name="ilt-xl",
    help="Spreadsheet-native planner for instructor-led training.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

console = Console()
err_console = Console(stderr=True)

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_BAD_INPUT = 2
EXIT_CANNOT_WRITE = 3


def refuse_unusable(exc) -> NoReturn:
    """Report a :class:`~ilt_xl.xlsx.WorkbookError` (file and reason) and exit with EXIT_BAD_INPUT."""
    err_console.print(f"[bold red]Cannot use {escape(exc.file)}:[/] {escape(exc.reason)}", highlight=False)
    raise typer.Exit(EXIT_BAD_INPUT)


def refuse_output_is_input(source, target, in_place_option: bool = True) -> None:
    """Exit with EXIT_CANNOT_WRITE when ``target`` is ``source`` itself (by name, or through a link)
    without ``--in-place``: the one rule of every command that writes beside its input."""
    import os
    from pathlib import Path

    source, target = Path(source), Path(target)
    try:
        same = os.path.samefile(source, target)
    except OSError:
        same = Path(os.path.realpath(source)) == Path(os.path.realpath(target))
    if same:
        hint = "pass --in-place to rewrite the input, or name another output" if in_place_option else "name another output"
        err_console.print(f"[bold red]Cannot write {escape(str(target))}:[/] it is the input; {hint}.", highlight=False)
        raise typer.Exit(EXIT_CANNOT_WRITE)
