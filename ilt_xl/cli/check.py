"""``ilt-xl check PATH``: report every problem in a planner workbook.

Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 the file is not a
usable workbook (or the check itself failed; ``--debug`` shows the traceback).
"""
from __future__ import annotations

import traceback
from collections import Counter
from pathlib import Path

import typer
from rich.markup import escape

from ilt_xl.cli.app import EXIT_BAD_INPUT, EXIT_OK, EXIT_PROBLEMS, app, console, err_console
from ilt_xl.cli.output import FORMAT, Format, examples, print_json
from ilt_xl.cli.progress import QUIET, Steps


@app.command(epilog=examples(
    ("ilt-xl check plan.xlsx", "a table on a terminal, one line per problem in a pipe"),
    ("ilt-xl check plan.xlsx | grep Sessions", "file: Sheet!Cell: column: severity: problem (expected ...)"),
    ("ilt-xl check plan.xlsx --format json | jq '.problems[] | .cell'", "every problem, for machines"),
))
def check(
    path: Path = typer.Argument(..., help="The planner workbook (.xlsx) to check."),
    format: Format = FORMAT,
    limit: int = typer.Option(200, "--limit", min=0, help="Most problems to list in the table (0: all)."),
    debug: bool = typer.Option(False, "--debug", help="Show the traceback of an unexpected failure."),
    quiet: bool = QUIET,
) -> None:
    """Check a planner workbook and list every problem with its sheet, cell, value and what was expected."""
    from ilt_xl.workbook.reader import read_planner
    from ilt_xl.workbook.validate import ordered
    from ilt_xl.xlsx import WorkbookError

    try:
        with Steps(quiet) as steps:
            steps.next(f"Checking {path.name}")
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
        print_json(console, {"file": str(path), "errors": errors, "warnings": len(problems) - errors,
                             "problems": [p.to_dict() for p in problems]})
    else:
        print_problems(str(path), problems, limit)
    raise typer.Exit(EXIT_PROBLEMS if errors else EXIT_OK)


def _fail(format: Format, file: str, reason: str) -> None:
    if format is Format.json:
        print_json(console, {"file": file, "unusable": reason})
    err_console.print(f"[bold red]Cannot check {escape(file)}:[/] {escape(reason)}", highlight=False)
    raise typer.Exit(EXIT_BAD_INPUT)


def problem_line(file: str, p) -> str:
    """One problem on one line, as compilers print theirs, for pipes and logs:
    ``file: Sheet!Cell: Column: severity: problem; value: V (expected E)``."""
    return f"{file}: {p.line()}"


def print_problems(file: str, problems: list, limit: int = 200) -> None:
    """Print ``problems`` of ``file`` as ``ilt-xl check`` does, then the counts: on a terminal a
    table (severity, sheet, cell, column, value, expected, problem) sized to it; elsewhere one
    :func:`problem_line` per problem, which never wraps.

    The macro twins print a refused planner's problems with it, so both commands read alike.
    """
    from ilt_xl.cli.output import Column, plural, print_table
    from ilt_xl.workbook.problems import display_value
    from ilt_xl.workbook.validate import ordered

    problems = ordered(problems)

    if not problems:
        console.print(f"[green]{escape(file)}: no problems found.[/]", highlight=False)
        return
    shown = problems if limit == 0 else problems[:limit]
    if console.is_terminal:
        print_table(console, f"Problems in {file}", [Column(name) for name in (
            "", "Sheet", "Cell", "Column", "Value", "Expected", "Problem")], [
            (p.severity, p.sheet or "", p.cell or (str(p.row) if p.row else ""), p.column or "",
             display_value(p.value) if p.value is not None else "", p.expected, p.message) for p in shown])
    else:
        console.print("\n".join(problem_line(file, p) for p in shown), highlight=False, markup=False)
    counts = Counter(p.severity for p in problems)
    more = (f" ({len(problems) - len(shown)} more not listed; use --limit 0 or --format json)"
            if len(shown) < len(problems) else "")
    console.print(f"{plural(counts['error'], 'error')}, {plural(counts['warning'], 'warning')}{more}", highlight=False)
