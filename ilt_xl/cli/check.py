"""``ilt-xl check PATH``: report every problem in a planner workbook.

Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 the file is not a
usable workbook (or the check itself failed; ``--debug`` shows the traceback).
"""
from __future__ import annotations

import json
import traceback
from collections import Counter
from enum import Enum
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from ilt_xl.cli.app import EXIT_BAD_INPUT, EXIT_OK, EXIT_PROBLEMS, app, console, err_console


class Format(str, Enum):
    table = "table"
    json = "json"


@app.command()
def check(
    path: Path = typer.Argument(..., help="The planner workbook (.xlsx) to check."),
    format: Format = typer.Option(Format.table, "--format", "-f", help="table for people, json for machines."),
    limit: int = typer.Option(200, "--limit", min=0, help="Most problems to list in the table (0: all)."),
    debug: bool = typer.Option(False, "--debug", help="Show the traceback of an unexpected failure."),
) -> None:
    """Check a planner workbook and list every problem with its sheet, cell, value and what was expected."""
    from ilt_xl.workbook.reader import read_planner
    from ilt_xl.workbook.validate import ordered
    from ilt_xl.xlsx import WorkbookError

    try:
        planner = read_planner(path)
    except WorkbookError as exc:
        _fail(format, str(path), exc.reason)
    except Exception as exc:  # a bug, or an input no check foresaw: say so briefly, never hide it
        if debug:
            err_console.print(escape(traceback.format_exc()), highlight=False)
        _fail(format, str(path), f"unexpected failure while checking ({type(exc).__name__}: {exc}); "
                                 "rerun with --debug for the traceback and report it")
    problems = ordered(planner.problems)
    errors = sum(p.is_error for p in problems)
    if format is Format.json:
        console.print_json(json.dumps({
            "file": str(path), "errors": errors, "warnings": len(problems) - errors,
            "problems": [p.to_dict() for p in problems],
        }))
    else:
        print_problems(str(path), problems, limit)
    raise typer.Exit(EXIT_PROBLEMS if errors else EXIT_OK)


def _fail(format: Format, file: str, reason: str) -> None:
    if format is Format.json:
        console.print_json(json.dumps({"file": file, "unusable": reason}))
    err_console.print(f"[bold red]Cannot check {escape(file)}:[/] {escape(reason)}", highlight=False)
    raise typer.Exit(EXIT_BAD_INPUT)


def print_problems(file: str, problems: list, limit: int = 200) -> None:
    """Print ``problems`` of ``file`` as ``ilt-xl check`` does: one row each with severity, sheet,
    cell (or row), column, value, what was expected and the message, then the counts.

    The macro twins print a refused planner's problems with it, so both commands read alike.
    """
    from ilt_xl.workbook.problems import display_value
    from ilt_xl.workbook.validate import ordered

    problems = ordered(problems)

    if not problems:
        console.print(f"[green]{escape(file)}: no problems found.[/]", highlight=False)
        return
    shown = problems if limit == 0 else problems[:limit]
    table = RichTable(title=f"Problems in {escape(file)}", show_lines=False, header_style="bold")
    for name in ("", "Sheet", "Cell", "Column", "Value", "Expected", "Problem"):
        table.add_column(name, overflow="fold")
    for p in shown:
        mark = "[red]error[/]" if p.is_error else "[yellow]warning[/]"
        table.add_row(mark, *(escape(x) for x in (
            p.sheet or "", p.cell or (str(p.row) if p.row else ""), p.column or "",
            display_value(p.value) if p.value is not None else "", p.expected, p.message)))
    console.print(table)
    counts = Counter(p.severity for p in problems)
    more = f" ({len(problems) - len(shown)} more not listed; use --limit 0 or --format json)" if len(shown) < len(problems) else ""
    console.print(f"{counts['error']} error(s), {counts['warning']} warning(s){more}", highlight=False)
