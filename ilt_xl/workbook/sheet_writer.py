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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from ilt_xl.core.serial_dates import DATE1904_OFFSET, datetime64_to_serial, to_serial
from ilt_xl.workbook.date_styles import StyleBook
from ilt_xl.workbook.package_editor import PackageEditor, TableLocation, prefix_of
from ilt_xl.xlsx.namespaces import NS_MAIN
from ilt_xl.workbook.new_sheet import add_table_sheet
from ilt_xl.workbook.sheet_stream import SheetStream
from ilt_xl.xlsx.cells import MAX_COLUMNS, MAX_ROWS, CellRange, cell_address, column_index, column_letter
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


class _RowSyntax:
    """Rows and cells of one worksheet part, in its namespace prefix (``x:row`` where it is written so)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        p = re.escape(prefix)
        self.cell = re.compile(rf"<{p}c\b([^>]*?)(?:/>|>(.*?)</{p}c>)", re.S)

    def row(self, number: int, attrs: str, inner: str) -> _Row:
        cells, column = [], 0
        for m in self.cell.finditer(inner):
            ref = _attrs(m.group(1)).get("r")
            ref_match = _CELL_REF.match(ref or "")
            column = column_index(ref_match.group(1)) if ref_match else column + 1
            xml = m.group(0) if ref_match else m.group(0).replace("<" + self.prefix + "c", f'<{self.prefix}c r="{cell_address(number, column)}"', 1)
            cells.append(_Cell(column, xml))
        return _Row(number, _drop_attrs(attrs, ("r", "spans")), cells, self.cell.sub("", inner).strip())

    def render(self, row: _Row, cells: list[_Cell] | None = None) -> str:
        """The row's XML (cells in column order), or "" for a row with neither content nor attributes."""
        p = self.prefix
        cells = row.cells if cells is None else cells
        body = "".join(c.xml for c in sorted(cells, key=lambda c: c.column)) + row.tail
        if not body and not row.attrs.strip():
            return ""
        return f'<{p}row r="{row.number}"{row.attrs}>{body}</{p}row>' if body else f'<{p}row r="{row.number}"{row.attrs}/>'


class _SheetXml:
    """A (small) worksheet part cut into: before the rows, the rows, after the rows."""

    def __init__(self, data: bytes, path, where: str) -> None:
        stream = SheetStream((data,), path, where)
        self.prefix, self.head = stream.prefix, stream.head
        self.syntax = _RowSyntax(stream.prefix)
        self.rows: dict[int, _Row] = {n: self.syntax.row(n, attrs, inner) for n, attrs, inner in stream.rows()}
        self.tail = stream.tail

    def render(self) -> str:
        rows = "".join(self.syntax.render(self.rows[n]) for n in sorted(self.rows))
        return f"{self.head}<{self.prefix}sheetData>{rows}</{self.prefix}sheetData>{self.tail}"

    def dimension(self) -> str:
        """The used range of the (edited) rows, as Excel's ``<dimension ref>`` wants it."""
        extent = _Extent()
        for number, row in self.rows.items():
            for cell in row.cells:
                extent.add(number, cell.column)
        return extent.ref()


class _Extent:
    """The used range of a sheet, grown cell by cell (or by blocks)."""

    def __init__(self) -> None:
        self.bounds: list[int] | None = None     # first row, last row, first column, last column

    def add(self, row: int, column: int, last_row: int | None = None, last_column: int | None = None) -> None:
        last_row, last_column = last_row or row, last_column or column
        if self.bounds is None:
            self.bounds = [row, last_row, column, last_column]
            return
        b = self.bounds
        b[0], b[1], b[2], b[3] = min(b[0], row), max(b[1], last_row), min(b[2], column), max(b[3], last_column)

    def ref(self) -> str:
        if self.bounds is None:
            return "A1"
        first, last = cell_address(self.bounds[0], self.bounds[2]), cell_address(self.bounds[1], self.bounds[3])
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

    first_row = part.first_data_row
    region = _Region(part.range.first_row, first_row, part.last_data_row, first_row + max(len(frame), 1) - 1,
                     part.totals_rows, part.range.first_column, part.range.last_column,
                     part.range.first_column + len(columns) - 1, reshape)
    _refuse_beyond_the_grid(package, where, region)
    source = package.source_of(info.sheet_part)
    scan = _scan(source, package.path, where, region, part.range.last_row if part.totals_rows else None)

    template_row = scan.rows.get(first_row)
    template_cells = {c.column: c for c in template_row.cells} if template_row else {}
    column_styles = [_style_of(template_cells.get(region.first_col + i), region.first_col + i, scan)
                     for i in range(len(columns))]
    formulas = [_formula_of(col, template_cells.get(region.first_col + i), scan, where, package)
                for i, col in enumerate(columns)]
    totals = scan.rows.get(part.range.last_row) if part.totals_rows else None
    totals_cells = [c for c in totals.cells if c.column in region.span] if totals is not None else []
    scan.refuse_conflicts(package.path, where)

    writer = _CellWriter(scan.prefix, DATE1904_OFFSET if package.date1904 else 0)
    free_si = _free_shared_indexes(scan.si_in_use)
    makers = []
    for i, column in enumerate(columns):
        letter = column_letter(region.first_col + i)
        style = f' s="{column_styles[i]}"' if column_styles[i] else ""
        source_name = {str(c).upper(): c for c in frame.columns}.get(column.name.upper())
        if formulas[i] is not None:
            makers.append(_FormulaCells(writer, letter, style, _formula_at(formulas[i], first_row),
                                        region, None if region.new_last == first_row else next(free_si)))
        elif source_name is None or len(frame) == 0:
            makers.append(_BlankCells(writer, letter, style))
        else:
            date_style = style if styles.is_date(column_styles[i]) else f' s="{styles.date_style()}"'
            if pd.api.types.is_datetime64_any_dtype(frame[source_name].dtype):
                style = date_style      # serials of a date column must show as dates, whatever the template row says
            makers.append(_ValueCells(writer, letter, style, date_style, source_name))

    moved = _Row(region.new_last + 1, totals.attrs, [_Cell(c.column, _move_cell(c.xml, c.column, region.new_last + 1))
                                                     for c in totals_cells], "") if totals is not None else None
    header = None
    if reshape:
        old_header = scan.rows.get(region.header_row)
        header_style = next((c.xml for c in old_header.cells if c.column == region.first_col), "") if old_header else ""
        style = _attrs(header_style.split(">", 1)[0]).get("s") if header_style else None
        header = [_Cell(region.first_col + i, writer.cell(cell_address(region.header_row, region.first_col + i),
                                                          f' s="{style}"' if style else "", c.name, ""))
                  for i, c in enumerate(columns)]
    rewrite = _Rewrite(source, package.path, where, region, scan, frame, makers,
                       template_row.attrs if template_row else "", moved, header)
    package.write_streamed(info.sheet_part, rewrite.chunks, scan.size + rewrite.estimated_bytes())
    table_ref = CellRange(region.header_row, region.first_col, region.new_last + part.totals_rows, region.new_last_col)
    package.write(info.table_part, _table_text(part, columns if reshape else None, table_ref, region.new_last))
    styles.save()
    _prune_calc_chain(package, info, region.span, first_row, region.clear_end + 1, region.header_row if reshape else None)
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
# The rewrite, streamed: one pass to learn what the sheet holds, one to write the new part
# ---------------------------------------------------------------------------------------------
_BLOCK_ROWS = 5_000     # new rows built at a time: memory stays flat however long the table
_PIECE_CHARS = 4 << 20  # text gathered before it goes to the zip


@dataclass(frozen=True)
class _Region:
    """The rows and columns of the table before and after the rewrite."""

    header_row: int
    first_row: int
    old_last: int           # last data row before, and after
    new_last: int
    totals_rows: int
    first_col: int
    old_last_col: int
    new_last_col: int
    reshape: bool

    @property
    def clear_end(self) -> int:
        """The last row whose table cells are removed (the old or new end, with the totals row)."""
        return max(self.old_last, self.new_last) + self.totals_rows

    @property
    def span(self) -> range:
        return range(self.first_col, max(self.old_last_col, self.new_last_col) + 1)

    def holds(self, row: int) -> bool:
        return self.first_row <= row <= self.clear_end

    def growth(self) -> list[tuple[int, int, int, int]]:
        """(top, bottom, left, right) of the cells the table grows over, which must be empty."""
        old_end, new_end = self.old_last + self.totals_rows, self.new_last + self.totals_rows
        regions = []
        if new_end > old_end:
            regions.append((old_end + 1, new_end, self.first_col, self.new_last_col))
        if self.new_last_col > self.old_last_col:
            regions.append((self.header_row, new_end, self.old_last_col + 1, self.new_last_col))
        return regions


def _refuse_beyond_the_grid(package: PackageEditor, where: str, region: _Region) -> None:
    """A table past Excel's last row or column cannot be written by anyone: refuse before anything is."""
    last_row = region.new_last + region.totals_rows
    if last_row > MAX_ROWS or region.new_last_col > MAX_COLUMNS:
        rows = region.new_last - region.first_row + 1
        raise WorkbookError(package.path, f"{where}: {rows:,} rows x {region.new_last_col - region.first_col + 1} "
                                          f"columns would end at row {last_row:,}, column {region.new_last_col:,}, past "
                                          f"a worksheet's {MAX_ROWS:,} rows and {MAX_COLUMNS:,} columns; nothing was "
                                          "written (split the planner, e.g. by year)")


class _RowFilter:
    """Tells, from a row's text alone, whether every cell of it is rewritten (the usual table row:
    then no Python object is made per cell)."""

    def __init__(self, prefix: str, region: _Region) -> None:
        p = re.escape(prefix)
        self.refs = re.compile(rf'<{p}c\s[^>]*?\br="([A-Z]{{1,3}})\d+"')
        self.master = re.compile(rf"<{p}f\b[^>]*\bshared\b[^>]*(?<!/)>")
        self.starts = (f"<{prefix}c ", f"<{prefix}c>", f"<{prefix}c/>")
        self.ends = (f"</{prefix}c>", "/>")
        # Growing to the right, the new columns must be checked cell by cell for content.
        widening = region.new_last_col > region.old_last_col
        self.letters = frozenset() if widening else frozenset(column_letter(c) for c in region.span)

    def all_rewritten(self, inner: str) -> bool:
        letters = self.refs.findall(inner)
        if len(letters) != sum(inner.count(s) for s in self.starts) or not self.letters.issuperset(letters):
            return False
        text = inner.strip()
        if text and (not text.endswith(self.ends) or "<!--" in text or "extLst" in text):
            return False     # something besides cells (an extLst) stays with the row
        return self.master.search(inner) is None


@dataclass
class _Scan:
    """What the first pass learnt: the part's text around the rows, the rows the rewrite needs whole
    (first data row, totals, header), the used range of what stays, and the shared formulas."""

    prefix: str
    head: str = ""
    tail: str = ""
    size: int = 0
    rows: dict[int, _Row] = field(default_factory=dict)
    extent: _Extent = field(default_factory=_Extent)
    masters: dict[str, tuple[str, str]] = field(default_factory=dict)   # si -> (text, cell), the first
    masters_inside: dict[str, str] = field(default_factory=dict)        # si -> cell, masters rewritten
    users_outside: dict[str, str] = field(default_factory=dict)         # si -> cell, shared cells kept
    growth: list[tuple[int, int, int, int]] = field(default_factory=list)   # see _Region.growth
    blocked: dict[int, str] = field(default_factory=dict)               # growth region -> first cell with content

    @property
    def si_in_use(self) -> set[int]:
        return {int(si) for si in self.users_outside if si and si.isdigit()}

    def refuse_conflicts(self, path, where: str) -> None:
        """Refuse to grow the table over content, or to delete a shared formula's master that cells
        outside the rewrite still use."""
        if self.blocked:
            region, cell = min(self.blocked.items())
            raise WorkbookError(path, f"{where}: the table must grow to row {self.growth[region][1]}, column "
                                      f"{column_letter(self.growth[region][3])}, but cell {cell} below or beside it "
                                      "holds data; move that content away")
        for si, master in self.masters_inside.items():
            if si in self.users_outside:
                raise WorkbookError(path, f"{where}: cell {self.users_outside[si]} shares the formula of {master} inside "
                                          "the table; re-enter the formula in that cell and save the workbook in Excel first")


def _counted(pieces: Iterable[bytes], scan: _Scan) -> Iterator[bytes]:
    for piece in pieces:
        scan.size += len(piece)
        yield piece


def _scan(source, path, where: str, region: _Region, totals_row: int | None) -> _Scan:
    """First pass over the sheet part (see :class:`_Scan`)."""
    counted = _Scan("")
    stream = SheetStream(_counted(source(), counted), path, where)
    scan = counted
    scan.prefix, scan.head = stream.prefix, stream.head
    scan.growth = region.growth()
    syntax, fast = _RowSyntax(stream.prefix), _RowFilter(stream.prefix, region)
    whole = {region.first_row, region.header_row, totals_row}
    old_end = region.old_last + region.totals_rows
    for number, attrs, inner in stream.rows():
        inside_rows = region.holds(number)
        if inside_rows and number not in whole and number <= old_end and fast.all_rewritten(inner):
            continue
        row = syntax.row(number, attrs, inner)
        if number in whole:
            scan.rows[number] = row
        for cell in row.cells:
            inside = inside_rows and cell.column in region.span
            replaced_header = region.reshape and number == region.header_row and cell.column in region.span
            if not inside and not replaced_header:
                scan.extent.add(number, cell.column)
            for index, (top, bottom, left, right) in enumerate(scan.growth):
                if top <= number <= bottom and left <= cell.column <= right and cell.has_content:
                    scan.blocked.setdefault(index, cell_address(number, cell.column))
            if "f" not in cell.xml:
                continue
            formula, text = _formula_text(cell.xml, scan.prefix)
            if formula.get("t") != "shared":
                continue
            si = formula.get("si")
            if text:
                scan.masters.setdefault(si, (text, cell_address(number, cell.column)))
            if inside and text:
                scan.masters_inside[si] = cell_address(number, cell.column)
            elif not inside:
                scan.users_outside.setdefault(si, cell_address(number, cell.column))
    scan.tail = stream.tail
    return scan


def _free_shared_indexes(taken: set[int]) -> Iterator[int]:
    """Shared-formula indexes (``si``) no formula that stays uses, smallest first."""
    index = 0
    while True:
        if index not in taken:
            yield index
        index += 1


class _BlankCells:
    def __init__(self, writer: _CellWriter, letter: str, style: str) -> None:
        self.head, self.end = f'<{writer.c} r="{letter}', f'"{style}/>'

    def cells(self, numbers: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
        return np.char.add(np.char.add(self.head, numbers.astype(str)), self.end).astype(object)


class _FormulaCells:
    """A calculated column as one shared formula (its text once, in the first data row), as the
    builder writes it; a one-row table gets a plain formula."""

    def __init__(self, writer: _CellWriter, letter: str, style: str, text: str, region: _Region, si: int | None) -> None:
        c, f = writer.c, writer.f
        first, last = region.first_row, region.new_last
        self.first = first
        self.head = f'<{c} r="{letter}'
        if si is None:
            self.end = f'"{style}><{f}>{text}</{f}></{c}>'
            self.master = None
        else:
            self.end = f'"{style}><{f} t="shared" si="{si}"/></{c}>'
            self.master = (f'<{c} r="{letter}{first}"{style}><{f} t="shared" ref="{letter}{first}:{letter}{last}" '
                           f'si="{si}">{text}</{f}></{c}>')

    def cells(self, numbers: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
        out = np.char.add(np.char.add(self.head, numbers.astype(str)), self.end).astype(object)
        if self.master is not None and numbers[0] == self.first:
            out[0] = self.master
        return out


class _ValueCells:
    def __init__(self, writer: _CellWriter, letter: str, style: str, date_style: str, source) -> None:
        self.writer, self.letter, self.style, self.date_style, self.source = writer, letter, style, date_style, source

    def cells(self, numbers: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
        refs = np.char.add(self.letter, numbers.astype(str)).astype(object)
        values = _column_values(frame[self.source], self.writer.date_offset)
        cell, style, date_style = self.writer.cell, self.style, self.date_style
        return np.frompyfunc(lambda ref, v: cell(ref, style, v, date_style), 2, 1)(refs, values)


class _Rewrite:
    """The second pass: the sheet part again, row by row, with the table's cells replaced by the
    frame's (built :data:`_BLOCK_ROWS` at a time), given to the zip in pieces."""

    def __init__(self, source, path, where: str, region: _Region, scan: _Scan, frame: pd.DataFrame, makers: list,
                 template_attrs: str, totals: _Row | None, header: list[_Cell] | None) -> None:
        self.source, self.path, self.where, self.region = source, path, where, region
        self.frame, self.makers, self.template_attrs = frame, makers, template_attrs
        self.totals, self.header = totals, header
        extent = scan.extent
        if makers:
            extent.add(region.first_row, region.first_col, region.new_last, region.new_last_col)
        for cell in totals.cells if totals is not None else ():
            extent.add(totals.number, cell.column)
        for cell in header or ():
            extent.add(region.header_row, cell.column)
        span = region.span
        self.head = _extend_ranges(_set_dimension(scan.head, scan.prefix, extent.ref()), span.start, region.old_last_col,
                                   region.first_row, region.old_last, region.new_last)
        self.tail = _extend_ranges(scan.tail, span.start, region.old_last_col, region.first_row, region.old_last,
                                   region.new_last)
        self.prefix = scan.prefix

    def estimated_bytes(self) -> int:
        """A generous size of the new rows, from the first few (a part past 2 GiB needs zip64, chosen
        before writing)."""
        sample = next(self._new_rows(limit=100), None)
        if sample is None:
            return 0
        rows = self.region.new_last - self.region.first_row + 1
        return int(len("".join(sample[1])) * rows * 1.5)

    def _new_rows(self, limit: int = _BLOCK_ROWS) -> Iterator[tuple[int, list[str]]]:
        first, last = self.region.first_row, self.region.new_last
        for start in range(first, last + 1, limit):
            numbers = np.arange(start, min(start + limit, last + 1))
            block = self.frame.iloc[start - first:start - first + len(numbers)]
            grid = np.empty((len(numbers), len(self.makers)), dtype=object)
            for i, maker in enumerate(self.makers):
                grid[:, i] = maker.cells(numbers, block)
            yield from zip(numbers.tolist(), grid.tolist())

    def _added_rows(self) -> Iterator[tuple[int, list[_Cell] | list[str], str]]:
        """(row, cells added, attributes of the row when the sheet has none) in row order: the header
        (reshaped), the data rows (cells as XML, in column order), the moved totals row."""
        if self.header is not None:
            yield self.region.header_row, self.header, ""
        for number, cells in self._new_rows():
            yield number, cells, self.template_attrs
        if self.totals is not None:
            yield self.totals.number, self.totals.cells, self.totals.attrs

    def _row(self, number: int, row: _Row | None, added, attrs: str) -> str:
        p = self.prefix
        if row is None:
            row = _Row(number, attrs, [], "")
        if added and isinstance(added[0], str):
            if not row.cells:       # the usual row: only the table's cells, already in order
                return f'<{p}row r="{number}"{row.attrs}>{"".join(added)}{row.tail}</{p}row>'
            added = [_Cell(self.region.first_col + i, xml) for i, xml in enumerate(added)]
        return self.syntax.render(row, row.cells + list(added))

    def chunks(self) -> Iterator[bytes]:
        region, p = self.region, self.prefix
        stream = SheetStream(self.source(), self.path, self.where)
        self.syntax = syntax = _RowSyntax(stream.prefix)
        fast, span = _RowFilter(stream.prefix, region), region.span
        pieces, size = [self.head, f"<{p}sheetData>"], 0
        added = self._added_rows()
        pending = next(added, None)
        for number, attrs, inner in stream.rows():
            while pending is not None and pending[0] < number:
                pieces.append(self._row(pending[0], None, pending[1], pending[2]))
                pending = next(added, None)
            if region.holds(number) and fast.all_rewritten(inner):
                row = _Row(number, _drop_attrs(attrs, ("r", "spans")), [], "")
            else:
                row = syntax.row(number, attrs, inner)
                if region.holds(number) or (region.reshape and number == region.header_row):
                    row.cells = [c for c in row.cells if c.column not in span]
            if pending is not None and pending[0] == number:
                pieces.append(self._row(number, row, pending[1], pending[2]))
                pending = next(added, None)
            else:
                pieces.append(syntax.render(row))
            size += len(pieces[-1])
            if size > _PIECE_CHARS:
                yield "".join(pieces).encode("utf-8")
                pieces, size = [], 0
        while pending is not None:
            pieces.append(self._row(pending[0], None, pending[1], pending[2]))
            pending = next(added, None)
            size += len(pieces[-1])
            if size > _PIECE_CHARS:
                yield "".join(pieces).encode("utf-8")
                pieces, size = [], 0
        pieces.append(f"</{p}sheetData>{self.tail}")
        yield "".join(pieces).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Helpers of the rewrite
# ---------------------------------------------------------------------------------------------
def _style_of(cell: _Cell | None, column: int, scan: "_Scan") -> str | None:
    """The style index of a column's data cells: the first data row's, else the <col> element's."""
    if cell is not None:
        return _attrs(cell.xml.split(">", 1)[0]).get("s")
    p = re.escape(scan.prefix)
    for m in re.finditer(rf"<{p}col\b([^>]*)/?>", scan.head):
        attrs = _attrs(m.group(1))
        if int(attrs.get("min", 0)) <= column <= int(attrs.get("max", 0)):
            return attrs.get("style")
    return None


def _formula_text(xml: str, prefix: str) -> tuple[dict[str, str], str | None]:
    m = re.search(rf"<{re.escape(prefix)}f\b([^>]*?)(?:/>|>(.*?)</{re.escape(prefix)}f>)", xml, re.S)
    if m is None:
        return {}, None
    return _attrs(m.group(1)), m.group(2)


def _formula_of(column: _TableColumn, cell: _Cell | None, scan: "_Scan", where: str, package: PackageEditor):
    """(formula XML text, origin cell or None) of a calculated column, or None for an input column."""
    if column.formula is not None:
        return escape(column.formula), _origin(cell)
    if cell is None:
        return None
    attrs, text = _formula_text(cell.xml, scan.prefix)
    if not attrs and text is None:
        return None
    if text:
        return text, _origin(cell)
    master = scan.masters.get(attrs.get("si"))
    if master is None:
        raise WorkbookError(package.path, f"{where}: the formula of cell {_ref_of(cell)} refers to a shared formula that is missing")
    return master


def _origin(cell: _Cell | None) -> str | None:
    return _ref_of(cell) if cell is not None else None


def _ref_of(cell: _Cell) -> str:
    return _attrs(cell.xml.split(">", 1)[0]).get("r", "")


def _formula_at(formula: tuple[str, str | None], row: int) -> str:
    """The formula's text as written in ``row`` (relative A1 references moved from its origin)."""
    text, origin = formula
    if origin is None or _row_of(origin) == row:
        return text
    return _shifted(text, origin, row - _row_of(origin))


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
    sheet = _SheetXml(package.read(part), package.path, f"sheet {sheet_name}")
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
