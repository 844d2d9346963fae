"""Scan a worksheet part's XML into cell arrays, keeping the cuts write-back needs.

The formula cells are cut out of the part by their byte positions, found with numpy
(:mod:`~ilt_xl.engine.formula_cell_bounds`), or by one regex split where the part's layout is one
the positions leave to it (the same cuts either way). The text left between them,
a fraction of the part when formulas dominate, is scanned for value cells and empty cells the
same way (:mod:`~ilt_xl.engine.value_cell_bounds`, or a second pattern). The
counts must add up to the number of ``<c>`` elements, otherwise the sheet goes through a safe
ElementTree parse, so no cell is ever skipped silently. The split pieces are kept: write-back
puts the new cached values between them without scanning the part a second time.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ilt_xl.engine.cell_pieces import CellPieces, NulInXml, PlainBudget
from ilt_xl.engine.coded import CodedValues, factorize
from ilt_xl.engine.byte_positions import marked, padded
from ilt_xl.engine.formula_cell_bounds import add_to_pieces, formula_cell_bounds
from ilt_xl.engine.scan_check import MARKER, around_damage, cell_markup_damage, hides_markup, plain_rows, text_doubt
from ilt_xl.engine.value_cell_bounds import ValueCellBounds, value_cell_bounds
from ilt_xl.engine.value_cells import PositionedTexts, TypedValues, ValueTyper, type_values, unescape_all
from ilt_xl.xlsx import WorkbookError, column_index, column_letter
from ilt_xl.xlsx.cells import MAX_COLUMNS, MAX_ROWS
from ilt_xl.xlsx.namespaces import NS_MAIN
from ilt_xl.xlsx.safezip import xml_damage
from ilt_xl.xlsx.xml_text import decode_xstring, string_item_text  # noqa: F401 (the engine's readers import them here)

# A formula cell with its optional cached value. FORMULA_CELL.split(part) gives the text before
# the first formula cell, then per cell: its reference (b"AB12"), the other attributes of <c>, the
# whole <f> element, the cached value's text (None when there is none) and the text up to the
# next formula cell (FIELDS pieces per cell). The cached <v> may carry xml:space="preserve" (text),
# no other attribute (so what the pattern lets through stays checkable: see scan_check). Possessive quantifiers (*+) spare the regex engine from
# backtracking through the attributes of every value cell it tries.
FORMULA_CELL = re.compile(
    rb'<c r="([A-Z]{1,3}+[0-9]{1,7}+)"([^>]*+)>'
    rb'(<f(?:>[^<]*+</f>|(?=[\s/])[^>]*?(?:/>|>[^<]*+</f>)))(?:<v(?: xml:space="preserve")?>([^<]*+)</v>|<v\s*/>)?</c>')
FIELDS = 5

_F_ELEMENT = re.compile(rb'<f([^>]*?)(?:/>|>([^<]*)</f>)')
_VALUE_CELL = re.compile(
    rb'<c r="([A-Z]{1,3}+[0-9]{1,7}+)"([^>]*+)><(?:v>([^<]*+)</v>|is><t(?: xml:space="preserve")?>([^<]*+)</t></is>)</c>')
# zero-width, so findall lists one shared empty string per cell instead of a copy of each
_EMPTY_CELL = re.compile(rb'<c (?=[^>]*/>)')
_EMPTY_CELL_LONG = re.compile(rb'<c [^>/]*>(?:<v\s*/>)?</c>')
_T_ATTR = re.compile(rb'\bt="(\w+)"')
_F_ATTR = re.compile(rb'\b(t|ref|si)="([^"]*)"')
_M = f"{{{NS_MAIN}}}"
# <row r="7" ... hidden="1">: rows hidden by hand or by a filter (SUBTOTAL's 1xx codes skip them)
_HIDDEN_ROW = re.compile(rb'<row\b(?=[^>]*\bhidden="(?:1|true)")[^>]*?\br="([0-9]+)"')
# an autoFilter filtering by some column: Excel then treats every hidden row of the sheet as
# filtered out, inside its range or not (SUBTOTAL's codes 1-11 leave them out too)
_ACTIVE_AUTO_FILTER = re.compile(rb'<autoFilter\b(?:[^>]*[^/>])?>(?:(?!</autoFilter>).)*?<filterColumn\b', re.S)


# Text in cells is OOXML's ST_Xstring: a character XML 1.0 cannot hold (control characters,
# U+FFFE/U+FFFF, lone surrogates) is written _xHHHH_, and an underscore that would read as the
# start of such an escape is itself escaped as _x005F_ (what Excel writes and reads).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ESCAPE_LOOKALIKE = re.compile("_(?=x[0-9A-Fa-f]{4}_)")


def encode_xstring(text: str) -> str:
    """``text`` as cell text XML can hold (before entity escaping)."""
    if "_x" in text:
        text = _ESCAPE_LOOKALIKE.sub("_x005F_", text)
    return _XML_ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


class SheetNotWellFormed(WorkbookError):
    """A worksheet part that is not well-formed XML; ``damage`` is the parser's complaint."""

    def __init__(self, path, sheet: str, damage: str) -> None:
        super().__init__(path, f"sheet {sheet} is damaged: its XML is not well-formed (parser says: {damage})")
        self.damage = damage


def unescape(b: bytes) -> str:
    """XML text (UTF-8 bytes with entities) as a string."""
    s = b.decode("utf-8")
    return html.unescape(s) if "&" in s else s


@dataclass
class ScannedCells:
    """Cells of one worksheet part as arrays: value cells and formula cells (rows/cols 1-based)."""

    v_rows: np.ndarray
    v_cols: np.ndarray
    v_values: TypedValues         # the value cells typed (their shared strings still indexes)
    f_rows: np.ndarray
    f_cols: np.ndarray
    # per formula cell, coded by the distinct <f> element it holds (a calculated column repeats one
    # element on every row), so what depends on the element is worked out once per element; the
    # three share their codes
    f_attrs: CodedValues          # per formula cell: t/ref/si of <f>
    f_texts: CodedValues          # per formula cell: the formula text ("" for shared dependents)
    f_array_refs: CodedValues     # per formula cell: the ref of an array formula, else None
    f_shared: np.ndarray          # per formula cell: part of a shared formula (bool)
    # the part cut around its formula cells (FORMULA_CELL, or its tolerant twin cut_formula_cells),
    # whose formula cells are exactly those above; None when the part still has to be cut for write-back
    pieces: CellPieces | None
    cut: Cut | None = None        # the tolerant cut whose pieces these are (careful path only)
    # the part's XML other than its cells (rows, autoFilter ...): small, searched for what
    # SUBTOTAL needs instead of the whole part
    around_cells: bytes = b""
    # whether the values Excel cached in the formula cells are among the value cells; the fast path
    # leaves them in the pieces (read only for the cells the engine keeps: see
    # workbook_model.load_cached_values), the careful path lists them with the value cells
    cached_in_values: bool = True
    # the formula texts with shared formulas expanded (workbook_model._expand_shared), where the
    # process that scanned the part worked them out (a load's helper: on its core); None: not yet
    f_texts_expanded: CodedValues | None = None

    @property
    def hidden_rows(self) -> np.ndarray:
        """Rows (1-based, sorted) hidden by hand or by a filter."""
        if b'hidden="' not in self.around_cells:      # what the pattern needs (a byte search: most sheets hide none)
            return np.zeros(0, np.int64)
        return np.array(sorted(int(r) for r in _HIDDEN_ROW.findall(self.around_cells)), dtype=np.int64)

    @property
    def filtering(self) -> bool:
        """Whether the sheet's autoFilter filters by some column (a table's filter is the table's;
        those of customSheetViews, which follow the sheet's own, are views', not the sheet's)."""
        views = self.around_cells.find(b"<customSheetViews")     # searched up to there (not a copy of it)
        return _ACTIVE_AUTO_FILTER.search(self.around_cells, 0, views if views >= 0 else len(self.around_cells)) is not None


def _formula_kinds(attrs: CodedValues) -> tuple[CodedValues, np.ndarray]:
    """Per formula cell: the ref of an array formula (else None) and whether it is shared, worked
    out once per distinct attribute set."""
    refs = [fa.get("ref") if fa.get("t") == "array" else None for fa in attrs.distinct]
    shared = np.array([fa.get("t") == "shared" for fa in attrs.distinct], dtype=bool)
    if not any(refs):       # no array formula (as usual): one code for every cell, no array of them
        return CodedValues(np.broadcast_to(np.int32(0), len(attrs)), [None]), shared[attrs.codes]
    return CodedValues(attrs.codes, refs), shared[attrs.codes]


def cell_refs(refs) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns (1-based int64 arrays) of A1 references such as ``b"AB12"``, worked out
    on the bytes of all references at once."""
    n = len(refs)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    packed = np.asarray(refs, dtype="S")       # as wide as the longest reference
    ascii_ = packed.view(np.uint8).reshape(n, packed.dtype.itemsize)
    rows, cols = np.zeros(n, np.int64), np.zeros(n, np.int64)
    for j in range(min(3, ascii_.shape[1])):   # up to three letters, A = 65
        b = ascii_[:, j].astype(np.int64)
        cols = np.where(b >= 65, cols * 26 + b - 64, cols)
    for j in range(1, ascii_.shape[1]):         # then the digits, 0 = 48
        b = ascii_[:, j].astype(np.int64)
        rows = np.where((b >= 48) & (b <= 57), rows * 10 + b - 48, rows)
    _refuse_off_grid(rows, cols)
    return rows, cols


def _refuse_off_grid(rows: np.ndarray, cols: np.ndarray) -> None:
    """``ValueError`` naming the first cell outside Excel's grid (row 0 included), which would
    otherwise wrap around to the far end of the engine's grid."""
    outside = (rows < 1) | (rows > MAX_ROWS) | (cols > MAX_COLUMNS)
    if outside.any():
        i = int(np.argmax(outside))
        raise ValueError(f"cell reference {column_letter(int(cols[i]))}{int(rows[i])} lies outside Excel's grid")


def cell_types(attrs: Sequence[bytes]) -> np.ndarray:
    """The t attribute (b"" when absent) of each cell whose attributes are ``attrs``, worked out
    once per distinct attribute text."""
    return _types_and_distinct(attrs)[0]


def _types_and_distinct(attrs: Sequence[bytes]) -> tuple[np.ndarray, list[bytes]]:
    """:func:`cell_types`, and the distinct attribute texts."""
    if not len(attrs):
        return np.zeros(0, object), []
    codes, distinct = factorize(np.asarray(attrs, dtype=object))
    distinct = distinct.tolist()
    return _t_attributes(distinct)[codes], distinct


def _t_attributes(attrs: list[bytes]) -> np.ndarray:
    """The t attribute (b"" when absent) in each of the attribute texts ``attrs``."""
    return np.array([(m.group(1) if (m := _T_ATTR.search(a)) else b"") for a in attrs], dtype=object)


def cached_values(pieces: CellPieces, which: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The values Excel cached in the formula cells ``which`` (their order in ``pieces``): (whether
    each holds one, its t attribute, its raw ``<v>`` text). ``<v/>`` holds none; ``<v></v>``
    holds empty text when t="str"."""
    values = pieces.cached(which)
    codes = pieces.attrs.codes[np.asarray(which, dtype=np.int64)]
    types = cell_types(pieces.attrs.distinct)[codes] if len(codes) else np.zeros(0, object)
    held = np.fromiter(map(bool, values), bool, len(values))
    empty_text = np.flatnonzero(~held & (types == b"str")).tolist()
    held[empty_text] = [values[i] is not None for i in empty_text]
    raw = np.empty(len(values), dtype=object)
    raw[:] = values
    return held, types, raw


def _formula_fields(pieces: CellPieces) -> tuple[np.ndarray, list[dict], list[str]]:
    """(codes, attributes, texts) of the ``<f>`` elements of the formula cells, each distinct
    element parsed once: a calculated column repeats one element on every row."""
    uniq = pieces.f_elements.distinct
    matches = [_F_ELEMENT.match(u) for u in uniq]
    attrs = [{k.decode(): x.decode() for k, x in _F_ATTR.findall(m.group(1))} for m in matches]
    texts = unescape_all([m.group(2) or b"" for m in matches])
    return pieces.f_elements.codes, attrs, texts


_SPAN = 1 << 24      # bytes of sheet XML split at a time
_LOCATE_SPAN = 1 << 20      # bytes whose formula cells are located at a time (formula_cell_bounds)


def _row_spans(data: bytes, start: int, end: int, size: int | None = None) -> Iterator[tuple[int, int]]:
    """(from, to) spans covering ``data[start:end]``, each about ``size`` (:data:`_SPAN`) bytes
    and cut just before a ``<row`` tag, so that no cell is cut in two."""
    size = _SPAN if size is None else size
    while start < end:
        cut = data.find(b"<row", start + size, end) if start + size < end else -1
        cut = end if cut < 0 else cut
        yield start, cut
        start = cut


def _spans(data: bytes | Iterable[bytes], size: int | None = None) -> Iterator[bytes]:
    """The part in spans cut just before a ``<row`` tag: views of ``data`` of about ``size``
    bytes when it is whole, else its chunks regrouped."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        yield from (memoryview(data)[a:b] for a, b in _row_spans(data, 0, len(data), size))
        return
    carry = b""
    for chunk in data:
        last = chunk.rfind(b"<row")
        if last > 0 or (last == 0 and carry):
            # the last "<row" of carry + chunk is the chunk's: one copy of the chunk, not two
            yield b"".join((carry, memoryview(chunk)[:last])) if carry else chunk[:last]
            carry = chunk[last:]
            continue
        carry += chunk
        cut = carry.rfind(b"<row")
        if cut > 0:
            yield carry[:cut]
            carry = carry[cut:]
    yield carry


def _split_formula_cells(data: bytes | Iterable[bytes], budget: PlainBudget | None = None,
                         ) -> tuple[CellPieces, np.ndarray, np.ndarray, bool]:
    """``FORMULA_CELL.split(data)``, a span of rows at a time, as :class:`CellPieces` (column by
    column, never a list of every cell's pieces), the rows and columns of the formula cells, and
    whether the part's bytes leave a doubt on its texts (:func:`~ilt_xl.engine.scan_check.text_doubt`)."""
    pieces = CellPieces(budget)
    pending: list[bytes] = []       # the text before a formula cell may cross spans
    rows, cols = [], []
    whole = isinstance(data, (bytes, bytearray, memoryview))
    doubt = text_doubt(bytes(data)) if whole else False
    for large in _spans(data, _LOCATE_SPAN) if whole else _spans(data):
        if not whole:
            doubt = doubt or text_doubt(large)
        # a megabyte at a time: the positions of its tags (8 bytes each) stay small beside the pieces
        for span in [large] if whole else _spans(large, _LOCATE_SPAN):
            pending = _split_span(span, pieces, pending, rows, cols)
    pieces.finish(data if not rows and isinstance(data, bytes) else b"".join(pending))
    if not rows:
        return pieces, np.zeros(0, np.int64), np.zeros(0, np.int64), doubt
    return pieces, np.concatenate(rows), np.concatenate(cols), doubt


def _split_span(span: bytes | memoryview, pieces: CellPieces, pending: list[bytes], rows: list, cols: list,
                ) -> list[bytes]:
    """Cut the formula cells of ``span`` into ``pieces`` (their rows and columns onto ``rows`` and
    ``cols``), ``pending`` holding the text since the last formula cell; gives the text pending after."""
    a = padded(span)
    # a NUL (not XML) goes the pattern's way, which refuses it
    cells = formula_cell_bounds(a, len(span)) if a[:len(span)].all() else None
    if cells is not None:
        if not len(cells):
            return [*pending, bytes(span)]
        _refuse_off_grid(cells.rows, cells.cols)
        rows.append(cells.rows)
        cols.append(cells.cols)
        add_to_pieces(pieces, a, cells, b"".join(pending))
        return [bytes(span[cells.ends[-1]:])]
    del a
    part = FORMULA_CELL.split(span)
    if len(part) == 1:
        return [*pending, part[0]]
    refs = part[1::FIELDS]
    r, c = cell_refs(refs)
    rows.append(r)
    cols.append(c)
    pieces.add([b"".join([*pending, part[0]]), *part[FIELDS:-1:FIELDS]], refs, part[2::FIELDS], part[3::FIELDS],
               part[4::FIELDS])
    return [part[-1]]


def _around_formula_cells(pieces: CellPieces, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """``pieces.without_formula_cells(MARKER)`` from ``start`` to ``end`` (where sheetData's start
    tag is in the first piece, its end tag in the tail) as (text, from, to): a chunk's texts before
    its formula cells at a time, then the tail. No cell crosses from one to the next."""
    if not len(pieces):
        yield pieces.tail, start, end
        return
    for k in range(len(pieces.sizes)):
        text = pieces.before.joined_chunk(k, MARKER) + MARKER
        yield text, start if k == 0 else 0, len(text)
    yield pieces.tail, 0, end


def _marked(between: list[bytes]) -> bytes:
    """The texts between cells cut out, joined with one :data:`~ilt_xl.engine.scan_check.MARKER`
    where each run of cells was (consecutive cells leave empty texts between them)."""
    inner = MARKER.join([b for b in between if b])
    return (MARKER if not between[0] else b"") + inner + (MARKER if len(between) > 1 and not between[-1] else b"")


def _cells_accounted(skeleton: bytes) -> bool:
    """Whether the ``<c>`` elements left in sheetData once the value cells are cut out are all
    empty cells (``<c r="A1" s="2"/>``, ``<c r="A1"></c>``)."""
    n_cells = skeleton.count(b"<c")
    n_empty = len(_EMPTY_CELL.findall(skeleton))
    # each <c> start matches at most one pattern, so cells left over can only be <c ...></c>
    if n_empty != n_cells and b"></c>" in skeleton:
        n_empty += len(_EMPTY_CELL_LONG.findall(skeleton))
    # every cell starts with "<c"; so may a few rich-text elements (<color ...>), whose cells then
    # are left over and go the careful way
    return n_empty == n_cells


def _split_value_cells(span: memoryview, skeletons: list, refs: list, attributes: dict) -> tuple[np.ndarray, np.ndarray]:
    """The value cells of ``span`` cut by the pattern: the skeleton, rows and columns, and distinct
    attributes appended; gives their t attributes and raw texts."""
    cut = _VALUE_CELL.split(span)    # text between, then per cell: r, attributes, <v>, inline
    skeletons.append(_marked(cut[0::5]))
    refs.append(tuple(r.astype(np.int32) for r in cell_refs(cut[1::5])))
    span_types, distinct = _types_and_distinct(cut[2::5])
    attributes.update(dict.fromkeys(distinct))
    raw = np.empty(len(cut) // 5, dtype=object)
    raw[:] = [v if v is not None else t for v, t in zip(cut[3::5], cut[4::5])]    # whichever the cell holds
    return span_types, raw


def _cut_value_cells(a: np.ndarray, n: int, cells: ValueCellBounds, skeletons: list, refs: list,
                     attributes: dict) -> tuple[np.ndarray, PositionedTexts, np.ndarray | None]:
    """:func:`_split_value_cells` from the cells' positions in the span (:func:`value_cell_bounds`);
    the raw texts are left in the span (:class:`~ilt_xl.engine.value_cells.PositionedTexts`), and
    the t attributes given as the distinct ones and each cell's code (None: one per cell)."""
    skeletons.append(marked(a, n, cells.starts, cells.ends, MARKER))
    _refuse_off_grid(cells.rows, cells.cols)
    refs.append((cells.rows.astype(np.int32), cells.cols.astype(np.int32)))
    raw = PositionedTexts(a, cells.text_starts, cells.text_ends)
    if not len(cells):
        return np.zeros(0, object), raw, None
    codes, distinct = cells.attributes
    attributes.update(dict.fromkeys(distinct))
    return _t_attributes(distinct), raw, codes


def scan_sheet_xml(data: bytes, path, sheet: str, read_again: Callable[[], bytes] | None = None,
                   chunks_again: Callable[[], Iterable[bytes]] | None = None,
                   budget: PlainBudget | None = None, date1904: bool = False) -> ScannedCells:
    """Scan the worksheet part of ``sheet`` (of the workbook at ``path``) into :class:`ScannedCells`;
    falls back to ElementTree when needed (and so refuses a part that is not well-formed). DTDs
    were refused when the package was opened.

    With ``read_again`` (which gives the part's bytes again) the part is let go once it is cut into
    pieces, which hold a copy of it: for a caller that keeps no reference of its own, a 100 MB
    part is then not held twice while its cells are read; the careful path reads it again. With
    ``read_again``, ``data`` may also be the part's bytes in consecutive chunks (an iterator), so
    the part is never whole in memory (a 200,000-row table's is 500 MB).

    A part that is not well-formed XML is refused (:class:`SheetNotWellFormed`), checked as
    :mod:`ilt_xl.engine.scan_check` says: the cells cut out by pattern through their free texts
    and distinct attributes, what is left by expat; a part those checks leave in doubt is parsed
    by expat whole, from ``chunks_again`` (the part's chunks again) when given. The pieces kept
    for write-back are held plain within ``budget`` (shared by the workbook's sheets), deflated beyond.
    ``date1904``: the workbook counts dates from 1904 (t="d" cells are typed in its system)."""
    def careful() -> ScannedCells:
        return _scan_sheet_xml_slow(read_again() if read_again is not None else data, path, sheet, budget, date1904)

    try:
        pieces, f_rows, f_cols, doubt = _split_formula_cells(data, budget)
    except NulInXml:        # not XML: the careful path says where
        return careful()
    if len(pieces) and read_again is not None:
        del data
    head, tail = pieces.head, pieces.tail      # without formula cells, the tail is the whole part
    start = head.find(b"<sheetData")
    if start < 0 or (len(pieces) and b"</sheetData>" not in tail):
        # namespace-prefixed elements, or a formula-like cell outside sheetData: the careful path
        return careful()
    end = tail.rfind(b"</sheetData>")
    end = len(tail) if end < (0 if len(pieces) else start) else end
    # The value cells, in the text around the formula cells (a MARKER where each was), a chunk of
    # the pieces at a time and a few thousand rows at a time within it: that text was joined whole
    # (280 MB for the 200,000-session Allocation sheet), its cells cut all at once took 700 MB.
    # Each span's cells are typed at once (value_cells), so no bytes object per cell outlives its span.
    skeletons, refs, attributes = [], [], {}
    typer = ValueTyper(path, sheet, date1904)
    for text, a0, b0 in _around_formula_cells(pieces, start, end):
        # the cells' texts are cut apart at NULs: a NUL in the text (not XML) goes the pattern's way
        nul = b"\x00" in text
        for a, b in _row_spans(text, a0, b0, _LOCATE_SPAN):
            span = memoryview(text)[a:b]
            bytes_ = padded(span)
            cells = None if nul else value_cell_bounds(bytes_, len(span))
            if cells is None:
                (span_types, raw), codes = _split_value_cells(span, skeletons, refs, attributes), None
            else:
                span_types, raw, codes = _cut_value_cells(bytes_, len(span), cells, skeletons, refs, attributes)
            del bytes_
            typer.add(span_types, raw, codes)
            del raw, span_types, codes
    skeleton = b"".join(skeletons)
    plain = plain_rows(skeleton)      # then every cell left is an empty one, and expat may skip the rows
    if not plain and not _cells_accounted(skeleton):
        return careful()
    around = head[:start] + skeleton + tail[end:]
    rows_end = start + len(skeleton)
    del skeleton, skeletons
    if hides_markup(around):
        # cells cut out of a comment or processing instruction are none: XML decides what is a cell
        return careful()
    if (doubt or around_damage(around, start, plain, rows_end)
            or cell_markup_damage(around, [*attributes, *pieces.attrs.distinct], pieces.f_elements.distinct)):
        # what the checks could not vouch for, expat decides on the whole part
        damage = xml_damage(chunks_again() if chunks_again is not None
                            else read_again() if read_again is not None else data)
        if damage:
            raise SheetNotWellFormed(path, sheet, damage)
    v_rows, v_cols = (np.concatenate([r[k] for r in refs]) for k in (0, 1))
    del refs
    codes, f_attrs, f_texts = _formula_fields(pieces)
    attrs = CodedValues(codes, f_attrs)
    f_array_refs, f_shared = _formula_kinds(attrs)
    return ScannedCells(
        v_rows=v_rows, v_cols=v_cols, v_values=typer.finish(),
        f_rows=f_rows, f_cols=f_cols,
        f_attrs=attrs, f_texts=CodedValues(codes, f_texts),
        f_array_refs=f_array_refs, f_shared=f_shared, pieces=pieces, around_cells=around, cached_in_values=False,
    )


def _scan_sheet_xml_slow(data: bytes, path, sheet: str, budget: PlainBudget | None = None,
                         date1904: bool = False) -> ScannedCells:
    """ElementTree path for sheets the fast scanner cannot account for (rich text, cells without r...)."""
    import defusedxml.ElementTree as safe_et
    try:
        root = safe_et.fromstring(data, forbid_dtd=True)
    except Exception as exc:
        raise SheetNotWellFormed(path, sheet, str(exc)) from exc
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
                    raise WorkbookError(path, f"sheet {sheet}: bad cell reference {ref!r}")
                col, r_c = column_index(m.group(1)), int(m.group(2))
            else:
                col, r_c = next_col, r
            next_col = col + 1
            f, v, is_ = c.find(f"{ns}f"), c.find(f"{ns}v"), c.find(f"{ns}is")
            if f is not None:
                fr.append(r_c); fc.append(col)
                fa.append({k: f.get(k) for k in ("t", "ref", "si") if f.get(k) is not None})
                ft.append(f.text or "")
            if (v is not None and (v.text or c.get("t") == "str")) or (f is None and is_ is not None):
                t = (c.get("t") or "").encode()
                vr.append(r_c); vc.append(col); vt.append(t)
                if is_ is not None:     # raw XML text, as the fast path gives it (typing decodes it once)
                    vraw.append(html.escape(encode_xstring(string_item_text(is_, ns)), quote=False).encode())
                    vt[-1] = b"inlineStr"
                else:
                    vraw.append(html.escape(v.text or "", quote=False).encode())
    for rows, cols in ((vr, vc), (fr, fc)):
        _refuse_off_grid(np.array(rows, np.int64), np.array(cols, np.int64))
    cut = None
    if fr:
        try:
            cut = cut_formula_cells(data, budget)
        except ValueError:
            pass            # write-back names the problem if it ever comes to writing this part
        if cut is not None and not lines_up(cut.cells, np.array(fr, np.int64), np.array(fc, np.int64)):
            cut = None      # write-back cuts the part again, and refuses it if still not lined up
    return ScannedCells(np.array(vr, np.int64), np.array(vc, np.int64), type_values(vt, vraw, path, sheet, date1904),
                        np.array(fr, np.int64), np.array(fc, np.int64), CodedValues.of(fa), CodedValues.of(ft),
                        *_formula_kinds(CodedValues.of(fa)), pieces=cut.cells if cut else None, cut=cut,
                        around_cells=data)


@dataclass
class Cut:
    """A worksheet part cut around its formula cells like ``FORMULA_CELL.split`` cuts it, for parts
    in any layout Excel reads (pretty-printed, namespace-prefixed, attributes in any order or
    quoting). ``opens`` holds per cell what comes before its reference (``<x:c s="3" r="``) and
    ``prefix`` the namespace prefix of the cell elements (``b"x:"``, or ``b""``)."""

    cells: CellPieces
    opens: list[bytes]
    prefix: bytes

    def prefixed(self, xml: bytes) -> bytes:
        """``xml`` written by write-back (``<v>..</v></c>``, ``<is><t>..``) in this part's prefix."""
        return in_prefix(xml, self.prefix)


def in_prefix(xml: bytes, prefix: bytes) -> bytes:
    """Cell XML written by write-back (``<v>..</v></c>``, ``<is><t>..``) with the elements in
    ``prefix`` (``b"x:"``); unchanged for ``b""``."""
    return _OWN_ELEMENT.sub(b"<\\1" + prefix + b"\\2", xml) if prefix else xml


_OWN_ELEMENT = re.compile(rb"<(/?)(v|is|t|c)(?=[\s/>])")
_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet[\s>]")
_ATTRIBUTE = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def lines_up(pieces: CellPieces, rows: np.ndarray, cols: np.ndarray) -> bool:
    """Whether the formula cells of ``pieces`` are those at ``rows``/``cols`` (1-based), in that order."""
    if len(pieces) != len(rows):
        return False
    for i, j, _, refs, _ in pieces.segments():
        r, c = cell_refs(refs)
        if not (np.array_equal(r, rows[i:j]) and np.array_equal(c, cols[i:j])):
            return False
    return True


def cut_formula_cells(data: bytes, budget: PlainBudget | None = None) -> Cut:
    """:class:`Cut` of a worksheet part; ``ValueError`` when a formula cell has no reference."""
    root = _ROOT.search(data)
    prefix = root.group(1) + b":" if root and root.group(1) else b""
    p = re.escape(prefix)
    # a comment, processing instruction or CDATA section is matched whole, so no cell is seen in it
    cell = re.compile(rb"<!--.*?-->|<\?.*?\?>|<!\[CDATA\[.*?\]\]>|<" + p + rb"c(?=[\s/>])([^>]*?)(?:/>|>(.*?)</" + p
                      + rb"c\s*>)", re.S)
    f_el = re.compile(rb"<" + p + rb"f(?=[\s/>])[^>]*?(?:/>|>(?:[^<]|<!\[CDATA\[.*?\]\]>)*</" + p + rb"f\s*>)", re.S)
    v_el = re.compile(rb"<" + p + rb"v(?:\s[^>]*)?>([^<]*)</" + p + rb"v\s*>")
    pieces: list = []
    opens: list[bytes] = []
    last = 0
    for m in cell.finditer(data):
        if m.group(0).startswith((b"<!", b"<?")):
            continue
        body = m.group(2)
        fm = f_el.search(body) if body else None
        if fm is None:
            continue
        attrs = [(k, a if a or not b else b.replace(b'"', b"&quot;")) for k, a, b in _ATTRIBUTE.findall(m.group(1))]
        ref = next((a for k, a in attrs if k == b"r"), None)
        if ref is None:
            raise ValueError(f"a formula cell without a reference (r attribute) near byte {m.start()}")
        vm = v_el.search(body)
        pieces += [data[last:m.start()], ref.strip(), b"".join(b" " + k + b'="' + a + b'"' for k, a in attrs if k != b"r"),
                   fm.group(0), vm.group(1) if vm else None]
        opens.append(b"<" + prefix + b'c r="')
        last = m.end()
    pieces.append(data[last:])
    return Cut(CellPieces.from_split(pieces, budget=budget), opens, prefix)
