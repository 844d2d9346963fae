"""Rewrite the data rows of one Excel table inside an existing .xlsx, losing nothing else.

The headless twins of the macros (checklist, allocate, conflicts, ...) replace a
table's rows. Doing that through openpyxl would re-serialise the whole workbook
and drop what openpyxl does not model (see design.md §4), so this module edits
the XML text of exactly two parts, the table's worksheet and its table part:

- the table's rows in ``<sheetData>`` are regenerated as typed cells: numbers,
  booleans, dates and times as serial numbers with the column's existing style,
  text as inline strings (so ``sharedStrings.xml`` stays as it was, and text that
  begins with ``=``, ``+``, ``-``, ``@``, a tab or CR is a string, never a formula);
- calculated columns get their formula on every row (the table part's
  ``calculatedColumnFormula``, else the first data row's formula, shifted per row
  when it holds A1 references);
- cells beside the table in the same rows, and a totals row, are kept (the totals
  row moves with the table's end);
- the table part's ``ref``, ``autoFilter`` and ``sortState``, the sheet's
  ``<dimension>``, and data-validation and conditional-format ranges that covered
  all the data rows are extended to the new last row (never shrunk);
- ``calcChain.xml`` loses its entries for the rewritten cells (Excel rebuilds
  them; a stale entry on a cell without formula makes Excel "repair" the file).

Other cells, and the rest of both parts, keep their exact text. Formula cells are
written without a cached value: Excel, LibreOffice and the ilt-xl engine compute
them.

Public API: :func:`calculated_columns`, :func:`replace_table_rows` (in memory, on an
:class:`~ilt_xl.workbook.package_editor.PackageEditor`) and :func:`write_tables`
(file to file, atomic).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from ilt_xl.core.serial_dates import DATE1904_OFFSET, datetime64_to_serial, to_serial
from ilt_xl.workbook.date_styles import StyleBook
from ilt_xl.workbook.package_editor import NS_MAIN, PackageEditor, TableLocation, prefix_of
from ilt_xl.workbook.new_sheet import add_table_sheet
from ilt_xl.xlsx.cells import CellRange, cell_address, column_index, column_letter
from ilt_xl.xlsx.errors import WorkbookError
from ilt_xl.xlsx.xml_text import xml_text

_ATTR = re.compile(r'([\w:.-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_CELL_REF = re.compile(r"^([A-Za-z]{1,3})(\d+)$")


# ---------------------------------------------------------------------------------------------
# Cells and rows as text
# ---------------------------------------------------------------------------------------------
@dataclass
class _Cell:
    column: int
    xml: str

    @property
    def has_content(self) -> bool:
        return "<v" in self.xml or "<f" in self.xml or "<is" in self.xml or ":v" in self.xml or ":f" in self.xml


@dataclass
class _Row:
    number: int
    attrs: str          # the attribute text of the <row> tag, without r= and spans=
    cells: list[_Cell]
    tail: str           # anything in the row that is not a cell (an extLst), kept verbatim


def _attrs(text: str) -> dict[str, str]:
    return {m.group(1): m.group(2) if m.group(2) is not None else m.group(3) for m in _ATTR.finditer(text)}


def _drop_attrs(text: str, names: Iterable[str]) -> str:
    for name in names:
        text = re.sub(rf'\s{re.escape(name)}\s*=\s*(?:"[^"]*"|\'[^\']*\')', "", text)
    return text


class _SheetXml:
    """The text of a worksheet part cut into: before the rows, the rows, after the rows."""

    def __init__(self, text: str, where: str) -> None:
        root = re.search(r"<(?:(\w+):)?worksheet\b", text)
        if root is None:
            raise ValueError(f"{where}: not a worksheet part")
        self.prefix = f"{root.group(1)}:" if root.group(1) else ""
        p = re.escape(self.prefix)
        self._row = re.compile(rf"<{p}row\b([^>]*?)(?:/>|>(.*?)</{p}row>)", re.S)
        self._cell = re.compile(rf"<{p}c\b([^>]*?)(?:/>|>(.*?)</{p}c>)", re.S)
        data = re.search(rf"<{p}sheetData\b[^>]*?(?:/>|>(.*?)</{p}sheetData>)", text, re.S)
        if data is None:
            raise ValueError(f"{where}: the worksheet has no <sheetData>")
        self.head = text[: data.start()]
        self.tail = text[data.end():]
        self.rows: dict[int, _Row] = {}
        previous = 0
        for m in self._row.finditer(data.group(1) or ""):
            attrs = _attrs(m.group(1))
            number = int(attrs["r"]) if "r" in attrs else previous + 1
            previous = number
            self.rows[number] = _Row(number, _drop_attrs(m.group(1), ("r", "spans")), *self._cells(number, m.group(2) or ""))

    def _cells(self, row: int, inner: str) -> tuple[list[_Cell], str]:
        cells, column = [], 0
        for m in self._cell.finditer(inner):
            ref = _attrs(m.group(1)).get("r")
            ref_match = _CELL_REF.match(ref or "")
            column = column_index(ref_match.group(1)) if ref_match else column + 1
            xml = m.group(0) if ref_match else m.group(0).replace("<" + self.prefix + "c", f'<{self.prefix}c r="{cell_address(row, column)}"', 1)
            cells.append(_Cell(column, xml))
        return cells, self._cell.sub("", inner).strip()

    def render(self) -> str:
        p = self.prefix
        parts = []
        for number in sorted(self.rows):
            row = self.rows[number]
            body = "".join(c.xml for c in sorted(row.cells, key=lambda c: c.column)) + row.tail
            if not body and not row.attrs.strip():
                continue
            parts.append(f'<{p}row r="{number}"{row.attrs}>{body}</{p}row>' if body else f'<{p}row r="{number}"{row.attrs}/>')
        return f"{self.head}<{p}sheetData>{''.join(parts)}</{p}sheetData>{self.tail}"

    def dimension(self) -> str:
        """The used range of the (edited) rows, as Excel's ``<dimension ref>`` wants it."""
        rows = [n for n, r in self.rows.items() if r.cells]
        if not rows:
            return "A1"
        columns = [c.column for n in rows for c in self.rows[n].cells]
        first, last = cell_address(min(rows), min(columns)), cell_address(max(rows), max(columns))
        return first if first == last else f"{first}:{last}"


# ---------------------------------------------------------------------------------------------
# Values to cells
# ---------------------------------------------------------------------------------------------
def _number_text(number: float) -> str:
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


class _CellWriter:
    """Turns one Python value into the XML of one cell (style given by its column), every element in
    the sheet's own namespace prefix (``x:c``/``x:v`` where the part is written that way), dates as
    serials of the workbook's date system (``date_offset`` days are subtracted: 1462 for 1904)."""

    def __init__(self, prefix: str, date_offset: int = 0) -> None:
        self.c, self.v, self.f = f"{prefix}c", f"{prefix}v", f"{prefix}f"
        self.inline = f"<{prefix}is><{prefix}t{{space}}>{{text}}</{prefix}t></{prefix}is>"
        self.date_offset = date_offset

    def cell(self, ref: str, style: str, value: Any, date_style: str) -> str:
        c, v = self.c, self.v
        if value is None or value is pd.NaT or value is pd.NA:
            return f'<{c} r="{ref}"{style}/>'
        if isinstance(value, (bool, np.bool_)):
            return f'<{c} r="{ref}"{style} t="b"><{v}>{int(value)}</{v}></{c}>'
        if isinstance(value, (int, float, np.integer, np.floating)):
            number = float(value)
            if np.isnan(number):
                return f'<{c} r="{ref}"{style}/>'
            if np.isinf(number):
                return f'<{c} r="{ref}"{style} t="e"><{v}>#NUM!</{v}></{c}>'
            return f'<{c} r="{ref}"{style}><{v}>{_number_text(number)}</{v}></{c}>'
        if isinstance(value, (dt.datetime, dt.date, pd.Timestamp, np.datetime64)):
            if pd.isna(value):
                return f'<{c} r="{ref}"{style}/>'
            return f'<{c} r="{ref}"{date_style}><{v}>{_number_text(to_serial(value) - self.date_offset)}</{v}></{c}>'
        if isinstance(value, dt.time):
            fraction = (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86400
            return f'<{c} r="{ref}"{date_style}><{v}>{_number_text(fraction)}</{v}></{c}>'
        text = str(value)
        if text == "":
            return f'<{c} r="{ref}"{style}/>'
        space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
        return f'<{c} r="{ref}"{style} t="inlineStr">{self.inline.format(space=space, text=xml_text(text))}</{c}>'


def _column_values(series: pd.Series, date_offset: int = 0) -> np.ndarray:
    """A column as an object array of plain values; datetime columns become serial floats (of the
    1904 date system when ``date_offset`` is 1462)."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        values = series.to_numpy(dtype="datetime64[ns]")
        serials = datetime64_to_serial(values.astype("datetime64[D]")) - date_offset
        fraction = (values - values.astype("datetime64[D]")).astype("int64") / 86_400e9
        out = np.asarray(serials + np.where(np.isnat(values), 0, fraction), dtype=object)
        out[np.isnat(values)] = None
        return out
    if pd.api.types.is_timedelta64_dtype(series.dtype):
        # Times of day (the reader's StartTime/EndTime) are fractions of a day in Excel.
        days = series.to_numpy(dtype="timedelta64[ns]").astype("int64") / 86_400e9
        return np.where(pd.isna(series).to_numpy(), None, days.astype(object))
    values = series.to_numpy(dtype=object)
    return np.where(pd.isna(series).to_numpy(), None, values) if series.dtype != object else _blank_missing(values)


def _blank_missing(values: np.ndarray) -> np.ndarray:
    missing = np.frompyfunc(lambda v: v is None or (not isinstance(v, str) and pd.api.types.is_scalar(v) and pd.isna(v)), 1, 1)(values)
    return np.where(missing.astype(bool), None, values)


# ---------------------------------------------------------------------------------------------
# The table part
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _TableColumn:
    name: str
    formula: str | None     # calculatedColumnFormula text, without "="


class _TablePart:
    def __init__(self, package: PackageEditor, info: TableLocation) -> None:
        self.text = package.text(info.table_part)
        root = package.xml(info.table_part)
        try:
            self.range = CellRange.parse(root.get("ref", ""))
        except ValueError as exc:
            raise WorkbookError(package.path, f"table {info.name} on sheet {info.sheet}: bad ref ({exc})") from exc
        self.header_rows = int(root.get("headerRowCount", "1"))
        self.totals_rows = int(root.get("totalsRowCount", "0") or 0)
        self.columns = []
        for col in root.iter(f"{{{NS_MAIN}}}tableColumn"):
            formula = col.find(f"{{{NS_MAIN}}}calculatedColumnFormula")
            self.columns.append(_TableColumn(col.get("name", ""), formula.text if formula is not None and formula.text else None))
        if self.header_rows != 1:
            raise WorkbookError(package.path, f"table {info.name} on sheet {info.sheet} has no header row; "
                                              "turn on its header row in Excel (Table Design > Header Row)")

    @property
    def first_data_row(self) -> int:
        return self.range.first_row + 1

    @property
    def last_data_row(self) -> int:
        return self.range.last_row - self.totals_rows


# ---------------------------------------------------------------------------------------------
# The rewrite
# ---------------------------------------------------------------------------------------------
def calculated_columns(package: PackageEditor, table: str) -> set[str]:
    """Upper-cased names of ``table``'s calculated columns in this file (those with a
    ``calculatedColumnFormula``): a writer must leave them out, the workbook computes them.

    A planner made before a column became calculated holds it as an input column, so the
    same rows can be written into old and new planners alike.
    """
    return {c.name.upper() for c in _TablePart(package, package.table(table)).columns if c.formula is not None}


def table_column_names(package: PackageEditor, table: str) -> list[str]:
    """The column names of ``table`` in this file, in order."""
    return [c.name for c in _TablePart(package, package.table(table)).columns]


def replace_table_rows(
    package: PackageEditor,
    table: str,
    frame: pd.DataFrame,
    *,
    reshape: bool = False,
) -> TableLocation:
    """Replace the data rows of ``table`` with ``frame`` (one row per data row), in ``package``.

    ``frame``'s columns are table column names (any order, a subset allowed:
    missing input columns are left blank, calculated columns always get their
    formula and must not be given). With ``reshape=True`` the table's columns
    become exactly ``frame``'s (header cells and ``<tableColumns>`` rewritten,
    kept columns keep their definitions); the sheet must hold nothing where the
    table grows. An empty frame leaves one blank data row, since an Excel table
    cannot have none.

    Raises :class:`~ilt_xl.xlsx.errors.WorkbookError` naming the sheet and cell
    when the table is missing, a column is unknown, or the table would grow over
    other content.
    """
    info = package.table(table)
    where = f"sheet {info.sheet}, table {info.name}"
    part = _TablePart(package, info)
    try:
        sheet = _SheetXml(package.text(info.sheet_part), f"{package.path}: {where}")
    except ValueError as exc:
        raise WorkbookError(package.path, str(exc)) from exc
    styles = StyleBook(package)

    old_names = [c.name for c in part.columns]
    if reshape:
        names = [str(c) for c in frame.columns]
        kept = {c.name.upper(): c for c in part.columns}
        columns = [kept.get(n.upper(), _TableColumn(n, None)) for n in names]
    else:
        columns = part.columns
        known = {c.name.upper(): c for c in columns}
        for name in frame.columns:
            column = known.get(str(name).upper())
            if column is None:
                raise WorkbookError(package.path, f"{where}: no column named {name!r} (columns: {', '.join(old_names)})")
            if column.formula is not None and frame[name].notna().any():
                raise WorkbookError(package.path, f"{where}: column {name} is calculated; its values come from its formula")

    first_col = part.range.first_column
    old_last_col = part.range.last_column
    new_last_col = first_col + len(columns) - 1
    header_row, first_row = part.range.first_row, part.first_data_row
    old_last = part.last_data_row
    count = max(len(frame), 1)
    new_last = first_row + count - 1
    span = range(first_col, max(old_last_col, new_last_col) + 1)

    template_row = sheet.rows.get(first_row)
    template_cells = {c.column: c for c in template_row.cells} if template_row else {}
    column_styles = [_style_of(template_cells.get(first_col + i), styles, first_col + i, sheet) for i in range(len(columns))]
    formulas = [_formula_of(col, template_cells.get(first_col + i), sheet, where, package) for i, col in enumerate(columns)]
    totals = sheet.rows.get(part.range.last_row) if part.totals_rows else None
    totals_cells = [c for c in totals.cells if c.column in span] if totals is not None else []

    _check_room(sheet, package, where, first_col, old_last_col, new_last_col, header_row, old_last + part.totals_rows,
                new_last + part.totals_rows, first_row)
    _check_shared_formulas(sheet, package, where, span, first_row, max(old_last, new_last) + part.totals_rows)

    # Remove the old data (and totals) cells, keep what sits beside the table.
    for number in range(first_row, max(old_last, new_last) + part.totals_rows + 1):
        row = sheet.rows.get(number)
        if row is not None:
            row.cells = [c for c in row.cells if c.column not in span]
    writer = _CellWriter(sheet.prefix, DATE1904_OFFSET if package.date1904 else 0)
    row_numbers = np.arange(first_row, new_last + 1)
    grid = np.empty((count, len(columns)), dtype=object)
    frame_columns = {str(c).upper(): c for c in frame.columns}
    for i, column in enumerate(columns):
        letter = column_letter(first_col + i)
        refs = np.char.add(letter, row_numbers.astype(str)).astype(object)
        style = f' s="{column_styles[i]}"' if column_styles[i] else ""
        if formulas[i] is not None:
            grid[:, i] = _formula_cells(writer, refs, style, formulas[i], row_numbers)
            continue
        source = frame_columns.get(column.name.upper())
        if source is None or len(frame) == 0:
            grid[:, i] = np.frompyfunc(lambda ref, s=style: f'<{writer.c} r="{ref}"{s}/>', 1, 1)(refs)
            continue
        values = _column_values(frame[source], writer.date_offset)
        date_style = style if styles.is_date(column_styles[i]) else f' s="{styles.date_style()}"'
        if pd.api.types.is_datetime64_any_dtype(frame[source].dtype):
            style = date_style      # serials of a date column must show as dates, whatever the template row says
        grid[:, i] = np.frompyfunc(lambda ref, v, s=style, d=date_style: writer.cell(ref, s, v, d), 2, 1)(refs, values)

    row_attrs = template_row.attrs if template_row else ""
    for k, number in enumerate(row_numbers.tolist()):
        row = sheet.rows.setdefault(number, _Row(number, row_attrs, [], ""))
        row.cells.extend(_Cell(first_col + i, xml) for i, xml in enumerate(grid[k]))
    if totals is not None:
        moved = sheet.rows.setdefault(new_last + 1, _Row(new_last + 1, totals.attrs, [], ""))
        moved.cells.extend(_Cell(c.column, _move_cell(c.xml, c.column, new_last + 1))
                           for c in totals_cells)
    if reshape:
        header = sheet.rows.setdefault(header_row, _Row(header_row, "", [], ""))
        header_style = next((c.xml for c in header.cells if c.column == first_col), "")
        style = _attrs(header_style.split(">", 1)[0]).get("s") if header_style else None
        header.cells = [c for c in header.cells if c.column not in span]
        header.cells.extend(
            _Cell(first_col + i, writer.cell(cell_address(header_row, first_col + i), f' s="{style}"' if style else "", c.name, ""))
            for i, c in enumerate(columns))

    table_ref = CellRange(header_row, first_col, new_last + part.totals_rows, new_last_col)
    sheet_text = _set_dimension(sheet.render(), sheet.prefix, sheet.dimension())
    sheet_text = _extend_ranges(sheet_text, first_col, old_last_col, first_row, old_last, new_last)
    package.write(info.sheet_part, sheet_text)
    package.write(info.table_part, _table_text(part, columns if reshape else None, table_ref, new_last))
    styles.save()
    _prune_calc_chain(package, info, span, first_row, max(old_last, new_last) + part.totals_rows + 1, header_row if reshape else None)
    return info


def write_tables(
    source: str | Path,
    target: str | Path,
    frames: Mapping[str, pd.DataFrame],
    *,
    reshape: Sequence[str] = (),
    created: Sequence[str] = (),
) -> PackageEditor:
    """Copy ``source`` to ``target`` with the rows of each table in ``frames`` replaced.

    A ``created`` table the workbook lacks (a planner made before it existed) is
    added as a new sheet first. ``target`` may equal ``source`` (in place); the
    write is atomic either way. Returns the package (its ``changed`` set names the
    rewritten parts).
    """
    package = PackageEditor(source)
    for name, frame in frames.items():
        if name in created and not package.has_table(name):
            add_table_sheet(package, name, [str(c) for c in frame.columns])
        replace_table_rows(package, name, frame, reshape=name in reshape)
    package.save(target)
    return package


# ---------------------------------------------------------------------------------------------
# Helpers of the rewrite
# ---------------------------------------------------------------------------------------------
def _style_of(cell: _Cell | None, styles: StyleBook, column: int, sheet: _SheetXml) -> str | None:
    """The style index of a column's data cells: the first data row's, else the <col> element's."""
    if cell is not None:
        return _attrs(cell.xml.split(">", 1)[0]).get("s")
    p = re.escape(sheet.prefix)
    for m in re.finditer(rf"<{p}col\b([^>]*)/?>", sheet.head):
        attrs = _attrs(m.group(1))
        if int(attrs.get("min", 0)) <= column <= int(attrs.get("max", 0)):
            return attrs.get("style")
    return None


def _formula_text(xml: str, prefix: str) -> tuple[dict[str, str], str | None]:
    m = re.search(rf"<{re.escape(prefix)}f\b([^>]*?)(?:/>|>(.*?)</{re.escape(prefix)}f>)", xml, re.S)
    if m is None:
        return {}, None
    return _attrs(m.group(1)), m.group(2)


def _formula_of(column: _TableColumn, cell: _Cell | None, sheet: _SheetXml, where: str, package: PackageEditor):
    """(formula XML text, origin row or None) of a calculated column, or None for an input column."""
    if column.formula is not None:
        return escape(column.formula), _origin(cell)
    if cell is None:
        return None
    attrs, text = _formula_text(cell.xml, sheet.prefix)
    if not attrs and text is None:
        return None
    if text:
        return text, _origin(cell)
    master = _shared_master(sheet, attrs.get("si"))
    if master is None:
        raise WorkbookError(package.path, f"{where}: the formula of cell {_ref_of(cell)} refers to a shared formula that is missing")
    return master


def _origin(cell: _Cell | None) -> str | None:
    return _ref_of(cell) if cell is not None else None


def _ref_of(cell: _Cell) -> str:
    return _attrs(cell.xml.split(">", 1)[0]).get("r", "")


def _shared_master(sheet: _SheetXml, si: str | None):
    for row in sheet.rows.values():
        for cell in row.cells:
            attrs, text = _formula_text(cell.xml, sheet.prefix)
            if attrs.get("t") == "shared" and attrs.get("si") == si and text:
                return text, _ref_of(cell)
    return None


def _formula_cells(writer: _CellWriter, refs: np.ndarray, style: str, formula, rows: np.ndarray) -> np.ndarray:
    """Cells of a calculated column: the same text on every row unless it holds A1 references."""
    text, origin = formula
    c, f = writer.c, writer.f
    if origin is None or _shifted(text, origin, 1) == text:
        return np.char.add(np.char.add(f'<{c} r="', refs.astype(str)), f'"{style}><{f}>{text}</{f}></{c}>').astype(object)
    return np.array([f'<{c} r="{ref}"{style}><{f}>{_shifted(text, origin, int(row) - _row_of(origin))}</{f}></{c}>'
                     for ref, row in zip(refs, rows)], dtype=object)


def _row_of(ref: str) -> int:
    return int(_CELL_REF.match(ref).group(2))


def _shifted(formula_xml: str, origin: str, rows: int) -> str:
    """Formula XML text moved down ``rows`` rows from ``origin`` (relative A1 references shift)."""
    from xml.sax.saxutils import unescape

    from openpyxl.formula.translate import Translator

    letters = _CELL_REF.match(origin).group(1)
    moved = Translator("=" + unescape(formula_xml), origin=origin).translate_formula(f"{letters}{_row_of(origin) + rows}")
    return escape(moved[1:])


def _move_cell(xml: str, column: int, row: int) -> str:
    return re.sub(r'\sr="[^"]*"', f' r="{cell_address(row, column)}"', xml, count=1)


def _check_room(sheet, package, where, first_col, old_last_col, new_last_col, header_row, old_end, new_end, first_row) -> None:
    """Refuse to grow the table over cells that hold something (the user's data is never overwritten)."""
    regions = []
    if new_end > old_end:
        regions.append((old_end + 1, new_end, first_col, new_last_col))
    if new_last_col > old_last_col:
        regions.append((header_row, new_end, old_last_col + 1, new_last_col))
    for top, bottom, left, right in regions:
        for number in range(top, bottom + 1):
            row = sheet.rows.get(number)
            for cell in row.cells if row else ():
                if left <= cell.column <= right and cell.has_content:
                    raise WorkbookError(
                        package.path,
                        f"{where}: the table must grow to row {new_end}, column {column_letter(new_last_col)}, "
                        f"but cell {cell_address(number, cell.column)} below or beside it holds data; move that content away")


def _check_shared_formulas(sheet, package, where, span: range, first_row: int, last_row: int) -> None:
    """Refuse to delete a shared formula's master while cells outside the rewrite still use it."""
    masters, users = {}, {}
    for number, row in sheet.rows.items():
        inside_rows = first_row <= number <= last_row
        for cell in row.cells:
            attrs, text = _formula_text(cell.xml, sheet.prefix)
            if attrs.get("t") != "shared":
                continue
            inside = inside_rows and cell.column in span
            if text and inside:
                masters[attrs.get("si")] = cell_address(number, cell.column)
            elif not inside:
                users.setdefault(attrs.get("si"), cell_address(number, cell.column))
    for si, master in masters.items():
        if si in users:
            raise WorkbookError(package.path, f"{where}: cell {users[si]} shares the formula of {master} inside the table; "
                                              "re-enter the formula in that cell and save the workbook in Excel first")


def _set_dimension(text: str, prefix: str, ref: str) -> str:
    p = re.escape(prefix)
    return re.sub(rf'(<{p}dimension\b[^>]*?\sref=")[^"]*(")', lambda m: m.group(1) + ref + m.group(2), text, count=1)


def _extend_ranges(text: str, first_col: int, last_col: int, first_row: int, old_last: int, new_last: int) -> str:
    """Extend validation and conditional-format ranges that covered all data rows to ``new_last``."""
    if new_last <= old_last:
        return text

    def extend(sqref: str) -> str:
        out = []
        for piece in sqref.split():
            try:
                area = CellRange.parse(piece)
            except ValueError:
                out.append(piece)
                continue
            overlaps = area.first_column <= last_col and area.last_column >= first_col
            if overlaps and area.first_row <= first_row and old_last <= area.last_row < new_last:
                first = cell_address(area.first_row, area.first_column)
                last = cell_address(new_last, area.last_column)
                piece = first if first == last else f"{first}:{last}"
            out.append(piece)
        return " ".join(out)

    text = re.sub(r'(<(?:\w+:)?(?:conditionalFormatting|dataValidation)\b[^>]*?\ssqref=")([^"]*)(")',
                  lambda m: m.group(1) + extend(m.group(2)) + m.group(3), text)
    return re.sub(r"(<xm:sqref>)([^<]*)(</xm:sqref>)", lambda m: m.group(1) + extend(m.group(2)) + m.group(3), text)


def _table_text(part: _TablePart, columns: list[_TableColumn] | None, ref: CellRange, new_last: int) -> str:
    text = re.sub(r'(<(?:\w+:)?table\b[^>]*?\sref=")[^"]*(")', lambda m: m.group(1) + str(ref) + m.group(2), part.text, count=1)
    filter_ref = CellRange(ref.first_row, ref.first_column, new_last, ref.last_column)
    text = re.sub(r'(<(?:\w+:)?autoFilter\b[^>]*?\sref=")[^"]*(")', lambda m: m.group(1) + str(filter_ref) + m.group(2), text, count=1)
    text = re.sub(r"<(?:\w+:)?sortState\b.*?(?:</(?:\w+:)?sortState>|/>)",
                  lambda m: re.sub(r'(ref="[A-Z]+\d+:[A-Z]+)\d+(")', lambda r: f"{r.group(1)}{new_last}{r.group(2)}", m.group(0)),
                  text, flags=re.S)
    if columns is not None:
        text = _retitle_columns(text, columns)
    return text


def _retitle_columns(text: str, columns: list[_TableColumn]) -> str:
    """Rewrite ``<tableColumns>`` for ``columns``, keeping the elements of columns that stay."""
    block = re.search(r"<((?:\w+:)?)tableColumns\b[^>]*>(.*?)</(?:\w+:)?tableColumns>", text, re.S)
    p = block.group(1)
    existing = {}
    for m in re.finditer(rf"<{re.escape(p)}tableColumn\b([^>]*?)(?:/>|>.*?</{re.escape(p)}tableColumn>)", block.group(2), re.S):
        existing[_attrs(m.group(1)).get("name", "").upper()] = (m.group(0), int(_attrs(m.group(1)).get("id", 0)))
    next_id = max([i for _, i in existing.values()] + [0]) + 1
    parts = []
    for column in columns:
        found = existing.get(column.name.upper())
        if found:
            parts.append(found[0])
        else:
            parts.append(f'<{p}tableColumn id="{next_id}" name="{xml_text(column.name, attribute=True)}"/>')
            next_id += 1
    # Excel wants ids unique; kept columns keep theirs, new ones follow the largest.
    return text[: block.start()] + f'<{p}tableColumns count="{len(columns)}">{"".join(parts)}</{p}tableColumns>' + text[block.end():]


def _prune_calc_chain(package: PackageEditor, info: TableLocation, span: range, first_row: int, end_row: int, header_row: int | None) -> None:
    """Drop calcChain entries of the rewritten cells (Excel re-adds those that hold formulas)."""
    if not package.has("xl/calcChain.xml"):
        return
    sheet_id = None
    for sheet in package.xml(package.workbook_part).iter(f"{{{NS_MAIN}}}sheet"):
        if sheet.get("name") == info.sheet:
            sheet_id = sheet.get("sheetId")
    text = package.text("xl/calcChain.xml")
    current = {"i": None}

    def keep(m: re.Match) -> str:
        attrs = _attrs(m.group(1))
        sheet = attrs.get("i", current["i"])
        current["i"] = sheet
        ref = _CELL_REF.match(attrs.get("r", ""))
        if sheet != sheet_id or ref is None:
            return m.group(0)
        row, column = int(ref.group(2)), column_index(ref.group(1))
        rewritten = column in span and (first_row <= row < end_row or row == header_row)
        if not rewritten:
            return m.group(0) if "i" in attrs else m.group(0).replace(f"<{x}c", f'<{x}c i="{sheet}"', 1)
        return ""

    x = prefix_of(text, "calcChain")
    pruned = re.sub(rf"<{x}c\b([^>]*?)/>", keep, text)
    if re.search(rf"<{x}c\b", pruned):
        package.write("xl/calcChain.xml", pruned)
    else:  # an empty chain is invalid: drop the part, Excel rebuilds it
        package.remove("xl/calcChain.xml")


def write_cell_value(package: PackageEditor, sheet_name: str, ref: str, value: Any) -> None:
    """Write ``value`` into the one cell ``ref`` of sheet ``sheet_name`` (a setting, say), keeping the cell's
    style (a date gets a date style when its cell has none); every other cell keeps its exact text."""
    part = next((p for name, p in package.sheets().items() if name.casefold() == sheet_name.casefold()), None)
    found = _CELL_REF.match(ref.replace("$", ""))
    if part is None or found is None:
        raise WorkbookError(package.path, f"no cell {ref} on a sheet {sheet_name} to write")
    try:
        sheet = _SheetXml(package.text(part), f"{package.path}: sheet {sheet_name}")
    except ValueError as exc:
        raise WorkbookError(package.path, str(exc)) from exc
    row, column = int(found.group(2)), column_index(found.group(1))
    address = cell_address(row, column)
    line = sheet.rows.setdefault(row, _Row(row, "", [], ""))
    old = next((c for c in line.cells if c.column == column), None)
    style_index = _attrs(old.xml.split(">", 1)[0]).get("s") if old is not None else None
    style = f' s="{style_index}"' if style_index else ""
    styles = StyleBook(package)
    date_style = style if styles.is_date(style_index) else f' s="{styles.date_style()}"'
    xml = _CellWriter(sheet.prefix, DATE1904_OFFSET if package.date1904 else 0).cell(address, style, value, date_style)
    line.cells = [c for c in line.cells if c.column != column] + [_Cell(column, xml)]
    text = sheet.render()
    p = re.escape(sheet.prefix)
    text = re.sub(rf'(<{p}dimension\b[^>]*\bref=")[^"]*(")', lambda m: m.group(1) + sheet.dimension() + m.group(2), text, count=1)
    package.write(part, text)
    styles.save()
