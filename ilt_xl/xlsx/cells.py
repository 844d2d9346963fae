"""A1 cell addresses and ranges: ``"C3"`` <-> (row 3, column 3), ``"C3:F6"``.

Rows and columns here are 1-based, as Excel shows them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384

_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


def column_letter(index: int) -> str:
    """1-based column index to letters: 1 -> ``A``, 28 -> ``AB``."""
    if index < 1:
        raise ValueError(f"column index must be >= 1, got {index}")
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    """Column letters to a 1-based index: ``A`` -> 1, ``AB`` -> 28."""
    index = 0
    for ch in letters.upper():
        if not "A" <= ch <= "Z":
            raise ValueError(f"not column letters: {letters!r}")
        index = index * 26 + ord(ch) - 64
    return index


def cell_address(row: int, column: int) -> str:
    """``(3, 3)`` -> ``"C3"``."""
    return f"{column_letter(column)}{row}"


def parse_cell(text: str) -> tuple[int, int]:
    """``"C3"`` or ``"$C$3"`` -> ``(row, column)``; ``ValueError`` for anything else or beyond Excel's grid."""
    m = _CELL.match(text.strip())
    if not m:
        raise ValueError(f"not a cell address: {text!r}")
    row, column = int(m.group(2)), column_index(m.group(1))
    if not (1 <= row <= MAX_ROWS and 1 <= column <= MAX_COLUMNS):
        raise ValueError(f"{text!r} lies beyond Excel's {MAX_ROWS} rows x {MAX_COLUMNS} columns")
    return row, column


@dataclass(frozen=True)
class CellRange:
    """A rectangle of cells, 1-based and inclusive: ``C3:F6`` is rows 3-6, columns 3-6."""

    first_row: int
    first_column: int
    last_row: int
    last_column: int

    @classmethod
    def parse(cls, text: str) -> "CellRange":
        """``"C3:F6"`` (or one cell ``"C3"``) -> CellRange; ``ValueError`` when malformed or reversed."""
        first, _, last = text.partition(":")
        r1, c1 = parse_cell(first)
        r2, c2 = parse_cell(last) if last else (r1, c1)
        if r2 < r1 or c2 < c1:
            raise ValueError(f"range {text!r} ends before it starts")
        return cls(r1, c1, r2, c2)

    @property
    def height(self) -> int:
        return self.last_row - self.first_row + 1

    @property
    def width(self) -> int:
        return self.last_column - self.first_column + 1

    def __str__(self) -> str:
        return f"{cell_address(self.first_row, self.first_column)}:{cell_address(self.last_row, self.last_column)}"


def split_sheet_reference(text: str) -> tuple[str, str]:
    """``"Settings!$B$2"`` or ``"'My sheet'!B2"`` -> (sheet name, ``"$B$2"``).

    ``ValueError`` when there is no sheet part (a constant or formula name).
    """
    sheet, bang, ref = text.strip().rpartition("!")
    if not bang or not sheet:
        raise ValueError(f"not a sheet reference: {text!r}")
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    return sheet, ref
