"""A worksheet part cut around its formula cells, held column by column.

``FORMULA_CELL.split`` gives five pieces per formula cell (reference, other attributes, ``<f>``,
cached value, the text up to the next formula cell). Kept as a list, the 8 million formula cells
of a 200,000-session planner were 40 million list slots and 16 million bytes objects (over 1 GB,
most of it object headers). Here each kind of piece is a column: the attributes and the ``<f>``
elements (a few distinct texts repeated on every row) as integer codes, the references, cached
values and the text before each cell as NUL-joined chunks (XML holds no NUL character), which
``bytes.split`` cuts apart again, a chunk at a time, at C speed. Write-back works chunk by chunk,
so no list of every cell's pieces is ever built.
"""
from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from ilt_xl.engine.coded import code_type, factorize

CHUNK = 10_000       # formula cells per chunk: write-back's segment
# bytes held as they are, over every column of every sheet of a workbook (a PlainBudget); chunks
# beyond are deflated. The 20,000-session example's pieces (about 72 MB) all stay plain.
PLAIN_BYTES = 96 << 20
_NUL = b"\x00"


class PlainBudget:
    """How many more bytes of pieces may be held plain; shared by the columns of every sheet of a
    workbook (:func:`~ilt_xl.engine.sheet_scan.scan_sheet_xml`), so that a large workbook holds
    :data:`PLAIN_BYTES` plain in all, not that much per column of each sheet."""

    def __init__(self) -> None:
        self.left = PLAIN_BYTES

    def take(self, size: int) -> bool:
        """Whether ``size`` more bytes may stay plain (and if so, they are counted)."""
        if size > self.left:
            return False
        self.left -= size
        return True


class NulInXml(ValueError):
    """The part holds a NUL character: not XML (and the pieces could not be told apart)."""


class ByteColumn:
    """Many short byte strings (one per formula cell, none holding NUL) as NUL-joined chunks.

    Once its :class:`PlainBudget` is spent, chunks are kept deflated (zlib level 1, a sixth of
    the size of sheet XML): a 200,000-session planner's text between formula cells is hundreds of
    megabytes, while a 20,000-session one's pieces stay plain and cost no time."""

    def __init__(self, budget: PlainBudget | None = None) -> None:
        self.chunks: list[bytes] = []
        self.packed: list[bool] = []
        self.budget = budget if budget is not None else PlainBudget()

    def append_chunk(self, items: list[bytes]) -> None:
        self.append_joined(_NUL.join(items), len(items))

    def append_joined(self, chunk: bytes, n: int) -> None:
        """Append ``n`` items already NUL-joined."""
        if chunk.count(_NUL) != n - 1:
            raise NulInXml("the sheet's XML holds a NUL character")
        pack = not self.budget.take(len(chunk))
        self.chunks.append(zlib.compress(chunk, 1) if pack else chunk)
        self.packed.append(pack)

    def _bytes(self, k: int) -> bytes:
        return zlib.decompress(self.chunks[k]) if self.packed[k] else self.chunks[k]

    def chunk(self, k: int) -> list[bytes]:
        return self._bytes(k).split(_NUL)

    def items_are(self, first: int, last: int, index: np.ndarray, texts: list[bytes]) -> bool:
        """Whether the items of chunks ``first`` to ``last`` (excluded) are ``texts[index[0]]``,
        ``texts[index[1]]``... (one comparison of two strings: equal NUL-joined strings mean equal
        items, as no item holds NUL)."""
        read = _NUL.join(self._bytes(k) for k in range(first, last))
        return read == _NUL.join(np.array(texts, dtype=object)[index].tolist())

    def joined_chunk(self, k: int, separator: bytes) -> bytes:
        """The items of chunk ``k`` joined by ``separator``."""
        return self._bytes(k).replace(_NUL, separator)

    def joined(self, separator: bytes = b"") -> bytes:
        """Every item, one after the other, ``separator`` between them."""
        return separator.join(self._bytes(k).replace(_NUL, separator) for k in range(len(self.chunks)))


class Codes:
    """Byte strings repeated many times (a calculated column's ``<f>``, a style's attributes) as a
    code per cell (one byte while there are at most 256) into the distinct texts, held once."""

    def __init__(self) -> None:
        self.distinct: list[bytes] = []
        self._code_of: dict[bytes, int] = {}
        self._codes: list[np.ndarray] = []
        self.codes = np.zeros(0, np.int32)

    def append(self, items: list[bytes] | tuple[np.ndarray, list[bytes]]) -> None:
        """Append cells given as their texts, or as (codes, the distinct texts) as ``pd.factorize`` gives them."""
        if isinstance(items, tuple):
            local, uniq = items
        else:
            local, uniq = factorize(np.asarray(items, dtype=object))
            uniq = uniq.tolist()
        known = self._code_of
        ids = np.array([known.setdefault(u, len(known)) for u in uniq], dtype=np.int32)
        self._codes.append(ids[local] if len(local) else np.zeros(0, np.int32))

    def finish(self) -> None:
        self.distinct = list(self._code_of)
        self.codes = np.zeros(sum(map(len, self._codes)), code_type(len(self.distinct)))
        at = 0
        for part in self._codes:
            self.codes[at:at + len(part)] = part
            at += len(part)
        self._codes = []


@dataclass
class CellPieces:
    """The part's text around and of its formula cells. Cell ``i`` is, in the part,
    ``before[i] <c r="refs[i]" attrs[i]> f_elements[i] <v>values[i]</v></c>``; ``tail`` follows
    the last one. ``no_value`` marks the cells without a cached ``<v>`` (``<v/>`` or none at all),
    whose ``values`` item is empty. Chunk ``k`` of every column holds the same cells. The byte
    columns share ``budget`` (by default one of their own)."""

    budget: PlainBudget | None = field(default=None, repr=False)
    before: ByteColumn = field(init=False)
    refs: ByteColumn = field(init=False)
    values: ByteColumn = field(init=False)
    attrs: Codes = field(default_factory=Codes)
    f_elements: Codes = field(default_factory=Codes)
    tail: bytes = b""
    no_value: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))   # cells per chunk
    _no_value: list = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        budget = self.budget if self.budget is not None else PlainBudget()
        self.before, self.refs, self.values = ByteColumn(budget), ByteColumn(budget), ByteColumn(budget)
        self.budget = None      # the columns hold it

    def add(self, before: list[bytes], refs: list[bytes], attrs: list[bytes], f_elements: list[bytes],
            values: list[bytes | None]) -> None:
        """Append consecutive formula cells, given as the fields of a ``FORMULA_CELL`` split."""
        for a in range(0, len(refs), CHUNK):
            b = a + CHUNK
            vs = values[a:b]
            none = np.zeros(len(vs), bool)
            if vs.count(None):
                held = np.asarray(vs, dtype=object)
                none = np.equal(held, None)
                held[none] = b""
                vs = held.tolist()
            self._no_value.append(none)
            self.before.append_chunk(before[a:b])
            self.refs.append_chunk(refs[a:b])
            self.values.append_chunk(vs)
            self.attrs.append(attrs[a:b])
            self.f_elements.append(f_elements[a:b])

    def add_joined(self, before: bytes, refs: bytes, values: bytes, no_value: np.ndarray,
                   attrs, f_elements) -> None:
        """Append one chunk (at most :data:`CHUNK` consecutive formula cells) whose byte columns are
        already NUL-joined; ``values`` holds an empty item where ``no_value``; ``attrs`` and
        ``f_elements`` as :meth:`Codes.append` takes them."""
        n = len(no_value)
        self._no_value.append(no_value)
        self.before.append_joined(before, n)
        self.refs.append_joined(refs, n)
        self.values.append_joined(values, n)
        self.attrs.append(attrs)
        self.f_elements.append(f_elements)

    def finish(self, tail: bytes) -> CellPieces:
        self.tail = tail
        self.attrs.finish()
        self.f_elements.finish()
        self.sizes = np.array([len(x) for x in self._no_value], dtype=np.int64)
        self.no_value = np.concatenate(self._no_value) if self._no_value else np.zeros(0, bool)
        self._no_value = []
        return self

    @classmethod
    def from_split(cls, parts: list[bytes], fields: int = 5, budget: PlainBudget | None = None) -> CellPieces:
        """From a whole ``FORMULA_CELL.split`` (or a tolerant cut laid out alike)."""
        pieces = cls(budget)
        pieces.add([parts[0], *parts[fields:-1:fields]], parts[1::fields], parts[2::fields], parts[3::fields],
                   parts[4::fields])
        return pieces.finish(parts[-1])

    def __len__(self) -> int:
        return len(self.no_value)

    @property
    def bounds(self) -> np.ndarray:
        """The first cell of each chunk, then the number of cells."""
        return np.concatenate([[0], np.cumsum(self.sizes)]).astype(np.int64)

    @property
    def head(self) -> bytes:
        """The text before the first formula cell."""
        return self.before._bytes(0).split(_NUL, 1)[0] if self.before.chunks else self.tail

    def without_formula_cells(self, marker: bytes = b"") -> bytes:
        """The part with every formula cell (and its cached value) cut out, ``marker`` in its place."""
        return self.before.joined(marker) + marker + self.tail

    def cached(self, which: np.ndarray) -> list[bytes | None]:
        """The ``<v>`` text of the cells ``which`` (None where there is none), read chunk by chunk."""
        which = np.asarray(which, dtype=np.int64)
        out: list[bytes | None] = [None] * len(which)
        if not len(which):
            return out
        bounds = self.bounds
        chunk_of = np.searchsorted(bounds, which, side="right") - 1
        order = np.argsort(chunk_of, kind="stable")
        sorted_chunks = chunk_of[order]
        cut = np.flatnonzero(np.diff(sorted_chunks)) + 1
        for group in np.split(order, cut):
            k = int(chunk_of[group[0]])
            items = self.values.chunk(k)
            for j, i in zip(group.tolist(), (which[group] - bounds[k]).tolist()):
                out[j] = items[i]
        for j in np.flatnonzero(self.no_value[which]).tolist():
            out[j] = None
        return out

    def segments(self) -> Iterator[tuple[int, int, list[bytes], list[bytes], list[bytes]]]:
        """Per chunk: (first cell, end, befores, refs, cached values)."""
        bounds = self.bounds
        for k in range(len(self.sizes)):
            yield int(bounds[k]), int(bounds[k + 1]), self.before.chunk(k), self.refs.chunk(k), self.values.chunk(k)
