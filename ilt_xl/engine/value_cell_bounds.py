"""Where the value cells of a span of sheet XML are, found with numpy over its bytes.

What is left of a part once its formula cells are cut out was split by a pattern (``_VALUE_CELL``
in :mod:`~ilt_xl.engine.sheet_scan`) into five pieces per value cell: 2.5 million cells of the
20,000-session example, a second of the load with the steps that then read the pieces. Here every
``<c r="`` of the span is classed at once, by the tags around it and their rank among the span's
``<``: a value cell the pattern takes (``<v>TEXT</v></c>``, ``<is><t>TEXT</t></is></c>``), or an
empty cell (``<c r="A1" s="2"/>``) the pattern leaves. A span holding any other ``<c r="`` (an
empty ``<c ...></c>``, a ``<`` in a start tag, a reference the pattern refuses, ...) gets None,
and the pattern decides it as before; in a span this accepts, the pattern matches exactly these cells.

A start tag is taken to end right before the next ``<``: no position of every ``>`` in the span is
needed. The pattern's ``[^>]*`` stops at the first ``>`` instead, so a span whose value cells hold a
``>`` in an attribute value (well-formed, but not what Excel writes) is left to the pattern too,
found among the cells' distinct attribute texts, which are grouped here for the typing anyway.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ilt_xl.engine import cell_locator
from ilt_xl.engine.byte_positions import (GT, LT, SLASH, CellBounds, holds, holds_at, joined, positions, references,
                                          text_codes, words_of)
from ilt_xl.engine.coded import factorize

_IS_PRESERVE = b'<is><t xml:space="preserve">'


@dataclass
class ValueCellBounds(CellBounds):
    """:class:`~ilt_xl.engine.byte_positions.CellBounds` of value cells. A cell's attributes other
    than r are ``span[ref_ends + 1:tag_ends]``, the text of its ``<v>`` or inline ``<t>``
    ``span[text_starts:text_ends]``; ``attributes`` groups those attribute texts: (each cell's code,
    the distinct texts in order of first appearance), as ``pd.factorize`` would."""

    ref_ends: np.ndarray
    tag_ends: np.ndarray
    text_starts: np.ndarray
    text_ends: np.ndarray
    attributes: tuple[np.ndarray, list[bytes]]


def value_cell_bounds(a: np.ndarray, n: int) -> ValueCellBounds | None:
    """:class:`ValueCellBounds` of the span whose ``n`` bytes begin
    :func:`~ilt_xl.engine.byte_positions.padded` array ``a``; None when the span holds a cell
    left to the pattern. Located by the compiled locator (:mod:`~ilt_xl.engine.cell_locator`)
    where it was built, else by :func:`numpy_value_cell_bounds`."""
    if cell_locator.compiled is None:
        return numpy_value_cell_bounds(a, n)
    found = cell_locator.compiled.value_cells(a, n)
    if found is None:
        return None
    columns, distinct = found
    *bounds, codes = np.frombuffer(columns, np.int64).reshape(9, -1)
    return ValueCellBounds(*bounds, (codes, distinct))


def numpy_value_cell_bounds(a: np.ndarray, n: int) -> ValueCellBounds | None:
    """:func:`value_cell_bounds` by numpy passes over the span (the reference of the compiled locator)."""
    lt = positions(a, n, LT, 4)         # the next tags of the last cell are looked at
    words = words_of(a)
    rank = np.flatnonzero(a[lt + 1] == ord("c"))
    rank = rank[holds(words[lt[rank]], b'<c r="')]
    starts = lt[rank]
    # the start tag runs to the next "<" (none in the tag), a ">" right before it (none in the tag: below)
    tag_ends = lt[rank + 1] - 1
    plain_tag = a[tag_ends] == GT
    rows, cols, ref_ends, good_ref = references(a, starts + 6)
    after = words[tag_ends + 1]
    v = holds(after, b"<v>")
    inline = holds(after, b"<is><t>")
    maybe = np.flatnonzero(holds(after, _IS_PRESERVE[:8]))
    preserve = np.zeros(len(rank), bool)
    preserve[maybe] = holds_at(words, tag_ends[maybe] + 9, _IS_PRESERVE[8:])
    # the text runs to the next "<", which must close the cell
    close = lt[rank + np.where(v, 2, 3)]
    v &= holds(words[close], b"</v></c>")
    text = inline | preserve
    text &= holds_at(words, close, b"</t></is></c>")
    value = (v | text) & good_ref & plain_tag
    empty = ~(v | inline | preserve) & plain_tag & (a[tag_ends - 1] == SLASH)
    if not (value | empty).all():
        return None
    which = np.flatnonzero(value)
    attributes = _attributes(words, a, ref_ends[which] + 1, tag_ends[which])
    if attributes is None:
        return None
    text_starts = tag_ends + 1 + np.where(v, 3, np.where(preserve, len(_IS_PRESERVE), 7))
    ends = close + np.where(v, 8, 13)
    return ValueCellBounds(starts[which], ends[which], rows[which], cols[which], ref_ends[which], tag_ends[which],
                           text_starts[which], close[which], attributes)


def _attributes(words: np.ndarray, a: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                ) -> tuple[np.ndarray, list[bytes]] | None:
    """The attribute texts ``span[starts:ends]`` grouped (codes, distinct texts); None when one
    holds a ``>``: the pattern ends the start tag there, so the cell is not what it takes."""
    if not len(starts):
        return np.zeros(0, np.int64), []
    coded = text_codes(words, a, starts, ends)
    if coded is None:           # two texts' numbers collide: grouped by their bytes
        codes, distinct = factorize(np.array(joined(a, starts, ends).split(b"\x00"), dtype=object))
        coded = codes, distinct.tolist()
    return None if any(b">" in text for text in coded[1]) else coded
