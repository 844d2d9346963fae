"""The workbook as the engine sees it, read straight from the xlsx zip.

Sheets (values as :class:`~ilt_xl.engine.values.Block` grids, formula cells as parallel arrays),
defined names and Excel tables. The package is opened with :func:`ilt_xl.xlsx.open_xlsx`, so the
engine refuses exactly what every other command refuses (not a workbook, encrypted, zip bomb,
DTD) with the same :class:`~ilt_xl.xlsx.WorkbookError`. Sheet XML is scanned by
:mod:`ilt_xl.engine.sheet_scan`.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ilt_xl.engine.cell_pieces import CellPieces, PlainBudget
from ilt_xl.engine.coded import CodedValues, code_type
from ilt_xl.engine.heap import give_back_free_memory
from ilt_xl.engine.second_core import HelperScan, claim_order, each_scanned, keep_ahead, take_ahead
from ilt_xl.engine.sheet_scan import Cut, ScannedCells, SheetNotWellFormed, cached_values, scan_sheet_xml, string_item_text
from ilt_xl.engine.undefined_functions import MACRO_PARTS
from ilt_xl.engine.value_cells import place_values, type_values
from ilt_xl.engine.values import Block
from ilt_xl.xlsx import CellRange, DefinedName, WorkbookError, XlsxPackage, column_letter, open_xlsx
from ilt_xl.xlsx.namespaces import NS_DOC_REL, NS_MAIN
from ilt_xl.xlsx.values import MAX_CELLS
from ilt_xl.xlsx.xml_text import decode_xstring

_M = f"{{{NS_MAIN}}}"


@dataclass
class Table:
    """An Excel table (ListObject): ``ref`` is (first_row, first_col, last_row, last_col), 1-based inclusive."""

    name: str
    sheet: str
    ref: tuple[int, int, int, int]
    header_rows: int
    totals_rows: int
    columns: list[str]
    filtering: bool = False         # its autoFilter filters by some column (see Sheet.filter_mode)

    @property
    def data_rows(self) -> tuple[int, int]:
        """First and last row of the data body (last < first when the table has no data rows)."""
        r0, _, r1, _ = self.ref
        return r0 + self.header_rows, r1 - self.totals_rows

    def column_index(self, name: str) -> int | None:
        """Sheet column (1-based) of table column ``name`` (case-insensitive), or None."""
        low = name.lower()
        for i, col in enumerate(self.columns):
            if col.lower() == low:
                return self.ref[1] + i
        return None


@dataclass
class FormulaCells:
    """The formula cells of one sheet, as parallel lists (rows/cols 1-based)."""

    rows: np.ndarray
    cols: np.ndarray
    # per cell (a list, or coded: a calculated column repeats its text on every row)
    texts: Sequence[str]          # formula text without '=' (shared formulas expanded)
    array_refs: Sequence[str | None]  # the ref of an array formula (t="array"), else None
    shared: np.ndarray            # True for cells written as part of a shared formula (bool)
    # per cell: True when the engine could not evaluate it and it keeps the value Excel cached
    kept: np.ndarray | None = None
    order: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)   # see formula_positions


@dataclass
class Sheet:
    name: str
    part: str
    index: int
    grid: Block                    # values, grid[r-1, c-1]; formula cells hold their cached values
    formulas: FormulaCells
    tables: list[Table] = field(default_factory=list)
    # sheets with formulas: the part cut around its formula cells (sheet_scan.FORMULA_CELL), and
    # the CRC-32 and size its zip entry declares, so write-back patches it without scanning again
    pieces: CellPieces | None = field(default=None, repr=False)
    part_crc: tuple[int, int] | None = None
    cut: Cut | None = field(default=None, repr=False)   # when the pieces are a tolerant cut
    # (the shared strings, the workbook's path) while the values Excel cached in the formula cells
    # are still only in the pieces: the grid gets them when a cell is kept (load_cached_values)
    cached_pending: tuple[list[str], str, bool] | None = field(default=None, repr=False)
    hidden_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))   # 1-based, sorted
    # an autoFilter of the sheet or of one of its tables filters by some column: Excel then counts
    # every hidden row of the sheet as filtered out (SUBTOTAL 1-11 leave them out), else none
    filter_mode: bool = False

    @property
    def n_rows(self) -> int:
        return self.grid.shape[0]

    @property
    def n_cols(self) -> int:
        return self.grid.shape[1]


@dataclass
class WorkbookModel:
    path: str
    sheets: list[Sheet]
    names: list[DefinedName]       # sheet_scope indexes WorkbookModel.sheets (chartsheets included)
    tables: dict[str, Table]       # by upper-case name
    iteration: tuple[int, float] | None = None   # (iterateCount, iterateDelta) when calcPr iterate="1"
    date1904: bool = False         # <workbookPr date1904="1">: serials count days from 1904-01-01
    has_macros: bool = False       # a VBA project or Excel 4 macro sheets, which may define functions

    def sheet(self, name: str) -> Sheet | None:
        low = name.lower()
        for s in self.sheets:
            if s.name.lower() == low:
                return s
        return None


def parse_area(ref: str) -> tuple[int, int, int, int]:
    """``'B2:D10'`` -> (2, 2, 10, 4); a single cell gives a 1x1 area.

    ``ValueError`` when malformed or beyond Excel's grid (array refs are checked on loading)."""
    r = CellRange.parse(ref)
    return r.first_row, r.first_column, r.last_row, r.last_column


def _build_grid(cells: ScannedCells, sst: list[str], path, sheet: str) -> tuple[Block, FormulaCells]:
    """Typed value grid and formula list from scanned cells (vectorised where the cells are many).

    The grid is dense from A1 to the last cell, so a sheet (array areas included) spanning more
    than :data:`~ilt_xl.xlsx.values.MAX_CELLS` is refused before anything is allocated."""
    arrays, shared = cells.f_array_refs, cells.f_shared
    areas = _array_areas(arrays.used(), path, sheet)
    # the last row and column holding anything (each array's maximum: no copy of them all)
    shape = tuple(max([int(a.max()) for a in (v, f) if len(a)] + [area[k] for area in areas], default=0)
                  for v, f, k in ((cells.v_rows, cells.f_rows, 2), (cells.v_cols, cells.f_cols, 3)))
    check_extent(shape, path, sheet)
    grid = Block(np.zeros(shape, np.int8), np.zeros(shape, np.float64), np.empty(shape, dtype=object))
    place_values(grid, cells.v_rows, cells.v_cols, cells.v_values, sst, path, sheet)
    # formulas: expand shared formulas into each cell
    texts = cells.f_texts
    if shared.any():
        texts = cells.f_texts_expanded if cells.f_texts_expanded is not None else _expand_shared(cells, path, sheet)
    return grid, FormulaCells(cells.f_rows, cells.f_cols, texts, arrays, shared)


def _expand_shared(cells: ScannedCells, path, sheet: str) -> CodedValues:
    """The formula text of every formula cell, a shared formula's dependents given their master's
    text moved by their offset. A master without A1 references (a table's calculated column of
    structured references) means the same text in every cell: its dependents get the master's
    code, so 5 million cells of a 200,000-row table hold 27 texts, not 5 million copies."""
    from ilt_xl.engine.a1_shift import shift_formula
    codes, elements = cells.f_texts.codes, cells.f_texts.distinct     # codes shared with f_attrs
    attrs = cells.f_attrs.distinct
    shared = np.asarray(cells.f_shared, dtype=bool)
    has_text = np.array([t != "" for t in elements], dtype=bool)
    masters = {}
    for j in np.flatnonzero(shared & has_text[codes]).tolist():
        code = int(codes[j])
        text = elements[code]
        moves = shift_formula(text, 1, 1) != text
        si = attrs[code].get("si", "")
        if si in masters:       # which one a dependent follows would be a guess (readers differ)
            r0, c0 = masters[si][:2]
            raise WorkbookError(path, f"sheet {sheet}: shared formula si={si} has two master cells "
                                f"({column_letter(c0)}{r0} and {column_letter(int(cells.f_cols[j]))}{int(cells.f_rows[j])})")
        masters[si] = (int(cells.f_rows[j]), int(cells.f_cols[j]), code, moves)
    dependents = np.flatnonzero(shared & ~has_text[codes])
    # group the dependents by si, read once per distinct <f> element (the scan shares them): a
    # counting sort of small group numbers, not a sort of 5 million si texts
    group_of: dict[str, int] = {}
    group_of_code = np.array([group_of.setdefault(a.get("si", ""), len(group_of)) for a in attrs], np.int64)
    sis = list(group_of)
    cell_group = group_of_code[codes[dependents]]
    # numpy sorts 16-bit integers by radix, stably: each group's cells stay in their order
    order = np.argsort(cell_group.astype(np.uint16) if len(sis) <= 1 << 16 else cell_group, kind="stable")
    sizes = np.bincount(cell_group, minlength=len(sis))
    ends = np.cumsum(sizes)
    starts = ends - sizes
    texts, out = list(elements), codes.astype(np.int32)
    for k in sorted(range(len(sis)), key=sis.__getitem__):
        which = dependents[order[starts[k]:ends[k]]]
        if not len(which):
            continue
        si = sis[k]
        if si not in masters:
            j = int(which[0])
            raise WorkbookError(path, f"sheet {sheet}, cell {column_letter(int(cells.f_cols[j]))}{int(cells.f_rows[j])}: "
                                f"shared formula si={si} has no master cell")
        r0, c0, code, moves = masters[si]
        if not moves:
            out[which] = code       # one text for the whole group
            continue
        text = elements[code]
        out[which] = np.arange(len(texts), len(texts) + len(which))
        texts += [shift_formula(text, r - r0, c - c0)
                  for r, c in zip(cells.f_rows[which].tolist(), cells.f_cols[which].tolist())]
    return CodedValues(out.astype(code_type(len(texts))), texts)


def formula_positions(formulas: FormulaCells, rows: np.ndarray, col: int) -> np.ndarray:
    """Where the formula cells at ``rows`` of column ``col`` are in ``formulas`` (each is one)."""
    if formulas.order is None:          # sorted by (column, row) once, then each question is a search
        keys = formulas.cols * (1 << 21) + formulas.rows
        order = np.argsort(keys, kind="stable")
        formulas.order = (keys[order], order)
    keys, order = formulas.order
    return order[np.searchsorted(keys, col * (1 << 21) + np.asarray(rows, dtype=np.int64))]


def load_cached_values(sheet: Sheet, which: np.ndarray | None = None) -> None:
    """Put the values Excel cached in the formula cells ``which`` (positions in ``sheet.formulas``;
    None: all) into the grid, where the scan left them in the sheet's pieces. Only for cells that
    are not computed: the cells the engine keeps, and those a circle starts from."""
    if sheet.cached_pending is None:
        return
    strings, path, date1904 = sheet.cached_pending
    f = sheet.formulas
    which = np.arange(len(f.rows)) if which is None else np.asarray(which, dtype=np.int64)
    held, types, raw = cached_values(sheet.pieces, which.tolist())
    at = which[held]
    put_values(sheet.grid, f.rows[at], f.cols[at], types[held], raw[held], strings, path, sheet.name, date1904)
    if len(which) == len(f.rows):
        sheet.cached_pending = None


def put_values(grid: Block, rows, cols, types, raw, sst: list[str], path, sheet: str, date1904: bool = False) -> None:
    """Write cells into ``grid`` from their XML: rows/cols 1-based, their t attribute (b"" when
    absent) and raw ``<v>`` or inline text, typed as the t attribute says (vectorised by type) in
    the workbook's date system (``date1904``)."""
    place_values(grid, rows, cols, type_values(types, raw, path, sheet, date1904), sst, path, sheet)


# ---- workbook-level parts -------------------------------------------------------------------------

def _array_areas(refs: list[str | None], path, sheet: str) -> list[tuple[int, int, int, int]]:
    """The areas of the array formulas whose refs are ``refs`` (a bad ref is refused, located)."""
    out = []
    for ref in set(a for a in refs if a):
        try:
            out.append(parse_area(ref))
        except ValueError as exc:
            raise WorkbookError(path, f"sheet {sheet}: array formula area {ref!r} is not usable ({exc})") from exc
    return out


def check_extent(shape: tuple[int, int], path, sheet: str) -> None:
    """Refuse a grid of ``shape`` (rows, columns) over the cell limit: the engine holds it densely."""
    rows, cols = shape
    if rows * cols > MAX_CELLS:
        raise WorkbookError(path, f"sheet {sheet} spans {rows:,} rows x {cols:,} columns, "
                                  f"over the {MAX_CELLS:,}-cell limit of this reader")


def _shared_strings(pkg: XlsxPackage, part: str | None) -> list[str]:
    if not part or not pkg.zip.has(part):
        return []
    return [string_item_text(si) for si in pkg.zip.xml(part).findall(f"{_M}si")]


def _table(pkg: XlsxPackage, info) -> Table:
    ref = info.ref
    if len(info.columns) != ref.width:
        raise WorkbookError(pkg.path, f"table {info.name} on sheet {info.sheet} declares {len(info.columns)} "
                                      f"columns for its range {ref} ({ref.width} columns wide)")
    return Table(name=info.name, sheet=info.sheet, ref=(ref.first_row, ref.first_column, ref.last_row, ref.last_column),
                 header_rows=info.header_rows, totals_rows=info.totals_rows, filtering=info.filtering,
                 # a name holding a line break is stored Purchase_x000a_ price; formulas spell the break itself
                 columns=[decode_xstring(n) for n in info.column_names])


# cells of a sheet past which the memory its scan freed is given back before the next sheet
_LARGE_SHEET = 100_000


def _scan(pkg: XlsxPackage, name: str, part: str, budget: PlainBudget) -> ScannedCells:
    """The cells of worksheet ``part`` (of sheet ``name``), streamed: the part is never whole in
    memory (the careful path reads it again); a part that is not well-formed is refused (the scan
    checks it: see scan_check). Its shared formulas are expanded here too where they can be (they
    depend on the part alone)."""
    cells = scan_sheet_xml(pkg.zip.chunks(part), pkg.path, name, read_again=lambda: pkg.zip.read(part),
                           chunks_again=lambda: pkg.zip.chunks(part), budget=budget, date1904=pkg.date1904)
    if cells.f_shared.any():
        # the shared formulas expanded where the part is scanned (for the helper's parts, on its core);
        # one that cannot be is left to _build_grid, which refuses it after what it checks first
        try:
            cells.f_texts_expanded = _expand_shared(cells, pkg.path, name)
        except Exception:       # noqa: BLE001 -- raised again, in its place, by _build_grid
            pass
    return cells


def _worksheet(pkg: XlsxPackage, index: int, name: str, part: str, sst: list[str], tables_of: dict[str, list[Table]],
               cells: ScannedCells | None, budget: PlainBudget) -> Sheet:
    """The :class:`Sheet` of worksheet ``part`` from its ``cells`` (None: scanned here with ``budget``)."""
    try:
        if cells is None:
            cells = _scan(pkg, name, part, budget)
        if len(cells.v_rows) + len(cells.f_rows) > _LARGE_SHEET:
            give_back_free_memory()     # what the scan freed, before the grid is built
        grid, formulas = _build_grid(cells, sst, pkg.path, name)
    except SheetNotWellFormed as exc:
        raise WorkbookError(pkg.path, f"sheet {name} ({part}) is damaged: its XML is not well-formed "
                                      f"(parser says: {exc.damage})") from exc
    except (ValueError, IndexError) as exc:
        # The fast scanner trusts the sheet's XML; bytes it cannot make sense of (invalid
        # UTF-8, cells whose parts do not line up) mean a damaged sheet, not a bug to show.
        raise WorkbookError(pkg.path, f"sheet {name} is damaged: its cells cannot be read ({exc})") from exc
    sheet = Sheet(name, part, index, grid, formulas, tables_of.get(name, []))
    sheet.hidden_rows = cells.hidden_rows
    sheet.filter_mode = cells.filtering or any(t.filtering for t in sheet.tables)
    if len(formulas.rows):
        info = pkg.zip.zip.getinfo(part)
        sheet.pieces, sheet.cut, sheet.part_crc = cells.pieces, cells.cut, (info.CRC, info.file_size)
        if cells.pieces is not None:
            # the cached values stay readable from the pieces (on the careful path too, where the
            # grid starts with them): a cell kept after it was computed, or cleared by a circle,
            # takes its cached value back from there
            sheet.cached_pending = (sst, str(pkg.path), pkg.date1904)
    large = len(cells.v_rows) + len(cells.f_rows) > _LARGE_SHEET
    del cells       # the scan's per-cell lists go before the next sheet is read
    if large:
        give_back_free_memory()
    return sheet


def _entries(pkg: XlsxPackage, wb_rels: dict, root) -> list[tuple[int, str, str, str]]:
    """(position, name, kind, part) of each sheet, in workbook order."""
    sheets_el = root.find(f"{_M}sheets")
    entries = []
    for index, sh_el in enumerate(sheets_el if sheets_el is not None else []):
        kind, part = wb_rels.get(sh_el.get(f"{{{NS_DOC_REL}}}id", ""), ("", ""))
        if kind == "worksheet":
            part = pkg.zip.stored_name(part)      # write-back finds the part under this name
        entries.append((index, sh_el.get("name", ""), kind, part))
    return entries


def _identity(pkg: XlsxPackage) -> tuple[int, ...]:
    """The file ``pkg`` reads, told apart from any other (or from itself rewritten)."""
    st = os.fstat(pkg.zip.zip.fp.fileno())
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _reopen_same(pkg: XlsxPackage, identity: tuple[int, ...]) -> None:
    """In the helper: its own handle on the file, refused (the helper then does nothing) when the
    path now names another file than the one this load opened."""
    pkg.zip.reopen()
    if _identity(pkg) != identity:
        raise OSError(f"{pkg.path} changed")


def _helper(pkg: XlsxPackage, worksheets: list, plain: PlainBudget) -> HelperScan | None:
    """A helper process scanning ``worksheets`` with this one (second_core), within half of
    ``plain``'s budget: the one :func:`scan_ahead` started for this file, or a new one; None when
    none is worth it or to be had (all scanned here)."""
    sizes = [pkg.zip.zip.NameToInfo[part].file_size if part in pkg.zip.zip.NameToInfo else 0
             for _, _, _, part in worksheets]
    order = claim_order(sizes)
    if not order:
        return None
    share = PlainBudget()
    share.left = plain.left // 2
    plain.left -= share.left
    identity = _identity(pkg)
    helper = take_ahead((identity, tuple(worksheets)))      # started with the same half of a fresh budget
    if helper is None:
        try:
            helper = HelperScan(worksheets, order, lambda e: _scan(pkg, e[1], e[3], share),
                                lambda: _reopen_same(pkg, identity))
        except OSError:     # no temporary file, no process to spare
            plain.left += share.left
    return helper


def scan_ahead(path) -> None:
    """Start the helper of a load of ``path`` now, for :func:`load_workbook_model` to take up when
    it opens the same file (same device, inode, size and time; same worksheets): the command line
    calls it before importing what it needs besides the load (pandas, typer, rich, the other
    commands: 0.3-0.45 s), so the second core is not idle meanwhile. Says nothing: whatever is
    wrong with the file, the load finds and reports (a helper not taken up is ended at exit)."""
    try:
        with open_xlsx(path, other_readers=False) as pkg:
            wb_rels = pkg.rels_of(pkg.workbook_part)
            worksheets = [e for e in _entries(pkg, wb_rels, pkg.zip.xml(pkg.workbook_part)) if e[2] == "worksheet"]
            helper = _helper(pkg, worksheets, PlainBudget())
            if helper is not None:
                keep_ahead((_identity(pkg), tuple(worksheets)), helper)
    except Exception:       # noqa: BLE001 -- only a head start: the load refuses what is wrong, with its own message
        pass


def load_workbook_model(path) -> WorkbookModel:
    """Read sheets, values, formulas, defined names and tables of the xlsx/xlsm at ``path``.

    Raises :class:`~ilt_xl.xlsx.WorkbookError` (file, sheet or part, and why) for anything that is
    not a usable workbook: what :func:`ilt_xl.xlsx.open_xlsx` refuses, a damaged sheet, a table
    beyond Excel's grid, a sheet over the cell limit.
    """
    with open_xlsx(path, other_readers=False) as pkg:
        # the parts write-back copies unread must be well-formed; the sheets are checked as they are scanned (below)
        pkg.refuse_damaged_parts(worksheets=False)
        wb_rels = pkg.rels_of(pkg.workbook_part)
        root = pkg.zip.xml(pkg.workbook_part)
        sst_part = next((t for kind, t in wb_rels.values() if kind == "sharedStrings"), None)
        sst = _shared_strings(pkg, sst_part)
        tables_of: dict[str, list[Table]] = {}
        for info in pkg.tables:
            tables_of.setdefault(info.sheet, []).append(_table(pkg, info))
        plain = PlainBudget()       # the pieces of all sheets held plain up to it, deflated beyond
        entries = _entries(pkg, wb_rels, root)
        worksheets = [e for e in entries if e[2] == "worksheet"]
        done: dict[int, Sheet] = {}
        for index, name, kind, part in entries:
            if kind != "worksheet":
                # chartsheets and dialog sheets hold no cells: keep the index aligned for localSheetId
                no_formulas = FormulaCells(np.zeros(0, np.int64), np.zeros(0, np.int64), [], [], np.zeros(0, bool))
                done[index] = Sheet(name, part, index, Block(np.zeros((0, 0), np.int8), np.zeros((0, 0))),
                                    no_formulas)

        def use(k: int, cells: ScannedCells | None) -> None:
            index, name, _, part = worksheets[k]
            done[index] = _worksheet(pkg, index, name, part, sst, tables_of, cells, plain)

        # the helper (if any) from here on: each_scanned ends it, whatever happens
        each_scanned(len(worksheets), _helper(pkg, worksheets, plain), use)
        sheets = [done[index] for index, *_ in entries]
        names = list(pkg.defined_names)
    tables = {t.name.upper(): t for ts in tables_of.values() for t in ts}
    pr = root.find(f"{_M}workbookPr")
    date1904 = pr is not None and pr.get("date1904", "").strip().lower() in ("1", "true")
    has_macros = any(kind in MACRO_PARTS for kind, _ in wb_rels.values())
    return WorkbookModel(str(path), sheets, names, tables, _iteration(root.find(f"{_M}calcPr")), date1904, has_macros)


def _iteration(calc_pr) -> tuple[int, float] | None:
    """Excel's iterative calculation settings (File > Options > Formulas), when switched on."""
    if calc_pr is None or calc_pr.get("iterate", "0").lower() not in ("1", "true"):
        return None
    try:
        count = int(calc_pr.get("iterateCount", "100"))
        delta = float(calc_pr.get("iterateDelta", "0.001"))
    except ValueError:
        count, delta = 100, 0.001
    return max(1, min(count, 32767)), max(delta, 0.0)
