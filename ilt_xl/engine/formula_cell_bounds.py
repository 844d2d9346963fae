"""Where the formula cells of a span of sheet XML are, found with numpy over its bytes.

``FORMULA_CELL.split`` tried its pattern at each of the 3 million ``<c r="`` of the 20,000-session
example and made five bytes objects per formula cell, which the pieces then joined again: a
second of the load. Here the cells' pieces are located as byte positions: every ``<`` of the span
at once, then each ``<f`` and the tags around it by their rank among the ``<``, so a cell's pieces
are found by arithmetic on arrays, never one cell at a time. Only the layout Excel (and this
package) writes is taken, each check matching what the pattern demands; a span holding any other
(``<v/>``, a ``<`` where the pattern lets text be, a reference the pattern refuses, ...) gets None,
and the pattern decides it as before. In a span this accepts, the pattern matches exactly these
cells: each ``<f`` it could take is one checked here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ilt_xl.engine import cell_pieces
from ilt_xl.engine.cell_pieces import CellPieces

_LT, _GT, _SLASH, _QUOTE = 60, 62, 47, 34
# after "<f", what the pattern takes: ">", a white-space character (\s) or "/"
_AFTER_F = np.zeros(256, bool)
_AFTER_F[[_GT, _SLASH, 32, 9, 10, 13, 11, 12]] = True
_V_PRESERVE = b'<v xml:space="preserve">'
_PAD = 64           # zero bytes after the span, so that every look past a tag stays in the array


@dataclass
class FormulaCellBounds:
    """Byte positions (in the span) of its formula cells, in order, and their rows and columns
    (1-based). A cell is ``span[starts:ends]``; its reference ``span[starts + 6:ref_ends]``, its
    other attributes ``span[ref_ends + 1:f_starts - 1]``, its ``<f>`` element
    ``span[f_starts:f_ends]``, its cached value's text ``span[v_starts:v_ends]`` (empty where
    ``no_value``: the cell has no ``<v>``)."""

    starts: np.ndarray
    ref_ends: np.ndarray
    f_starts: np.ndarray
    f_ends: np.ndarray
    v_starts: np.ndarray
    v_ends: np.ndarray
    no_value: np.ndarray
    ends: np.ndarray
    rows: np.ndarray
    cols: np.ndarray

    def __len__(self) -> int:
        return len(self.starts)


def padded(span) -> np.ndarray:
    """The span's bytes as uint8, followed by :data:`_PAD` zero bytes."""
    out = np.zeros(len(span) + _PAD, np.uint8)
    out[:len(span)] = np.frombuffer(span, np.uint8)
    return out


def words_of(a: np.ndarray) -> np.ndarray:
    """The eight bytes at each position of :func:`padded` array ``a``, as one little-endian
    integer: a tag is compared with a text in one read."""
    return np.ndarray((len(a) - 7,), dtype="<u8", buffer=a, strides=(1,))


def _holds(word: np.ndarray, text: bytes) -> np.ndarray:
    """Whether each eight bytes read at a position (:func:`words_of`) begin with ``text`` (at most 8 bytes)."""
    mask = np.uint64((1 << 8 * len(text)) - 1)
    return (word & mask) == np.uint64(int.from_bytes(text, "little"))


def formula_cell_bounds(a: np.ndarray, n: int) -> FormulaCellBounds | None:
    """:class:`FormulaCellBounds` of the span whose ``n`` bytes begin :func:`padded` array ``a``;
    None when the span holds a layout left to the pattern."""
    lt = np.flatnonzero(a[:n] == _LT)
    # sentinel ranks past the last "<", so that looking at the next tags never runs out
    lt = np.concatenate([lt, np.full(4, n, lt.dtype)])
    f_rank = np.flatnonzero(a[lt + 1] == ord("f"))
    f_rank = f_rank[_AFTER_F[a[lt[f_rank] + 2]]]
    if not len(f_rank):
        return _empty()
    if f_rank[0] == 0:
        return None
    f_starts = lt[f_rank]
    starts = lt[f_rank - 1]
    words = words_of(a)
    gt = np.flatnonzero(a[:n] == _GT)
    gt = np.concatenate([gt, np.full(1, n, gt.dtype)])
    # <c r="REF" ATTRS> right before <f: the first ">" after the cell's start is the one before <f
    ok = _holds(words[starts], b'<c r="') & (gt[np.searchsorted(gt, starts)] == f_starts - 1)
    rows, cols, ref_ends, good_ref = _references(a, starts + 6)
    ok &= good_ref
    # the <f> element: <f>TEXT</f>, <f ATTRS/> or <f ATTRS>TEXT</f>, with no "<" but its own
    tag_end = gt[np.searchsorted(gt, f_starts)]
    close_tag = lt[f_rank + 1]
    ok &= tag_end < close_tag
    closed = (a[tag_end - 1] == _SLASH) & (tag_end - 1 >= f_starts + 2)
    ok &= closed | _holds(words[close_tag], b"</f>")
    f_ends = np.where(closed, tag_end + 1, close_tag + 4)
    # the rank of the first "<" after <f>, which the checks below want at f_ends
    after = f_rank + 2 - closed
    # then <v>TEXT</v></c>, <v xml:space="preserve">TEXT</v></c> or </c> at once
    next_tag = words[f_ends]
    plain_v = _holds(next_tag, b"<v>")
    preserve_v = _holds(next_tag, _V_PRESERVE[:8])
    maybe = np.flatnonzero(preserve_v)
    preserve_v[maybe] = _holds(words[f_ends[maybe] + 8], _V_PRESERVE[8:16]) & _holds(
        words[f_ends[maybe] + 16], _V_PRESERVE[16:])
    no_value = ~(plain_v | preserve_v)
    v_close = lt[after + 1]
    ok &= np.where(no_value, _holds(next_tag, b"</c>"), _holds(words[v_close], b"</v></c>"))
    v_starts = np.where(no_value, f_ends, f_ends + np.where(preserve_v, len(_V_PRESERVE), 3))
    v_ends = np.where(no_value, f_ends, v_close)
    ends = np.where(no_value, f_ends + 4, v_close + 8)
    if not ok.all():
        return None
    return FormulaCellBounds(starts, ref_ends, f_starts, f_ends, v_starts, v_ends, no_value, ends, rows, cols)


def _references(a: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns, the closing quote's position and whether each reference at ``at`` is one
    the pattern takes: one to three capitals, one to seven digits, then a quote."""
    letters = np.zeros(len(at), np.int64)
    cols = np.zeros(len(at), np.int64)
    going = np.ones(len(at), bool)
    for k in range(3):
        c = a[at + k]
        going &= (c - np.uint8(65)) < 26          # A-Z (the subtraction wraps below "A")
        cols = np.where(going, cols * 26 + c - 64, cols)
        letters += going
    rows = np.zeros(len(at), np.int64)
    digits = np.zeros(len(at), np.int64)
    going = np.ones(len(at), bool)
    for k in range(1, 11):
        d = a[at + k] - np.uint8(48)
        mine = k >= letters
        going &= ~mine | (d < 10)
        take = going & mine
        rows = np.where(take, rows * 10 + d, rows)
        digits += take
    ends = at + letters + digits
    good = (letters >= 1) & (digits >= 1) & (digits <= 7) & (a[ends] == _QUOTE)
    return rows, cols, ends, good


def _empty() -> FormulaCellBounds:
    z = np.zeros(0, np.int64)
    return FormulaCellBounds(z, z, z, z, z, z, np.zeros(0, bool), z, z, z)


def joined(a: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> bytes:
    """``b"\\0".join(span[s:e] for s, e in zip(starts, ends))`` by one gather (for short items)."""
    if not len(starts):
        return b""
    sizes = ends - starts + 1                   # each item and its separator
    at = np.cumsum(sizes) - sizes               # where each item goes
    index = np.arange(int(sizes.sum())) + np.repeat(starts - at, sizes)
    out = a[index]
    out[at + sizes - 1] = 0
    return out[:-1].tobytes()


def between(a: np.ndarray, first: int, starts: np.ndarray, ends: np.ndarray) -> bytes:
    """The texts before each item (the first from ``first``, each next from the end of the item
    before), NUL-joined: the span from ``first`` to the last item, items cut out and each but the
    last replaced by a NUL, by one mask (the texts are most of the bytes: no index per byte)."""
    m = len(starts)
    region = a[first:starts[-1]].copy()
    region[starts[:-1] - first] = 0
    runs = np.empty(2 * m - 1, np.int64)
    runs[0::2] = starts - np.concatenate([[first], ends[:-1]])
    runs[0:-1:2] += 1                           # the NUL standing for the item
    runs[1::2] = ends[:-1] - starts[:-1] - 1
    keep = np.zeros(2 * m - 1, bool)
    keep[0::2] = True
    return region[np.repeat(keep, runs)].tobytes()


_MASKS = np.array([(1 << 8 * k) - 1 for k in range(8)] + [(1 << 64) - 1], np.uint64)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_KEYED = 32         # bytes of a text read as numbers (Excel's <c> attributes and shared <f> fit)


def text_codes(words: np.ndarray, a: np.ndarray, starts: np.ndarray, ends: np.ndarray,
               ) -> tuple[np.ndarray, list[bytes]] | None:
    """``pd.factorize`` of the texts ``span[s:e]`` (codes in order of first appearance, the
    distinct texts), from their sizes and first :data:`_KEYED` bytes as numbers, checked against
    the first text of their code (byte for byte beyond those); None on the (unlikely) collision
    of two texts' numbers."""
    import pandas as pd
    sizes = ends - starts
    pieces = [words[starts + j] & _MASKS[np.clip(sizes - j, 0, 8)] for j in range(0, min(int(sizes.max()), _KEYED), 8)]
    key = sizes.astype(np.uint64)
    for piece in pieces:
        key = (key ^ piece) * _MIX
    longer = np.flatnonzero(sizes > _KEYED)
    for j in range(_KEYED, int(sizes.max()), 8):         # the rest of long texts (a master's formula)
        live = longer[sizes[longer] > j]
        key[live] = (key[live] ^ (words[starts[live] + j] & _MASKS[np.minimum(sizes[live] - j, 8)])) * _MIX
    codes, _ = pd.factorize(key)
    running = np.maximum.accumulate(codes)
    first = np.flatnonzero(np.concatenate([[True], running[1:] > running[:-1]]))
    same = sizes == sizes[first][codes]
    for piece in pieces:
        same &= piece == piece[first][codes]
    distinct = [a[s:e].tobytes() for s, e in zip(starts[first].tolist(), ends[first].tolist())]
    same[longer] &= np.array([a[s:e].tobytes() == distinct[k] for s, e, k in
                              zip(starts[longer].tolist(), ends[longer].tolist(), codes[longer].tolist())], bool)
    return (codes, distinct) if same.all() else None


def add_to_pieces(pieces: CellPieces, a: np.ndarray, cells: FormulaCellBounds, head: bytes) -> None:
    """Append the span's formula cells to ``pieces``, a chunk at a time; ``head`` is what came
    before the span since the last formula cell (it begins the first cell's text before)."""
    words = words_of(a)
    chunk = cell_pieces.CHUNK
    for i in range(0, len(cells), chunk):
        c = slice(i, i + chunk)
        starts, ref_ends, f_starts, ends = cells.starts[c], cells.ref_ends[c], cells.f_starts[c], cells.ends[c]
        before = between(a, int(cells.ends[i - 1]) if i else 0, starts, ends)
        attrs = _coded(words, a, ref_ends + 1, f_starts - 1)
        f_elements = _coded(words, a, f_starts, cells.f_ends[c])
        pieces.add_joined(head + before if i == 0 else before, joined(a, starts + 6, ref_ends),
                          joined(a, cells.v_starts[c], cells.v_ends[c]), cells.no_value[c], attrs, f_elements)


def _coded(words: np.ndarray, a: np.ndarray, starts: np.ndarray, ends: np.ndarray):
    """The texts as (codes, distinct) for :meth:`Codes.append`, else as a list of bytes."""
    coded = text_codes(words, a, starts, ends)
    return coded if coded is not None else joined(a, starts, ends).split(b"\0")
