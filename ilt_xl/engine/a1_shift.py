"""A1 references inside formula text: shifting (shared formulas) and row-relative shapes (grouping).

Excel stores a shared formula once, in its master cell; every other cell of the group means the
same formula with its relative references moved by the cell's offset. Two cells of a column
whose formulas differ only by such an offset share one *shape*, so the engine can compile the
shape once and evaluate it over the whole run of rows.
"""
from __future__ import annotations

import re

from ilt_xl.xlsx import column_index, column_letter
from ilt_xl.xlsx.cells import MAX_COLUMNS, MAX_ROWS

# string literals, quoted sheet names and bracketed structured-reference parts are skipped whole
_TOKENS = re.compile(
    r'"(?:[^"]|"")*"'
    r"|'(?:[^']|'')*'"
    r"|\[[^\]]*\]"
    r"|(?<![\w.$])(\$?)([A-Z]{1,3})(\$?)([0-9]{1,7})(?![\w(\[])"
)


def shift_formula(text: str, dr: int, dc: int, wrap: bool = False) -> str:
    """Move the relative parts of every A1 cell reference in ``text`` by ``dr`` rows, ``dc`` columns.
    ``wrap``: past the grid's edge a reference comes back from the other side, as a defined name's
    relative references do (stored relative to A1: ``XFD1048576`` is the cell up and left of where
    the name is used); otherwise it is #REF!."""
    def repl(m: re.Match) -> str:
        if m.group(2) is None:
            return m.group(0)
        cabs, col, rabs, row = m.group(1), m.group(2), m.group(3), int(m.group(4))
        c = column_index(col) + (0 if cabs else dc)
        r = row + (0 if rabs else dr)
        if wrap:
            c, r = (c - 1) % MAX_COLUMNS + 1, (r - 1) % MAX_ROWS + 1
        if c < 1 or r < 1:
            return "#REF!"
        return f"{cabs}{column_letter(c)}{rabs}{r}"

    return _TOKENS.sub(repl, text)


def has_relative_parts(text: str) -> bool:
    """True when ``text`` holds an A1 cell reference whose row or column is not $-anchored."""
    return any(m.group(2) is not None and not (m.group(1) and m.group(3)) for m in _TOKENS.finditer(text))


def has_relative_rows(text: str) -> bool:
    """True when ``text`` holds an A1 cell reference whose row is not $-anchored."""
    return any(m.group(2) is not None and not m.group(3) for m in _TOKENS.finditer(text))


def row_shape(text: str, row: int) -> str:
    """``text`` with each relative row number replaced by its offset from ``row`` (a grouping key)."""
    def repl(m: re.Match) -> str:
        if m.group(2) is None or m.group(3):
            return m.group(0)
        return f"{m.group(1)}{m.group(2)}R[{int(m.group(4)) - row}]"

    return _TOKENS.sub(repl, text)
