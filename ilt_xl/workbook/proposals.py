"""The Proposals tab on a file: write what optimise and merge-advice propose, apply what was accepted.

:func:`write_proposals` rewrites only the Proposals table (adding the sheet, with its
Accept drop-down, to a planner made before it existed): Sessions is untouched.
:func:`apply_file` writes the accepted rows into Sessions and Enrolments
(:func:`ilt_xl.core.proposals.apply_proposals`), refreshes Conflicts, records each
row's Outcome, and recalculates the copy with the engine so every formula holds its
value. Both refuse a planner with errors (:class:`~ilt_xl.workbook.headless.PlannerHasErrors`),
as the macro twins do.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ilt_xl.atomic_write import staging_folder
from ilt_xl.xlsx.errors import named_as
from ilt_xl.schema import PLANNER
from ilt_xl.workbook.headless import PlannerHasErrors, write_rows
from ilt_xl.workbook.package_editor import PackageEditor
from ilt_xl.workbook.sheet_writer import replace_table_rows

PROPOSALS = "Proposals"


def read_valid(source: str | Path, command: str):
    """The planner at ``source``, or :class:`PlannerHasErrors` when ``check`` would reject it."""
    from ilt_xl.workbook.reader import read_planner

    planner = read_planner(source)
    if any(p.is_error for p in planner.problems):
        raise PlannerHasErrors(command, planner.problems)
    return planner


def write_proposals(source: str | Path, target: str | Path, command: str, rows: pd.DataFrame) -> None:
    """Save ``source`` to ``target`` with the Proposals table replaced by ``rows`` (all of it)."""
    editor = PackageEditor(source)
    write_rows(editor, command, PROPOSALS, rows)
    editor.save(target)


@dataclass(frozen=True)
class ApplyRun:
    applied: int
    skipped: int
    learners_before: float
    learners_after: float
    conflicts: pd.DataFrame
    proposals: pd.DataFrame


def _inputs(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    return frame[[c.name for c in PLANNER.table(table).input_columns]].reset_index(drop=True)


def apply_file(source: str | Path, target: str | Path, today: dt.date | None = None, *,
               isolated: bool = False) -> ApplyRun:
    """Apply the accepted proposals of ``source`` and save the recalculated result to ``target``.

    With ``isolated`` (what ``ilt-xl apply`` does for a large planner, see
    :func:`~ilt_xl.workers.worth_isolating`), reading, applying and staging the copy run in one worker
    process and its recalculation in another, as ``refresh`` does: the planner's tables are gone when
    the engine starts (at 200,000 sessions both in one process took 2,231 MB). The same output either way.

    Raises ``ValueError`` when the planner has no Proposals tab, :class:`PlannerHasErrors`,
    :class:`ilt_xl.xlsx.WorkbookError` and :class:`~ilt_xl.workbook.package_editor.OutputError` as
    the macro twins do.
    """
    from ilt_xl.engine.recalc import recalculate
    from ilt_xl.workers import run

    target = Path(target)
    with staging_folder(target) as tmp:
        staged = Path(tmp) / target.name
        applied = run(_stage_applied, source, staged, isolated=isolated)
        with named_as(source, staged):
            run(recalculate, staged, target, today=today, isolated=isolated)
    return applied


def _stage_applied(source: str | Path, staged: Path) -> ApplyRun:
    """Apply the accepted proposals of ``source`` and save the copy, not yet recalculated, to ``staged``."""
    from ilt_xl.core.proposals import apply_proposals
    from ilt_xl.core.resources import conflicts

    planner = read_valid(source, "apply")
    if PROPOSALS not in planner.layouts:
        raise ValueError("the planner has no Proposals tab: run `ilt-xl optimise` or `ilt-xl merge-advice` first")
    tables = planner.tables
    done = apply_proposals(tables, planner.settings)
    after = {**tables, "Sessions": done.sessions, "Enrolments": done.enrolments}
    found = conflicts(after, planner.settings)
    editor = PackageEditor(source)
    write_rows(editor, "conflicts", "Conflicts", found)
    write_rows(editor, "optimise", PROPOSALS, done.proposals[list(PLANNER.table(PROPOSALS).column_names)])
    if done.applied:
        replace_table_rows(editor, "Sessions", _inputs("Sessions", done.sessions))
        replace_table_rows(editor, "Enrolments", _inputs("Enrolments", done.enrolments))
    editor.save(staged)
    registered = pd.to_numeric(tables["Enrolments"]["Registered"], errors="coerce").sum()
    registered_after = pd.to_numeric(done.enrolments["Registered"], errors="coerce").sum()
    return ApplyRun(done.applied, done.skipped, float(registered), float(registered_after), found, done.proposals)
