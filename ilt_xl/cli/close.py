"""``ilt-xl close PATH --through 2025-12-31``: close the months through a month end (frozen actuals).

Every session starting on or before the date that is not frozen yet gets its figures of today stored in Sessions
(FrozenCurrency, FrozenFixedCost, FrozenVariableCost, FrozenFxRate, FrozenCostReporting, ClosedOn) and the
ClosedThrough setting moves to the date; the native formulas then show the stored figures
(``ilt_xl.core.periods``). Moving ClosedThrough back needs ``--reopen``, which clears the stored figures of the
sessions after the new date. Output and exit codes as the macros (:mod:`ilt_xl.cli.macros`): a date that is not a
month end, a move back without ``--reopen`` or a session to freeze showing an error exits 1, nothing written.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.markup import escape

from ilt_xl.cli.app import EXIT_BAD_INPUT, EXIT_OK, EXIT_PROBLEMS, app, console, err_console
from ilt_xl.cli.macros import FORCE, IN_PLACE, OUTPUT, PATH, output_target, refusals
from ilt_xl.cli.output import FORMAT, Format, examples, plural, print_json
from ilt_xl.cli.progress import QUIET, Steps


def _date(option: str, text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        err_console.print(f"[bold red]{option} {escape(text)} is not a date:[/] expected YYYY-MM-DD, e.g. 2025-12-31.",
                          highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None


@app.command(name="close", epilog=examples(
    ("ilt-xl close plan.xlsx --through 2025-12-31 --in-place", "freezes the sessions of 2025 and before"),
    ("ilt-xl close plan.xlsx --through 2025-06-30 --reopen --in-place", "reopens July-December 2025"),
))
def close(
    path: Path = PATH,
    through: str = typer.Option(..., "--through", help="Last day of the closed periods: a month end (YYYY-MM-DD)."),
    reopen: bool = typer.Option(False, "--reopen", help="Allow moving ClosedThrough back: the sessions after the "
                                                         "new date lose their frozen figures and compute again."),
    today: str = typer.Option(None, "--today", help="The date recorded in ClosedOn (default: today)."),
    output: Path = OUTPUT, in_place: bool = IN_PLACE, force: bool = FORCE, format: Format = FORMAT, quiet: bool = QUIET,
) -> None:
    """Close the months through a month end: the sessions in them keep their costs, rates and FX as of now."""
    from ilt_xl.core.periods import require_month_end
    from ilt_xl.workbook.closing import close_planner

    through_day = _date("--through", through)
    try:
        require_month_end(through_day)  # said before the planner is read: the option alone is wrong
    except ValueError as exc:
        err_console.print(f"[bold red]Cannot close {escape(str(path))}:[/] {escape(str(exc))}.", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    today_day = _date("--today", today) or dt.date.today()
    target = output_target(path, output, in_place, force)
    with refusals(path, "close"), Steps(quiet) as steps:
        steps.next(f"close: {path.name}")
        closing, problems = close_planner(path, target, through_day, today_day, reopen)
    warnings = sum(not p.is_error for p in problems)
    if format is Format.json:
        print_json(console, {"file": str(path), "output": str(target), "closed_through": through_day.isoformat(),
                             "frozen": closing.frozen, "reopened": closing.reopened, "warnings": warnings})
    else:
        console.print(f"{escape(str(target))}: closed through {through_day.isoformat()}; "
                      f"{plural(closing.frozen, 'session')} frozen"
                      + (f", {plural(closing.reopened, 'session')} reopened" if closing.reopened else ""),
                      highlight=False)
    raise typer.Exit(EXIT_OK if not any(p.is_error for p in problems) else EXIT_PROBLEMS)
