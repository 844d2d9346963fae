"""``ilt-xl new PATH``: write an empty planner workbook, or a filled example with ``--example``.

Exit codes: 0 written, 2 bad arguments, 3 the file exists (without ``--force``) or cannot be
written. The workbook is written to a temporary file next to PATH and moved into place, so an
interrupted run never leaves half a workbook behind. The example is recalculated by the engine
on the way, so it carries the value of every formula.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import typer
from rich.markup import escape

from ilt_xl.cli.app import EXIT_BAD_INPUT, EXIT_CANNOT_WRITE, app, console, err_console


@app.command()
def new(
    path: Path = typer.Argument(..., help="Where to write the planner (.xlsx)."),
    example: bool = typer.Option(False, "--example", help="Fill the planner with realistic example data."),
    sessions: int = typer.Option(600, "--sessions", min=1, help="Sessions in the example."),
    seed: int = typer.Option(2026, "--seed", help="Seed of the example's random draws (same seed, same workbook)."),
    force: bool = typer.Option(False, "--force", help="Overwrite PATH if it exists."),
) -> None:
    """Write a new planner workbook: the empty template, or an example with --example."""
    from ilt_xl.workbook.builder import write_planner_atomically
    from ilt_xl.workbook.example import make_example

    if path.suffix.lower() != ".xlsx":
        err_console.print(f"[bold red]Cannot write {escape(str(path))}:[/] the planner is an .xlsx workbook; "
                          "give a path ending in .xlsx.", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    if path.exists() and not force:
        err_console.print(f"[bold red]Cannot write {escape(str(path))}:[/] the file already exists; "
                          "pass --force to overwrite it.", highlight=False)
        raise typer.Exit(EXIT_CANNOT_WRITE)
    if not path.parent.is_dir():
        err_console.print(f"[bold red]Cannot write {escape(str(path))}:[/] the folder "
                          f"{escape(str(path.parent))} does not exist.", highlight=False)
        raise typer.Exit(EXIT_CANNOT_WRITE)
    try:
        data = make_example(sessions=sessions, seed=seed) if example else None
    except ValueError as exc:
        err_console.print(f"[bold red]Cannot make the example:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    try:
        if example:
            _write_with_values(path, data)
        else:
            write_planner_atomically(path, data)
    except OSError as exc:
        err_console.print(f"[bold red]Cannot write {escape(str(path))}:[/] {escape(exc.strerror or str(exc))}",
                          highlight=False)
        raise typer.Exit(EXIT_CANNOT_WRITE) from None
    what = f"example planner ({len(data.tables['Sessions'])} sessions, seed {seed})" if example else "empty planner"
    console.print(f"Wrote {what} to {escape(str(path))}", highlight=False)


def _write_with_values(path: Path, data: object) -> None:
    """Build the planner beside PATH, then let the engine store every formula's value in PATH.

    With cached values the example shows its numbers, ILT_* columns included, in any spreadsheet
    program, even one without the add-in (LibreOffice keeps cached values on load). The engine
    writes PATH atomically; the unrecalculated build never takes PATH's place.
    """
    from ilt_xl.engine.recalc import recalculate
    from ilt_xl.workbook.builder import build_planner

    with tempfile.TemporaryDirectory(prefix=f".{path.stem}-", dir=path.parent) as folder:
        built = Path(folder) / path.name
        build_planner(built, data)
        recalculate(built, path)
