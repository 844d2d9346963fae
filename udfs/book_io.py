"""Run a macro of :mod:`ilt_xl.workbook.macros` on a workbook open in Excel, through xlwings.

The macro logic is the headless twins' (same functions, same results); only
reading and writing differ: the planner's tables are read from the open
book's Excel tables and typed like the file reader types them
(:func:`ilt_xl.workbook.coerce.coerce`), and the result is written into the
table's data body, column by column, so calculated columns keep their formulas
(Excel extends them when the table is resized).

Works with any object offering xlwings' Book API subset used here
(``sheets``, ``sheet.tables``, ``table.range/resize/header_row_range``,
``names``), so tests can pass a fake book.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ilt_xl.schema import PLANNER
from ilt_xl.workbook import macros
from ilt_xl.workbook.coerce import coerce


def find_table(book: Any, name: str) -> Any | None:
    """The Excel table ``name`` of ``book`` (case-insensitive), or None."""
    for sheet in book.sheets:
        for table in sheet.tables:
            if table.name.casefold() == name.casefold():
                return table
    return None


def _grid(table: Any) -> tuple[list[str], list[list[Any]]]:
    values = table.range.options(ndim=2, err_to_str=True).value
    header = [str(h) for h in values[0]]
    return header, values[1:]


def read_tables(book: Any) -> tuple[dict[str, pd.DataFrame], dict[str, object]]:
    """(tables, settings) of the planner open in ``book``, typed as the file reader types them.

    Blank rows are dropped; a missing table is empty; a missing setting is absent
    (the core then uses its default).
    """
    tables: dict[str, pd.DataFrame] = {}
    for schema in PLANNER.tables:
        table = find_table(book, schema.name)
        header, rows = _grid(table) if table is not None else ([], [])
        raw = np.array(rows, dtype=object).reshape(len(rows), len(header)) if rows else np.empty((0, len(header)), dtype=object)
        raw = np.where(np.equal(raw, None), "", raw)
        position = {h.casefold(): i for i, h in enumerate(header)}
        inputs = [position[c.name.casefold()] for c in schema.input_columns if c.name.casefold() in position]
        keep = (raw[:, inputs] != "").any(axis=1) if inputs and len(raw) else np.zeros(len(raw), dtype=bool)
        raw = raw[keep]
        tables[schema.name] = pd.DataFrame({
            c.name: coerce(raw[:, position[c.name.casefold()]] if c.name.casefold() in position
                           else np.full(len(raw), "", dtype=object), c.type).values
            for c in schema.columns
        })
    settings: dict[str, object] = {}
    for setting in PLANNER.settings:
        try:
            value = book.names[setting.name].refers_to_range.value
        except Exception:  # a missing name: the core's default applies
            continue
        typed = coerce(np.array(["" if value is None else value], dtype=object), setting.type)
        if not typed.blank[0] and not typed.wrong[0]:
            settings[setting.name] = np.asarray(typed.values)[0]
    return tables, settings


def write_rows(table: Any, frame: pd.DataFrame, *, reshape: bool = False) -> None:
    """Resize ``table`` to ``frame``'s rows and write its columns; calculated columns are left to Excel."""
    header = table.header_row_range
    names = [str(c) for c in frame.columns] if reshape else [str(v) for v in header.options(ndim=1).value]
    # A column whose cells hold a formula (Checklist.DueDate in today's planners) stays Excel's.
    computed = set() if reshape else {n.casefold() for i, n in enumerate(names) if _holds_formula(header.offset(1, i).resize(1, 1))}
    old_rows = table.range.rows.count - 1
    rows = max(len(frame), 1)
    if reshape:
        header.resize(1, max(len(names), header.columns.count)).clear_contents()
        header.resize(1, len(names)).value = names
    table.resize(header.resize(rows + 1, len(names)))
    body = header.offset(1, 0)
    if old_rows > rows:
        body.offset(rows, 0).resize(old_rows - rows, len(names)).clear_contents()
    by_name = {str(c).casefold(): c for c in frame.columns}
    for i, name in enumerate(names):
        column = by_name.get(name.casefold())
        if column is None or name.casefold() in computed:
            continue
        values = frame[column].astype(object).where(frame[column].notna(), None).tolist() or [None]
        body.offset(0, i).resize(rows, 1).options(transpose=True).value = values


def _holds_formula(cell: Any) -> bool:
    formula = cell.formula
    return isinstance(formula, str) and formula.startswith("=")


def run_in_book(book: Any, name: str) -> int:
    """Run macro ``name`` (``checklist``, ``allocate``, ...) on ``book``; returns the rows written."""
    tables, settings = read_tables(book)
    macro = macros.MACROS[name]
    rows = macro.rows(tables, settings)
    table = find_table(book, macro.table)
    if table is None:
        sheet = book.sheets.add(macro.table, after=book.sheets[-1])
        sheet.range("A1").value = [list(map(str, rows.columns))]
        table = sheet.tables.add(sheet.range("A1").resize(2, rows.shape[1]), name=macro.table)
    write_rows(table, rows, reshape=macro.reshape)
    return len(rows)


def run_forecast_in_book(book: Any) -> int:
    """Run the forecast on ``book`` (:func:`ilt_xl.workbook.forecast_macro.forecast_frames`) and write the
    Forecast and ForecastMonths tabs and Budget's projection; returns the Forecast rows written."""
    from ilt_xl.workbook.forecast_macro import forecast_frames

    tables, settings = read_tables(book)
    _, frames = forecast_frames(tables, settings)
    for name, rows in frames.items():
        table = find_table(book, name)
        if table is None:
            raise ValueError(f"the workbook has no {name} table: rebuild the planner with `ilt-xl new`")
        write_rows(table, rows)
    return len(frames["Forecast"])
