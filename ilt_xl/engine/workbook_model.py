"""The workbook as the engine sees it, read straight from the xlsx zip.

Sheets (values as :class:`~ilt_xl.engine.values.Block` grids, formula cells as parallel arrays),
defined names and Excel tables. Sheet XML is scanned with one compiled regex (C speed) rather
than an XML tree; a sheet the scanner cannot account for cell by cell falls back to a safe
ElementTree parse, so no cell is ever skipped silently.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ilt_xl.engine import xlsx_zip
from ilt_xl.engine.xlsx_zip import NS_MAIN, NS_REL, WorkbookError
from ilt_xl.engine.values import BOOL, ERR, ERRORS, NUM, STR, Block, E_VALUE

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
    texts: list[str]              # formula text without '=' (shared formulas expanded)
    array_refs: list[str | None]  # the ref of an array formula (t="array"), else None
    shared: list[bool]            # True for cells written as part of a shared formula


@dataclass
class Sheet:
    name: str
    part: str
    index: int
    grid: Block                    # values, grid[r-1, c-1]; formula cells hold their cached values
    formulas: FormulaCells
    tables: list[Table] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return self.grid.shape[0]

    @property
    def n_cols(self) -> int:
        return self.grid.shape[1]


@dataclass
class DefinedName:
    name: str
    text: str
    sheet_index: int | None        # local scope (localSheetId), None = workbook scope


@dataclass
class WorkbookModel:
    path: str
    sheets: list[Sheet]
    names: list[DefinedName]
    tables: dict[str, Table]       # by upper-case name

    def sheet(self, name: str) -> Sheet | None:
        low = name.lower()
        for s in self.sheets:
            if s.name.lower() == low:
                return s
        return None


def col_to_index(letters: str) -> int:
    """``'A'`` -> 1, ``'AA'`` -> 27."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def index_to_col(n: int) -> str:
    """1 -> ``'A'``, 27 -> ``'AA'``."""
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


_AREA = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]+)(?::\$?([A-Z]{1,3})\$?([0-9]+))?$")


def parse_area(ref: str) -> tuple[int, int, int, int]:
    """``'B2:D10'`` -> (2, 2, 10, 4); a single cell gives a 1x1 area."""
    m = _AREA.match(ref.strip().upper())
    if not m:
        raise WorkbookError(f"not a cell area: {ref!r}")
    r0, c0 = int(m.group(2)), col_to_index(m.group(1))
    if m.group(3):
        return r0, c0, int(m.group(4)), col_to_index(m.group(3))
    return r0, c0, r0, c0


# ---- sheet XML scanning -------------------------------------------------------------------------
# Three C-speed passes over the sheet XML: value cells, formula cells, empty cells. Their counts
# must add up to the number of <c> elements, otherwise the sheet goes through the ElementTree path.

_VALUE_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]{1,7})"([^>]*)><(?:v>([^<]*)</v>|is><t(?: xml:space="preserve")?>([^<]*)</t></is>)</c>')
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*><f([^>]*?)(?:/>|>([^<]*)</f>)')
_EMPTY_CELL = re.compile(rb'<c [^>]*/>')
_EMPTY_CELL_LONG = re.compile(rb'<c [^>/]*>(?:<v\s*/>)?</c>')
_T_ATTR = re.compile(rb'\bt="(\w+)"')
_F_ATTR = re.compile(rb'\b(t|ref|si)="([^"]*)"')


def _unescape(b: bytes) -> str:
    s = b.decode("utf-8")
    return html.unescape(s) if "&" in s else s


def _unescape_all(items: list[bytes]) -> list[str]:
    """:func:`_unescape` of many byte strings with one decode (texts hold no NUL in XML)."""
    if not items:
        return []
    texts = b"\x00".join(items).decode("utf-8").split("\x00")
    if any("&" in t for t in texts):
        texts = [html.unescape(t) if "&" in t else t for t in texts]
    return texts


@dataclass
class ScannedCells:
    """Cells of one worksheet part as arrays: value cells and formula cells (rows/cols 1-based)."""

    v_rows: np.ndarray
    v_cols: np.ndarray
    v_types: list[bytes]          # per value cell: the t attribute (b"" when absent)
    v_raw: list[bytes]            # per value cell: the <v> text, or the inline string
    f_rows: np.ndarray
    f_cols: np.ndarray
    f_attrs: list[dict]           # per formula cell: t/ref/si of <f>
    f_texts: list[str]            # per formula cell: the formula text ("" for shared dependents)

    def formula_kinds(self) -> tuple[list[str | None], list[bool]]:
        """Per formula cell: the ref of an array formula (else None), and whether it is shared;
        worked out once per distinct ``<f>`` attribute set."""
        return (_per_distinct_attrs(self.f_attrs, lambda fa: (fa.get("ref") if fa.get("t") == "array" else None,
                                                              fa.get("t") == "shared")))


def _per_distinct_attrs(attrs: list[dict], fn) -> tuple[list, list]:
    """The two parts of ``fn`` of each cell's attribute dict, evaluated once per distinct dict object."""
    if not attrs:
        return [], []
    ids = np.fromiter((id(a) for a in attrs), dtype=np.int64, count=len(attrs))
    uniq, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    pairs = [fn(attrs[i]) for i in first]
    first_part = np.empty(len(uniq), dtype=object)
    first_part[:] = [p[0] for p in pairs]
    second_part = np.array([p[1] for p in pairs], dtype=bool)
    return first_part[inverse].tolist(), second_part[inverse].tolist()


def _letters_to_cols(letters) -> np.ndarray:
    if len(letters) == 0:
        return np.zeros(0, np.int64)
    codes, uniq = pd.factorize(letters)
    return np.array([col_to_index(u.decode()) for u in uniq], np.int64)[codes]


def scan_sheet_xml(data: bytes, where: str) -> ScannedCells:
    """Scan a worksheet part into :class:`ScannedCells`; falls back to ElementTree when needed."""
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data:
        raise WorkbookError(f"{where}: DTD/entity declarations are refused")
    if b"<sheetData" not in data:      # namespace-prefixed elements: take the careful path
        return _scan_sheet_xml_slow(data, where)
    values = _VALUE_CELL.findall(data)
    formulas = _FORMULA_CELL.findall(data)
    n_empty = len(_EMPTY_CELL.findall(data))
    if b"></c>" in data:
        n_empty += len(_EMPTY_CELL_LONG.findall(data))
    if len(values) + len(formulas) + n_empty != data.count(b"<c ") + data.count(b"<c>"):
        return _scan_sheet_xml_slow(data, where)
    v = np.array(values, dtype=object).reshape(-1, 5)
    attrs_codes, attrs_u = pd.factorize(v[:, 2]) if len(v) else (np.zeros(0, np.int64), [])
    t_u = np.array([(m.group(1) if (m := _T_ATTR.search(a)) else b"") for a in attrs_u], dtype=object)
    v_types = t_u[attrs_codes] if len(v) else np.zeros(0, object)
    v_raw = np.where(v_types == b"inlineStr", v[:, 4], v[:, 3]) if len(v) else np.zeros(0, object)
    f = np.array(formulas, dtype=object).reshape(-1, 4)
    if len(f):
        fa_codes, fa_u = pd.factorize(f[:, 2])
        fa_d = np.empty(len(fa_u), dtype=object)
        fa_d[:] = [{k.decode(): x.decode() for k, x in _F_ATTR.findall(a)} for a in fa_u]
        ft_codes, ft_u = pd.factorize(f[:, 3])
        ft_s = np.empty(len(ft_u), dtype=object)
        ft_s[:] = _unescape_all(list(ft_u))
    return ScannedCells(
        v_rows=_to_ints(v[:, 1]), v_cols=_letters_to_cols(v[:, 0]),
        v_types=v_types.tolist(), v_raw=v_raw.tolist(),
        f_rows=_to_ints(f[:, 1]), f_cols=_letters_to_cols(f[:, 0]),
        f_attrs=fa_d[fa_codes].tolist() if len(f) else [], f_texts=ft_s[ft_codes].tolist() if len(f) else [],
    )


def _to_ints(col: np.ndarray) -> np.ndarray:
    return col.astype("S7").astype(np.int64) if len(col) else np.zeros(0, np.int64)


def _scan_sheet_xml_slow(data: bytes, where: str) -> ScannedCells:
    """ElementTree path for sheets the fast scanner cannot account for (rich text, cells without r...)."""
    import defusedxml.ElementTree as safe_et
    try:
        root = safe_et.fromstring(data, forbid_dtd=True)
    except Exception as exc:
        raise WorkbookError(f"{where}: not safe, well-formed XML ({exc})") from exc
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    vr, vc, vt, vraw, fr, fc, fa, ft = [], [], [], [], [], [], [], []
    sheet_data = root.find(f"{ns}sheetData")
    next_row = 1
    for row_el in sheet_data if sheet_data is not None else []:
        r = int(row_el.get("r", next_row))
        next_row, next_col = r + 1, 1
        for c in row_el.findall(f"{ns}c"):
            ref = c.get("r")
            if ref:
                m = re.match(r"([A-Z]+)([0-9]+)$", ref)
                if not m:
                    raise WorkbookError(f"{where}: bad cell reference {ref!r}")
                col, r_c = col_to_index(m.group(1)), int(m.group(2))
            else:
                col, r_c = next_col, r
            next_col = col + 1
            f, v, is_ = c.find(f"{ns}f"), c.find(f"{ns}v"), c.find(f"{ns}is")
            if f is not None:
                fr.append(r_c); fc.append(col)
                fa.append({k: f.get(k) for k in ("t", "ref", "si") if f.get(k) is not None})
                ft.append(f.text or "")
            elif v is not None or is_ is not None:
                t = (c.get("t") or "").encode()
                vr.append(r_c); vc.append(col); vt.append(t)
                if is_ is not None:
                    vraw.append(xlsx_zip.text_of_any(is_, ns).encode())
                    vt[-1] = b"inlineStr"
                else:
                    vraw.append(html.escape(v.text or "", quote=False).encode())
    return ScannedCells(np.array(vr, np.int64), np.array(vc, np.int64), vt, vraw,
                        np.array(fr, np.int64), np.array(fc, np.int64), fa, ft)


def _build_grid(cells: ScannedCells, sst: list[str], where: str) -> tuple[Block, FormulaCells]:
    """Typed value grid and formula list from scanned cells (vectorised where the cells are many)."""
    all_rows = np.concatenate([cells.v_rows, cells.f_rows])
    all_cols = np.concatenate([cells.v_cols, cells.f_cols])
    shape = (int(all_rows.max()), int(all_cols.max())) if len(all_rows) else (0, 0)
    kind = np.zeros(shape, np.int8)
    num = np.zeros(shape, np.float64)
    obj = np.empty(shape, dtype=object)
    types = np.array(cells.v_types, dtype="S9") if cells.v_types else np.zeros(0, "S9")
    rr, cc = cells.v_rows - 1, cells.v_cols - 1
    raw = cells.v_raw
    is_num = (types == b"") | (types == b"n")
    if is_num.any():
        idx = np.flatnonzero(is_num)
        try:
            nums = np.array([raw[i] for i in idx], dtype="S32").astype(np.float64)
        except ValueError as exc:
            raise WorkbookError(f"{where}: a number cell holds a non-number ({exc})") from exc
        kind[rr[idx], cc[idx]] = NUM
        num[rr[idx], cc[idx]] = nums
    is_s = types == b"s"
    if is_s.any():
        idx = np.flatnonzero(is_s)
        k = np.array([raw[i] for i in idx], dtype="S12").astype(np.int64)
        if len(k) and (k.min() < 0 or k.max() >= len(sst)):
            bad = idx[np.flatnonzero((k < 0) | (k >= len(sst)))[0]]
            raise WorkbookError(f"{where}!{index_to_col(int(cc[bad]) + 1)}{int(rr[bad]) + 1}: "
                                f"shared string {raw[bad]!r} does not exist")
        sst_arr = np.empty(len(sst), dtype=object)
        sst_arr[:] = sst
        kind[rr[idx], cc[idx]] = STR
        obj[rr[idx], cc[idx]] = sst_arr[k]
    is_text = (types == b"inlineStr") | (types == b"str")
    if is_text.any():
        idx = np.flatnonzero(is_text)
        texts = np.empty(len(idx), dtype=object)
        texts[:] = _unescape_all([raw[i] for i in idx])
        kind[rr[idx], cc[idx]] = STR
        obj[rr[idx], cc[idx]] = texts
    for i in np.flatnonzero(~(is_num | is_s | is_text)):
        t, v, r, c = types[i], raw[i], rr[i], cc[i]
        if t == b"b":
            kind[r, c], num[r, c] = BOOL, float(v.strip() in (b"1", b"true"))
        elif t == b"e":
            kind[r, c], obj[r, c] = ERR, ERRORS.get(_unescape(v), E_VALUE)
        elif t == b"d":
            from ilt_xl.core.serial_dates import to_serial
            kind[r, c], num[r, c] = NUM, to_serial(_unescape(v))
    # formulas: expand shared formulas into each cell
    texts = list(cells.f_texts)
    arrays, shared = cells.formula_kinds()
    if any(shared):
        from ilt_xl.engine.a1_shift import shift_formula
        masters = {}
        for j in np.flatnonzero(shared):
            if texts[j]:
                masters[cells.f_attrs[j].get("si", "")] = (int(cells.f_rows[j]), int(cells.f_cols[j]), texts[j])
        for j in np.flatnonzero(shared):
            if not texts[j]:
                si = cells.f_attrs[j].get("si", "")
                if si not in masters:
                    raise WorkbookError(f"{where}!{index_to_col(int(cells.f_cols[j]))}{int(cells.f_rows[j])}: "
                                        f"shared formula si={si} has no master cell")
                r0, c0, text = masters[si]
                texts[j] = shift_formula(text, int(cells.f_rows[j]) - r0, int(cells.f_cols[j]) - c0)
    return Block(kind, num, obj), FormulaCells(cells.f_rows, cells.f_cols, texts, arrays, shared)


# ---- workbook-level parts -------------------------------------------------------------------------

def _shared_strings(zf, part: str | None) -> list[str]:
    if not part or part not in zf.NameToInfo:
        return []
    root = xlsx_zip.parse_xml(zf, part)
    return [xlsx_zip.text_of(si) for si in root.findall(f"{_M}si")]


def _read_table(zf, part: str, sheet: str) -> Table:
    root = xlsx_zip.parse_xml(zf, part)
    name = root.get("displayName") or root.get("name") or ""
    ref = parse_area(root.get("ref", ""))
    cols_el = root.find(f"{_M}tableColumns")
    columns = [c.get("name", "") for c in (cols_el if cols_el is not None else [])]
    if len(columns) != ref[3] - ref[1] + 1:
        raise WorkbookError(f"{zf.filename}: table {name} declares {len(columns)} columns for ref {root.get('ref')}")
    return Table(name=name, sheet=sheet, ref=ref, header_rows=int(root.get("headerRowCount", "1")),
                 totals_rows=int(root.get("totalsRowCount", "0") or 0), columns=columns)


def load_workbook_model(path) -> WorkbookModel:
    """Read sheets, values, formulas, defined names and tables of the xlsx/xlsm at ``path``.

    Raises :class:`WorkbookError` (with file and part) for anything corrupt, unsafe or unsupported.
    """
    with xlsx_zip.open_package(path) as zf:
        wb_rels = xlsx_zip.rels_of(zf, "xl/workbook.xml")
        root = xlsx_zip.parse_xml(zf, "xl/workbook.xml")
        sst_part = next((t for kind, t in wb_rels.values() if kind == "sharedStrings"), None)
        sst = _shared_strings(zf, sst_part)
        sheets: list[Sheet] = []
        tables: dict[str, Table] = {}
        sheets_el = root.find(f"{_M}sheets")
        for index, sh_el in enumerate(sheets_el if sheets_el is not None else []):
            name = sh_el.get("name", "")
            rid = sh_el.get(f"{{{NS_REL}}}id")
            kind, part = wb_rels.get(rid, ("", ""))
            if kind != "worksheet":
                # chartsheets and dialog sheets hold no cells: keep the index aligned for localSheetId
                sheets.append(Sheet(name, part, index, Block(np.zeros((0, 0), np.int8), np.zeros((0, 0))),
                                    FormulaCells(np.zeros(0, np.int64), np.zeros(0, np.int64), [], [], [])))
                continue
            where = f"{path}: sheet {name}"
            cells = scan_sheet_xml(xlsx_zip.read_part(zf, part), where)
            grid, formulas = _build_grid(cells, sst, where)
            sheet = Sheet(name, part, index, grid, formulas)
            for t_kind, t_part in xlsx_zip.rels_of(zf, part).values():
                if t_kind == "table":
                    table = _read_table(zf, t_part, name)
                    sheet.tables.append(table)
                    tables[table.name.upper()] = table
            sheets.append(sheet)
        names = []
        dn_el = root.find(f"{_M}definedNames")
        for dn in dn_el if dn_el is not None else []:
            local = dn.get("localSheetId")
            names.append(DefinedName(dn.get("name", ""), dn.text or "", int(local) if local is not None else None))
    return WorkbookModel(str(path), sheets, names, tables)
