"""Write computed values back into a copy of the workbook, losslessly.

Only the ``<c>`` elements of formula cells change (their ``t`` attribute and ``<v>``; with
``values_only`` the ``<f>`` goes too). Every other zip part is copied unchanged, in the same
order, with the same compression and metadata (unchanged parts as their very compressed bytes). In values-only mode ``calcChain.xml`` (which
lists formula cells) is dropped together with its content-type override and relationship.
The output is written to a temporary file in the target folder and renamed into place, so a
failure leaves neither a partial file nor a touched input.
"""
from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from ilt_xl.atomic_write import atomic_target
from ilt_xl.engine.sheet_scan import FIELDS, FORMULA_CELL, Cut, cell_refs, cut_formula_cells
from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM, STR
from ilt_xl.engine.workbook_model import Sheet, WorkbookModel, parse_area
from ilt_xl.xlsx import WorkbookError, column_index, column_letter
from ilt_xl.xlsx.safezip import SafeZip
from ilt_xl.xlsx.zip_members import copy_compressed, write_deflated

_VALUE_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"([^>]*)>(?:<v>[^<]*</v>|<v\s*/>)</c>')
_T_ATTR = re.compile(rb'\s+t="[^"]*"')
# the t attribute a written value cell gets, indexed by the type codes of value_parts
_TYPE_ATTRS = (b"", b' t="b"', b' t="e"', b' t="str"', b' t="inlineStr"')
_NUMBER, _BOOLEAN, _ERROR, _TEXT, _INLINE = range(len(_TYPE_ATTRS))


def _wrapped(texts: list[str], before: str, after: str) -> list[bytes]:
    """``before + text + after`` for each text (which holds no NUL), UTF-8 encoded: one join,
    one encode and one split, all at C speed."""
    if not texts:
        return []
    return (before + (after + "\x00" + before).join(texts) + after).encode("utf-8").split(b"\x00")


def _number_values(x: np.ndarray, close: bytes) -> np.ndarray:
    """``<v>`` elements of numbers, each followed by ``close``: the shortest text that reads back
    to the same double (integers without '.0')."""
    whole = (x == np.trunc(x)) & (np.abs(x) < 1e15)
    out = np.empty(len(x), dtype=object)
    tail = "</v>" + close.decode()
    out[whole] = _wrapped(list(map(str, x[whole].astype(np.int64).tolist())), "<v>", tail)
    # repr is the shortest round-trip text; it runs once per distinct value
    distinct, where = np.unique(x[~whole], return_inverse=True)
    texts = np.array(_wrapped(list(map(repr, distinct.tolist())), "<v>", tail) or [b""], dtype=object)
    out[~whole] = texts[where]
    return out


def _text_values(objs: np.ndarray, before: bytes, after: bytes) -> np.ndarray:
    """``before`` + the XML-escaped text of each object + ``after``, escaped once per distinct text."""
    codes, distinct = pd.factorize(objs)
    texts = np.array([before + escape(str(o)).encode("utf-8") + after for o in distinct] or [b""], dtype=object)
    return texts[codes]


def value_parts(sheet: Sheet, rows: np.ndarray, cols: np.ndarray, values_only: bool,
                close: bytes = b"") -> tuple[np.ndarray, np.ndarray]:
    """(type code, value XML + ``close``) for each cell (rows/cols 1-based); the code indexes
    :data:`_TYPE_ATTRS`, e.g. (_TEXT, b'<v>abc</v>').

    Empty results are written as 0, as Excel shows a formula that refers to an empty cell.
    """
    g = sheet.grid
    kind = g.kind[rows - 1, cols - 1]
    num = g.num[rows - 1, cols - 1]
    t = np.full(len(rows), _NUMBER, dtype=np.int8)
    v = np.empty(len(rows), dtype=object)
    numeric = (kind == NUM) | (kind == EMPTY)
    if numeric.any():
        v[numeric] = _number_values(np.where(kind[numeric] == EMPTY, 0.0, num[numeric]), close)
    boolean = kind == BOOL
    t[boolean] = _BOOLEAN
    v[boolean] = np.where(num[boolean] != 0, b"<v>1</v>" + close, b"<v>0</v>" + close)
    for code, mask, before, after in (
            (_ERROR, kind == ERR, b"<v>", b"</v>"),
            (_INLINE, kind == STR, b'<is><t xml:space="preserve">', b"</t></is>") if values_only else
            (_TEXT, kind == STR, b"<v>", b"</v>")):
        if mask.any():
            t[mask] = code
            v[mask] = _text_values(g.obj[rows[mask] - 1, cols[mask] - 1], before, after + close)
    return t, v


def patch_sheet_xml(data: bytes, sheet: Sheet, values_only: bool, source: str | Path) -> bytes:
    """The sheet part with every formula cell's cached value filled (or its formula replaced)."""
    return b"".join(_patch(data, sheet, values_only, source))


def _patch(data: bytes, sheet: Sheet, values_only: bool, source: str | Path) -> Iterator[bytes]:
    """:func:`patch_pieces` of a part read again: cut fast when its formula cells are all in the
    usual layout, else tolerantly (pretty-printed, prefixed, attributes in another order)."""
    parts = FORMULA_CELL.split(data)
    f = sheet.formulas
    if len(parts) // FIELDS == len(f.rows) and all(map(np.array_equal, cell_refs(parts[1::FIELDS]), (f.rows, f.cols))):
        return patch_pieces(parts, sheet, values_only, source)
    try:
        cut = cut_formula_cells(data)
    except ValueError as exc:
        raise WorkbookError(source, f"sheet {sheet.name}: {exc}; nothing was written") from exc
    return patch_pieces(cut.pieces, sheet, values_only, source, cut)


def patch_pieces(parts: list[bytes], sheet: Sheet, values_only: bool, source: str | Path,
                 cut: Cut | None = None) -> Iterator[bytes]:
    """The sheet part, given as its :data:`~ilt_xl.engine.sheet_scan.FORMULA_CELL` split (or as the
    tolerant ``cut`` of a part in another layout), with every formula cell's cached value filled
    (or its formula replaced), as consecutive segments. Formula cells the engine kept (see
    :attr:`~ilt_xl.engine.workbook_model.FormulaCells.kept`) keep their cached value as it was.

    The formula cells appear in the part in the order the scanner listed them, so their new
    values are computed for all cells at once and joined in between the pieces. The part is
    checked before the first segment is produced; ``source`` names the workbook in an error.
    """
    if cut is not None:
        parts = cut.pieces
    refs, attrs, f_els = parts[1::FIELDS], parts[2::FIELDS], parts[3::FIELDS]
    f = sheet.formulas
    n = len(f.rows)
    # a fresh cut (not the very one the formula cells were read from) must line up with them
    if parts is not sheet.pieces and (len(refs) != n or not all(map(np.array_equal, cell_refs(refs), (f.rows, f.cols)))):
        raise WorkbookError(source, f"sheet {sheet.name}: {n} formula cells but {len(refs)} could be patched "
                            "(unusual XML layout); nothing was written")
    t, v = value_parts(sheet, f.rows, f.cols, values_only, close=b"</c>")
    if f.kept is not None and not values_only:
        # a kept cell without a cached value stays without one (not a made-up 0)
        none = f.kept & (sheet.grid.kind[f.rows - 1, f.cols - 1] == EMPTY)
        t[none], v[none] = _NUMBER, b"</c>"
    if cut is not None and cut.prefix:
        v = np.array([cut.prefixed(x) for x in v.tolist()] or [b""], dtype=object)[:n]
    # the attributes after the reference, the old t replaced by the new one, once per distinct pair
    attr_codes, distinct_attrs = pd.factorize(np.asarray(attrs, dtype=object))
    pairs, pair_of = np.unique(attr_codes * len(_TYPE_ATTRS) + t, return_inverse=True)
    middles = np.array([b'"' + _T_ATTR.sub(b"", distinct_attrs[p // len(_TYPE_ATTRS)]) + _TYPE_ATTRS[p % len(_TYPE_ATTRS)]
                        + b">" for p in pairs.tolist()] or [b""], dtype=object)
    # one join over interleaved pieces (slice assignments run in C): per cell
    # <c r=" | reference | " attrs t> | <f> | <v>value</v></c> | the text up to the next formula cell
    out: list[bytes] = [b""] * (6 * n + 1)
    out[0] = parts[0]
    out[1::6] = cut.opens if cut is not None else [b'<c r="'] * n
    out[2::6] = refs
    out[3::6] = middles[pair_of].tolist()
    out[4::6] = [b""] * n if values_only else f_els
    out[5::6] = v.tolist()
    out[6::6] = parts[FIELDS::FIELDS]
    if f.array_refs.count(None) != n:
        return iter([_patch_array_areas(b"".join(out), sheet)])
    # segments of a few MB, so deflating the first ones overlaps joining the next
    return (b"".join(out[i: i + _SEGMENT_PIECES]) for i in range(0, len(out), _SEGMENT_PIECES))


_ROW = re.compile(rb'<row r="([0-9]+)"[^>]*?(?:/>|>(.*?)</row>)', re.S)
_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})[0-9]+"')


def _patch_array_areas(data: bytes, sheet: Sheet) -> bytes:
    """Cells inside an array formula's area other than its anchor hold plain values: refresh the
    ones present and insert the missing ones (openpyxl writes the anchor cell only)."""
    areas = [parse_area(a) for a in sheet.formulas.array_refs if a]
    anchors = set(zip(sheet.formulas.rows.tolist(), sheet.formulas.cols.tolist()))
    wanted = {(r, c) for r0, c0, r1, c1 in areas for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)} - anchors

    def cell_xml(r: int, c: int) -> bytes:
        t, v = value_parts(sheet, np.array([r]), np.array([c]), True)
        return f'<c r="{column_letter(c)}{r}"'.encode() + _TYPE_ATTRS[t[0]] + b">" + v[0] + b"</c>"

    def repl(m: re.Match) -> bytes:
        r, c = int(m.group(2)), column_index(m.group(1).decode())
        if (r, c) not in wanted:
            return m.group(0)
        wanted.discard((r, c))
        t, v = value_parts(sheet, np.array([r]), np.array([c]), True)
        return (b'<c r="' + m.group(1) + m.group(2) + b'"' + _T_ATTR.sub(b"", m.group(3)) + _TYPE_ATTRS[t[0]] + b">"
                + v[0] + b"</c>")

    data = _VALUE_CELL.sub(repl, data)
    if not wanted:
        return data
    by_row: dict[int, list[int]] = {}
    for r, c in sorted(wanted):
        by_row.setdefault(r, []).append(c)

    def row_repl(m: re.Match) -> bytes:
        r = int(m.group(1))
        cols = by_row.pop(r, None)
        if not cols:
            return m.group(0)
        whole = m.group(0)
        if whole.endswith(b"/>"):
            return whole[:-2] + b">" + b"".join(cell_xml(r, c) for c in cols) + b"</row>"
        body = m.group(2)
        start = m.start(2) - m.start(0)
        pieces = []
        for c in cols:
            insert_at = len(body)
            for cm in _CELL_REF.finditer(body):
                if column_index(cm.group(1).decode()) > c:
                    insert_at = cm.start()
                    break
            pieces.append((insert_at, cell_xml(r, c)))
        for at, xml in sorted(pieces, key=lambda p: -p[0]):
            body = body[:at] + xml + body[at:]
        return whole[:start] + body + b"</row>"

    data = _ROW.sub(row_repl, data)
    if by_row:   # rows that do not exist yet, in row order before the rows that follow them
        new_rows = {r: f'<row r="{r}">'.encode() + b"".join(cell_xml(r, c) for c in cols) + b"</row>"
                    for r, cols in by_row.items()}

        def insert_rows(m: re.Match) -> bytes:
            r = int(m.group(1))
            before = [new_rows.pop(k) for k in sorted(k for k in list(new_rows) if k < r)]
            return b"".join(before) + m.group(0)

        data = _ROW.sub(insert_rows, data)
        rest = b"".join(new_rows[k] for k in sorted(new_rows))
        if rest:
            data = data.replace(b"<sheetData/>", b"<sheetData></sheetData>", 1)
            data = data.replace(b"</sheetData>", rest + b"</sheetData>", 1)
    return data


_BIG_PART = 1 << 20
_SEGMENT_PIECES = 6 * 10_000     # ten thousand formula cells
_CALC_CHAIN_REFERRERS = ("[Content_Types].xml", "xl/_rels/workbook.xml.rels")


def _drop_calc_chain(name: str, data: bytes) -> bytes:
    if name == "[Content_Types].xml":
        return re.sub(rb'<Override[^>]*PartName="/xl/calcChain\.xml"[^>]*/>', b"", data)
    if name == "xl/_rels/workbook.xml.rels":
        return re.sub(rb'<Relationship[^>]*Target="[^"]*calcChain\.xml"[^>]*/>', b"", data)
    return data


def _patched(package: SafeZip, info: zipfile.ZipInfo, sheet: Sheet, values_only: bool, source) -> Iterator[bytes]:
    """The sheet part patched, from the pieces kept at loading when it is the same part (same
    CRC-32 and size), so a big sheet is neither inflated nor scanned twice."""
    if sheet.pieces is not None and sheet.part_crc == (info.CRC, info.file_size):
        return patch_pieces(sheet.pieces, sheet, values_only, source, sheet.cut)
    return _patch(package.read(info.filename), sheet, values_only, source)


def write_values(source: str | Path, output: str | Path, model: WorkbookModel, values_only: bool = False) -> None:
    """Copy ``source`` to ``output`` with the computed values of ``model`` patched into its sheets."""
    output = Path(output)
    by_part = {s.part: s for s in model.sheets if len(s.formulas.rows)}
    folder = output.resolve().parent
    if not folder.is_dir():
        raise OSError(f"output folder does not exist: {folder}")
    with atomic_target(output) as tmp, SafeZip(source) as package, zipfile.ZipFile(tmp, "w") as zout:
        zin = package.zip
        for info in zin.infolist():
            if values_only and info.filename == "xl/calcChain.xml":
                continue
            sheet = by_part.get(info.filename)
            edited = sheet is not None or (values_only and info.filename in _CALC_CHAIN_REFERRERS)
            if not edited and copy_compressed(zin, zout, info):
                continue
            if sheet is not None:
                segments = _patched(package, info, sheet, values_only, source)
            else:
                data = package.read(info.filename)
                segments = [_drop_calc_chain(info.filename, data) if values_only else data]
            if info.compress_type == zipfile.ZIP_DEFLATED and info.file_size > _BIG_PART:
                # big parts are deflated fast, on every core; the bytes inside are what must not change
                write_deflated(zout, info, segments, level=1)
            else:
                zout.writestr(info, b"".join(segments), compress_type=info.compress_type)
