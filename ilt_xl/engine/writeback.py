"""Write computed values back into a copy of the workbook, losslessly.

Only the ``<c>`` elements of formula cells change (their ``t`` attribute and ``<v>``; with
``values_only`` the ``<f>`` goes too). Every other zip part is copied unchanged, in the same
order, with the same compression and metadata (unchanged parts as their very compressed bytes,
and so is a sheet whose formula cells all cached the values computed). In values-only mode ``calcChain.xml`` (which
lists formula cells) is dropped together with its content-type override and relationship.
The output is written to a temporary file in the target folder and renamed into place, so a
failure leaves neither a partial file nor a touched input.
"""
from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from ilt_xl.atomic_write import atomic_target
from ilt_xl.engine import cell_locator
from ilt_xl.engine.cell_pieces import CellPieces
from ilt_xl.engine.sheet_scan import FORMULA_CELL, Cut, cut_formula_cells, encode_xstring, in_prefix, lines_up
from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM, STR
from ilt_xl.engine.workbook_model import Sheet, WorkbookModel, parse_area
from ilt_xl.xlsx import WorkbookError, column_index, column_letter
from ilt_xl.xlsx.safezip import SafeZip
from ilt_xl.xlsx.xml_text import escape_markup
from ilt_xl.xlsx.zip_members import copy_compressed, write_deflated

_T_ATTR = re.compile(rb'\s+t="[^"]*"')
# the t attribute a written value cell gets, indexed by the type codes of value_parts
_TYPE_ATTRS = (b"", b' t="b"', b' t="e"', b' t="str"', b' t="inlineStr"')
_NUMBER, _BOOLEAN, _ERROR, _TEXT, _INLINE = range(len(_TYPE_ATTRS))


def _wrapped(texts: list[bytes], before: bytes, after: bytes) -> list[bytes]:
    """``before + text + after`` for each text (which holds no NUL): one join and one split, at C speed."""
    if not texts:
        return []
    return (before + (after + b"\x00" + before).join(texts) + after).split(b"\x00")


def number_texts(distinct: np.ndarray) -> list[bytes]:
    """The text of each number (float64) as a cell's ``<v>`` holds it: the shortest text that reads
    back to the same double, as ``repr`` writes it, and a whole number below 1e15 as its integer
    (no '.0'; -0.0 is "0"). Made by the compiled cell locator where it was built (the same texts,
    the tests hold it to :func:`python_number_texts`), else (or with a build older than it) in Python."""
    made = getattr(cell_locator.compiled, "number_texts", None)
    return made(np.ascontiguousarray(distinct, dtype=np.float64)) if made is not None else python_number_texts(distinct)


def python_number_texts(distinct: np.ndarray) -> list[bytes]:
    """:func:`number_texts` in Python (the reference of the compiled one)."""
    with np.errstate(invalid="ignore"):        # NaN
        whole = (distinct == np.trunc(distinct)) & (np.abs(distinct) < 1e15)
    texts = np.empty(len(distinct), dtype=object)
    texts[whole] = list(map(str, distinct[whole].astype(np.int64).tolist()))
    texts[~whole] = list(map(repr, distinct[~whole].tolist()))       # repr: the shortest round trip
    return "\x00".join(texts.tolist()).encode("ascii").split(b"\x00") if len(texts) else []


class ValueTexts(NamedTuple):
    """Cells' values as they are written: cell ``i`` has type code ``t[i]`` (it indexes
    :data:`_TYPE_ATTRS`) and the text ``texts[index[i]]`` (XML-escaped) between its value's tags,
    ``<v>`` and ``</v>``, or for ``texts[inline_from:]`` (values-only mode's strings) those of an
    inline string. Each distinct value is worked out once (a column of computed values repeats a few)."""

    t: np.ndarray
    index: np.ndarray
    texts: list[bytes]
    inline_from: int

    def parts(self, close: bytes = b"") -> np.ndarray:
        """Each cell's value XML followed by ``close``."""
        inline = self.inline_from
        wrapped = (_wrapped(self.texts[:inline], b"<v>", b"</v>" + close)
                   + _wrapped(self.texts[inline:], b'<is><t xml:space="preserve">', b"</t></is>" + close))
        return np.array(wrapped, dtype=object)[self.index]


def value_texts(sheet: Sheet, rows: np.ndarray, cols: np.ndarray, values_only: bool) -> ValueTexts:
    """The values of the cells at ``rows``/``cols`` (1-based) as :class:`ValueTexts`.

    Empty results are written as 0, as Excel shows a formula that refers to an empty cell.
    """
    g = sheet.grid
    r, c = rows - 1, cols - 1
    kind = g.kind[r, c]
    num = g.num[r, c]
    t = np.full(len(rows), _NUMBER, dtype=np.int8)
    index = np.zeros(len(rows), dtype=np.int64)
    texts = [b"0", b"1"]                                # FALSE and TRUE
    boolean = kind == BOOL
    if boolean.any():
        t[boolean] = _BOOLEAN
        index[boolean] = num[boolean] != 0
    numeric = (kind == NUM) | (kind == EMPTY)
    if numeric.any():
        where, distinct = pd.factorize(np.where(kind[numeric] == EMPTY, 0.0, num[numeric]),
                                       use_na_sentinel=False)   # hashed, no sort; 0.0 and -0.0 are one, "0"
        index[numeric] = where + len(texts)
        texts += number_texts(distinct)
    inline_from = None
    for code, mask in ((_ERROR, kind == ERR), (_INLINE if values_only else _TEXT, kind == STR)):
        if mask.any():
            t[mask] = code
            where, distinct = pd.factorize(g.obj[r[mask], c[mask]])
            index[mask] = where + len(texts)
            if code == _INLINE:
                inline_from = len(texts)
            texts += [escape_markup(encode_xstring(str(o))).encode("utf-8") for o in distinct]
    return ValueTexts(t, index, texts, len(texts) if inline_from is None else inline_from)


def value_parts(sheet: Sheet, rows: np.ndarray, cols: np.ndarray, values_only: bool,
                close: bytes = b"") -> tuple[np.ndarray, np.ndarray]:
    """(type code, value XML + ``close``) for each cell (rows/cols 1-based); the code indexes
    :data:`_TYPE_ATTRS`, e.g. (_TEXT, b'<v>abc</v>'). See :func:`value_texts`."""
    values = value_texts(sheet, rows, cols, values_only)
    return values.t, values.parts(close)


def patch_sheet_xml(data: bytes, sheet: Sheet, values_only: bool, source: str | Path) -> bytes:
    """The sheet part with every formula cell's cached value filled (or its formula replaced)."""
    return b"".join(_patch(data, sheet, values_only, source))


def _patch(data: bytes, sheet: Sheet, values_only: bool, source: str | Path) -> Iterator[bytes]:
    """:func:`patch_pieces` of a part read again: cut fast when its formula cells are all in the
    usual layout, else tolerantly (pretty-printed, prefixed, attributes in another order)."""
    f = sheet.formulas
    try:
        pieces = CellPieces.from_split(FORMULA_CELL.split(data))
        if _lines_up(pieces, f):
            return patch_pieces(pieces, sheet, values_only, source)
        cut = cut_formula_cells(data)
    except ValueError as exc:
        raise WorkbookError(source, f"sheet {sheet.name}: {exc}; nothing was written") from exc
    return patch_pieces(cut.cells, sheet, values_only, source, cut)


def _lines_up(pieces: CellPieces, f) -> bool:
    """Whether the formula cells of ``pieces`` are those of the sheet, in the same order."""
    return lines_up(pieces, f.rows, f.cols)


def patch_pieces(pieces: CellPieces, sheet: Sheet, values_only: bool, source: str | Path,
                 cut: Cut | None = None) -> Iterator[bytes]:
    """The sheet part, given cut around its formula cells (by :data:`~ilt_xl.engine.sheet_scan.FORMULA_CELL`,
    or by the tolerant ``cut`` of a part in another layout), with every formula cell's cached value
    filled (or its formula replaced), as consecutive segments. Formula cells the engine kept (see
    :attr:`~ilt_xl.engine.workbook_model.FormulaCells.kept`) keep their cached value as it was.

    The formula cells appear in the part in the order the scanner listed them; their new values
    are worked out a segment (:data:`~ilt_xl.engine.cell_pieces.CHUNK` cells) at a time and joined
    in between the pieces, so memory stays that of one segment. The part is checked before the
    first segment is produced; ``source`` names the workbook in an error.
    """
    f = sheet.formulas
    n = len(f.rows)
    # a fresh cut (not the very one the formula cells were read from) must line up with them
    if pieces is not sheet.pieces and not _lines_up(pieces, f):
        raise WorkbookError(source, f"sheet {sheet.name}: {n} formula cells but {len(pieces)} could be patched "
                            "(unusual XML layout); nothing was written")
    # a kept cell without a cached value stays without one (not a made-up 0)
    kept_empty = (f.kept & (sheet.grid.kind[f.rows - 1, f.cols - 1] == EMPTY)
                  if f.kept is not None and not values_only else None)
    middles = _Middles(pieces.attrs.distinct)

    def cell_values(i: int, j: int) -> tuple[np.ndarray, list[bytes]]:
        t, v = value_parts(sheet, f.rows[i:j], f.cols[i:j], values_only, close=b"</c>")
        if kept_empty is not None:
            none = kept_empty[i:j]
            t[none], v[none] = _NUMBER, b"</c>"
        if cut is not None and cut.prefix:
            return t, [cut.prefixed(x) for x in v.tolist()]
        return t, v.tolist()

    arrays = f.array_refs.count(None) != n
    if (pieces is sheet.pieces and cut is None and not values_only and not arrays
            and _as_cached(pieces, sheet, kept_empty)):
        return SAME_AS_INPUT
    segments = _segments(pieces, values_only, cut, cell_values, middles)
    if arrays:
        return iter([_patch_array_areas(b"".join(segments), sheet, cut.prefix if cut is not None else b"")])
    return segments


class _Middles:
    """What goes between a formula cell's reference and its ``<f>``: its other attributes, the old
    t attribute replaced by the new one (``" s="3" t="str">``), made once per distinct pair."""

    def __init__(self, attrs: list[bytes]) -> None:
        self.attrs = attrs
        size = len(attrs) * len(_TYPE_ATTRS)
        self.table = np.empty(size, dtype=object)
        self.made = np.zeros(size, bool)

    def of(self, codes: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The middles of cells whose attributes are ``attrs[codes]`` and type codes ``t``."""
        keys = codes.astype(np.int64) * len(_TYPE_ATTRS) + t
        for k in np.unique(keys[~self.made[keys]]).tolist():
            a, code = divmod(k, len(_TYPE_ATTRS))
            self.table[k] = b'"' + _T_ATTR.sub(b"", self.attrs[a]) + _TYPE_ATTRS[code] + b">"
            self.made[k] = True
        return self.table[keys]


def _segments(pieces: CellPieces, values_only: bool, cut: Cut | None, cell_values, middles: _Middles) -> Iterator[bytes]:
    """The patched part, one segment of formula cells (and the text before each) at a time."""
    f_elements = np.array(pieces.f_elements.distinct or [b""], dtype=object)
    f_codes, attr_codes = pieces.f_elements.codes, pieces.attrs.codes
    for i, j, before, refs, _ in pieces.segments():
        m = j - i
        t, v = cell_values(i, j)
        # one join over interleaved pieces (slice assignments run in C): per cell
        # the text before it | <c r=" | reference | " attrs t> | <f> | <v>value</v></c>
        out: list[bytes] = [b""] * (6 * m)
        out[0::6] = before
        out[1::6] = cut.opens[i:j] if cut is not None else [b'<c r="'] * m
        out[2::6] = refs
        out[3::6] = middles.of(attr_codes[i:j], t).tolist()
        if not values_only:
            out[4::6] = f_elements[f_codes[i:j]].tolist()
        out[5::6] = v
        yield b"".join(out)
    yield pieces.tail


class _SameAsInput(tuple):
    """What :func:`patch_pieces` gives for a part whose formula cells all hold, as Excel cached
    them, the values computed: no segment, as the part read is the part to write."""


SAME_AS_INPUT = _SameAsInput()


_CHECKED_TOGETHER = 8       # segments whose values _as_cached works out at once


def _unchanged_type(attrs: bytes) -> int:
    """The type code with which a cell's attributes ``attrs`` are written as they are, -1 when none."""
    kept = _T_ATTR.sub(b"", attrs)
    return next((code for code, t in enumerate(_TYPE_ATTRS) if kept + t == attrs), -1)


def _as_cached(pieces: CellPieces, sheet: Sheet, kept_empty: np.ndarray | None) -> bool:
    """Whether each formula cell patched (its attributes and t, its ``<v>`` and ``</c>``) would be
    what the part holds already: a recalculated workbook saved by Excel mostly is (its cached
    values are right), and then the part need not be joined and deflated again. A few segments at
    a time, stopping at the first that differs. A cell as read has ``<v>text</v></c>``; as written,
    the same around the text of its value, or ``</c>`` alone (a kept cell without a value), which
    is never the cell as read."""
    if len(pieces) == 0 or pieces.no_value.any() or (kept_empty is not None and kept_empty.any()):
        return False
    f = sheet.formulas
    same_type = np.array([_unchanged_type(a) for a in pieces.attrs.distinct], dtype=np.int8)
    codes = pieces.attrs.codes
    bounds = pieces.bounds
    for k in range(0, len(pieces.sizes), _CHECKED_TOGETHER):
        last = min(k + _CHECKED_TOGETHER, len(pieces.sizes))
        i, j = int(bounds[k]), int(bounds[last])
        values = value_texts(sheet, f.rows[i:j], f.cols[i:j], False)
        if not (same_type[codes[i:j]] == values.t).all():
            return False
        if not pieces.values.items_are(k, last, values.index, values.texts):
            return False
    return True


_AREA_PATTERNS: dict[bytes, tuple] = {}


def _area_patterns(prefix: bytes) -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    """(any cell with a value or none, a row with its content, a row's start) in the part's prefix."""
    if prefix not in _AREA_PATTERNS:
        p = re.escape(prefix)
        _AREA_PATTERNS[prefix] = (
            re.compile(rb"<" + p + rb'c r="([A-Z]{1,3})([0-9]{1,7})"([^>]*?)(?:/>|>(?:<' + p + rb"v>[^<]*</" + p
                       + rb"v>|<" + p + rb"v\s*/>|<" + p + rb"is>.*?</" + p + rb"is>)?</" + p + rb"c>)", re.S),
            re.compile(rb"<" + p + rb'row r="([0-9]+)"[^>]*?(?:/>|>(.*?)</' + p + rb"row>)", re.S),
            re.compile(rb"<" + p + rb'c r="([A-Z]{1,3})[0-9]+"'))
    return _AREA_PATTERNS[prefix]


def _patch_array_areas(data: bytes, sheet: Sheet, prefix: bytes = b"") -> bytes:
    """Cells inside an array formula's area other than its anchor hold plain values: refresh the
    ones present and insert the missing ones (openpyxl writes the anchor cell only). One pass over
    the cells, one over the rows that miss cells, one to add missing rows: linear in the part."""
    f = sheet.formulas
    mask = np.zeros(sheet.grid.shape, bool)        # the grid spans every array area
    for ref in set(a for a in f.array_refs if a):
        r0, c0, r1, c1 = parse_area(ref)
        mask[r0 - 1:r1, c0 - 1:c1] = True
    mask[f.rows - 1, f.cols - 1] = False           # anchors are formula cells, patched already
    rows, cols = np.nonzero(mask)                  # row by row, columns ascending
    if len(rows) == 0:
        return data
    index = np.full(mask.shape, -1, np.int64)
    index[rows, cols] = np.arange(len(rows))
    rows, cols = rows + 1, cols + 1
    t, v = value_parts(sheet, rows, cols, True)
    done = np.zeros(len(rows), bool)
    cell_re, row_re, cell_start = _area_patterns(prefix)
    open_c, close_c = b"<" + prefix + b'c r="', b"</" + prefix + b"c>"

    def cell_xml(i: int) -> bytes:
        xml = open_c + f"{column_letter(int(cols[i]))}{int(rows[i])}".encode() + b'"' + _TYPE_ATTRS[t[i]] + b">"
        return xml + in_prefix(v[i], prefix) + close_c

    def refresh(m: re.Match) -> bytes:
        r, c = int(m.group(2)), column_index(m.group(1).decode())
        i = index[r - 1, c - 1] if r <= index.shape[0] and c <= index.shape[1] else -1
        if i < 0:
            return m.group(0)
        done[i] = True
        return (open_c + m.group(1) + m.group(2) + b'"' + _T_ATTR.sub(b"", m.group(3)) + _TYPE_ATTRS[t[i]] + b">"
                + in_prefix(v[i], prefix) + close_c)

    data = cell_re.sub(refresh, data)
    missing: dict[int, list[int]] = {}
    for i in np.flatnonzero(~done).tolist():
        missing.setdefault(int(rows[i]), []).append(i)
    if not missing:
        return data

    def fill_row(m: re.Match) -> bytes:
        idx = missing.pop(int(m.group(1)), None)
        if idx is None:
            return m.group(0)
        whole, body = m.group(0), m.group(2)
        if body is None:                           # <row r="5"/>
            return whole[:-2] + b">" + b"".join(map(cell_xml, idx)) + b"</" + prefix + b"row>"
        out, pos, k = [], 0, 0
        for cm in cell_start.finditer(body):       # merge the new cells in, by column
            if k == len(idx):
                break
            c = column_index(cm.group(1).decode())
            if cols[idx[k]] < c:
                out.append(body[pos:cm.start()])
                pos = cm.start()
                while k < len(idx) and cols[idx[k]] < c:
                    out.append(cell_xml(idx[k]))
                    k += 1
        out += [body[pos:], *map(cell_xml, idx[k:])]
        start, end = m.start(2) - m.start(0), m.end(2) - m.start(0)
        return whole[:start] + b"".join(out) + whole[end:]

    data = row_re.sub(fill_row, data)
    if not missing:
        return data
    new_rows = [(r, b"<" + prefix + f'row r="{r}">'.encode() + b"".join(map(cell_xml, missing[r]))
                 + b"</" + prefix + b"row>") for r in sorted(missing)]
    out, pos, k = [], 0, 0
    for m in re.finditer(b"<" + re.escape(prefix) + rb'row r="([0-9]+)"', data):   # rows that do not exist yet
        if k == len(new_rows):
            break
        r = int(m.group(1))
        if new_rows[k][0] < r:
            out.append(data[pos:m.start()])
            pos = m.start()
            while k < len(new_rows) and new_rows[k][0] < r:
                out.append(new_rows[k][1])
                k += 1
    rest = b"".join(x for _, x in new_rows[k:])
    tail = data[pos:]
    if rest:
        empty = b"<" + prefix + b"sheetData/>"
        if empty in tail:
            tail = tail.replace(empty, b"<" + prefix + b"sheetData>" + rest + b"</" + prefix + b"sheetData>", 1)
        else:
            end = tail.rfind(b"</" + prefix + b"sheetData>")
            tail = tail[:end] + rest + tail[end:]
    return b"".join(out) + tail




_BIG_PART = 1 << 20
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
                if segments is SAME_AS_INPUT:
                    if copy_compressed(zin, zout, info):
                        continue
                    segments = [package.read(info.filename)]
            else:
                data = package.read(info.filename)
                segments = [_drop_calc_chain(info.filename, data) if values_only else data]
            if info.compress_type == zipfile.ZIP_DEFLATED and info.file_size > _BIG_PART:
                # big parts are deflated fast, on every core; the bytes inside are what must not change
                write_deflated(zout, info, segments, level=1)
            else:
                zout.writestr(info, b"".join(segments), compress_type=info.compress_type)
