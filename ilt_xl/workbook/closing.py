"""``ilt-xl close`` on a file: freeze the figures of the sessions in closed months (``ilt_xl.core.periods``).

Reads and validates the planner (a planner with errors is refused, as by the macros), computes the stored
figures, then rewrites the Sessions rows and the ClosedThrough setting cell only: every other part of the
workbook keeps its bytes. The example planner is closed by the same :func:`closed_tables`.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Mapping

import pandas as pd

from ilt_xl.atomic_write import locked_for_update
from ilt_xl.core import periods
from ilt_xl.schema import PLANNER
from ilt_xl.xlsx.errors import WorkbookError


def closed_tables(tables: Mapping[str, pd.DataFrame], settings: Mapping[str, object], through: dt.date,
                  today: dt.date, reopen: bool = False, computed=None) -> periods.Closing:
    """:func:`ilt_xl.core.periods.close` (the one code path of the command and the example)."""
    return periods.close(tables, settings, through, today, reopen, computed)


def close_planner(source: str | Path, target: str | Path, through: dt.date, today: dt.date,
                  reopen: bool = False) -> tuple[periods.Closing, list]:
    """Close the planner ``source`` through ``through`` into ``target`` (may be ``source``, under a lock):
    (what was done, the reader's problems). Raises :class:`~ilt_xl.workbook.headless.PlannerHasErrors` when the
    planner has errors, ``ValueError`` when the close cannot be made (see :func:`ilt_xl.core.periods.close`),
    :class:`WorkbookError` when the planner predates closed periods."""
    from ilt_xl.workbook.headless import same_file

    if same_file(source, target):
        with locked_for_update(source) as unchanged:
            return _close(source, target, through, today, reopen, unchanged)
    return _close(source, target, through, today, reopen, lambda: None)


def _close(source, target, through, today, reopen, unchanged):
    from ilt_xl.workbook.headless import PlannerHasErrors
    from ilt_xl.workbook.package_editor import PackageEditor
    from ilt_xl.workbook.reader import read_planner
    from ilt_xl.workbook.sheet_writer import replace_table_rows, table_column_names, write_cell_value

    planner = read_planner(source)
    if any(p.is_error for p in planner.problems):
        raise PlannerHasErrors("close", planner.problems)
    if "ClosedThrough" not in planner.setting_cells:
        raise WorkbookError(Path(source), "the Settings sheet has no cell named ClosedThrough: the planner predates "
                                          "closed periods; rebuild it with `ilt-xl new` and copy the rows over")
    editor = PackageEditor(source)
    present = {c.upper() for c in table_column_names(editor, "Sessions")}
    lacking = [c for c in periods.STORED if c.upper() not in present]
    if lacking:
        raise WorkbookError(Path(source), f"table Sessions has no column {', '.join(lacking)}: the planner predates "
                                          "closed periods; add the columns (or rebuild it with `ilt-xl new`)")
    closing = closed_tables(planner.tables, planner.settings, through, today, reopen)
    inputs = [c.name for c in PLANNER.table("Sessions").input_columns if c.name.upper() in present]
    replace_table_rows(editor, "Sessions", closing.sessions[inputs].reset_index(drop=True))
    sheet, cell = planner.setting_cells["ClosedThrough"]
    write_cell_value(editor, sheet, cell, through)
    editor.save(target, before_replace=unchanged)
    return closing, planner.problems
