"""Cell values of a sheet, read fast with python-calamine, as a 2-D object array anchored at A1.

Calamine returns the last cached value of each cell: numbers as float, text as str,
booleans, ``datetime.date``/``datetime``/``time`` for date-formatted cells, and
``""`` for a blank cell, an Excel error value, or a formula with no cached value
(files written by openpyxl). Calamine builds a dense grid, so a sheet whose cells
span an absurd area (one stray cell at XFD1048576) is refused before it is read.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import python_calamine as calamine

from ilt_xl.xlsx.errors import WorkbookError
from ilt_xl.xlsx.package import XlsxPackage

MAX_CELLS = 20_000_000           # calamine holds ~32 bytes a cell: about 640 MB at most
@dataclass(frozen=True)
class SheetValues:
    """Values of rows 1..``grid.shape[0]`` of a sheet; ``grid[r-1, c-1]`` is Excel cell (r, c)."""

    sheet: str
    grid: np.ndarray

    def cell(self, row: int, column: int) -> object:
        """The value at Excel row ``row`` and column ``column`` (1-based); ``""`` outside the grid."""
        if 1 <= row <= self.grid.shape[0] and 1 <= column <= self.grid.shape[1]:
            return self.grid[row - 1, column - 1]
        return ""

    def block(self, first_row: int, last_row: int, first_column: int, last_column: int) -> np.ndarray:
        """Rows and columns (1-based, inclusive) as an object array padded with ``""``."""
        out = np.full((max(last_row - first_row + 1, 0), last_column - first_column + 1), "", dtype=object)
        have = self.grid[first_row - 1:last_row, first_column - 1:last_column]
        out[: have.shape[0], : have.shape[1]] = have
        return out


def _check_extent(pkg: XlsxPackage, sheet: str, part: str) -> None:
    """Refuse a sheet whose cells with content span more than MAX_CELLS: calamine would allocate
    them all. Formatted empty cells and rows do not count (calamine skips them too)."""
    scan = pkg.scan(part)
    last_row, width = scan.last_content_row, scan.last_content_column
    if last_row * width > MAX_CELLS:
        raise WorkbookError(
            pkg.path, f"sheet {sheet} spans {last_row:,} rows x {width:,} columns of cells with content, "
                      f"over the {MAX_CELLS:,}-cell limit of this reader")


def read_sheet_values(pkg: XlsxPackage, sheet: str, last_row: int | None = None) -> SheetValues:
    """The values of ``sheet`` from A1 down to ``last_row`` (all rows when None).

    Raises :class:`WorkbookError` when the sheet is missing, not well-formed XML or too large.
    """
    info = pkg.sheet(sheet)
    if info is None:
        raise WorkbookError(pkg.path, f"sheet {sheet} is missing")
    _check_extent(pkg, info.name, info.part)
    book = open_calamine(pkg)
    try:
        rows = book.get_sheet_by_name(info.name).to_python(skip_empty_area=False, nrows=last_row)
    except calamine.XmlError as exc:
        raise WorkbookError(pkg.path, f"sheet {info.name} ({info.part}) is damaged: its XML is not well-formed "
                                      f"(parser says: {exc})") from exc
    except calamine.CalamineError as exc:
        raise WorkbookError(pkg.path, f"sheet {info.name} ({info.part}) cannot be read ({exc})") from exc
    width = max((len(r) for r in rows), default=0)
    grid = np.empty((len(rows), width), dtype=object)
    if rows and all(len(r) == width for r in rows):
        grid[:] = rows
    else:
        grid[:] = ""
        for i, r in enumerate(rows):
            grid[i, : len(r)] = r
    return SheetValues(info.name, grid)


def open_calamine(pkg: XlsxPackage) -> calamine.CalamineWorkbook:
    """The package's calamine workbook, opened once (after the package passed its safety checks)."""
    book = pkg._calamine
    if book is None:
        try:
            book = calamine.CalamineWorkbook.from_path(str(pkg.path))
        except calamine.PasswordError as exc:
            raise WorkbookError(pkg.path, "the workbook is password-protected (encrypted)") from exc
        except (calamine.CalamineError, OSError, ValueError) as exc:
            raise WorkbookError(pkg.path, f"the workbook cannot be read: {exc}") from exc
        pkg._calamine = book
    return book
