"""The headless twins of the macros: read a planner file, compute, write only the changed tables.

``run_macro("checklist", "plan.xlsx", "plan.out.xlsx")`` reads and validates the
planner with :func:`ilt_xl.workbook.reader.read_planner`, computes the rows with
the macro of :data:`ilt_xl.workbook.macros.MACROS` and rewrites that one table
with :mod:`ilt_xl.workbook.sheet_writer`: every other zip part is copied byte for byte.

A planner with errors (what ``ilt-xl check`` rejects) is refused before anything is
computed or written (:class:`PlannerHasErrors`): a ledger or a checklist built on a
duplicate id or an unknown course would look right and be wrong. ``validate`` is the
exception: writing the problems is its job.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ilt_xl.atomic_write import locked_for_update
from ilt_xl.schema import PLANNER
from ilt_xl.workbook import macros
from ilt_xl.workbook.new_sheet import add_table_sheet, set_availability_colours, set_column_widths
from ilt_xl.workbook.package_editor import PackageEditor
from ilt_xl.workbook.problems import PlannerHasErrors  # noqa: F401 (raised here; its home is light for xlwings Lite)
from ilt_xl.workbook.sheet_writer import calculated_columns, replace_table_rows, table_column_names

COMMANDS = (*macros.MACROS, "validate")


@dataclass(frozen=True)
class MacroRun:
    """What a run did: the table written, its row count, the parts changed, the reader's problems,
    and the rows themselves (``written``)."""

    macro: str
    table: str
    rows: int
    changed_parts: tuple[str, ...]
    problems: list
    written: pd.DataFrame | None = None


def compute(name: str, planner) -> tuple[str, pd.DataFrame]:
    """(table name, rows) of macro ``name`` on a read :class:`~ilt_xl.workbook.planner.Planner`."""
    if name == "validate":
        return macros.PROBLEMS, macros.problem_rows(planner.problems)
    macro = macros.MACROS[name]
    return macro.table, macro.rows(planner.tables, planner.settings)


def write_rows(editor: PackageEditor, name: str, table: str, rows: pd.DataFrame) -> None:
    """Write ``rows`` into ``table`` of ``editor``, adding the sheet when the macro may create it.

    The rows are streamed into the sheet when the package is saved (a 200,000-session Allocation,
    6.4 million cells, within 2 GB); a table that would not fit a worksheet (past row 1,048,576) is
    refused (:class:`~ilt_xl.xlsx.WorkbookError`) before anything is written."""
    created = name == "validate" or macros.MACROS[name].created
    reshape = name != "validate" and macros.MACROS[name].reshape
    if created and not editor.has_table(table):
        frozen = len(macros.AVAILABILITY_KEYS) if table == macros.AVAILABILITY else 0
        lists = {c.name: c.allowed for c in PLANNER.table(table).columns if c.allowed} if table in PLANNER.table_names else {}
        add_table_sheet(editor, table, [str(c) for c in rows.columns], frozen_columns=frozen, lists=lists)
    if not reshape:
        computed = calculated_columns(editor, table)  # Checklist.DueDate: a formula now, typed in older planners
        rows = rows[[c for c in rows.columns if str(c).upper() not in computed]]
        if table in PLANNER.table_names:  # an optional column the file lacks (Budget.ForecastP50 in an older planner)
            present = {c.upper() for c in table_column_names(editor, table)}
            optional = {c.name.upper() for c in PLANNER.table(table).columns if not c.required}
            rows = rows[[c for c in rows.columns if str(c).upper() in present or str(c).upper() not in optional]]
    location = replace_table_rows(editor, table, rows, reshape=reshape or (created and name == "validate"))
    if table == macros.AVAILABILITY and rows.shape[1] > len(macros.AVAILABILITY_KEYS):
        keys = len(macros.AVAILABILITY_KEYS)
        set_availability_colours(editor, location, keys + 1, rows.shape[1], max(len(rows), 1) + 1,
                                 full_week=macros.FULL_WEEK_DAYS, over=macros.FULL_WEEK_DAYS + 2)
        # Full names and whole week dates: each column as wide as its longest text
        widths = {i + 1: min(max([len(str(c))] + [len(str(v)) for v in rows[c]]) + 3, 60)
                  for i, c in enumerate(rows.columns[:keys])}
        widths.update({i + 1: 11 for i in range(keys, rows.shape[1])})
        set_column_widths(editor, location, widths)


def run_macro(name: str, source: str | Path, target: str | Path) -> MacroRun:
    """Run macro ``name`` on the planner ``source`` and save the result to ``target`` (may be ``source``).

    Rewriting ``source`` itself holds an advisory lock on it from the read to the replace (a second
    ilt-xl command on the same file waits its turn), and refuses with
    :class:`~ilt_xl.atomic_write.FileChanged` when another program changed the file meanwhile.

    Raises :class:`ilt_xl.xlsx.WorkbookError` for an unusable file or table,
    :class:`PlannerHasErrors` (nothing written) when the planner has errors and ``name`` is not
    ``validate``, ``ValueError`` for settings the core refuses, and
    :class:`ilt_xl.workbook.package_editor.OutputError` when ``target`` cannot be written.
    """
    if name not in COMMANDS:
        raise ValueError(f"unknown macro {name!r}; macros: {', '.join(COMMANDS)}")
    if same_file(source, target):
        with locked_for_update(source) as unchanged:
            return _run(name, source, target, unchanged)
    return _run(name, source, target, lambda: None)


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether ``a`` and ``b`` are one file (through links too); False when either is missing."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _run(name: str, source: str | Path, target: str | Path, unchanged) -> MacroRun:
    from ilt_xl.workbook.reader import read_planner

    planner = read_planner(source)
    if name != "validate" and any(p.is_error for p in planner.problems):
        raise PlannerHasErrors(name, planner.problems)
    table, rows = compute(name, planner)
    editor = PackageEditor(source)
    write_rows(editor, name, table, rows)
    editor.save(target, before_replace=unchanged)
    return MacroRun(name, table, len(rows), tuple(sorted(editor.changed)), planner.problems, rows)
