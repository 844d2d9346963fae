"""Refresh everything: every macro twin, in dependency order, then a full recalculation, one write.

``refresh("plan.xlsx", "plan.out.xlsx")`` reads and validates the planner once, computes each
macro's rows from the tables as the earlier macros left them (the FX rows the allocation
converts with, the Conflicts rows Sessions' ConflictFlag reads), rewrites those tables in one
in-memory package, and lets the engine recalculate it into ``target``: the file a user opens has
its tabs and every formula's value in step. The macros' package is staged in a private temporary
folder; ``target`` itself is written once, atomically.

A planner with errors is refused before anything is computed or written, as each twin refuses
it (:class:`~ilt_xl.workbook.headless.PlannerHasErrors`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ilt_xl.atomic_write import staging_folder
from ilt_xl.xlsx.errors import named_as
from ilt_xl.workbook import macros
from ilt_xl.workbook.headless import PlannerHasErrors, write_rows

ORDER = ("fx", "holidays", "checklist", "conflicts", "availability", "allocate", "budget", "forecast")
"""Macros in the order they run: rates and holidays first (costs and due dates use them), the tabs
built from sessions next, then allocation, then the budget and forecast that sum it. A macro not
named here (a new one) runs after these."""


def macro_order() -> list[str]:
    """The macros of :data:`ilt_xl.workbook.macros.MACROS` in the order a refresh runs them."""
    known = [name for name in ORDER if name in macros.MACROS]
    return known + [name for name, macro in macros.MACROS.items() if name not in ORDER and macro.refreshed]


@dataclass(frozen=True)
class RefreshRun:
    """What a refresh did: rows written per table, the recalculation's report, the reader's problems."""

    tables: dict[str, int]
    recalc: object
    problems: list


def refresh(source: str | Path, target: str | Path, *, today: dt.date | None = None,
            phase: Callable[[str], None] | None = None, isolated: bool = False) -> RefreshRun:
    """Run every macro on ``source``, recalculate, and write the result to ``target`` (may be ``source``).

    With ``isolated``, the macros, then the recalculation, each run in a worker process of its own
    (:mod:`ilt_xl.workers`; what ``ilt-xl refresh`` does for a large planner, see
    :func:`~ilt_xl.workers.worth_isolating`), else in this process; the same output either way. A
    script passing ``isolated=True`` must keep its top level under ``if __name__ == "__main__":``
    (workers import the main script, as with every multiprocessing start method but fork).

    Raises :class:`~ilt_xl.xlsx.WorkbookError` for an unusable file, :class:`PlannerHasErrors`
    (nothing written) when the planner has errors, ``ValueError`` for settings the core refuses,
    :class:`~ilt_xl.workbook.package_editor.OutputError` or ``OSError`` when ``target`` cannot be written.
    """
    from ilt_xl.engine.recalc import recalculate
    from ilt_xl.workers import run

    phase = phase or (lambda name: None)
    target = Path(target)
    with staging_folder(target) as folder:
        staged = Path(folder) / target.name
        written, problems = run(_write_macros, source, staged, isolated=isolated, phase=phase)
        # Each step in a worker process of its own: the planner and the rows are gone (memory
        # returned to the system) when the recalculation starts, and its model goes when it ends.
        with named_as(source, staged):
            report = run(recalculate, staged, target, today=today, isolated=isolated,
                         phase=lambda name: phase(f"Recalculating: {name.lower()}"))
    report.source = str(source)
    return RefreshRun(written, report, problems)


def _write_macros(source: str | Path, staged: Path, phase: Callable[[str], None]) -> tuple[dict[str, int], list]:
    """Run every macro on ``source`` and save the result to ``staged``: (rows written per table, the
    reader's problems)."""
    from ilt_xl.workbook.package_editor import PackageEditor
    from ilt_xl.workbook.reader import read_planner

    phase(f"Reading {Path(source).name}")
    planner = read_planner(source)
    if any(p.is_error for p in planner.problems):
        raise PlannerHasErrors("refresh", planner.problems)
    tables, settings, problems = dict(planner.tables), planner.settings, planner.problems
    del planner     # a table's rows as read go as soon as the macro's rows replace them below
    editor = PackageEditor(source)
    written: dict[str, int] = {}
    for name in macro_order():
        macro = macros.MACROS[name]
        phase(f"Refreshing {macro.table}")
        rows = macro.rows(tables, settings)
        write_rows(editor, name, macro.table, rows)
        if not macro.reshape:
            tables[macro.table] = rows  # what the next macros read, as a twin run after this one would
        written[macro.table] = len(rows)
    editor.save(staged)
    return written, problems
