"""Evaluate hand-made formulas with the engine: ``values({"A1": 3, "B1": "=--A1"})["B1"]``."""
from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import openpyxl

from ilt_xl.engine.recalc import compute
from ilt_xl.engine.workbook_model import load_workbook_model
from ilt_xl.xlsx import column_index


def values(cells: dict[str, object], sheet_title: str = "Sheet1", hidden_rows=(), extra_sheets=()) -> dict:
    """The value of every given cell after recalculation: numbers as float, text, bool, errors as
    their code ("#N/A"), empty as None. Keys may name another sheet (``"Data!A1"``)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet_title
    for name in extra_sheets:
        wb.create_sheet(name)
    for key, value in cells.items():
        target, ref = (wb[key.split("!")[0]], key.split("!")[1]) if "!" in key else (ws, key)
        target[ref] = value
    for r in hidden_rows:
        ws.row_dimensions[r].hidden = True
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hand.xlsx"
        wb.save(path)
        model = load_workbook_model(path)
        compute(model, dt.date(2024, 1, 1))
    out = {}
    for key in cells:
        name, ref = key.split("!") if "!" in key else (sheet_title, key)
        grid = model.sheet(name).grid
        col = column_index(ref.rstrip("0123456789"))
        row = int(ref[len(ref.rstrip("0123456789")):])
        out[key] = _plain(grid, row - 1, col - 1)
    return out


def value(formula: str, **cells) -> object:
    """The value of one formula (in Z1) with ``cells`` given (``A1=3``)."""
    return values({**cells, "Z1": formula})["Z1"]


def assert_value(formula: str, expected) -> None:
    """``formula`` gives ``expected``: a float to 1e-12 relative (the conformance harness's 1e-9 is
    for whole workbooks), anything else (text, an error code, a bool) exactly."""
    import pytest

    got = value(formula)
    assert got == pytest.approx(expected, rel=1e-12) if isinstance(expected, float) else got == expected


def wrong_values(cases) -> list:
    """The (formula, got, expected) of ``cases`` (formula, expected) whose value is not the
    expected one, compared as :func:`assert_value` does: a test of many cases fails on any."""
    import pytest

    wrong = []
    for formula, expected in cases:
        got = value(formula)
        if not (got == pytest.approx(expected, rel=1e-12) if isinstance(expected, float) else got == expected):
            wrong.append((formula, got, expected))
    return wrong


def _plain(grid, i, j):
    """Block.value of a cell, with an error as its code text (None outside the grid)."""
    from ilt_xl.engine.values import ERR
    if i >= grid.shape[0] or j >= grid.shape[1]:
        return None
    return str(grid.obj[i, j]) if grid.kind[i, j] == ERR else grid.value(i, j)
