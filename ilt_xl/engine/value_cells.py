"""Value cells typed as they are read, a span of rows at a time.

The scanner cuts each value cell's ``t`` attribute and raw ``<v>`` (or inline) text out of the
sheet's XML. Held as one bytes object per cell until the grid was built, the 6 million value cells
of a 200,000-session planner's Allocation sheet took about 70 bytes each at the load's peak. Here
each span's cells are typed at once (vectorised by type, as the grid wants them): a kind code, a
number, and for text and errors a code into the sheet's distinct texts, which are decoded and held
once (a table's text columns repeat a few values over every row): 13 bytes a cell.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ilt_xl.engine import cell_locator
from ilt_xl.engine.byte_positions import as_positions, fixed_width, joined, text_codes, words_of
from ilt_xl.engine.coded import factorize
from ilt_xl.engine.values import BOOL, ERR, ERRORS, NUM, STR, Block, E_VALUE
from ilt_xl.xlsx import WorkbookError, column_letter
from ilt_xl.xlsx.xml_text import decode_xstring

_TIME_OF_DAY = re.compile(r"T?[0-9]{2}:")
_WIDTH_BYTES = 32       # a number's text (Excel writes at most 24 bytes), read at this width first
_WIDTH = f"S{_WIDTH_BYTES}"
# kind of a cell that holds a shared string's index (in ``num``) until the shared strings are at hand
SHARED_STRING = 5


def unescape_all(items: list[bytes]) -> list[str]:
    """XML texts (UTF-8 bytes with entities) as strings, with one decode (texts hold no NUL in XML).
    Line ends are normalised as an XML parser does before it reads entities: CR LF and a lone CR
    are LF (a formula typed in Excel as ``Table1[Purchase\r\n price]`` names the column
    ``Purchase\n price``); ``&#13;`` stays a CR."""
    import html
    if not items:
        return []
    joined = b"\x00".join(items).decode("utf-8")
    if "\r" in joined:
        joined = joined.replace("\r\n", "\n").replace("\r", "\n")
    texts = joined.split("\x00")
    return [html.unescape(t) if "&" in t else t for t in texts] if "&" in joined else texts


def decode_xstrings(texts: list[str]) -> list[str]:
    """:func:`~ilt_xl.xlsx.xml_text.decode_xstring` of many texts, with one look for an escape in all of them."""
    return [decode_xstring(t) for t in texts] if "_x" in "\x00".join(texts) else texts


class ListedTexts:
    """Cells' raw texts held as one bytes object each (the pattern's split, the careful path)."""

    def __init__(self, raw) -> None:
        self.raw = np.asarray(raw, dtype=object) if len(raw) else np.zeros(0, object)

    def __len__(self) -> int:
        return len(self.raw)

    def held(self) -> np.ndarray:
        """Whether each text is not empty."""
        return self.raw != b""

    def take(self, idx: np.ndarray) -> np.ndarray:
        """The texts of cells ``idx``, as bytes objects."""
        return self.raw[idx]

    def numbers(self, idx: np.ndarray) -> np.ndarray:
        """The texts of cells ``idx`` as a numpy bytes array, at :data:`_WIDTH_BYTES` unless a text
        fills it (then it may have been cut: 40 digits read as their first 32, 1.2E+31 for 1.2E+39),
        at the width of the longest."""
        texts = self.raw[idx].astype(_WIDTH)
        return self.raw[idx].astype("S") if (np.char.str_len(texts) == _WIDTH_BYTES).any() else texts

    def floats(self, idx: np.ndarray) -> np.ndarray:
        """The texts of cells ``idx`` read as numbers (float64), as numpy reads :meth:`numbers`
        (``ValueError`` for a text that is none)."""
        return self.numbers(idx).astype(np.float64)

    def factorize(self, idx: np.ndarray) -> tuple[np.ndarray, list[bytes]]:
        """``pd.factorize`` of the texts of cells ``idx``: codes, and the distinct texts in order."""
        codes, distinct = factorize(self.raw[idx])
        return codes, distinct.tolist()

    def tolist(self) -> list[bytes]:
        return self.raw.tolist()


class PositionedTexts(ListedTexts):
    """Cells' raw texts left where they are, ``span[starts[i]:ends[i]]`` in the
    :func:`~ilt_xl.engine.byte_positions.padded` array ``a`` of a span holding no NUL: numbers are
    read and texts grouped from the span's bytes, no bytes object per cell (2.5 million value cells
    on the 20,000-session example)."""

    def __init__(self, a: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
        self.a, self.starts, self.sizes = a, starts, ends - starts

    def __len__(self) -> int:
        return len(self.starts)

    def held(self) -> np.ndarray:
        return self.sizes > 0

    def take(self, idx: np.ndarray) -> np.ndarray:
        out = np.empty(len(idx), dtype=object)
        if len(idx):
            s = self.starts[idx]
            out[:] = joined(self.a, s, s + self.sizes[idx]).split(b"\x00")
        return out

    def numbers(self, idx: np.ndarray) -> np.ndarray:
        sizes = self.sizes[idx]
        longest = int(sizes.max()) if len(sizes) else 0
        width = _WIDTH_BYTES if longest < _WIDTH_BYTES else -(-longest // 8) * 8
        return fixed_width(words_of(self.a), self.starts[idx], sizes, width)

    def floats(self, idx: np.ndarray) -> np.ndarray:
        """:meth:`ListedTexts.floats`, read from the span by the compiled locator where it was built
        and every text is a plain decimal number (what Excel writes): exactly what numpy reads, without
        the texts copied out at a fixed width first; else as numpy reads them."""
        read = getattr(cell_locator.compiled, "numbers", None)
        if read is not None and len(idx):
            s = self.starts[idx]
            got = read(self.a, as_positions(s), as_positions(s + self.sizes[idx]))
            if got is not None:
                return np.frombuffer(got, np.float64)
        return super().floats(idx)

    def factorize(self, idx: np.ndarray) -> tuple[np.ndarray, list[bytes]]:
        s = self.starts[idx]
        if cell_locator.compiled is not None:
            codes, distinct = cell_locator.compiled.grouped(self.a, as_positions(s), as_positions(s + self.sizes[idx]))
            return np.frombuffer(codes, np.int64), distinct
        coded = text_codes(words_of(self.a), self.a, s, s + self.sizes[idx]) if len(idx) else None
        return coded if coded is not None else ListedTexts(self.take(idx)).factorize(np.arange(len(idx)))

    def tolist(self) -> list[bytes]:
        return self.take(np.arange(len(self))).tolist()


@dataclass
class TypedValues:
    """Typed cells (parallel arrays): ``kind`` (the engine's codes, or :data:`SHARED_STRING`),
    ``num`` (numbers, booleans as 1/0, shared-string indexes), ``code`` (into ``objects``, the
    distinct texts and errors; -1 for none)."""

    kind: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    num: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    code: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    objects: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.kind)


# how a cell is read, by its t attribute (as 9 bytes: what the typer compares)
_NUMBER, _SHARED, _STR, _INLINE, _BOOLEAN, _ERROR, _DATE, _OTHER = range(8)
_READING = {b"": _NUMBER, b"n": _NUMBER, b"s": _SHARED, b"str": _STR, b"inlineStr": _INLINE, b"b": _BOOLEAN,
            b"e": _ERROR, b"d": _DATE}


def _readings(types: np.ndarray) -> np.ndarray:
    """How each cell whose t attribute is in ``types`` (an ``S9`` array) is read (int8 codes)."""
    out = np.full(len(types), _OTHER, np.int8)
    for t, reading in _READING.items():
        out[types == t] = reading
    return out


class ValueTyper:
    """Types value cells a batch at a time into one :class:`TypedValues`, each distinct text
    decoded once over all batches."""

    def __init__(self, path, sheet: str, date1904: bool = False) -> None:
        self.path, self.sheet, self.date1904 = path, sheet, date1904
        self._code_of: dict = {}       # raw text (or ("e", raw) for an error) -> code
        self.objects: list = []
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        # a cell that cannot be typed is refused when the cells are asked for (finish), so that a
        # scan which then finds the part not well-formed says that instead
        self._problem: Exception | None = None

    def add(self, types, raw, codes: np.ndarray | None = None) -> None:
        """Type cells whose t attributes (b"" when absent) and raw texts are ``types`` and ``raw``
        (bytes objects, or :class:`ListedTexts`/:class:`PositionedTexts`). With ``codes``, ``types``
        are the distinct t attributes and each cell's is its code's: what a type makes of a cell is
        then worked out once per type, not by comparing every cell's (7 passes over 2.4 million
        9-byte texts on the 20,000-session example)."""
        texts = raw if isinstance(raw, ListedTexts) else ListedTexts(raw)
        n = len(texts)
        types = np.asarray(types, dtype="S9") if n else np.zeros(0, "S9")
        read = _readings(types)
        if codes is not None and n:
            read = read[codes]
        kind, num, code = np.zeros(n, np.int8), np.zeros(n, np.float64), np.full(n, -1, np.int32)
        # an empty <v></v> holds nothing (but for text: t="str" holds ""), as the careful path reads it
        held = texts.held() | (read == _STR) | (read == _INLINE) if n else np.zeros(0, bool)
        is_num, is_s = (read == _NUMBER) & held, (read == _SHARED) & held
        # numbers, and shared strings' indexes (looked up when the shared strings are at hand)
        for which, typed, read_as in ((is_num, NUM, texts.floats),
                                      (is_s, SHARED_STRING, lambda idx: texts.numbers(idx).astype(np.int64))):
            if which.any():
                idx = np.flatnonzero(which)
                try:
                    num[idx] = read_as(idx)
                    kind[idx] = typed
                except (ValueError, OverflowError) as exc:
                    self._problem = self._problem or (ValueError(exc) if typed == SHARED_STRING else WorkbookError(
                        self.path, f"sheet {self.sheet}: a number cell holds a non-number ({exc})"))
        is_text = (read == _INLINE) | (read == _STR)
        if is_text.any():
            idx = np.flatnonzero(is_text)
            local, distinct = texts.factorize(idx)
            kind[idx] = STR
            code[idx] = self._codes(distinct)[local]
        is_bool = (read == _BOOLEAN) & held
        if is_bool.any():
            idx = np.flatnonzero(is_bool)
            kind[idx] = BOOL
            num[idx] = np.isin(np.char.strip(texts.take(idx).astype("S")), (b"1", b"true"))
        # errors and ISO dates: few, one by one (other types are left empty, as Excel has no such cell)
        rest = np.flatnonzero(held & ~(is_num | is_s | is_text | is_bool))
        for i, v in zip(rest.tolist(), texts.take(rest).tolist()):
            if read[i] == _ERROR:
                kind[i], code[i] = ERR, self._error_code(v)
            elif read[i] == _DATE:
                kind[i], num[i] = NUM, iso_serial(unescape_all([v])[0], self.date1904)
        self._parts.append((kind, num, code))

    def _codes(self, distinct: list[bytes]) -> np.ndarray:
        known = self._code_of
        new = [t for t in distinct if t not in known]
        if new:
            for t, text in zip(new, decode_xstrings(unescape_all(new))):
                known[t] = len(self.objects)
                self.objects.append(text)
        return np.array([known[t] for t in distinct], dtype=np.int32)

    def _error_code(self, raw: bytes) -> int:
        key = ("e", raw)
        if key not in self._code_of:
            self._code_of[key] = len(self.objects)
            self.objects.append(ERRORS.get(unescape_all([raw])[0], E_VALUE))
        return self._code_of[key]

    def finish(self) -> TypedValues:
        if self._problem is not None:
            raise self._problem
        parts, self._parts = self._parts, []
        if not parts:
            return TypedValues(objects=self.objects)
        return TypedValues(*(np.concatenate([p[k] for p in parts]) for k in range(3)), self.objects)


def iso_serial(text: str, date1904: bool = False) -> float:
    """The serial of a t="d" cell's ISO 8601 text: a date or date-time in the workbook's date system
    (``date1904``), a time of day alone (``12:30:00``) as the fraction of a day it is."""
    text = text.strip()
    if _TIME_OF_DAY.match(text):
        import datetime as dt
        t = dt.time.fromisoformat(text.removeprefix("T"))
        return (t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6) / 86400
    from ilt_xl.core.serial_dates import DATE1904_OFFSET, to_serial
    return to_serial(text) - (DATE1904_OFFSET if date1904 else 0)


def type_values(types, raw, path, sheet: str, date1904: bool = False) -> TypedValues:
    """Cells typed as their t attributes (b"" when absent) say, from their raw texts."""
    typer = ValueTyper(path, sheet, date1904)
    typer.add(types, raw)
    return typer.finish()


def place_values(grid: Block, rows, cols, values: TypedValues, sst: list[str], path, sheet: str) -> None:
    """Write typed cells into ``grid`` (rows/cols 1-based); shared-string indexes are looked up in
    ``sst`` (an index it does not hold is refused, naming the cell). Each cell's place in the grid is
    worked out once, as a position in its rows one after the other (``np.put``), not from a row and a
    column array at each write; a kind every cell has is written without picking them first."""
    kind = values.kind
    at = np.asarray(rows, dtype=np.int64) - 1
    at *= grid.shape[1]
    at += np.asarray(cols, dtype=np.int64) - 1

    def cells(which: np.ndarray, column: np.ndarray) -> np.ndarray:
        return column if len(which) == len(column) else column[which]

    numeric = np.flatnonzero((kind == NUM) | (kind == BOOL))
    if len(numeric):
        where = cells(numeric, at)
        np.put(grid.kind, where, cells(numeric, kind))
        np.put(grid.num, where, cells(numeric, values.num))
    shared = np.flatnonzero(kind == SHARED_STRING)
    if len(shared):
        k = values.num[shared].astype(np.int64)
        if k.min() < 0 or k.max() >= len(sst):
            bad = shared[np.flatnonzero((k < 0) | (k >= len(sst)))[0]]
            raise WorkbookError(path, f"sheet {sheet}, cell {column_letter(int(np.asarray(cols)[bad]))}{int(np.asarray(rows)[bad])}: "
                                f"shared string {str(int(values.num[bad])).encode()!r} does not exist")
        sst_arr = np.empty(len(sst), dtype=object)
        sst_arr[:] = sst
        where = cells(shared, at)
        np.put(grid.kind, where, STR)
        np.put(grid.obj, where, sst_arr[k])
    coded = np.flatnonzero(values.code >= 0)
    if len(coded):
        objects = np.empty(len(values.objects), dtype=object)
        objects[:] = values.objects
        where = cells(coded, at)
        np.put(grid.kind, where, cells(coded, kind))
        np.put(grid.obj, where, objects[cells(coded, values.code)])
