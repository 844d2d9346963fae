"""``ilt-xl new PATH``: write an empty planner workbook, or a filled example with ``--example``.

Exit codes: 0 written, 2 bad arguments, 3 the file exists (without ``--force``) or cannot be
written. The workbook is written to a temporary file next to PATH and moved into place, so an
interrupted run never leaves half a workbook behind. The example is recalculated by the engine
on the way, so it carries the value of every formula.
"""
from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from ilt_xl.cli.app import EXIT_BAD_INPUT, EXIT_CANNOT_WRITE, app, console, err_console, refuse_existing
from ilt_xl.cli.output import examples, plural
from ilt_xl.cli.progress import QUIET, Steps


@app.command(epilog=examples(
    ("ilt-xl new plan.xlsx", "an empty planner to fill in"),
    ("ilt-xl new example.xlsx --example", "the example: 600 sessions, 2023-2026"),
    ("ilt-xl new big.xlsx --example --sessions 20000 --seed 1", "a large one, for benchmarks"),
))
def new(
    path: Path = typer.Argument(..., help="Where to write the planner (.xlsx)."),
    example: bool = typer.Option(False, "--example", help="Fill the planner with realistic example data."),
    sessions: int = typer.Option(None, "--sessions", min=1, help="Sessions in the example (default: 600)."),
    seed: int = typer.Option(None, "--seed", help="Seed of the example's random draws; same seed, same workbook "
                             "(default: 2026)."),
    force: bool = typer.Option(False, "--force", help="Replace PATH if it exists."),
    quiet: bool = QUIET,
) -> None:
    """Write a new planner workbook: the empty template, or an example with --example."""
    from ilt_xl.workbook.builder import write_planner_atomically
    from ilt_xl.workbook.example import DEFAULT_SEED, DEFAULT_SESSIONS
    from ilt_xl.workers import WorkerLost
    from ilt_xl.xlsx import WorkbookError

    if not example and (sessions is not None or seed is not None):
        given = " and ".join(o for o, v in (("--sessions", sessions), ("--seed", seed)) if v is not None)
        err_console.print(f"[bold red]{given} only apply to the example:[/] add --example, or leave them out "
                          "for an empty planner.", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    sessions = DEFAULT_SESSIONS if sessions is None else sessions
    seed = DEFAULT_SEED if seed is None else seed

    if path.suffix.lower() != ".xlsx":
        err_console.print(f"[bold red]Cannot write {escape(str(path))}:[/] the planner is an .xlsx workbook; "
                          "give a path ending in .xlsx.", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    if path.exists() and not force:
        refuse_existing(path)
    if not path.parent.is_dir():
        err_console.print(f"[bold red]Cannot write {escape(str(path))}:[/] the folder "
                          f"{escape(str(path.parent))} does not exist.", highlight=False)
        raise typer.Exit(EXIT_CANNOT_WRITE)
    with Steps(quiet, total=3 if example else 1) as steps:
        try:
            if example:
                count = _write_with_values(path, sessions, seed, steps)
            else:
                steps.next(f"Writing {path.name}")
                write_planner_atomically(path, None)
        except ValueError as exc:
            err_console.print(f"[bold red]Cannot make the example:[/] {escape(str(exc))}", highlight=False)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except OSError as exc:
            err_console.print(f"[bold red]Cannot write {escape(str(path))}:[/] {escape(exc.strerror or str(exc))}",
                              highlight=False)
            raise typer.Exit(EXIT_CANNOT_WRITE) from None
        except WorkbookError as exc:   # the engine cannot take the workbook built (too large): nothing written
            err_console.print(f"[bold red]Cannot compute the example's formulas, nothing written:[/] "
                              f"{escape(exc.reason)}", highlight=False)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except WorkerLost as exc:
            err_console.print(f"[bold red]Cannot write {escape(str(path))}, nothing written:[/] {escape(str(exc))}",
                              highlight=False)
            raise typer.Exit(EXIT_BAD_INPUT) from None
    what = f"example planner ({plural(count, 'session')}, seed {seed})" if example else "empty planner"
    console.print(f"Wrote {what} to {escape(str(path))}", highlight=False)


# Sessions above which the example is made and built in a worker process: about 15 KB of parts
# per session, so the workbook is then past ilt_xl.workers.ISOLATE_ABOVE.
_BUILT_IN_A_WORKER_ABOVE = 4_000


def _write_with_values(path: Path, sessions: int, seed: int, steps: Steps) -> int:
    """Make and build the example beside PATH, then let the engine store every formula's value in
    PATH; returns how many sessions it has.

    With cached values the example shows its numbers, ILT_* columns included, in any spreadsheet
    program, even one without the add-in (LibreOffice keeps cached values on load). The engine
    writes PATH atomically; the unrecalculated build never takes PATH's place. A large example is
    made and built in a worker process, and recalculated in another: the example's data is gone
    when the engine starts.
    """
    from ilt_xl.engine.recalc import recalculate
    from ilt_xl.workers import run, worth_isolating

    from ilt_xl.atomic_write import staging_folder

    with staging_folder(path) as folder:
        built = Path(folder) / path.name
        count = run(build_example, built, sessions, seed, isolated=sessions > _BUILT_IN_A_WORKER_ABOVE,
                    phase=steps.next)
        steps.next(f"Computing every formula of {path.name}")
        run(recalculate, built, path, isolated=worth_isolating(built))
    return count


def build_example(path: Path, sessions: int, seed: int, phase) -> int:
    """Make the example (``sessions``, ``seed``) and build it at ``path``; returns its session count."""
    from ilt_xl.workbook.builder import build_planner
    from ilt_xl.workbook.example import make_example

    phase(f"Making {plural(sessions, 'session')}")
    data = make_example(sessions=sessions, seed=seed)
    phase(f"Building {path.name}")
    build_planner(path, data)
    return len(data.tables["Sessions"])
