"""``ilt-xl recalc``, ``batch`` and ``scenario``: recompute workbooks headlessly.

``recalc IN.xlsx`` writes ``IN.recalc.xlsx`` (or ``-o OUT``; ``--in-place`` replaces IN) with every
formula's cached value filled, then prints what was computed and which cells are in error.
``batch 'GLOB' --out DIR`` does the same for many workbooks on local processes, or on a Dask
cluster when ``--scheduler`` is given; a workbook that fails is reported and skipped.
``scenario IN.xlsx --out DIR`` writes recalculated what-if copies and a diff report, and refuses
a planner with errors (listed as ``check`` lists them).
None of them replaces a file already there unless ``--force`` is given.

Exit codes: 0 all computed without error values, 1 some cells are errors or formulas could not be
evaluated (or, for batch, some workbooks could not be used; for scenario, the planner has errors),
2 unusable input, 3 output not writable (batch then keeps none of its copies) or already present
(without ``--force``), or the output is the input without ``--in-place``.
"""
from __future__ import annotations

import datetime as dt
import glob as globmod
import os
from contextlib import nullcontext
from pathlib import Path

import typer
from rich.markup import escape

from ilt_xl.cli.app import (
    EXIT_BAD_INPUT, EXIT_CANNOT_WRITE, EXIT_OK, EXIT_PROBLEMS, app, console, err_console, refuse_output_is_input,
    refuse_unusable,
)

_MAX_LISTED = 15


def _parse_today(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        err_console.print(f"[bold red]Bad --today {escape(value)!s}:[/] expected a date as YYYY-MM-DD.", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def print_report(report) -> None:
    """The summary of one recalculation: cells computed, problems, cells in error, time."""
    console.print(
        f"Recalculated {escape(report.source)} -> {escape(str(report.output))}: "
        f"{report.cells_computed} formula cells in {report.runs} runs "
        f"({report.runs_vectorised} vectorised) in {report.seconds:.2f} s "
        f"(load {report.seconds_load:.2f}, compute {report.seconds_compute:.2f}, write {report.seconds_write:.2f})",
        highlight=False)
    if report.problems:
        console.print(f"[bold red]{len(report.problems)} formulas could not be evaluated:[/]")
        for p in report.problems[:_MAX_LISTED]:
            console.print(f"  {escape(str(p))}", highlight=False)
        if len(report.problems) > _MAX_LISTED:
            console.print(f"  ... and {len(report.problems) - _MAX_LISTED} more")
    if report.error_cells:
        console.print(f"[yellow]{report.error_count} cells hold error values:[/]")
        for e in report.error_cells[:_MAX_LISTED]:
            console.print(f"  {escape(str(e))}", highlight=False)
        if len(report.error_cells) > _MAX_LISTED:
            console.print(f"  ... and {len(report.error_cells) - _MAX_LISTED} more groups")


def refuse_unreadable(path: Path) -> None:
    """Exit 2 up front when ``path`` is missing or not a regular file (a FIFO would block the read)."""
    from ilt_xl.xlsx import WorkbookError, not_regular_reason

    reason = not_regular_reason(path)
    if reason:
        refuse_unusable(WorkbookError(path, reason))


@app.command()
def recalc(
    path: Path = typer.Argument(..., help="The workbook to recalculate (.xlsx or .xlsm)."),
    output: Path = typer.Option(None, "-o", "--output", help="Where to write (default: IN.recalc.xlsx)."),
    in_place: bool = typer.Option(False, "--in-place", help="Replace the input workbook."),
    values_only: bool = typer.Option(False, "--values-only", help="Write values in place of formulas."),
    today: str = typer.Option(None, "--today", help="The date TODAY() returns, YYYY-MM-DD (default: today)."),
    force: bool = typer.Option(False, "--force", help="Replace the output file if it exists."),
) -> None:
    """Recompute every formula (ILT_* functions and structured references included) without Excel."""
    from ilt_xl.atomic_write import locked_for_update
    from ilt_xl.engine.recalc import default_output, recalculate
    from ilt_xl.xlsx import WorkbookError

    day = _parse_today(today)
    if in_place and output is not None:
        err_console.print("[bold red]Give either -o or --in-place, not both.[/]")
        raise typer.Exit(EXIT_BAD_INPUT)
    refuse_unreadable(path)
    target = path if in_place else (output or default_output(path))
    if not in_place:
        refuse_output_is_input(path, target)
    if not in_place and target.exists() and not force:
        err_console.print(f"[bold red]Cannot write {escape(str(target))}:[/] it already exists "
                          "(use --force to replace it).", highlight=False)
        raise typer.Exit(EXIT_CANNOT_WRITE)
    try:
        # --in-place: other ilt-xl commands rewriting the same file wait for this one (no lost update)
        with locked_for_update(path) if in_place else nullcontext():
            report = recalculate(path, target, values_only=values_only, today=day)
    except WorkbookError as exc:
        refuse_unusable(exc)
    except OSError as exc:
        err_console.print(f"[bold red]Cannot write {escape(str(target))}:[/] {escape(exc.strerror or str(exc))}",
                          highlight=False)
        raise typer.Exit(EXIT_CANNOT_WRITE) from None
    except Exception as exc:  # input nothing foresaw (the fuzzer finds such): one line, nothing written
        err_console.print(f"[bold red]Cannot recalculate {escape(str(path))}:[/] unexpected failure "
                          f"({escape(type(exc).__name__)}: {escape(str(exc))}); nothing written. "
                          "Please report it with the file.", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    print_report(report)
    raise typer.Exit(EXIT_PROBLEMS if report.problems or report.error_cells else EXIT_OK)


def recalc_one(source: str, target: str, values_only: bool, today: dt.date | None) -> dict:
    """Recalculate one workbook of a batch into ``target``; never raises (the failure is returned as
    text, with ``write`` True when the output could not be written rather than the input used)."""
    from ilt_xl.engine.recalc import recalculate
    from ilt_xl.xlsx import WorkbookError
    try:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        r = recalculate(source, target, values_only=values_only, today=today)
    except WorkbookError as exc:
        return {"source": source, "ok": False, "write": False, "error": exc.reason}
    except OSError as exc:      # disk full, permission: the output, not this workbook, is the problem
        return {"source": source, "ok": False, "write": True, "error": f"cannot write {target}: {exc.strerror or exc}"}
    except Exception as exc:  # one bad workbook must not stop the batch
        return {"source": source, "ok": False, "write": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"source": source, "ok": True, "output": str(target), "cells": r.cells_computed,
            "problems": len(r.problems), "errors": r.error_count, "seconds": r.seconds}


def batch_targets(pattern: str, sources: list[str], out: Path) -> list[Path]:
    """Where each of ``sources`` (matches of ``pattern``) is written in ``out``: its path below the
    pattern's fixed folder (``in/**/plan.xlsx`` -> ``OUT/a/plan.xlsx``, ``OUT/b/plan.xlsx``), so two
    inputs of one name never share an output and each output names its input."""
    parts = Path(pattern).parts
    fixed = next((i for i, part in enumerate(parts) if globmod.has_magic(part)), len(parts) - 1)
    root = Path(*parts[:fixed]) if fixed else Path(".")
    return [out / Path(os.path.relpath(s, root)) for s in sources]


def _refuse_existing(out: Path, targets: list[Path], force: bool) -> None:
    """Exit 3, writing nothing, when some of ``targets`` (files to write in ``out``) already exist
    and ``force`` was not given."""
    present = [str(t) for t in targets if t.exists()]
    if present and not force:
        err_console.print(f"[bold red]Cannot write into {escape(str(out))}:[/] {len(present)} file(s) already exist "
                          f"({escape(', '.join(present[:3]))}{', ...' if len(present) > 3 else ''}); "
                          "use --force to replace them.", highlight=False)
        raise typer.Exit(EXIT_CANNOT_WRITE)


@app.command()
def batch(
    pattern: str = typer.Argument(..., help="Workbooks to recalculate, as a glob pattern ('plans/*.xlsx')."),
    out: Path = typer.Option(..., "--out", help="Folder for the recalculated copies (same names and sub-folders as below the pattern's fixed folder)."),
    workers: int = typer.Option(0, "--workers", min=0, help="Local worker processes (default: CPU count)."),
    scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler address tcp://HOST:PORT."),
    values_only: bool = typer.Option(False, "--values-only", help="Write values in place of formulas."),
    today: str = typer.Option(None, "--today", help="The date TODAY() returns, YYYY-MM-DD."),
    force: bool = typer.Option(False, "--force", help="Replace recalculated copies already in --out."),
) -> None:
    """Recalculate many workbooks, on local processes or a Dask cluster, with a progress bar."""
    from rich.progress import Progress

    day = _parse_today(today)
    sources = sorted(globmod.glob(pattern, recursive=True))
    if not sources:
        err_console.print(f"[bold red]No workbook matches {escape(pattern)}.[/]", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    targets = batch_targets(pattern, sources, out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        err_console.print(f"[bold red]Cannot create the --out folder {escape(str(out))}:[/] "
                          f"{escape(exc.strerror or str(exc))}", highlight=False)
        raise typer.Exit(EXIT_CANNOT_WRITE) from None
    for source, target in zip(sources, targets):
        refuse_output_is_input(source, target, in_place_option=False)
    _refuse_existing(out, targets, force)
    existed = {t for t in targets if t.exists()}
    results = []
    with Progress(console=console, transient=False) as progress:
        task = progress.add_task("Recalculating", total=len(sources))
        for result in _run_batch(list(zip(sources, map(str, targets))), values_only, day, workers, scheduler):
            results.append(result)
            if result.get("write"):
                break                    # the output folder cannot take more: stop, remove this run's outputs
            if not result["ok"]:
                progress.console.print(f"[bold red]Skipped {escape(result['source'])}:[/] {escape(result['error'])}",
                                       highlight=False)
            progress.advance(task)
    unwritable = next((r for r in results if r.get("write")), None)
    if unwritable is not None:
        done = {r["output"] for r in results if r["ok"]}
        for t in targets:                # all or nothing: the copies this run made are removed
            if str(t) in done or t not in existed:
                t.unlink(missing_ok=True)
        err_console.print(f"[bold red]Batch stopped, nothing kept:[/] {escape(unwritable['error'])}", highlight=False)
        raise typer.Exit(EXIT_CANNOT_WRITE)
    failed = [r for r in results if not r["ok"]]
    with_errors = [r for r in results if r["ok"] and (r["problems"] or r["errors"])]
    cells = sum(r.get("cells", 0) for r in results)
    console.print(f"{len(results) - len(failed)} of {len(results)} workbooks recalculated ({cells} formula cells); "
                  f"{len(failed)} failed; {len(with_errors)} hold cells in error.", highlight=False)
    for r in with_errors[:_MAX_LISTED]:
        console.print(f"  {escape(r['source'])}: {r['problems']} formulas not evaluated, {r['errors']} error cells",
                      highlight=False)
    raise typer.Exit(EXIT_PROBLEMS if failed or with_errors else EXIT_OK)


def _run_batch(jobs, values_only, day, workers, scheduler):
    """Yield one result per (source, target) job as it completes (local processes or Dask); when
    the caller stops early, jobs not yet started are cancelled."""
    if scheduler:
        from dask.distributed import Client, as_completed
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as exc:
            err_console.print(f"[bold red]Cannot reach the Dask scheduler {escape(scheduler)}:[/] {escape(str(exc))}",
                              highlight=False)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        try:
            futures = [client.submit(recalc_one, s, t, values_only, day, pure=False) for s, t in jobs]
            for fut in as_completed(futures):
                yield fut.result()
        finally:
            client.cancel(futures)
            client.close()
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed as done
    n = workers or os.cpu_count() or 1
    if n == 1 or len(jobs) == 1:
        for s, t in jobs:
            yield recalc_one(s, t, values_only, day)
        return
    pool = ProcessPoolExecutor(max_workers=min(n, len(jobs)))
    try:
        futures = [pool.submit(recalc_one, s, t, values_only, day) for s, t in jobs]
        for fut in done(futures):
            yield fut.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@app.command()
def scenario(
    path: Path = typer.Argument(..., help="The planner workbook (.xlsx)."),
    out_dir: Path = typer.Option(..., "-o", "--out", help="Folder for the what-if copies and the diff report."),
    fx: list[str] = typer.Option([], "--fx", help="Move a currency's rates, e.g. USD=+10% (repeatable)."),
    cancel_below: float = typer.Option(None, "--cancel-below", help="Cancel Planned/Confirmed sessions below this occupancy (0.5 = 50%)."),
    room_rate: str = typer.Option(None, "--room-rate", help="Move every room day rate, e.g. +5%."),
    today: str = typer.Option(None, "--today", help="The date TODAY() returns, YYYY-MM-DD."),
    force: bool = typer.Option(False, "--force", help="Replace what-if copies and the diff report already in --out."),
) -> None:
    """Write recalculated what-if copies of a planner and a diff report against the baseline."""
    from ilt_xl.engine import scenario as sc

    day = _parse_today(today)
    try:
        fx_changes = [sc.parse_fx(x) for x in fx]    # syntax first; the currencies once the planner is read
        if cancel_below is not None:
            sc.check_cancel_below(cancel_below)
        room_change = sc.parse_percent(room_rate) if room_rate is not None else None
    except ValueError as exc:
        _bad_option(exc)
    changes = [sc.Scenario(f"fx-{c}{p:+.0%}", fx=((c, p),)) for c, p in fx_changes]
    if cancel_below is not None:
        changes.append(sc.Scenario(f"cancel-below-{cancel_below:g}", cancel_below=cancel_below))
    if room_change is not None:
        changes.append(sc.Scenario(f"room-rate{room_change:+.0%}", room_rate=room_change))
    if not changes:
        err_console.print("[bold red]Give at least one change:[/] --fx, --cancel-below or --room-rate.")
        raise typer.Exit(EXIT_BAD_INPUT)
    if len(changes) > 1:
        changes.append(sc.Scenario("combined", fx=tuple(p for c in changes for p in c.fx),
                                   cancel_below=cancel_below, room_rate=room_change))
    refuse_unreadable(path)
    baseline, targets, diff = _scenario_files(path, out_dir, changes)
    _refuse_existing(out_dir, [baseline, *targets, diff], force)
    planner = _read_valid_planner(path)
    try:
        from ilt_xl.workbook.validate import known_currencies
        for x in fx:
            sc.parse_fx(x, known_currencies(planner))
    except ValueError as exc:
        _bad_option(exc)
    written: list[Path] = []
    created_dir = not out_dir.exists()
    try:
        _write_scenarios(path, out_dir, planner, changes, day, written)
    except BaseException as exc:
        for p in written:               # a failed run leaves no partial set of copies behind
            p.unlink(missing_ok=True)
        if created_dir and out_dir.is_dir() and not any(out_dir.iterdir()):
            out_dir.rmdir()
        _scenario_failure(exc, path, out_dir)


def _bad_option(exc: ValueError) -> None:
    err_console.print(f"[bold red]Bad scenario option:[/] {escape(str(exc))}", highlight=False)
    raise typer.Exit(EXIT_BAD_INPUT) from None


def _read_valid_planner(path: Path):
    """The planner at ``path``; exits 2 when it is not a usable workbook and 1 (its problems listed as
    ``check`` lists them, nothing written) when it has errors: what-ifs of a wrong plan mislead."""
    from ilt_xl.cli.check import print_problems
    from ilt_xl.workbook.reader import read_planner

    try:
        planner = read_planner(path)
    except Exception as exc:  # WorkbookError, or an input nothing foresaw: reported, never a traceback
        _scenario_failure(exc, path, path.parent)
    if any(p.is_error for p in planner.problems):
        print_problems(str(path), planner.problems, limit=0)
        err_console.print(f"[bold red]{escape(str(path))}: scenario refused, nothing written:[/] "
                          "correct the errors above first.", highlight=False)
        raise typer.Exit(EXIT_PROBLEMS)
    return planner


def _scenario_failure(exc: BaseException, path: Path, out_dir: Path) -> None:
    """Report why a scenario run failed with the contract's exit code (re-raises what is not a failure)."""
    from ilt_xl.workbook.package_editor import OutputError
    from ilt_xl.xlsx import WorkbookError

    if isinstance(exc, (typer.Exit, KeyboardInterrupt, SystemExit)):
        raise exc
    if isinstance(exc, WorkbookError):
        refuse_unusable(exc)
    if isinstance(exc, (OutputError, OSError)):
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        err_console.print(f"[bold red]Cannot write into {escape(str(out_dir))}:[/] {escape(reason)}", highlight=False)
        raise typer.Exit(EXIT_CANNOT_WRITE) from None
    # a setting the core refuses (ValueError) or an input nothing foresaw: said in one line, never a traceback
    err_console.print(f"[bold red]Cannot compute the scenarios of {escape(str(path))}:[/] "
                      f"{escape(type(exc).__name__)}: {escape(str(exc))}; nothing written.", highlight=False)
    raise typer.Exit(EXIT_BAD_INPUT) from None


def _scenario_files(path: Path, out_dir: Path, changes: list) -> tuple[Path, list[Path], Path]:
    """The baseline copy, one copy per change and the diff report that a scenario run writes."""
    stem, suffix = path.stem, path.suffix
    return (out_dir / f"{stem}.baseline{suffix}", [out_dir / f"{stem}.{c.name}{suffix}" for c in changes],
            out_dir / f"{stem}.scenarios.csv")


def _write_scenarios(path: Path, out_dir: Path, planner, changes: list, day, written: list[Path]) -> None:
    """Write the baseline, each what-if copy and the diff report into ``out_dir`` (each atomically),
    appending each file to ``written`` once it is complete; prints one comparison table per scenario."""
    import pandas as pd
    from rich.table import Table as RichTable

    from ilt_xl.csv_export import write_csv
    from ilt_xl.engine import scenario as sc

    out_dir.mkdir(parents=True, exist_ok=True)
    baseline_path, targets, diff = _scenario_files(path, out_dir, changes)
    frames = []
    sc.write_scenario(path, baseline_path, sc.Scenario("baseline"), day, planner)
    written.append(baseline_path)
    baseline = sc.figures(baseline_path)
    for change, target in zip(changes, targets):
        report = sc.write_scenario(path, target, change, day, planner)
        written.append(target)
        comparison = sc.compare(baseline, sc.figures(target), change.name)
        frames.append(comparison.rows.assign(Scenario=change.name))
        console.print(f"Wrote {escape(str(target))} ({report.cells_computed} formula cells recalculated, "
                      f"{len(comparison.rows)} figures changed)", highlight=False)
        table = RichTable(title=f"{change.name} vs baseline", show_lines=False)
        for col in ("Figure", "Key", "Baseline", "WhatIf", "Change"):
            table.add_column(col, justify="right" if col in ("Baseline", "WhatIf", "Change") else "left")
        shown = comparison.rows[comparison.rows["Figure"].isin(["Cost per learner", "Sessions", "BU charge"])]
        for _, row in shown.iterrows():
            table.add_row(row["Figure"], str(row["Key"]), f"{row['Baseline']:,.2f}", f"{row['WhatIf']:,.2f}",
                          f"{row['Change']:+,.2f}")
        console.print(table)
    report_frame = pd.concat(frames, ignore_index=True)
    write_csv(report_frame[["Scenario", "Figure", "Key", "Baseline", "WhatIf", "Change"]], diff)
    written.append(diff)
    console.print(f"Diff report: {escape(str(diff))}", highlight=False)
