"""``ilt-xl optimise``, ``merge-advice`` and ``apply``: propose a cheaper plan, then apply what is accepted.

``optimise PATH`` and ``merge-advice PATH`` write their proposals into the Proposals
tab only (Sessions is untouched); ``apply PATH`` writes the rows whose Accept is Yes
into Sessions and Enrolments and refreshes Conflicts. Output as for the macros:
``-o OUT``, else ``PATH``'s stem + ``.out.xlsx``; ``--in-place``; ``--force`` to replace.

Exit codes: 0 done; 1 the planner has errors (listed as ``check`` lists them, nothing
written), or optimise found no plan within its time limit; 2 unusable input;
3 the output cannot be written.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.markup import escape

from ilt_xl.cli.app import EXIT_BAD_INPUT, EXIT_OK, EXIT_PROBLEMS, app, console, err_console
from ilt_xl.cli.macros import FORCE, IN_PLACE, OUTPUT, PATH, output_target, refusals

_LISTED = 15


def _money(amount: float) -> str:
    return f"{amount:,.2f}"


@app.command(name="optimise")
def optimise_command(
    path: Path = PATH,
    output: Path = OUTPUT,
    in_place: bool = IN_PLACE,
    force: bool = FORCE,
    scope: str = typer.Option("planned", "--scope", help="planned: Planned sessions from AsOfDate on; all-open: every Planned session."),
    objective: str = typer.Option("cost", "--objective", help="cost: lowest total cost; balance: even instructor utilisation, then cost."),
    time_limit: float = typer.Option(60.0, "--time-limit", help="Seconds the solver may take (the best plan found is kept)."),
    move_days: int = typer.Option(0, "--move-days", help="Let start dates move up to N working days either way."),
) -> None:
    """Propose instructors and rooms (and dates) for Planned sessions at the lowest cost; writes the Proposals tab."""
    from ilt_xl.core.optimise import ASSIGN, Options, optimise
    from ilt_xl.workbook.macros import proposal_rows
    from ilt_xl.workbook.proposals import read_valid, write_proposals

    try:
        options = Options(scope=scope, objective=objective, time_limit=time_limit, move_days=move_days)
    except ValueError as exc:
        err_console.print(f"[bold red]Bad option:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    target = output_target(path, output, in_place, force)

    def work():
        planner = read_valid(path, "optimise")
        result = optimise(planner.tables, planner.settings, options)
        write_proposals(path, target, "optimise", proposal_rows(planner.tables, planner.settings, ASSIGN, result.proposals))
        return planner, result

    with refusals(path, "optimise"):
        planner, result = work()
    currency = planner.settings.get("ReportingCurrency") or "EUR"
    gap = f", gap {result.gap:.2%}" if result.gap is not None else ""
    console.print(f"Optimised {result.sessions} Planned session(s) ({scope}, {objective}) in {result.seconds:.1f} s: "
                  f"{result.status}{gap}; {result.variables} variables, {result.constraints} constraints.", highlight=False)
    if result.sessions:
        share = result.saving / result.cost_before if result.cost_before else 0.0
        console.print(f"Cost of their instructors, rooms and travel: {_money(result.cost_before)} -> "
                      f"{_money(result.cost_after)} {currency}, saving {_money(result.saving)} ({share:.1%}).", highlight=False)
    proposed = int((result.proposals["Outcome"] == "Proposed").sum())
    console.print(f"{escape(str(target))}: {proposed} proposal(s) written to the Proposals tab (Accept Yes); "
                  "review them, then run `ilt-xl apply`.", highlight=False)
    _list_unstaffable(result.unstaffable)
    raise typer.Exit(EXIT_PROBLEMS if result.status.startswith("no plan") else EXIT_OK)


def _list_unstaffable(unstaffable) -> None:
    if unstaffable.empty:
        return
    console.print(f"[yellow]{len(unstaffable)} session(s) cannot be staffed and keep their current assignment:[/]")
    for row in unstaffable.head(_LISTED).itertuples():
        console.print(f"  {escape(row.SessionId)}: {escape(row.Reason)}", highlight=False)
    if len(unstaffable) > _LISTED:
        console.print(f"  ... and {len(unstaffable) - _LISTED} more (Outcome Infeasible in the Proposals tab)")


@app.command(name="merge-advice")
def merge_advice_command(
    path: Path = PATH,
    output: Path = OUTPUT,
    in_place: bool = IN_PLACE,
    force: bool = FORCE,
    within_days: int = typer.Option(14, "--within-days", help="Merge only into sessions starting at most this many days apart."),
    below: float = typer.Option(None, "--below", help="Under-filled means occupancy below this (0.5 = 50%); default: under the course minimum."),
) -> None:
    """Propose merging under-filled Planned sessions into another of the same course and country."""
    from ilt_xl.core.merge import MERGE, merge_advice
    from ilt_xl.workbook.macros import proposal_rows
    from ilt_xl.workbook.proposals import read_valid, write_proposals

    if within_days < 0 or (below is not None and not 0 <= below <= 1):
        err_console.print("[bold red]Bad option:[/] --within-days must be 0 or more and --below from 0 to 1.")
        raise typer.Exit(EXIT_BAD_INPUT)
    target = output_target(path, output, in_place, force)

    def work():
        planner = read_valid(path, "merge-advice")
        rows = merge_advice(planner.tables, planner.settings, within_days=within_days, below=below)
        write_proposals(path, target, "merge-advice", proposal_rows(planner.tables, planner.settings, MERGE, rows))
        return planner, rows

    with refusals(path, "merge-advice"):
        planner, rows = work()
    currency = planner.settings.get("ReportingCurrency") or "EUR"
    console.print(f"{escape(str(target))}: {len(rows)} merge(s) proposed, moving {rows['LearnersMoved'].sum():g} learner(s); "
                  f"fixed cost saved {_money(rows['Saving'].sum())} {currency}. Review the Proposals tab, then run `ilt-xl apply`.",
                  highlight=False)
    raise typer.Exit(EXIT_OK)


@app.command(name="apply")
def apply_command(
    path: Path = PATH,
    output: Path = OUTPUT,
    in_place: bool = IN_PLACE,
    force: bool = FORCE,
    today: str = typer.Option(None, "--today", help="Fix TODAY() for the recalculation (YYYY-MM-DD)."),
) -> None:
    """Write the accepted proposals (Accept Yes) into Sessions and Enrolments, and refresh Conflicts."""
    from ilt_xl.workbook.proposals import apply_file

    day = None
    if today is not None:
        try:
            day = dt.date.fromisoformat(today)
        except ValueError:
            err_console.print(f"[bold red]Bad --today {escape(today)}:[/] expected a date as YYYY-MM-DD.", highlight=False)
            raise typer.Exit(EXIT_BAD_INPUT)
    target = output_target(path, output, in_place, force)
    with refusals(path, "apply"):
        run = apply_file(path, target, today=day)
    console.print(f"{escape(str(target))}: {run.applied} proposal(s) applied, {run.skipped} skipped "
                  f"(the reason is in their Rule); learners {run.learners_before:g} before, {run.learners_after:g} after; "
                  f"Conflicts refreshed ({len(run.conflicts)} row(s)).", highlight=False)
    raise typer.Exit(EXIT_OK)
