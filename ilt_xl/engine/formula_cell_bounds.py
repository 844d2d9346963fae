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

from ilt_xl.engine import cell_locator, cell_pieces
from ilt_xl.engine.byte_positions import (GT, LT, SLASH, CellBounds, between, holds, joined, positions, references,
                                         text_codes, words_of)
from ilt_xl.engine.cell_pieces import CellPieces

# after "<f", what the pattern takes: ">", a white-space character (\s) or "/"
_AFTER_F = np.zeros(256, bool)
_AFTER_F[[GT, SLASH, 32, 9, 10, 13, 11, 12]] = True
_V_PRESERVE = b'<v xml:space="preserve">'


@dataclass
class FormulaCellBounds(CellBounds):
    """:class:`~ilt_xl.engine.byte_positions.CellBounds` of formula cells. A cell's reference is
    ``span[starts + 6:ref_ends]``, its other attributes ``span[ref_ends + 1:f_starts - 1]``, its
    ``<f>`` element ``span[f_starts:f_ends]``, its cached value's text ``span[v_starts:v_ends]``
    (empty where ``no_value``: the cell has no ``<v>``). The compiled locator also groups the
    other attributes and the ``<f>`` elements over the span, as (codes, distinct texts) the way
    ``pd.factorize`` gives them (``attrs``, ``f_elements``); None where the numpy one located them."""

    ref_ends: np.ndarray
    f_starts: np.ndarray
    f_ends: np.ndarray
    v_starts: np.ndarray
    v_ends: np.ndarray
    no_value: np.ndarray
    attrs: tuple[np.ndarray, list[bytes]] | None = None
    f_elements: tuple[np.ndarray, list[bytes]] | None = None


def formula_cell_bounds(a: np.ndarray, n: int) -> FormulaCellBounds | None:
    """:class:`FormulaCellBounds` of the span whose ``n`` bytes begin :func:`~ilt_xl.engine.byte_positions.padded` array ``a``;
    None when the span holds a layout left to the pattern. Located by the compiled locator
    (:mod:`~ilt_xl.engine.cell_locator`) where it was built, else by :func:`numpy_formula_cell_bounds`."""
    if cell_locator.compiled is None:
        return numpy_formula_cell_bounds(a, n)
    found = cell_locator.compiled.formula_cells(a, n)
    if found is None:
        return None
    columns, attrs, f_elements = found
    (starts, ends, rows, cols, ref_ends, f_starts, f_ends, v_starts, v_ends, attr_codes,
     f_codes) = np.frombuffer(columns, np.int64).reshape(11, -1)
    return FormulaCellBounds(starts, ends, rows, cols, ref_ends, f_starts, f_ends, v_starts, v_ends,
                             v_starts == f_ends, (attr_codes, attrs), (f_codes, f_elements))


def numpy_formula_cell_bounds(a: np.ndarray, n: int) -> FormulaCellBounds | None:
    """:func:`formula_cell_bounds` by numpy passes over the span (the reference of the compiled locator)."""
    lt = positions(a, n, LT, 4)         # the next tags of the last cell are looked at
    f_rank = np.flatnonzero(a[lt + 1] == ord("f"))
    f_rank = f_rank[_AFTER_F[a[lt[f_rank] + 2]]]
    if not len(f_rank):
        return _empty()
    if f_rank[0] == 0:
        return None
    f_starts = lt[f_rank]
    starts = lt[f_rank - 1]
    words = words_of(a)
    gt = positions(a, n, GT, 1)
    # <c r="REF" ATTRS> right before <f: the first ">" after the cell's start is the one before <f
    ok = holds(words[starts], b'<c r="') & (gt[np.searchsorted(gt, starts)] == f_starts - 1)
    rows, cols, ref_ends, good_ref = references(a, starts + 6)
    ok &= good_ref
    # the <f> element: <f>TEXT</f>, <f ATTRS/> or <f ATTRS>TEXT</f>, with no "<" but its own
    tag_end = gt[np.searchsorted(gt, f_starts)]
    close_tag = lt[f_rank + 1]
    ok &= tag_end < close_tag
    closed = (a[tag_end - 1] == SLASH) & (tag_end - 1 >= f_starts + 2)
    ok &= closed | holds(words[close_tag], b"</f>")
    f_ends = np.where(closed, tag_end + 1, close_tag + 4)
    # the rank of the first "<" after <f>, which the checks below want at f_ends
    after = f_rank + 2 - closed
    # then <v>TEXT</v></c>, <v xml:space="preserve">TEXT</v></c> or </c> at once
    next_tag = words[f_ends]
    plain_v = holds(next_tag, b"<v>")
    preserve_v = holds(next_tag, _V_PRESERVE[:8])
    maybe = np.flatnonzero(preserve_v)
    preserve_v[maybe] = holds(words[f_ends[maybe] + 8], _V_PRESERVE[8:16]) & holds(
        words[f_ends[maybe] + 16], _V_PRESERVE[16:])
    no_value = ~(plain_v | preserve_v)
    v_close = lt[after + 1]
    ok &= np.where(no_value, holds(next_tag, b"</c>"), holds(words[v_close], b"</v></c>"))
    v_starts = np.where(no_value, f_ends, f_ends + np.where(preserve_v, len(_V_PRESERVE), 3))
    v_ends = np.where(no_value, f_ends, v_close)
    ends = np.where(no_value, f_ends + 4, v_close + 8)
    if not ok.all():
        return None
    return FormulaCellBounds(starts, ends, rows, cols, ref_ends, f_starts, f_ends, v_starts, v_ends, no_value)


def _empty() -> FormulaCellBounds:
    z = np.zeros(0, np.int64)
    return FormulaCellBounds(z, z, z, z, z, z, z, z, z, np.zeros(0, bool))


def add_to_pieces(pieces: CellPieces, a: np.ndarray, cells: FormulaCellBounds, head: bytes) -> None:
    """Append the span's formula cells to ``pieces``, a chunk at a time; ``head`` is what came
    before the span since the last formula cell (it begins the first cell's text before)."""
    words = words_of(a)
    chunk = cell_pieces.CHUNK
    for i in range(0, len(cells), chunk):
        c = slice(i, i + chunk)
        starts, ref_ends, f_starts, ends = cells.starts[c], cells.ref_ends[c], cells.f_starts[c], cells.ends[c]
        before = between(a, int(cells.ends[i - 1]) if i else 0, starts, ends)
        if cells.attrs is None:
            attrs = _coded(words, a, ref_ends + 1, f_starts - 1)
            f_elements = _coded(words, a, f_starts, cells.f_ends[c])
        else:           # the span's codes and distinct texts (Codes.append takes texts not in the chunk too)
            attrs, f_elements = (cells.attrs[0][c], cells.attrs[1]), (cells.f_elements[0][c], cells.f_elements[1])
        pieces.add_joined(head + before if i == 0 else before, joined(a, starts + 6, ref_ends),
                          joined(a, cells.v_starts[c], cells.v_ends[c]), cells.no_value[c], attrs, f_elements)


def _coded(words: np.ndarray, a: np.ndarray, starts: np.ndarray, ends: np.ndarray):
    """The texts as (codes, distinct) for :meth:`Codes.append`, else as a list of bytes."""
    coded = text_codes(words, a, starts, ends)
    return coded if coded is not None else joined(a, starts, ends).split(b"\0")
