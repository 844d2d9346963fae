"""``ilt-xl refresh PATH [--in-place | -o OUT]``: every macro twin, then a full recalculation, one write.

What a coordinator wants after editing sessions: FX rates, checklist, conflicts, availability,
allocation and budget (and whatever other macro the planner has) brought up to date, then every
formula recomputed, so Sessions' ConflictFlag, the Dashboard and the tabs agree, in one output
file. The single-purpose twins (``ilt-xl checklist`` ...) stay for one tab at a time.

Exit codes: 0 done; 1 the planner has errors (nothing written; listed as ``check`` lists them)
or cells of the result hold error values; 2 unusable input; 3 the output cannot be written.
"""
from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from ilt_xl.cli.app import app, console
from ilt_xl.cli.macros import FORCE, IN_PLACE, OUTPUT, PATH, output_target, refusals
from ilt_xl.cli.output import FORMAT, Format, examples, plural, print_json
from ilt_xl.cli.progress import QUIET, Steps
from ilt_xl.cli.recalc import TODAY, exit_code, parse_today, print_report, report_record


@app.command(epilog=examples(
    ("ilt-xl refresh plan.xlsx", "writes plan.out.xlsx: every tab and every value up to date"),
    ("ilt-xl refresh plan.xlsx --in-place", "rewrites plan.xlsx"),
    ("ilt-xl batch 'plans/*.xlsx' --out refreshed --refresh", "the same for many planners"),
))
def refresh(path: Path = PATH, output: Path = OUTPUT, in_place: bool = IN_PLACE, force: bool = FORCE,
            today: str = TODAY, format: Format = FORMAT, quiet: bool = QUIET) -> None:
    """Run every macro (FX, checklist, conflicts, availability, allocation, budget...) then recalculate, in one write."""
    from ilt_xl.workbook.refresh import macro_order, refresh as run_refresh
    from ilt_xl.workers import worth_isolating

    day = parse_today(today)
    target = output_target(path, output, in_place, force)
    with refusals(path, "refresh"), Steps(quiet, total=len(macro_order()) + 4) as steps:
        result = run_refresh(path, target, today=day, phase=steps.next, isolated=worth_isolating(path))
    report = result.recalc
    warnings = sum(not p.is_error for p in result.problems)
    if format is Format.json:
        print_json(console, {"file": str(path), "output": str(target), "tables": result.tables,
                             "warnings": warnings, "recalc": report_record(report)})
    else:
        console.print(f"{escape(str(target))}: refreshed "
                      + ", ".join(f"{table} ({plural(rows, 'row')})" for table, rows in result.tables.items())
                      + (f"; {plural(warnings, 'warning')} (`ilt-xl check` lists them)" if warnings else ""),
                      highlight=False)
        print_report(report)
    raise typer.Exit(exit_code(report.kept_count, report.error_count, False))
