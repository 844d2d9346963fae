"""Read formula cells' cached values from two workbooks and compare them (1e-9 relative)."""
from __future__ import annotations

import datetime as dt
import math

import openpyxl


def _plain(value):
    if isinstance(value, dt.datetime):
        return (value - dt.datetime(1899, 12, 30)).total_seconds() / 86400.0
    if isinstance(value, dt.date):
        return float((value - dt.date(1899, 12, 30)).days)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    return value


def formula_cells(path) -> list[tuple[str, str, str]]:
    """(sheet, cell, formula) of every formula cell."""
    wb = openpyxl.load_workbook(path)
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.startswith("="):
                    out.append((ws.title, c.coordinate, c.value))
    return out


def cached_values(path) -> dict[tuple[str, str], object]:
    wb = openpyxl.load_workbook(path, data_only=True)
    return {(ws.title, c.coordinate): _plain(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row}


def same(a, b, rel=1e-9) -> bool:
    a, b = _plain(a), _plain(b)
    if a in (None, "") and b in (None, ""):   # openpyxl reads an empty text result as None
        return True
    if isinstance(a, float) and isinstance(b, float) and not isinstance(a, bool) and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)
    return a == b


def mismatches(source, ours, theirs) -> list[str]:
    """Formula cells of ``source`` whose values differ between the ``ours`` and ``theirs`` copies.

    LibreOffice knows no ILT_* function: the ILT cells, and native cells to which LibreOffice's
    ``#NAME?`` propagates from them, are left to the registry tests (tests/engine/test_engine.py).
    """
    va, vb = cached_values(ours), cached_values(theirs)
    cells = formula_cells(source)
    has_ilt = any("ILT" in f.upper() for _, _, f in cells)
    out = []
    for sheet, cell, formula in cells:
        if has_ilt and ("ILT" in formula.upper() or vb.get((sheet, cell)) == "#NAME?"):
            continue
        a, b = va.get((sheet, cell)), vb.get((sheet, cell))
        if not same(a, b):
            out.append(f"{sheet}!{cell} {formula}: ours {a!r}, LibreOffice {b!r}")
    return out
