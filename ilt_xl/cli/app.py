"""The ``ilt-xl`` Typer application and its exit-code contract.

Exit codes, for every command:
  0  done, no errors
  1  the workbook was read but holds errors (validation problems, cells in error)
  2  the input could not be used at all (not a workbook, corrupt, unsafe, missing)
  3  the output could not be written (read-only folder, file locked, already present)
"""
from __future__ import annotations

import typer
from rich.console import Console

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
