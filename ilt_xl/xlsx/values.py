"""Cell values of a sheet, read fast with python-calamine, as a 2-D object array anchored at A1.

Calamine returns the last cached value of each cell: numbers as float, text as str,
booleans, ``datetime.date``/``datetime``/``time`` for date-formatted cells, and
``""`` for a blank cell, an Excel error value, or a formula with no cached value
(files written by openpyxl). Calamine builds a dense grid, so a sheet whose cells
span an absurd area (one stray cell at XFD1048576) is refused before it is read.
Calamine decodes the ``_xHHHH_`` escapes of text only below U+D800, and reads a value written as a
CDATA section (``<t><![CDATA[S1]]></t>``) as blank; a sheet whose text holds other escapes
(``_xFFFF_``, the halves of an emoji) or CDATA has its texts (and numbers calamine left blank) read
again as Excel reads them (rare: one streamed pass).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import XMLPullParser

import numpy as np
import python_calamine as calamine

from ilt_xl.xlsx.cells import parse_cell
from ilt_xl.xlsx.errors import WorkbookError
from ilt_xl.xlsx.namespaces import NS_MAIN
from ilt_xl.xlsx.package import XlsxPackage
from ilt_xl.xlsx.xml_text import decode_xstring, string_item_text

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
        """Rows and columns (1-based, inclusive) as an object array padded with ``""``: a view of the
        values when they hold the whole block (a table's cells are then not held twice while read)."""
        shape = (max(last_row - first_row + 1, 0), last_column - first_column + 1)
        have = self.grid[first_row - 1:last_row, first_column - 1:last_column]
        if have.shape == shape:
            return have
        out = np.full(shape, "", dtype=object)
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
        if "error value" not in str(exc):
            raise WorkbookError(pkg.path, f"sheet {info.name} ({info.part}) cannot be read ({exc})") from exc
        rows = _rows_with_newer_errors(pkg, info.name, info.part, last_row)
    width = max((len(r) for r in rows), default=0)
    grid = np.empty((len(rows), width), dtype=object)
    if rows and all(len(r) == width for r in rows):
        grid[:] = rows
    else:
        grid[:] = ""
        for i, r in enumerate(rows):
            grid[i, : len(r)] = r
    strings = _shared_strings_part(pkg)
    if pkg.scan(info.part).misread_by_calamine or (strings is not None and pkg.scan(strings).misread_by_calamine):
        grid = _texts_as_excel_reads(pkg, info.part, strings, grid, last_row)
    return SheetValues(info.name, grid)


_M = f"{{{NS_MAIN}}}"


def _shared_strings_part(pkg: XlsxPackage) -> str | None:
    part = next((t for kind, t in pkg.rels_of(pkg.workbook_part).values() if kind == "sharedStrings"), None)
    return part if part is not None and pkg.zip.has(part) else None


def _texts_as_excel_reads(pkg: XlsxPackage, part: str, strings: str | None, grid: np.ndarray,
                          last_row: int | None) -> np.ndarray:
    """``grid`` with the text of every text cell of worksheet ``part`` as Excel reads it: all its
    escapes decoded (calamine left those of U+D800 and above as typed), a CDATA section's text
    (calamine read it as blank), and the number of a number cell calamine read as blank; grown when
    calamine left out a row or column it saw blank. The part is parsed streamed, down to ``last_row``
    (all rows when None); cells calamine read as a number or a date are left alone."""
    shared: list[str] | None = None
    parser = XMLPullParser(events=("end",))
    for chunk in pkg.zip.chunks(part):
        parser.feed(chunk)
        for _, el in parser.read_events():
            if el.tag == f"{_M}row":
                el.clear()
            t = el.get("t")
            if el.tag != f"{_M}c" or t not in ("s", "inlineStr", "str", "n", None) or not el.get("r"):
                continue
            row, col = parse_cell(el.get("r"))
            inside = row <= grid.shape[0] and col <= grid.shape[1]
            if (last_row is not None and row > last_row) or (inside and not isinstance(grid[row - 1, col - 1], str)):
                continue
            v = el.find(f"{_M}v")
            if t == "inlineStr":
                item = el.find(f"{_M}is")
                value = string_item_text(item) if item is not None else ""
            elif t == "str":
                value = decode_xstring(v.text or "") if v is not None else ""
            elif t == "s":
                if shared is None:
                    shared = [string_item_text(si) for si in pkg.zip.xml(strings).iter(f"{_M}si")] if strings else []
                index = int(v.text) if v is not None and (v.text or "").strip().isdigit() else -1
                value = shared[index] if 0 <= index < len(shared) else ""
            else:
                value = _number(v.text if v is not None else None)
            if value == "" or (inside and t in ("n", None) and grid[row - 1, col - 1] != ""):
                continue        # nothing calamine missed
            if not inside:
                grown = np.full((max(row, grid.shape[0]), max(col, grid.shape[1])), "", dtype=object)
                grown[:grid.shape[0], :grid.shape[1]] = grid
                grid = grown
            grid[row - 1, col - 1] = value
    return grid


def _number(text: str | None) -> float | str:
    """A number cell's ``<v>`` text as a float, or "" when it holds none."""
    try:
        return float(text) if text and text.strip() else ""
    except ValueError:
        return ""


# The error values calamine knows; Excel 365 also caches #SPILL!, #CALC!, #FIELD!, #BLOCKED! ...,
# which calamine refuses (the whole sheet): such a cell is an error all the same, read as blank
_CALAMINE_ERRORS = {b"#NULL!", b"#DIV/0!", b"#VALUE!", b"#REF!", b"#NAME?", b"#NUM!", b"#N/A", b"#GETTING_DATA"}
_ERROR_CELL = re.compile(rb'(<(?:\w+:)?c\s[^>]*?\bt="e"[^>]*>(?:(?!</(?:\w+:)?c>).)*?<((?:\w+:)?v)>)([^<]*)(</\2>)', re.S)


def _rows_with_newer_errors(pkg: XlsxPackage, sheet: str, part: str, last_row: int | None) -> list[list]:
    """The rows of ``sheet`` as calamine reads them once the error values it does not know
    (``#SPILL!``) are written as one it knows (``#N/A``): a copy of the package, rare."""
    import shutil
    import tempfile
    import zipfile

    def known(m: re.Match) -> bytes:
        return m.group(0) if m.group(3).strip() in _CALAMINE_ERRORS else m.group(1) + b"#N/A" + m.group(4)

    with tempfile.TemporaryDirectory(prefix="ilt-xl-") as tmp:
        copy = Path(tmp) / "errors.xlsx"
        with zipfile.ZipFile(pkg.path) as src, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                data = pkg.zip.read(item.filename) if item.filename.casefold() == part.casefold() else None
                if data is None:
                    with src.open(item) as fh, dst.open(zipfile.ZipInfo(item.filename, item.date_time), "w") as out:
                        shutil.copyfileobj(fh, out)
                else:
                    dst.writestr(item.filename, _ERROR_CELL.sub(known, data))
        try:
            return calamine.CalamineWorkbook.from_path(str(copy)).get_sheet_by_name(sheet).to_python(
                skip_empty_area=False, nrows=last_row)
        except calamine.CalamineError as exc:
            raise WorkbookError(pkg.path, f"sheet {sheet} ({part}) cannot be read ({exc})") from exc


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
