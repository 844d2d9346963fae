"""Many positions in a span of sheet XML read at once with numpy: no Python object per position.

The span is held as a :func:`padded` array of its bytes, and read a byte or eight bytes (one
integer: :func:`words_of`) at a time at arrays of positions: tags compared with a text in one read
(:func:`holds`), cell references parsed (:func:`references`), texts between positions joined
(:func:`joined`, :func:`between`) or grouped by their bytes (:func:`text_codes`). What the
positions are is for the locators (:mod:`~ilt_xl.engine.formula_cell_bounds`) to say. Where the
compiled cell locator was built (:mod:`~ilt_xl.engine.cell_locator`), texts are cut out and put
together by it (:func:`joined`, :func:`between`, :func:`marked`), copies instead of gathers by index.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ilt_xl.engine import cell_locator
from ilt_xl.engine.coded import factorize

LT, GT, SLASH, QUOTE = 60, 62, 47, 34
_PAD = 64           # zero bytes after the span, so that every look past a tag stays in the array


@dataclass
class CellBounds:
    """Byte positions (in a span) of some of its cells, in order: cell ``i`` is
    ``span[starts[i]:ends[i]]``, at row ``rows[i]`` and column ``cols[i]`` (1-based)."""

    starts: np.ndarray
    ends: np.ndarray
    rows: np.ndarray
    cols: np.ndarray

    def __len__(self) -> int:
        return len(self.starts)


def positions(a: np.ndarray, n: int, byte: int, sentinels: int) -> np.ndarray:
    """Where ``byte`` is among the first ``n`` bytes of ``a``, then ``sentinels`` times ``n``: a
    rank a few past the last one still reads a position (past the span)."""
    at = np.flatnonzero(a[:n] == byte)
    return np.concatenate([at, np.full(sentinels, n, at.dtype)])


def padded(span) -> np.ndarray:
    """The span's bytes as uint8, followed by :data:`_PAD` zero bytes."""
    out = np.zeros(len(span) + _PAD, np.uint8)
    out[:len(span)] = np.frombuffer(span, np.uint8)
    return out


def words_of(a: np.ndarray) -> np.ndarray:
    """The eight bytes at each position of :func:`padded` array ``a``, as one little-endian
    integer: a tag is compared with a text in one read."""
    return np.ndarray((len(a) - 7,), dtype="<u8", buffer=a, strides=(1,))


def holds(word: np.ndarray, text: bytes) -> np.ndarray:
    """Whether each eight bytes read at a position (:func:`words_of`) begin with ``text`` (at most 8 bytes)."""
    mask = np.uint64((1 << 8 * len(text)) - 1)
    return (word & mask) == np.uint64(int.from_bytes(text, "little"))


def holds_at(words: np.ndarray, at: np.ndarray, text: bytes) -> np.ndarray:
    """Whether the span holds ``text`` (of any length) at each position of ``at``."""
    ok = holds(words[at], text[:8])
    for k in range(8, len(text), 8):
        ok &= holds(words[at + k], text[k:k + 8])
    return ok


def references(a: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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
    good = (letters >= 1) & (digits >= 1) & (digits <= 7) & (a[ends] == QUOTE)
    return rows, cols, ends, good


def as_positions(positions: np.ndarray) -> np.ndarray:
    """Positions as the compiled locator reads them: contiguous int64."""
    return np.ascontiguousarray(positions, np.int64)


def joined(a: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> bytes:
    """``b"\\0".join(span[s:e] for s, e in zip(starts, ends))`` by one gather (for short items)."""
    if cell_locator.compiled is not None:
        return cell_locator.compiled.joined(a, as_positions(starts), as_positions(ends))
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
    if cell_locator.compiled is not None:
        return cell_locator.compiled.between(a, first, as_positions(starts), as_positions(ends))
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
    sizes = ends - starts
    pieces = [words[starts + j] & _MASKS[np.clip(sizes - j, 0, 8)] for j in range(0, min(int(sizes.max()), _KEYED), 8)]
    key = sizes.astype(np.uint64)
    for piece in pieces:
        key = (key ^ piece) * _MIX
    longer = np.flatnonzero(sizes > _KEYED)
    for j in range(_KEYED, int(sizes.max()), 8):         # the rest of long texts (a master's formula)
        live = longer[sizes[longer] > j]
        key[live] = (key[live] ^ (words[starts[live] + j] & _MASKS[np.minimum(sizes[live] - j, 8)])) * _MIX
    codes, _ = factorize(key)
    running = np.maximum.accumulate(codes)
    first = np.flatnonzero(np.concatenate([[True], running[1:] > running[:-1]]))
    same = sizes == sizes[first][codes]
    for piece in pieces:
        same &= piece == piece[first][codes]
    distinct = [a[s:e].tobytes() for s, e in zip(starts[first].tolist(), ends[first].tolist())]
    same[longer] &= np.array([a[s:e].tobytes() == distinct[k] for s, e, k in
                              zip(starts[longer].tolist(), ends[longer].tolist(), codes[longer].tolist())], bool)
    return (codes, distinct) if same.all() else None


def fixed_width(words: np.ndarray, starts: np.ndarray, sizes: np.ndarray, width: int) -> np.ndarray:
    """The texts ``span[s:s + size]`` as a numpy bytes array of ``width`` (a multiple of 8, at least
    the longest size), read eight bytes at a time, each text's bytes past its size zero: what
    ``np.array([...], f"S{width}")`` of the texts gives, without a bytes object per text."""
    out = np.empty((len(starts), width // 8), "<u8")
    for j in range(0, width, 8):
        at = starts + j if j + 8 <= _PAD else np.where(sizes > j, starts + j, 0)    # no read past the padding
        out[:, j // 8] = words[at] & _MASKS[np.clip(sizes - j, 0, 8)]
    return out.view(f"S{width}").ravel()


def marked(a: np.ndarray, n: int, starts: np.ndarray, ends: np.ndarray, marker: bytes) -> bytes:
    """The span's ``n`` bytes with the items ``[starts, ends)`` cut out and ``marker`` where each
    run of them was (items one right after the other make one run); as the pattern's
    ``_marked``, a span of items only gives two markers. Each item is at least as long as ``marker``."""
    if cell_locator.compiled is not None:
        return cell_locator.compiled.marked(a, n, as_positions(starts), as_positions(ends), marker)
    if not len(starts):
        return a[:n].tobytes() or marker
    first = np.concatenate([[True], ends[:-1] != starts[1:]])
    last = np.concatenate([ends[:-1] != starts[1:], [True]])
    run_starts, run_ends = starts[first], ends[last]
    if run_starts[0] == 0 and run_ends[-1] == n and len(run_starts) == 1:
        return marker + marker
    size = len(marker)
    region = a[:n].copy()
    region[(run_starts[:, None] + np.arange(size)).ravel()] = np.tile(np.frombuffer(marker, np.uint8), len(run_starts))
    runs = np.empty(2 * len(run_starts) + 1, np.int64)
    runs[0] = run_starts[0] + size
    runs[2:-1:2] = run_starts[1:] - run_ends[:-1] + size
    runs[1::2] = run_ends - run_starts - size
    runs[-1] = n - run_ends[-1]
    keep = np.zeros(len(runs), bool)
    keep[0::2] = True
    return region[np.repeat(keep, runs)].tobytes()
