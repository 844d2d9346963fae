"""``ilt-xl recalc``, ``batch`` and ``scenario``: recompute workbooks headlessly.

``recalc IN.xlsx`` writes ``IN.recalc.xlsx`` (or ``-o OUT``; ``--in-place`` replaces IN) with every
formula's cached value filled, then prints what was computed and which cells are in error.
``batch 'GLOB' --out DIR`` does the same for many workbooks on local processes, or on a Dask
cluster when ``--scheduler`` is given; a workbook that fails is reported and skipped.
``scenario IN.xlsx --out DIR`` writes recalculated what-if copies and a diff report, and refuses
a planner with errors (listed as ``check`` lists them).
None of them replaces a file already there unless ``--force`` is given.

Exit codes (recalc and batch):
  0  every formula cell was computed (cells holding error values such as #DIV/0! are results:
     they are listed for information);
  1  some cells could not be computed: they keep the value Excel cached (unknown function,
     external link, formula beyond Excel's limits, time limit ...; listed with their reason) or
     sit on a circular reference; or, with ``--strict``, some cells hold error values; for batch,
     also a workbook that failed (a batch that cannot write keeps none of its copies); for scenario, a planner with errors;
  2  unusable input (not a workbook, damaged sheet XML ...);
  3  output not writable, already present (without ``--force``), the input itself (without
     ``--in-place``), or an extension that does not match the content (macros in an .xlsx name).
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
    EXIT_BAD_INPUT, EXIT_CANNOT_WRITE, EXIT_OK, EXIT_PROBLEMS, app, console, err_console, reason_of,
    refuse_existing, refuse_mismatched_suffix, refuse_output_is_input, refuse_unusable,
)
from ilt_xl.cli.output import FORMAT, Column, Format, examples, plural, print_json, print_table
from ilt_xl.cli.progress import QUIET, Files, Steps
from ilt_xl.engine.builtins import CATEGORIES as BUILTIN_CATEGORIES
from ilt_xl.engine.run_limits import DEFAULT_TIMEOUT

_MAX_LISTED = 15


TODAY = typer.Option(None, "--today", help="The date TODAY() returns, YYYY-MM-DD (default: today).")
TIMEOUT = typer.Option(DEFAULT_TIMEOUT, "--timeout", min=0, callback=lambda v: _finite("--timeout", v), help="Seconds for evaluating a workbook's formulas "
                       "(0: no limit); cells not evaluated by then keep their cached values and are listed.")
STRICT = typer.Option(False, "--strict", help="Exit 1 when computed cells hold error values (#DIV/0! ...).")


def _finite(option: str, value: float | None) -> float | None:
    """A number option's value, refused (exit 2) when infinite: 'inf' seconds is no time a timer takes."""
    if value is not None and value == float("inf"):
        raise typer.BadParameter(f"{value} is not a number of seconds (0 means no limit)", param_hint=option)
    return value


def parse_today(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        err_console.print(f"[bold red]Bad --today {escape(value)!s}:[/] expected a date as YYYY-MM-DD.", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def refuse_unreadable(path: Path) -> None:
    """Exit 2 up front when ``path`` is missing or not a regular file (a FIFO would block the read)."""
    from ilt_xl.xlsx import WorkbookError, not_regular_reason

    reason = not_regular_reason(path)
    if reason:
        refuse_unusable(WorkbookError(path, reason))


def report_record(report) -> dict:
    """One recalculation as ``--format json`` gives it: every cell kept as cached with its reason,
    every group of error values."""
    return {"source": report.source, "output": str(report.output), "cells": report.cells_computed,
            "formula_cells": report.formula_cells, "kept_as_cached": report.kept_count,
            "kept_by_reason": report.kept_by_kind(),
            "runs": report.runs, "runs_vectorised": report.runs_vectorised,
            "seconds": {"load": round(report.seconds_load, 3), "compute": round(report.seconds_compute, 3),
                        "write": round(report.seconds_write, 3)},
            "not_evaluated": [p.as_dict() for p in report.problems],
            "error_cells": [{"sheet": e.sheet, "column": e.column, "error": e.error, "count": e.count, "first": e.first}
                            for e in report.error_cells]}


def kept_summary(report) -> str:
    """``1 kept as cached (unknown function FOO: 1)``."""
    kinds = ", ".join(f"{k}: {n:,}" for k, n in report.kept_by_kind().items())
    return f"{report.kept_count:,} kept as cached" + (f" ({kinds})" if kinds else "")


def print_report(report) -> None:
    """The summary of one recalculation: cells computed, cells kept as cached and why, cells
    holding error values, time."""
    console.print(
        f"Recalculated {escape(report.source)} -> {escape(str(report.output))}: "
        f"{plural(report.cells_computed, 'cell')} computed, {escape(kept_summary(report))}; "
        f"{plural(report.formula_cells, 'formula cell')} in {plural(report.runs, 'run')} "
        f"({report.runs_vectorised:,} vectorised) in {report.seconds:.2f} s "
        f"(load {report.seconds_load:.2f}, compute {report.seconds_compute:.2f}, write {report.seconds_write:.2f})",
        highlight=False)
    if report.problems:
        console.print(f"[bold red]{plural(report.kept_count, 'cell')} could not be computed "
                      "(kept as cached with Excel's value):[/]", highlight=False)
        for p in report.problems[:_MAX_LISTED]:
            console.print(f"  {escape(str(p))}", highlight=False)
        if len(report.problems) > _MAX_LISTED:
            console.print(f"  ... and {len(report.problems) - _MAX_LISTED:,} more")
    if report.error_cells:
        console.print(f"[yellow]{plural(report.error_count, 'computed cell holds', 'computed cells hold')} "
                      "error values (results, listed for information):[/]", highlight=False)
        for e in report.error_cells[:_MAX_LISTED]:
            console.print(f"  {escape(str(e))}", highlight=False)
        if len(report.error_cells) > _MAX_LISTED:
            console.print(f"  ... and {len(report.error_cells) - _MAX_LISTED:,} more groups")


@app.command(epilog=examples(
    ("ilt-xl recalc plan.xlsx", "writes plan.recalc.xlsx with every value computed"),
    ("ilt-xl recalc plan.xlsx --in-place --today 2026-06-15", "rewrites plan.xlsx, TODAY() fixed"),
    ("ilt-xl recalc plan.xlsx -o values.xlsx --values-only --format json", "values only; a JSON summary"),
    ("ilt-xl recalc their.xlsx --timeout 60 --strict", "at most a minute; exit 1 on error values too"),
))
def recalc(
    path: Path = typer.Argument(..., help="The workbook to recalculate (.xlsx or .xlsm)."),
    output: Path = typer.Option(None, "-o", "--output", help="Where to write (default: IN.recalc.xlsx)."),
    in_place: bool = typer.Option(False, "--in-place", help="Replace the input workbook."),
    values_only: bool = typer.Option(False, "--values-only", help="Write values in place of formulas."),
    today: str = TODAY,
    force: bool = typer.Option(False, "--force", help="Replace the output file if it exists."),
    timeout: float = TIMEOUT,
    strict: bool = STRICT,
    format: Format = FORMAT,
    quiet: bool = QUIET,
) -> None:
    """Recompute every formula (ILT_* functions and structured references included) without Excel.

    A cell the engine cannot evaluate (unknown function, link to another workbook, over --timeout
    ...) keeps the value Excel cached and is listed with its reason; cells depending on it use
    that value. Exit 0: every cell computed (error values such as #DIV/0! are results, listed);
    1: cells kept as cached (a circular reference without iterative calculation included), or error
    values with --strict;
    2: unusable input; 3: output not writable, already present, the input without --in-place,
    or an extension not matching the content (.xlsm vs .xlsx).
    """
    from ilt_xl.atomic_write import locked_for_update
    from ilt_xl.engine.recalc import default_output, recalculate
    from ilt_xl.xlsx import WorkbookError

    day = parse_today(today)
    if in_place and output is not None:
        err_console.print("[bold red]Give either -o or --in-place, not both.[/]")
        raise typer.Exit(EXIT_BAD_INPUT)
    refuse_unreadable(path)
    target = path if in_place else (output or default_output(path))
    if not in_place:
        refuse_output_is_input(path, target)
    if not in_place and target.exists() and not force:
        refuse_existing(target)
    refuse_mismatched_suffix(path, target)
    try:
        # --in-place: other ilt-xl commands rewriting the same file wait for this one (no lost update)
        with Steps(quiet, total=3) as steps, locked_for_update(path) if in_place else nullcontext():
            report = recalculate(path, target, values_only=values_only, today=day, timeout=timeout,
                                 phase=lambda name: steps.next(f"{name} {path.name}"))
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
    code = exit_code(report.kept_count, report.error_count, strict)
    if format is Format.json:
        print_json(console, report_record(report) | {"exit_code": code})
    else:
        print_report(report)
    raise typer.Exit(code)


def exit_code(not_computed: int, errors: int, strict: bool) -> int:
    """1 when cells could not be computed (kept as cached, circular), or error values exist under
    ``--strict``; else 0."""
    return EXIT_PROBLEMS if not_computed or (strict and errors) else EXIT_OK


def recalc_one(source: str, target: str, values_only: bool, today: dt.date | None, refresh: bool = False,
               timeout: float | None = DEFAULT_TIMEOUT) -> dict:
    """Recalculate (or, with ``refresh``, refresh) one workbook of a batch into ``target``; never raises
    (the failure is returned as text, with ``write`` True when the output could not be written rather
    than the input used)."""
    from ilt_xl.engine.recalc import recalculate
    from ilt_xl.workbook.headless import PlannerHasErrors
    from ilt_xl.workbook.package_editor import OutputError
    from ilt_xl.workbook.refresh import refresh as refresh_planner
    from ilt_xl.workers import worth_isolating
    from ilt_xl.xlsx import WorkbookError

    try:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        if refresh:
            r = refresh_planner(source, target, today=today, isolated=worth_isolating(source)).recalc
        else:
            r = recalculate(source, target, values_only=values_only, today=today, timeout=timeout)
    except PlannerHasErrors as exc:
        errors = sum(p.is_error for p in exc.problems)
        return {"source": source, "ok": False,
                "error": f"the planner has {plural(errors, 'error')} (`ilt-xl check {source}` lists them)"}
    except WorkbookError as exc:
        return {"source": source, "ok": False, "error": exc.reason}
    except (OSError, OutputError) as exc:   # disk full, permission: the output, not this workbook, is the problem
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return {"source": source, "ok": False, "write": True, "error": f"cannot write {target}: {reason}"}
    except Exception as exc:  # one bad workbook must not stop the batch
        return {"source": source, "ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"source": source, "ok": True, "output": str(target), "cells": r.cells_computed,
            "kept": r.kept_count, "kept_by_reason": r.kept_by_kind(), "errors": r.error_count,
            "seconds": round(r.seconds, 3)}


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
        err_console.print(f"[bold red]Cannot write into {escape(str(out))}:[/] "
                          f"{plural(len(present), 'file already exists', 'files already exist')} "
                          f"({escape(', '.join(present[:3]))}{', ...' if len(present) > 3 else ''}); "
                          "use --force to replace them.", highlight=False)
        raise typer.Exit(EXIT_CANNOT_WRITE)


@app.command(epilog=examples(
    ("ilt-xl batch 'plans/*.xlsx' --out recalculated", "every planner of plans/, on every CPU"),
    ("ilt-xl batch 'plans/**/*.xlsx' --out refreshed --refresh", "every tab refreshed, then recalculated"),
    ("ilt-xl batch 'plans/*.xlsx' --out out --scheduler tcp://10.0.0.5:8786", "on a Dask cluster "
                                                                                 "(pip install 'ilt-xl[dask]')"),
))
def batch(
    pattern: str = typer.Argument(..., help="Workbooks to recalculate, as a glob pattern ('plans/*.xlsx')."),
    out: Path = typer.Option(..., "--out", help="Folder for the recalculated copies (same names and sub-folders "
                             "as below the pattern's fixed folder)."),
    workers: int = typer.Option(None, "--workers", min=1, help="Local worker processes "
                                f"(default: the CPU count, {os.cpu_count() or 1} here)."),
    scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler address tcp://HOST:PORT "
                                  "(needs the dask extra: pip install 'ilt-xl\\[dask]')."),
    refresh: bool = typer.Option(False, "--refresh", help="Run every macro before recalculating, as "
                                 "`ilt-xl refresh` does (planners only)."),
    values_only: bool = typer.Option(False, "--values-only", help="Write values in place of formulas."),
    today: str = TODAY,
    force: bool = typer.Option(False, "--force", help="Replace copies already in --out."),
    timeout: float = TIMEOUT,
    strict: bool = STRICT,
    format: Format = FORMAT,
    quiet: bool = QUIET,
) -> None:
    """Recalculate (or refresh) many workbooks, on local processes or a Dask cluster; a bad one is reported and skipped.

    Exit 0 when every cell of every workbook was computed (error values are results); 1 when a
    workbook failed or cells could not be computed (kept as cached, circular), or error values
    exist with --strict; 2 no workbook matches; 3 outputs not writable or already there."""
    day = parse_today(today)
    if refresh and values_only:
        err_console.print("[bold red]Give either --refresh or --values-only, not both:[/] a refreshed planner "
                          "keeps its formulas.")
        raise typer.Exit(EXIT_BAD_INPUT)
    sources = sorted(globmod.glob(pattern, recursive=True))
    if not sources:
        err_console.print(f"[bold red]No workbook matches {escape(pattern)}.[/]", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    if scheduler:
        _require_dask()
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
    verb = "Refreshing" if refresh else "Recalculating"
    with Files(quiet, len(sources), verb) as progress:
        for result in _run_batch(list(zip(sources, map(str, targets))), values_only, day, workers, scheduler, refresh,
                                 progress, timeout):
            results.append(result)
            if result.get("write"):
                break                    # the output folder cannot take more: stop, remove this run's copies
            progress.done()
            if format is not Format.json:
                _print_result(result)
    unwritable = next((r for r in results if r.get("write")), None)
    if unwritable is not None:
        done = {r["output"] for r in results if r["ok"]}
        for t in targets:                # all or nothing: the copies this run made are removed
            if str(t) in done or t not in existed:
                t.unlink(missing_ok=True)
        err_console.print(f"[bold red]Batch stopped, nothing kept:[/] {escape(unwritable['error'])}", highlight=False)
        raise typer.Exit(EXIT_CANNOT_WRITE)
    failed = [r for r in results if not r["ok"]]
    done = [r for r in results if r["ok"]]
    cells, kept, errors = (sum(r[k] for r in done) for k in ("cells", "kept", "errors"))
    code = EXIT_PROBLEMS if failed else exit_code(kept, errors, strict)
    if format is Format.json:
        print_json(console, {"workbooks": len(results), "failed": len(failed), "cells": cells, "kept_as_cached": kept,
                             "error_values": errors, "exit_code": code, "results": results})
    else:
        console.print(f"{len(done)} of {plural(len(results), 'workbook')} "
                      f"{'refreshed' if refresh else 'recalculated'}: {plural(cells, 'cell')} computed, {kept:,} kept as "
                      f"cached, {plural(errors, 'error value')}; {len(failed):,} failed.", highlight=False)
    raise typer.Exit(code)


def _print_result(result: dict) -> None:
    """One line per workbook as it ends, so a long batch shows its progress in a log too."""
    if not result["ok"]:
        err_console.print(f"[bold red]Skipped {escape(result['source'])}:[/] {escape(result['error'])}",
                          highlight=False)
        return
    reasons = ", ".join(f"{k}: {n:,}" for k, n in result["kept_by_reason"].items())
    trouble = (f"; {result['kept']:,} kept as cached" + (f" ({reasons})" if reasons else "")
               + f", {plural(result['errors'], 'error value')}" if result["kept"] or result["errors"] else "")
    console.print(f"{escape(result['source'])} -> {escape(result['output'])}: "
                  f"{plural(result['cells'], 'cell')} computed in {result['seconds']:.2f} s{escape(trouble)}",
                  highlight=False)


def _require_dask() -> None:
    """Exit 2 naming the install command when the dask extra is missing."""
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        err_console.print("[bold red]--scheduler needs Dask, which is not installed:[/] "
                          + escape("pip install 'ilt-xl[dask]'"), highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None


# Imported once by the server batch's workers are forked from, not by each worker (one per workbook):
# this module (the task's, with the CLI behind it), the engine's built-ins (imported on first use) and
# the `formulas` functions it falls back on, statistics among them (scipy: 1-2 s CPU to import, in every
# worker that met one). See benchmarks/recalc_floor.md for the corpus's batch time.
_BATCH_PRELOAD = ("ilt_xl.cli.recalc", *(f"ilt_xl.engine.builtins.{c}" for c in BUILTIN_CATEGORIES),
                  *(f"formulas.functions{m}" for m in (".info", ".logic", ".math", ".stat", ".financial", ".text",
                                                       ".look", ".eng", ".date", ".comp")))


def _run_batch(jobs, values_only, day, workers, scheduler, refresh, progress, timeout):
    """Yield one result per (source, target) job as it completes (local processes or Dask), naming the
    workbooks in work on ``progress``; when the caller stops early, jobs not yet started are cancelled."""
    pending = [s for s, _ in jobs]
    if scheduler:
        from dask.distributed import Client, as_completed
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as exc:
            err_console.print(f"[bold red]Cannot reach the Dask scheduler {escape(scheduler)}:[/] {escape(str(exc))}",
                              highlight=False)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        futures = []
        try:
            futures = [client.submit(recalc_one, s, t, values_only, day, refresh, timeout, pure=False) for s, t in jobs]
            progress.working_on(Path(s).name for s in pending)
            for fut in as_completed(futures):
                result = fut.result()
                pending.remove(result["source"])
                progress.working_on(Path(s).name for s in pending)
                yield result
        finally:
            client.cancel(futures)
            client.close()
        return
    from concurrent.futures import as_completed as done

    from ilt_xl.workers import WorkerLost, result_of, worker_pool
    n = workers or os.cpu_count() or 1
    if n == 1 or len(jobs) == 1:
        for s, t in jobs:
            progress.working_on([Path(s).name])
            yield recalc_one(s, t, values_only, day, refresh, timeout)
        return
    n = min(n, len(jobs))
    # stopped early (an unwritable output, Ctrl-C): the pool ends its workers, none writes after
    with worker_pool(n, preload=_BATCH_PRELOAD) as pool:
        futures = {pool.submit(recalc_one, s, t, values_only, day, refresh, timeout): s for s, t in jobs}
        progress.working_on(Path(s).name for s in pending[:n])
        for fut in done(futures):
            try:
                result = result_of(fut)
            except WorkerLost as exc:   # killed (out of memory ...): this workbook failed, said so
                result = {"source": futures[fut], "ok": False, "error": str(exc)}
            pending.remove(result["source"])
            progress.working_on(Path(s).name for s in pending[:n])  # the pool takes them in order
            yield result


@app.command(epilog=examples(
    ("ilt-xl scenario plan.xlsx --fx USD=+10% -o what-if", "USD 10% stronger against EUR"),
    ("ilt-xl scenario plan.xlsx --cancel-below 0.5 --room-rate +5% -o what-if",
     "each change alone, then both combined"),
))
def scenario(
    path: Path = typer.Argument(..., help="The planner workbook (.xlsx)."),
    out_dir: Path = typer.Option(..., "-o", "--out", help="Folder for the what-if copies and the diff report."),
    fx: list[str] = typer.Option([], "--fx", help="USD=+10%: USD 10% stronger against EUR, so USD costs weigh "
                                 "10% more in EUR; USD=-10%: 10% weaker (repeatable)."),
    cancel_below: float = typer.Option(None, "--cancel-below", help="Cancel Planned/Confirmed sessions below this occupancy (0.5 = 50%)."),
    room_rate: str = typer.Option(None, "--room-rate", help="Move every room day rate, e.g. +5%."),
    today: str = typer.Option(None, "--today", help="The date TODAY() returns, YYYY-MM-DD."),
    force: bool = typer.Option(False, "--force", help="Replace what-if copies and the diff report already in --out."),
    quiet: bool = QUIET,
) -> None:
    """Write recalculated what-if copies of a planner and a diff report against the baseline."""
    from ilt_xl import scenario as sc
    from ilt_xl.atomic_write import staging_folder
    from ilt_xl.workers import run, worth_isolating

    day = parse_today(today)
    try:
        fx_changes = sc.check_fx_changes([sc.parse_fx(x) for x in fx], fx)   # syntax first; the currencies once the planner is read
        if cancel_below is not None:
            sc.check_cancel_below(cancel_below)
        room_change = sc.parse_percent(room_rate) if room_rate is not None else None
    except ValueError as exc:
        _bad_option(exc)
    changes = [sc.Scenario(f"fx-{c}{sc.percent_label(p)}", fx=((c, p),)) for c, p in fx_changes]
    if cancel_below is not None:
        changes.append(sc.Scenario(f"cancel-below-{cancel_below:g}", cancel_below=cancel_below))
    if room_change is not None:
        changes.append(sc.Scenario(f"room-rate{sc.percent_label(room_change)}", room_rate=room_change))
    if not changes:
        err_console.print("[bold red]Give at least one change:[/] --fx, --cancel-below or --room-rate.")
        raise typer.Exit(EXIT_BAD_INPUT)
    if len(changes) > 1:
        changes.append(sc.Scenario("combined", fx=tuple(p for c in changes for p in c.fx),
                                   cancel_below=cancel_below, room_rate=room_change))
    refuse_unreadable(path)
    baseline, targets, diff = _scenario_files(path, out_dir, changes)
    _refuse_existing(out_dir, [baseline, *targets, diff], force)
    written: list[Path] = []
    created_dir = not out_dir.exists()
    try:
        with Steps(quiet, total=len(changes) + 2) as steps:
            out_dir.mkdir(parents=True, exist_ok=True)
            with staging_folder(diff) as folder:
                steps.next(f"Reading {path.name}")
                # The planner is read once for every copy, in a worker of its own when it is large:
                # the recalculations then have the memory to themselves.
                staged = run(sc.stage_valid, path, Path(folder), [sc.Scenario("baseline"), *changes], fx,
                             isolated=worth_isolating(path))
                _write_scenarios(path, out_dir, staged, changes, day, written, steps.next)
    except BaseException as exc:
        for p in written:               # a failed run leaves no partial set of copies behind
            p.unlink(missing_ok=True)
        if created_dir and out_dir.is_dir() and not any(out_dir.iterdir()):
            out_dir.rmdir()
        _scenario_failure(exc, path, out_dir)


def _bad_option(exc: ValueError) -> None:
    err_console.print(f"[bold red]Bad scenario option:[/] {escape(str(exc))}", highlight=False)
    raise typer.Exit(EXIT_BAD_INPUT) from None


def _scenario_failure(exc: BaseException, path: Path, out_dir: Path) -> None:
    """Report why a scenario run failed with the contract's exit code (re-raises what is not a failure)."""
    from ilt_xl.cli.check import print_problems
    from ilt_xl.scenario import BadOption
    from ilt_xl.workbook.package_editor import OutputError
    from ilt_xl.workbook.problems import PlannerHasErrors
    from ilt_xl.xlsx import WorkbookError

    if isinstance(exc, (typer.Exit, KeyboardInterrupt, SystemExit)):
        raise exc
    if isinstance(exc, WorkbookError):
        refuse_unusable(exc)
    if isinstance(exc, PlannerHasErrors):   # what-ifs of a wrong plan mislead: its errors, as check lists them
        print_problems(str(path), exc.problems, limit=0)
        err_console.print(f"[bold red]{escape(str(path))}: scenario refused, nothing written:[/] "
                          "correct the errors above first.", highlight=False)
        raise typer.Exit(EXIT_PROBLEMS) from None
    if isinstance(exc, BadOption):
        _bad_option(exc)
    if isinstance(exc, (OutputError, OSError)):
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        err_console.print(f"[bold red]Cannot write into {escape(str(out_dir))}:[/] {escape(reason)}", highlight=False)
        raise typer.Exit(EXIT_CANNOT_WRITE) from None
    # a setting the core refuses (ValueError) or an input nothing foresaw: said in one line, never a traceback
    err_console.print(f"[bold red]Cannot compute the scenarios of {escape(str(path))}:[/] "
                      f"{escape(reason_of(exc))}; nothing written.", highlight=False)
    raise typer.Exit(EXIT_BAD_INPUT) from None


def _scenario_files(path: Path, out_dir: Path, changes: list) -> tuple[Path, list[Path], Path]:
    """The baseline copy, one copy per change and the diff report that a scenario run writes."""
    stem, suffix = path.stem, path.suffix
    return (out_dir / f"{stem}.baseline{suffix}", [out_dir / f"{stem}.{c.name}{suffix}" for c in changes],
            out_dir / f"{stem}.scenarios.csv")


def _write_scenarios(path: Path, out_dir: Path, staged: list[Path], changes: list, day, written: list[Path],
                     phase=lambda name: None) -> None:
    """Recalculate the ``staged`` baseline and what-if copies (:func:`ilt_xl.scenario.stage`) into
    ``out_dir`` and write the diff report there (each atomically), appending each file to ``written``
    once it is complete; prints one comparison table per scenario."""
    import pandas as pd

    from ilt_xl import scenario as sc
    from ilt_xl.csv_export import write_csv

    baseline_path, targets, diff = _scenario_files(path, out_dir, changes)
    frames = []
    phase("Baseline")
    _, baseline = sc.recalculate_staged(staged[0], baseline_path, day, path)
    written.append(baseline_path)
    for change, target, copy in zip(changes, targets, staged[1:]):
        phase(f"What-if {change.name}")
        report, what_if = sc.recalculate_staged(copy, target, day, path)
        written.append(target)
        comparison = sc.compare(baseline, what_if, change.name)
        frames.append(comparison.rows.assign(Scenario=change.name))
        said = "; ".join([sc.describe_fx(c, p) for c, p in change.fx]
                         + ([f"sessions below {change.cancel_below:.0%} occupancy cancelled"]
                            if change.cancel_below is not None else [])
                         + ([f"room day rates {change.room_rate:+.1%}"] if change.room_rate is not None else []))
        console.print(f"Wrote {escape(str(target))} ({escape(said)}; {plural(report.cells_computed, 'formula cell')} "
                      f"recalculated, {plural(len(comparison.rows), 'figure')} changed)", highlight=False)
        shown = comparison.rows[comparison.rows["Figure"].isin(["Cost per learner", "Sessions", "Learners", "BU charge"])]
        print_table(console, f"{change.name} vs baseline",
                    [Column("Figure"), Column("Key")] + [Column(c, numeric=True) for c in ("Baseline", "WhatIf", "Change")],
                    [[row["Figure"], str(row["Key"]), f"{row['Baseline']:,.2f}", f"{row['WhatIf']:,.2f}",
                      f"{row['Change']:+,.2f}"] for _, row in shown.iterrows()])
        charges = comparison.rows[comparison.rows["Figure"] == "BU cost of active sessions"]
        if change.cancel_below is not None and len(charges):
            console.print("Saving per business unit: " + ", ".join(
                f"{escape(str(k))} {-c:,.2f}" for k, c in zip(charges["Key"], charges["Change"])), highlight=False)
    report_frame = pd.concat(frames, ignore_index=True)
    write_csv(report_frame[["Scenario", "Figure", "Key", "Baseline", "WhatIf", "Change"]], diff)
    written.append(diff)
    console.print(f"Diff report: {escape(str(diff))}", highlight=False)
