"""Which formula cells of the planner depend on an ILT_* function, so LibreOffice cannot be their oracle.

LibreOffice does not know the ilt-xl functions (it shows #NAME? for them and for every formula
fed by them). The fidelity tests compare every other formula cell with LibreOffice and check
these against the function registry called directly. The sets are derived, not listed: from the
schema's formulas (a column calling ``ILT_`` or referring to such a column, transitively) and
from the Dashboard's formulas (a cell referring to such a column, or to such a cell). Each test
then asserts the derived set equals the one it expects, so a new dependency cannot silently drop
out of the LibreOffice comparison, nor a cell silently escape the registry check.

API:
    ilt_columns() -> set[(table, column)]
    ilt_cells(ws, columns) -> set[coordinate]    # formula cells of one sheet (openpyxl, formulas as text)
"""
from __future__ import annotations

import re

from ilt_xl.schema import PLANNER

_THIS_ROW = re.compile(r"\[@\[?([^\[\]]+)\]?\]")
_STRUCTURED = re.compile(r"\b([A-Za-z_]\w*)\[(?:\[#This Row\],)?\[?([^\[\]#,:]+)\]?\]")
_A1 = re.compile(r"(?<![A-Za-z_\[\w])\$?([A-Z]{1,3})\$?(\d+)(?![\w(\[])")
_STRING = re.compile(r'"[^"]*"')


def _references(table: str, formula: str) -> set[tuple[str, str]]:
    text = _STRING.sub('""', formula)
    found = {(table, c) for c in _THIS_ROW.findall(text)}
    found |= {(t, c) for t, c in _STRUCTURED.findall(text)}
    return found


def ilt_columns() -> set[tuple[str, str]]:
    """(table, column) of every calculated column whose value depends on an ILT_* function."""
    formulas = {(t.name, c.name): c.formula for t in PLANNER.tables for c in t.columns if c.calculated}
    dependent = {key for key, f in formulas.items() if "ILT_" in _STRING.sub('""', f)}
    while True:
        more = {key for key, f in formulas.items() if key not in dependent and _references(key[0], f) & dependent}
        if not more:
            return dependent
        dependent |= more


def ilt_cells(ws, columns: set[tuple[str, str]]) -> set[str]:
    """Coordinates of the formula cells of ``ws`` that depend on ``columns`` or call ILT_*, transitively."""
    formulas = {c.coordinate: c.value for row in ws.iter_rows() for c in row
                if isinstance(c.value, str) and c.value.startswith("=")}
    refs = {ref: {f"{col}{row}" for col, row in _A1.findall(_STRING.sub('""', _STRUCTURED.sub("", f)))}
            for ref, f in formulas.items()}
    dependent = {ref for ref, f in formulas.items()
                 if "ILT_" in _STRING.sub('""', f) or {(t, c) for t, c in _STRUCTURED.findall(_STRING.sub('""', f))} & columns}
    while True:
        more = {ref for ref in formulas if ref not in dependent and refs[ref] & dependent}
        if not more:
            return dependent
        dependent |= more
