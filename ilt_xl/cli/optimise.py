"""``ilt-xl optimise``, ``merge-advice`` and ``apply``: propose a cheaper plan, then apply what is accepted.

``optimise PATH`` and ``merge-advice PATH`` write their proposals into the Proposals
tab only (Sessions is untouched); ``apply PATH`` writes the rows whose Accept is Yes
into Sessions and Enrolments and refreshes Conflicts. Output as for the macros:
``-o OUT``, else ``PATH``'s stem + ``.out.xlsx``; ``--in-place``; ``--force`` to replace.
``--format json`` prints the figures and the rows written as one JSON document instead
of sentences; ``--quiet`` shows no progress on standard error.

Exit codes: 0 done; 1 the planner has errors (listed as ``check`` lists them, nothing
written), or optimise found no plan within its time limit; 2 unusable input, or a model
too large for memory (optimise: more candidate pairs than it holds; nothing written);
3 the output cannot be written.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.markup import escape

from ilt_xl.cli.app import EXIT_BAD_INPUT, EXIT_OK, EXIT_PROBLEMS, app, console, err_console
from ilt_xl.cli.macros import FORCE, IN_PLACE, OUTPUT, PATH, output_target, refusals
from ilt_xl.cli.output import FORMAT, Format, examples, print_json, records
from ilt_xl.cli.progress import QUIET, Steps

_LISTED = 15


def _money(amount: float) -> str:
    return f"{amount:,.2f}"


@app.command(name="optimise", epilog=examples(
    ("ilt-xl optimise plan.xlsx", "proposals in plan.out.xlsx's Proposals tab; Sessions untouched"),
    ("ilt-xl optimise plan.xlsx --in-place --move-days 2 --time-limit 30", "dates may move 2 working days"),
    ("ilt-xl optimise plan.xlsx --format json | jq .saving", "the figures, for machines"),
))
def optimise_command(
    path: Path = PATH,
    output: Path = OUTPUT,
    in_place: bool = IN_PLACE,
    force: bool = FORCE,
    scope: str = typer.Option("planned", "--scope", help="planned: Planned sessions from AsOfDate on; all-open: every Planned session."),
    objective: str = typer.Option("cost", "--objective", help="cost: lowest total cost; balance: even instructor utilisation, then cost."),
    time_limit: float = typer.Option(60.0, "--time-limit", help="Seconds the solver may take (the best plan found is kept)."),
    move_days: int = typer.Option(0, "--move-days", help="Let start dates move up to N working days either way."),
    format: Format = FORMAT,
    quiet: bool = QUIET,
) -> None:
    """Propose instructors and rooms (and dates) for Planned sessions at the lowest cost; writes the Proposals tab."""
    from ilt_xl.core.optimise import ASSIGN, Options, TooLarge, optimise
    from ilt_xl.workbook.macros import proposal_rows
    from ilt_xl.workbook.proposals import read_valid, write_proposals

    try:
        options = Options(scope=scope, objective=objective, time_limit=time_limit, move_days=move_days)
    except ValueError as exc:
        err_console.print(f"[bold red]Bad option:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    target = output_target(path, output, in_place, force)
    with refusals(path, "optimise"), Steps(quiet, total=3) as steps:
        steps.next(f"Reading {path.name}")
        planner = read_valid(path, "optimise")
        steps.next("Optimising")
        try:
            result = optimise(planner.tables, planner.settings, options)
        except TooLarge as exc:
            err_console.print(f"[bold red]{escape(str(path))}: optimise refused, nothing written:[/] {escape(str(exc))}",
                              highlight=False)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        steps.next(f"Writing {target.name}")
        write_proposals(path, target, "optimise", proposal_rows(planner.tables, planner.settings, ASSIGN, result.proposals))
    currency = planner.settings.get("ReportingCurrency") or "EUR"
    proposed = int((result.proposals["Outcome"] == "Proposed").sum())
    code = EXIT_PROBLEMS if result.status.startswith("no plan") else EXIT_OK
    if format is Format.json:
        print_json(console, {
            "file": str(path), "output": str(target), "scope": scope, "objective": objective, "status": result.status,
            "gap": None if result.gap is None else float(result.gap), "seconds": round(float(result.seconds), 3),
            "sessions": int(result.sessions), "variables": int(result.variables), "constraints": int(result.constraints),
            "blocks": int(result.blocks),
            "currency": currency, "cost_before": round(float(result.cost_before), 2),
            "cost_after": round(float(result.cost_after), 2), "saving": float(result.saving), "proposed": proposed, "proposals": records(result.proposals),
            "unstaffable": records(result.unstaffable)})
        raise typer.Exit(code)
    gap = f", gap {result.gap:.2%}" if result.gap is not None else ""
    if result.blocks > 1:
        gap += f" (solved in {result.blocks} blocks; the gap is to the LP bound)"
    console.print(f"Optimised {result.sessions} Planned session(s) ({scope}, {objective}) in {result.seconds:.1f} s: "
                  f"{result.status}{gap}; {result.variables} variables, {result.constraints} constraints.", highlight=False)
    if result.sessions:
        share = result.saving / result.cost_before if result.cost_before else 0.0
        console.print(f"Cost of their instructors, rooms and travel: {_money(result.cost_before)} -> "
                      f"{_money(result.cost_after)} {currency}, saving {_money(result.saving)} ({share:.1%}).", highlight=False)
    console.print(f"{escape(str(target))}: {proposed} proposal(s) written to the Proposals tab (Accept Yes); "
                  "review them, then run `ilt-xl apply`.", highlight=False)
    _list_unstaffable(result.unstaffable)
    raise typer.Exit(code)


def _list_unstaffable(unstaffable) -> None:
    if unstaffable.empty:
        return
    console.print(f"[yellow]{len(unstaffable)} session(s) cannot be staffed and keep their current assignment:[/]")
    for row in unstaffable.head(_LISTED).itertuples():
        console.print(f"  {escape(row.SessionId)}: {escape(row.Reason)}", highlight=False)
    if len(unstaffable) > _LISTED:
        console.print(f"  ... and {len(unstaffable) - _LISTED} more (Outcome Infeasible in the Proposals tab)")


@app.command(name="merge-advice", epilog=examples(
    ("ilt-xl merge-advice plan.xlsx", "merges of sessions under their course minimum, in plan.out.xlsx's Proposals tab"),
    ("ilt-xl merge-advice plan.xlsx --below 0.5 --within-days 21", "under half full, at most 3 weeks apart"),
    ("ilt-xl merge-advice plan.xlsx --format json | jq .saving", "the figures, for machines"),
))
def merge_advice_command(
    path: Path = PATH,
    output: Path = OUTPUT,
    in_place: bool = IN_PLACE,
    force: bool = FORCE,
    within_days: int = typer.Option(14, "--within-days", help="Merge only into sessions starting at most this many days apart."),
    below: float = typer.Option(None, "--below", help="Under-filled means occupancy below this (0.5 = 50%); default: under the course minimum."),
    format: Format = FORMAT,
    quiet: bool = QUIET,
) -> None:
    """Propose merging under-filled Planned sessions into another of the same course and country."""
    from ilt_xl.core.merge import MERGE, merge_advice
    from ilt_xl.workbook.macros import proposal_rows
    from ilt_xl.workbook.proposals import read_valid, write_proposals

    if within_days < 0 or (below is not None and not 0 <= below <= 1):
        err_console.print("[bold red]Bad option:[/] --within-days must be 0 or more and --below from 0 to 1.")
        raise typer.Exit(EXIT_BAD_INPUT)
    target = output_target(path, output, in_place, force)
    with refusals(path, "merge-advice"), Steps(quiet, total=3) as steps:
        steps.next(f"Reading {path.name}")
        planner = read_valid(path, "merge-advice")
        steps.next("Pairing under-filled sessions")
        rows = merge_advice(planner.tables, planner.settings, within_days=within_days, below=below)
        steps.next(f"Writing {target.name}")
        write_proposals(path, target, "merge-advice", proposal_rows(planner.tables, planner.settings, MERGE, rows))
    currency = planner.settings.get("ReportingCurrency") or "EUR"
    moved, saving = float(rows["LearnersMoved"].sum()), round(float(rows["Saving"].sum()), 2)
    if format is Format.json:
        print_json(console, {"file": str(path), "output": str(target), "merges": len(rows), "learners_moved": moved,
                             "currency": currency, "saving": saving, "proposals": records(rows)})
    else:
        console.print(f"{escape(str(target))}: {len(rows)} merge(s) written to the Proposals tab, moving {moved:g} "
                      f"learner(s); fixed cost saved {_money(saving)} {currency}. Review them, then run `ilt-xl apply`.",
                      highlight=False)
    raise typer.Exit(EXIT_OK)


@app.command(name="apply", epilog=examples(
    ("ilt-xl apply plan.xlsx", "the accepted proposals applied in plan.out.xlsx"),
    ("ilt-xl apply plan.xlsx --in-place", "rewrites plan.xlsx"),
    ("ilt-xl apply plan.xlsx --format json | jq .applied", "the figures, for machines"),
))
def apply_command(
    path: Path = PATH,
    output: Path = OUTPUT,
    in_place: bool = IN_PLACE,
    force: bool = FORCE,
    today: str = typer.Option(None, "--today", help="Fix TODAY() for the recalculation (YYYY-MM-DD)."),
    format: Format = FORMAT,
    quiet: bool = QUIET,
) -> None:
    """Write the accepted proposals (Accept Yes) into Sessions and Enrolments, and refresh Conflicts."""
    from ilt_xl.workbook.proposals import apply_file
    from ilt_xl.workers import worth_isolating

    day = None
    if today is not None:
        try:
            day = dt.date.fromisoformat(today)
        except ValueError:
            err_console.print(f"[bold red]Bad --today {escape(today)}:[/] expected a date as YYYY-MM-DD.", highlight=False)
            raise typer.Exit(EXIT_BAD_INPUT)
    target = output_target(path, output, in_place, force)
    with refusals(path, "apply"), Steps(quiet) as steps:
        steps.next(f"Applying the accepted proposals of {path.name}")
        run = apply_file(path, target, today=day, isolated=worth_isolating(path))
    if format is Format.json:
        print_json(console, {"file": str(path), "output": str(target), "applied": run.applied, "skipped": run.skipped,
                             "learners_before": run.learners_before, "learners_after": run.learners_after,
                             "proposals": records(run.proposals), "conflicts": records(run.conflicts)})
    else:
        console.print(f"{escape(str(target))}: Proposals and Conflicts written; {run.applied} proposal(s) applied to "
                      f"Sessions and Enrolments, {run.skipped} skipped (the reason is in their Rule); learners "
                      f"{run.learners_before:g} before, {run.learners_after:g} after; Conflicts refreshed "
                      f"({len(run.conflicts)} row(s)).", highlight=False)
    raise typer.Exit(EXIT_OK)
