"""``ilt-xl checklist|allocate|conflicts|fx|holidays|budget|availability|validate PATH``: the macros, headless.

Each command does to a file what its button does in Excel, rewriting only its
own table (every other part of the workbook is copied byte for byte).

Output: ``-o OUT`` names the new file; without it the result goes next to the
input as ``<stem>.out.xlsx``. An existing output is refused unless ``--force``.
``--in-place`` rewrites PATH itself (atomically: a crash never leaves half a
workbook). Exit codes as in :mod:`ilt_xl.cli.app`:

- 0: done (warnings, if any, are counted; ``ilt-xl check`` lists them);
- 1: the planner has errors. Every command but ``validate`` then refuses: it
  writes nothing and prints the located problems exactly as ``ilt-xl check``
  does (file, sheet, cell, column, value, expected), so a twin never succeeds
  on a planner that ``check`` rejects. ``validate`` still writes its Problems
  sheet (that is its job), prints the same listing, and exits 1 when an error
  was found, 0 when there are only warnings or none;
- 2: unusable input (not a workbook, or a table the command writes is missing);
- 3: the output cannot be written (it exists without ``--force``, it is PATH itself without
  ``--in-place``, it is not a regular file, no permission, or PATH changed while the command ran).
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import typer
from rich.markup import escape

from ilt_xl.cli.app import (
    EXIT_BAD_INPUT, EXIT_CANNOT_WRITE, EXIT_OK, EXIT_PROBLEMS, app, console, err_console, refuse_existing,
    refuse_mismatched_suffix, refuse_output_is_input, refuse_unusable,
)
from ilt_xl.cli.check import print_problems
from ilt_xl.cli.output import FORMAT, Format, examples, plural, print_json, records
from ilt_xl.cli.progress import QUIET, Steps

# The commands this module registers, in the order of the macros (ilt_xl.workbook.headless.COMMANDS,
# not imported here: the macros' modules are the command's own, not every command line's); optimise and
# merge-advice take options: ilt_xl.cli.optimise registers them.
_HELP = {
    "checklist": "Build or refresh the Checklist tab, keeping statuses, done dates and notes.",
    "allocate": "Build the Allocation ledger: each session's cost split over its enrolment lines.",
    "conflicts": "Fill the Conflicts tab: double bookings, skill mismatches, capacity, available days.",
    "budget": "Refresh Actual, Committed and Forecast of the Budget tab, keeping budgets and rows.",
    "fx": "Write the ECB rates the sessions use into the FX tab (with their source), keeping manual rows.",
    "holidays": "Write the public holidays of the sessions' countries and years into the Holidays tab (sorted by "
                "country, as the due dates need), keeping rows you added.",
    "availability": "Refresh the Availability tab: instructors and rooms x weeks, booked days (blank when free), "
                    "coloured free/booked/over-booked, weeks with leave in blue.",
    "validate": "Write every problem of the planner to a Problems sheet.",
}


def default_output(path: Path) -> Path:
    """Where a command writes without ``-o``: ``plan.xlsx`` -> ``plan.out.xlsx`` in the same folder."""
    return path.with_name(f"{path.stem}.out{path.suffix or '.xlsx'}")


def output_target(path: Path, output: Path | None, in_place: bool, force: bool) -> Path:
    """Where a command that rewrites a planner writes; exits 2 (-o with --in-place) or 3 (the output is the
    input, or exists without --force), nothing written, when it may not."""
    if in_place and output is not None:
        err_console.print("[bold red]Give either --in-place or -o, not both.[/]")
        raise typer.Exit(EXIT_BAD_INPUT)
    if in_place:
        return path
    target = output or default_output(path)
    refuse_output_is_input(path, target)
    if target.exists() and not force:
        refuse_existing(target)
    refuse_mismatched_suffix(path, target)
    return target


def run(name: str, path: Path, output: Path | None, in_place: bool, force: bool,
        format: Format = Format.table, quiet: bool = False) -> None:
    """Run macro ``name`` headlessly and report; exits with the contract's code."""
    from ilt_xl.workbook.headless import run_macro

    target = output_target(path, output, in_place, force)
    with refusals(path, name), Steps(quiet) as steps:
        steps.next(f"{name}: {path.name}")
        result = run_macro(name, path, target)
    errors = sum(p.is_error for p in result.problems)
    warnings = len(result.problems) - errors
    if format is Format.json:
        print_json(console, {"file": str(path), "output": str(target), "macro": name, "table": result.table,
                             "rows": result.rows, "errors": errors, "warnings": warnings,
                             **({"problems": [p.to_dict() for p in result.problems]} if name == "validate" else {}),
                             **({"conflicts": records(result.written)} if name == "conflicts" else {})})
    else:
        if name == "validate":
            print_problems(str(path), result.problems, limit=0)
        console.print(f"{escape(str(target))}: {result.table} written ({plural(result.rows, 'row')})"
                      + (f"; {plural(warnings, 'warning')} (`ilt-xl check` lists them)"
                         if warnings and name != "validate" else ""), highlight=False)
    raise typer.Exit(EXIT_PROBLEMS if errors else EXIT_OK)


@contextmanager
def refusals(path: Path, what: str):
    """Turn the failures of a command that rewrites a planner into the contract's messages and codes."""
    from ilt_xl.workbook.headless import PlannerHasErrors
    from ilt_xl.workbook.package_editor import OutputError
    from ilt_xl.workers import WorkerLost
    from ilt_xl.xlsx import WorkbookError

    try:
        yield
    except WorkbookError as exc:
        refuse_unusable(exc)
    except WorkerLost as exc:
        err_console.print(f"[bold red]{escape(str(path))}: {what} failed, nothing written:[/] {escape(str(exc))}",
                          highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except PlannerHasErrors as exc:
        print_problems(str(path), exc.problems, limit=0)
        err_console.print(f"[bold red]{escape(str(path))}: {what} refused, nothing written:[/] "
                          "correct the errors above first.", highlight=False)
        raise typer.Exit(EXIT_PROBLEMS) from None
    except OutputError as exc:
        err_console.print(f"[bold red]{escape(str(exc))}[/]", highlight=False)
        raise typer.Exit(EXIT_CANNOT_WRITE) from None
    except OSError as exc:
        err_console.print(f"[bold red]Cannot write {escape(str(exc.filename or path))}:[/] "
                          f"{escape(exc.strerror or str(exc))}", highlight=False)
        raise typer.Exit(EXIT_CANNOT_WRITE) from None
    except (ValueError, KeyError) as exc:
        err_console.print(f"[bold red]{escape(str(path))}: {what} cannot run:[/] {escape(str(exc))} "
                          "(run `ilt-xl check` for every problem)", highlight=False)
        raise typer.Exit(EXIT_PROBLEMS) from None


PATH = typer.Argument(..., help="The planner workbook (.xlsx).")
OUTPUT = typer.Option(None, "--output", "-o", help="Write here (default: PATH's stem + .out.xlsx).")
IN_PLACE = typer.Option(False, "--in-place", help="Rewrite PATH itself (atomically).")
FORCE = typer.Option(False, "--force", help="Replace an existing output file.")


def _register(name: str) -> None:
    def command(path: Path = PATH, output: Path = OUTPUT, in_place: bool = IN_PLACE, force: bool = FORCE,
                format: Format = FORMAT, quiet: bool = QUIET) -> None:
        run(name, path, output, in_place, force, format, quiet)

    command.__doc__ = _HELP.get(name) or macros_help(name)
    app.command(name=name, help=command.__doc__, epilog=examples(
        (f"ilt-xl {name} plan.xlsx", "writes plan.out.xlsx"),
        (f"ilt-xl {name} plan.xlsx --in-place", "rewrites plan.xlsx"),
        ("ilt-xl refresh plan.xlsx --in-place", "every tab and every value at once"),
    ))(command)


def macros_help(name: str) -> str:
    from ilt_xl.workbook.macros import MACROS

    return MACROS[name].help


for _name in _HELP:
    _register(_name)
