"""Read a planner workbook into a typed :class:`Planner`, collecting every problem on the way.

Tables are found by name from their definitions in the package (``xl/tables``),
never by guessed positions; values come from python-calamine in one pass per
sheet. Reading reports structural problems (missing sheet, table or column) and
cells of the wrong type; :func:`ilt_xl.workbook.validate.validate` then checks
the values. A file that is not a usable workbook raises :class:`WorkbookError`.
"""
from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import pandas as pd

from ilt_xl.schema import PLANNER, Column, Setting, Table
from ilt_xl.workbook.coerce import coerce, first_value
from ilt_xl.workbook.planner import Planner, TableLayout, attribute_name
from ilt_xl.workbook.problems import (
    ERROR, EXPECTED, WARNING, Problem, wrong_type_problems,
)
from ilt_xl.xlsx import (
    CellRange, SheetValues, TableInfo, WorkbookError, XlsxPackage, column_letter, open_xlsx, parse_cell,
    read_sheet_values, split_sheet_reference,
)

SETTINGS_SHEET = "Settings"


def read_planner(path: str | Path, *, validate: bool = True) -> Planner:
    """Read the planner workbook at ``path``.

    Returns a :class:`Planner` whose ``problems`` lists every problem found, each
    located by sheet, Excel row, column and A1 cell (reading never stops at the
    first). With ``validate=False`` only structural and type problems are collected.

    Raises :class:`ilt_xl.xlsx.WorkbookError` when the file is not a usable
    .xlsx (missing, not a workbook, corrupt, encrypted or unsafe).
    """
    path = Path(path)
    with open_xlsx(path) as pkg:
        reader = _Reader(pkg)
        frames = {t.name: reader.table(t) for t in PLANNER.tables}
        settings = reader.settings()
        reader.check_parts()
    planner = Planner(
        path=path,
        **{attribute_name(name): frame for name, frame in frames.items()},
        settings=settings,
        problems=reader.problems,
        layouts=reader.layouts,
        setting_cells=reader.setting_cells,
    )
    if validate:
        from ilt_xl.workbook.validate import validate as run_checks
        planner.problems.extend(run_checks(planner))
    return planner


def empty_frame(table: Table) -> pd.DataFrame:
    """A table with no rows, its columns typed as the reader types them."""
    columns = {c.name: coerce(np.empty(0, dtype=object), c.type).values for c in table.columns}
    return pd.DataFrame(columns, index=pd.Index([], dtype="int64", name="row"))


class _Reader:
    def __init__(self, pkg: XlsxPackage) -> None:
        self.pkg = pkg
        self.file = str(pkg.path)
        self.problems: list[Problem] = []
        self.layouts: dict[str, TableLayout] = {}
        self.setting_cells: dict[str, tuple[str, str]] = {}
        self._values: dict[str, tuple[int, SheetValues]] = {}
        self._last_rows: dict[str, int] = {}
        self._merged: dict[str, list[CellRange]] = {}
        for t in pkg.tables:
            self._last_rows[t.sheet] = max(self._last_rows.get(t.sheet, 0), t.ref.last_row)
        # The planner tables each sheet holds and not yet read: a sheet's values (a Python object
        # per cell, hundreds of MB for Sessions at 200,000 sessions) go once its last one is read,
        # instead of all sheets' values living until the whole planner is read.
        planner_tables = {name.casefold() for name in PLANNER.table_names}
        self._unread: dict[str, int] = {}
        for t in pkg.tables:
            if t.name.casefold() in planner_tables:
                self._unread[t.sheet] = self._unread.get(t.sheet, 0) + 1

    def _problem(self, sheet: str | None, message: str, expected: str, *, column: str | None = None,
                 cell: str | None = None, value: object = None, severity: str = ERROR) -> None:
        row = parse_cell(cell)[0] if cell else None
        self.problems.append(Problem(self.file, sheet, row, column, cell, value, expected, severity, message))

    def _sheet_values(self, sheet: str, last_row: int) -> SheetValues:
        # Read each sheet once, down to the lowest row any of its tables needs (calamine may
        # return fewer rows when the last ones are blank).
        read_to, values = self._values.get(sheet, (0, None))
        if values is None or read_to < last_row:
            # A sheet without tables (Settings) is small: read it whole, once.
            read_to = max(last_row, self._last_rows.get(sheet, 0)) if sheet in self._last_rows else 1 << 20
            values = read_sheet_values(self.pkg, sheet, read_to)
            self._values[sheet] = (read_to, values)
        return values

    def _table_read(self, sheet: str) -> None:
        self._unread[sheet] = self._unread.get(sheet, 1) - 1
        if self._unread[sheet] <= 0:
            self._values.pop(sheet, None)

    def _find(self, table: Table) -> TableInfo | None:
        named = [t for t in self.pkg.tables if t.name.casefold() == table.name.casefold()]
        sheet = self.pkg.sheet(table.name)
        if len(named) > 1:
            self._problem(named[1].sheet, f"two Excel tables are named {table.name} "
                          f"(on sheets {', '.join(t.sheet for t in named)}); the first is read",
                          "one table per name")
        if sheet is not None and sheet.hidden:
            self._problem(sheet.name, f"sheet {sheet.name} is {sheet.state}", "a visible sheet", severity=WARNING)
        if named:
            info = named[0]
            if info.sheet.casefold() != table.name.casefold():
                self._problem(info.sheet, f"table {table.name} was found on sheet {info.sheet}, "
                              f"not on sheet {table.name}", f"the table on sheet {table.name}", severity=WARNING)
            return info
        if sheet is None:
            if table.added_later:  # a planner made before the table existed: read it as empty
                adds = (f"`ilt-xl {table.written_by}` adds it" if table.written_by
                        else "rebuild the planner with `ilt-xl new` to get it")
                self._problem(table.name, f"sheet {table.name} is missing (the planner predates it; it is read as "
                              f"empty): {adds}", f"a sheet {table.name} holding table {table.name}", severity=WARNING)
                return None
            self._problem(table.name, f"sheet {table.name} is missing", f"a sheet {table.name} holding table {table.name}")
            return None
        others = [t.name for t in self.pkg.tables if t.sheet == sheet.name]
        hint = f" (it holds table {', '.join(others)}: rename it to {table.name})" if others else ""
        self._problem(sheet.name, f"sheet {sheet.name} has no Excel table named {table.name}{hint}",
                      f"an Excel table named {table.name}", value=", ".join(others) or None)
        return None

    def table(self, table: Table) -> pd.DataFrame:
        info = self._find(table)
        if info is None:
            return empty_frame(table)
        found = {name.casefold(): i for i, name in reversed(list(enumerate(info.column_names)))}
        positions: dict[str, int] = {}
        for column in table.columns:
            i = found.get(column.name.casefold())
            if i is None:
                self._missing_column(info, table, column)
            else:
                positions[column.name] = i
        known = {c.name.casefold() for c in table.columns}
        for i, name in enumerate(info.column_names):
            if name.casefold() not in known:
                cell = f"{column_letter(info.ref.first_column + i)}{info.ref.first_row}"
                self._problem(info.sheet, f"column {name} of table {table.name} is not part of the planner; it is ignored",
                              "a column of the planner schema", column=name, cell=cell if info.header_rows else None,
                              value=name, severity=WARNING)
        self._merged_cells(info)
        letters = {name: column_letter(info.ref.first_column + i) for name, i in positions.items()}
        layout = TableLayout(info.sheet, str(info.ref), letters)
        self.layouts[table.name] = layout
        if info.data_rows == 0:
            self._table_read(info.sheet)
            return empty_frame(table)
        grid = self._sheet_values(info.sheet, info.last_data_row).block(
            info.first_data_row, info.last_data_row, info.ref.first_column, info.ref.last_column)
        self._table_read(info.sheet)
        rows = np.arange(info.first_data_row, info.last_data_row + 1)
        inputs = [positions[c.name] for c in table.input_columns if c.name in positions]
        keep = (grid[:, inputs] != "").any(axis=1) if inputs else np.zeros(len(rows), bool)
        if not keep.all():
            grid, rows = grid[keep], rows[keep]
        loc = layout.location(self.file)
        data = {}
        for column in table.columns:
            # A view of the grid: coerce returns new arrays of every kind, so no column read keeps the grid
            # (an object per cell of every column: 800 MB at 200,000 sessions) alive with it.
            raw = grid[:, positions[column.name]] if column.name in positions else np.full(len(rows), "", dtype=object)
            typed = coerce(raw, column.type, self.pkg.date1904)
            if not column.calculated:
                self.problems += wrong_type_problems(loc, column.name, column.type.value, rows, raw, typed.wrong,
                                                     typed.why)
            data[column.name] = typed.values
        return pd.DataFrame(data, index=pd.Index(rows, name="row"))

    def _merged_cells(self, info: TableInfo) -> None:
        """An error per merged range overlapping ``info``'s table: a merged area keeps only its
        top-left value, so the other cells read as blank (and Excel cannot even sort the table)."""
        ref = info.ref
        for merged in self._merged_ranges(info.sheet):
            if (merged.last_row < ref.first_row or merged.first_row > ref.last_row
                    or merged.last_column < ref.first_column or merged.first_column > ref.last_column):
                continue
            first = max(merged.first_column, ref.first_column) - ref.first_column
            column = info.column_names[first] if first < len(info.column_names) else None
            self.problems.append(Problem(
                self.file, info.sheet, merged.first_row, column, str(merged), None,
                "cells that are not merged (Home > Merge & Center > Unmerge Cells)", ERROR,
                f"cells {merged} are merged inside table {info.name}; only the first keeps its value"))

    def _merged_ranges(self, sheet: str) -> list[CellRange]:
        if sheet not in self._merged:
            ranges = []
            for ref in self.pkg.scan(self.pkg.sheet(sheet).part).merged:
                try:
                    ranges.append(CellRange.parse(ref))
                except ValueError:
                    self._problem(sheet, f"a merged range {ref!r} is not a cell range",
                                  "a range such as B3:C3", severity=WARNING)
            self._merged[sheet] = ranges
        return self._merged[sheet]

    def _missing_column(self, info: TableInfo, table: Table, column: Column) -> None:
        unknown = [n for n in info.column_names if n.casefold() not in {c.name.casefold() for c in table.columns}]
        close = difflib.get_close_matches(column.name, unknown, n=1, cutoff=0.6)
        hint = f" (is {close[0]!r} a misspelling of it?)" if close else ""
        # A calculated column is the workbook's own view: ilt-xl computes it from the inputs, so a
        # planner made before the column existed (CostReporting, say) still reads; it is only told.
        # An optional input column added after the planner was made (Rooms.TimeZone, say) reads as
        # blank, as the column would if it were there and empty: told, not refused.
        lacks = ("; the workbook does not show it (ilt-xl computes it from the inputs): "
                 "rebuild the planner with `ilt-xl new` to get its formula" if column.calculated else
                 "; it is optional and read as blank" if not column.required else "")
        self._problem(info.sheet, f"table {table.name} has no column {column.name}{hint}{lacks}",
                      f"a column named {column.name}", column=column.name, value=close[0] if close else None,
                      severity=WARNING if column.calculated or not column.required else ERROR)

    def check_parts(self) -> None:
        """Refuse the workbook when any XML part is not well-formed: calamine reads a damaged sheet
        leniently (half a row, a cell less), and the commands copy the parts they do not rewrite
        into their output, which must be a valid workbook."""
        self.pkg.refuse_damaged_parts()

    def settings(self) -> dict[str, object]:
        return {s.name: self._setting(s) for s in PLANNER.settings}

    def _setting(self, setting: Setting) -> object:
        name = self.pkg.defined_name(setting.name)
        if name is None:
            if setting.optional:  # newer than some planners: they use the default
                return setting.default
            # The default is a working value, so the planner still computes: tell, do not refuse.
            self._problem(SETTINGS_SHEET, f"the named cell {setting.name} is missing; "
                          f"its default {setting.default!r} is used", f"a cell named {setting.name} on {SETTINGS_SHEET}",
                          column=setting.name, severity=WARNING)
            return setting.default
        try:
            sheet, ref = split_sheet_reference(name.value)
            row, col = parse_cell(ref)
        except ValueError:
            self._problem(SETTINGS_SHEET, f"the name {setting.name} does not point at one cell ({name.value})",
                          "a reference to one cell such as Settings!$B$2", column=setting.name, value=name.value)
            return setting.default
        if self.pkg.sheet(sheet) is None:
            self._problem(sheet, f"the name {setting.name} points at a missing sheet ({name.value})",
                          f"a cell on sheet {SETTINGS_SHEET}", column=setting.name, value=name.value)
            return setting.default
        cell = f"{column_letter(col)}{row}"
        self.setting_cells[setting.name] = (self.pkg.sheet(sheet).name, cell)
        raw = self._sheet_values(sheet, row).cell(row, col)
        typed = coerce(np.array([raw], dtype=object), setting.type, self.pkg.date1904)
        if typed.blank[0]:
            return setting.default
        if typed.wrong[0]:
            expected = EXPECTED[setting.type.value]
            self._problem(self.pkg.sheet(sheet).name, str(typed.why[0]),
                          expected, column=setting.name, cell=cell, value=raw)
            return setting.default
        return first_value(typed)


