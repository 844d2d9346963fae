"""udfs.book_io: the macros on an open workbook, through the xlwings Book API (a fake book here).

The fake keeps a grid of cells per sheet and implements only the calls book_io makes;
the result must equal what the headless twin computes from the same planner.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ilt_xl.schema import PLANNER
from ilt_xl.workbook import macros
from ilt_xl.workbook.reader import read_planner
from udfs import book_io
from tests.test_macros_headless import example  # noqa: F401  (fixture)


class Grid:
    def __init__(self):
        self.cells: dict[tuple[int, int], object] = {}
        self.formulas: dict[tuple[int, int], str] = {}  # cells of calculated columns: what Excel keeps


class Range:
    def __init__(self, grid: Grid, row: int, col: int, rows: int = 1, cols: int = 1, transpose: bool = False):
        self.grid, self.row, self.col, self.nrows, self.ncols, self.transpose = grid, row, col, rows, cols, transpose

    def options(self, transpose=False, **_):
        return Range(self.grid, self.row, self.col, self.nrows, self.ncols, transpose)

    def resize(self, rows, cols):
        return Range(self.grid, self.row, self.col, rows, cols)

    def offset(self, rows, cols):
        return Range(self.grid, self.row + rows, self.col + cols, self.nrows, self.ncols)

    @property
    def rows(self):
        return type("Count", (), {"count": self.nrows})()

    @property
    def columns(self):
        return type("Count", (), {"count": self.ncols})()

    @property
    def formula(self):
        """The top-left cell's formula, else its value as text (xlwings' Range.formula of one cell)."""
        at = (self.row, self.col)
        value = self.grid.cells.get(at)
        return self.grid.formulas.get(at, "" if value is None else str(value))

    def clear_contents(self):
        for r in range(self.nrows):
            for c in range(self.ncols):
                self.grid.cells.pop((self.row + r, self.col + c), None)

    @property
    def value(self):
        return [[self.grid.cells.get((self.row + r, self.col + c)) for c in range(self.ncols)] for r in range(self.nrows)]

    @value.setter
    def value(self, values):
        if self.transpose:
            values = [[v] for v in values]
        elif values and not isinstance(values[0], list):
            values = [values]
        for r, row in enumerate(values):
            for c, v in enumerate(row):
                self.grid.cells[(self.row + r, self.col + c)] = v


class HeaderRange(Range):
    def options(self, ndim=None, **kw):
        outer = self

        class Flat:
            @property
            def value(self):
                return Range.value.fget(outer)[0]
        return Flat() if ndim == 1 else super().options(**kw)


class Table:
    def __init__(self, name, grid, rows, cols):
        self.name, self.grid, self.rng = name, grid, Range(grid, 1, 1, rows, cols)

    @property
    def range(self):
        return self.rng

    @property
    def header_row_range(self):
        return HeaderRange(self.grid, 1, 1, 1, self.rng.ncols)

    def resize(self, rng):
        self.rng = Range(self.grid, rng.row, rng.col, rng.nrows, rng.ncols)


class Sheet:
    def __init__(self, name):
        self.name, self.grid, self.tables = name, Grid(), []


class Name:
    def __init__(self, value):
        self.refers_to_range = type("R", (), {"value": value})()


class Book:
    def __init__(self, planner):
        self.sheets, self.names = [], {}
        for name, frame in planner.tables.items():
            sheet = Sheet(name)
            table = Table(name, sheet.grid, max(len(frame), 1) + 1, frame.shape[1])
            Range(sheet.grid, 1, 1).value = [list(frame.columns)]
            values = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
            Range(sheet.grid, 2, 1).value = [[_excel(v) for v in row] for row in values]
            calculated = {c.name for c in PLANNER.table(name).calculated_columns}
            for j, column in enumerate(frame.columns, start=1):
                if column in calculated:
                    for r in range(2, max(len(frame), 1) + 2):
                        sheet.grid.formulas[(r, j)] = f"={name}-formula-of-{column}"
            sheet.tables.append(table)
            self.sheets.append(sheet)
        for key, value in planner.settings.items():
            self.names[key] = Name(value.to_pydatetime() if isinstance(value, pd.Timestamp) else value)


def _excel(value):
    """A cell as xlwings reads it: datetimes, floats, text; time of day as a fraction of a day."""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, pd.Timedelta):
        return value.total_seconds() / 86400
    return value


def test_macros_on_a_book_equal_the_headless_twins(example):  # noqa: F811
    planner = read_planner(example, validate=False)
    tables, settings = book_io.read_tables(Book(planner))
    for name in ("Sessions", "Enrolments", "Checklist", "FX"):
        assert len(tables[name]) == len(planner.tables[name]), name
    for name in ("allocate", "conflicts", "checklist", "budget"):
        macro = macros.MACROS[name]
        book = Book(planner)
        rows = book_io.run_in_book(book, name)
        expected = macro.rows(planner.tables, planner.settings)
        assert rows == len(expected)
        table = book_io.find_table(book, macro.table)
        written = table.range.value
        header = written[0]
        assert table.range.nrows == max(len(expected), 1) + 1
        computed = {c.name for c in PLANNER.table(macro.table).calculated_columns}
        for column in expected.columns:
            got = [row[header.index(column)] for row in written[1:]]
            if column in computed:  # left to Excel: the cells keep what they held
                before = planner.tables[macro.table][column]
                assert got[:len(before)] == [_excel(v) for v in before.astype(object).where(before.notna(), None)], column
                continue
            want = expected[column].astype(object).where(expected[column].notna(), None).tolist()
            if pd.api.types.is_numeric_dtype(expected[column]):
                np.testing.assert_allclose(np.array(got, dtype=float), np.array(want, dtype=float), err_msg=column)
            else:
                assert [str(g) for g in got] == [str(w) for w in want], (name, column)


def test_availability_reshapes_the_table_in_the_book(example):  # noqa: F811
    planner = read_planner(example, validate=False)
    book = Book(planner)
    sheet = Sheet("Availability")
    sheet.tables.append(Table("Availability", sheet.grid, 2, 3))
    Range(sheet.grid, 1, 1).value = [["Kind", "Resource", "Old"]]
    book.sheets.append(sheet)
    rows = book_io.run_in_book(book, "availability")
    grid = book_io.find_table(book, "Availability").range.value
    assert grid[0][:3] == ["Kind", "Resource", "Name"] and len(grid[0]) == 55
    assert rows == len(planner.instructors) + len(planner.rooms) == len(grid) - 1


def test_forecast_macro_on_a_book_equals_the_headless_twin(example):  # noqa: F811
    from ilt_xl.workbook.forecast_macro import forecast_frames

    planner = read_planner(example, validate=False)
    book = Book(planner)
    rows = book_io.run_forecast_in_book(book)
    _, frames = forecast_frames(planner.tables, planner.settings)
    assert rows == len(frames["Forecast"]) > 0
    for name, columns in (("Forecast", ("LearnersP10", "LearnersP50", "SessionsP50", "CostP90")),
                          ("ForecastMonths", ("LearnersP50", "CostP50")), ("Budget", ("ForecastP50", "ForecastP90"))):
        written = book_io.find_table(book, name).range.value
        assert len(written) - 1 == len(frames[name]), name
        for column in columns:
            got = [row[written[0].index(column)] for row in written[1:]]
            want = frames[name][column].astype(object).where(frames[name][column].notna(), None).tolist()
            np.testing.assert_allclose(np.array(got, dtype=float), np.array(want, dtype=float), err_msg=column)
