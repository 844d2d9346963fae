"""Formula cells located by byte positions (ilt_xl.engine.formula_cell_bounds): in a span it takes,
exactly the cells, pieces, rows and columns FORMULA_CELL.split gives; any other span is left to the
pattern (None). Checked on random rows of every cell form, plain and damaged."""
from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from ilt_xl.engine import cell_pieces
from ilt_xl.engine.cell_pieces import CellPieces
from ilt_xl.engine.byte_positions import padded
from ilt_xl.engine.formula_cell_bounds import add_to_pieces, formula_cell_bounds
from ilt_xl.engine.sheet_scan import FIELDS, FORMULA_CELL, cell_refs

# cells the locator takes (Excel's layout and this package's), then ones it leaves to the pattern
PLAIN = [
    b'<c r="{r}" s="3"><f>A1*2</f><v>2</v></c>',
    b'<c r="{r}"><f t="shared" si="{k}"/><v>1.5</v></c>',
    b'<c r="{r}" s="1" t="str"><f t="shared" ref="A1:A9" si="{k}">"a"&amp;B1</f><v></v></c>',
    b'<c r="{r}"><f t="shared" si="{k}"/></c>',
    b'<c r="{r}" t="str"><f>"x"</f><v xml:space="preserve"> x </v></c>',
    b'<c r="{r}"><f\tt="array" ref="{r}:{r}">SUM(A1:A{k})+LEN("a long formula text, past the keyed bytes")</f><v>3</v></c>',
    b'<c r="{r}"><f/></c>',
    b'<c r="{r}" s="2"><v>{k}</v></c>',
    b'<c r="{r}" s="2"/>',
    b'<c r="{r}" t="inlineStr"><is><t>f&gt;</t></is></c>',
    b'<c r="{r}"><fo>1</fo></c>',                      # not an <f> element: neither takes it
]
ODD = [
    b'<c r="{r}"><f>1</f><v/></c>',                    # <v/>: the pattern takes it, the locator does not
    b'<c r="{r}" x=">"><f>1</f></c>',                    # a ">" in an attribute: not a formula cell for the pattern
    b'<c r="{r}"><f>1<!-- c --></f></c>',
    b'<c r="{r}"><f>1<xy></c>',
    b'<c r="{r}"><f>1</f>x</c>',
    b'<c r="{r}"><f>1</f><v>1</v><v>2</v></c>',
    b'<c r="a{k}"><f>1</f></c>',
    b'<c r="ABCD1"><f>1</f></c>',
    b'<c  r="{r}"><f>1</f></c>',
    b'<c r="{r}"><f x="1"><v>1</v></c>',
    b'<c r="{r}"><f t="shared" si="1"/ ></c>',
    b'<c r="{r}"><f>1</f></c',
    b'<c r="{r}" t="x<"><f>1</f></c>',
    b'<c r="{r}"><f a="/>"/></c>',
    b'<c r="{r}"><f a="<"/></c>',                       # the pattern takes it (and expat refuses it)
]


def _row(rng: random.Random, r: int, forms: list[bytes]) -> bytes:
    cells = []
    for col in range(1, rng.randint(1, 8)):
        ref = f"{'ABCDEF'[col % 6] * rng.choice([1, 1, 2, 3])}{r}".encode()     # within XFD
        cells.append(rng.choice(forms).replace(b"{r}", ref).replace(b"{k}", str(rng.randint(0, 12)).encode()))
    return b'<row r="%d">' % r + b"".join(cells) + b"</row>"


def _split_pieces(span: bytes) -> list:
    """The pattern's split as pieces (what the locator's pieces must equal)."""
    part = FORMULA_CELL.split(span)
    p = CellPieces()
    if len(part) > 1:
        p.add([part[0], *part[FIELDS:-1:FIELDS]], part[1::FIELDS], part[2::FIELDS], part[3::FIELDS], part[4::FIELDS])
    p.finish(part[-1])
    return part, p


def _same(p: CellPieces, q: CellPieces) -> None:
    assert p.before.chunks == q.before.chunks and p.refs.chunks == q.refs.chunks and p.values.chunks == q.values.chunks
    assert p.attrs.distinct == q.attrs.distinct and p.attrs.codes.tolist() == q.attrs.codes.tolist()
    assert p.f_elements.distinct == q.f_elements.distinct and p.f_elements.codes.tolist() == q.f_elements.codes.tolist()
    assert p.no_value.tolist() == q.no_value.tolist() and p.sizes.tolist() == q.sizes.tolist()


@pytest.mark.parametrize("seed", range(40))
def test_the_locator_finds_what_the_pattern_splits(monkeypatch, seed):
    monkeypatch.setattr(cell_pieces, "CHUNK", 7)
    rng = random.Random(seed)
    odd = seed % 2 == 1
    forms = PLAIN + ([rng.choice(ODD)] if odd else [])
    span = b"<sheetData>" + b"".join(_row(rng, r, forms) for r in range(1, 60)) + b"</sheetData></worksheet>"
    a = padded(span)
    cells = formula_cell_bounds(a, len(span))
    part, expected = _split_pieces(span)
    if cells is None:
        assert odd, "a span of plain cells left to the pattern"
        return
    assert len(cells) == len(part) // FIELDS
    got = CellPieces()
    if len(cells):
        add_to_pieces(got, a, cells, b"")
        assert span[cells.ends[-1]:] == part[-1]
        rows, cols = cell_refs(part[1::FIELDS])
        assert cells.rows.tolist() == rows.tolist() and cells.cols.tolist() == cols.tolist()
    got.finish(part[-1])
    _same(got, expected)


@pytest.mark.parametrize("cell", [c.replace(b"{r}", b"B7").replace(b"{k}", b"3") for c in ODD])
def test_odd_layouts_are_left_to_the_pattern(cell):
    span = b'<sheetData><row r="7">' + cell + b'<c r="C7"><f>1</f></c></row></sheetData></worksheet>'
    assert formula_cell_bounds(padded(span), len(span)) is None


def test_texts_whose_keys_collide_are_left_to_factorize(monkeypatch):
    """Distinct texts given one key are told apart byte for byte (the codes fall back to the texts)."""
    from ilt_xl.engine import byte_positions as bounds
    span = (b'<sheetData><row r="1"><c r="A1" s="1"><f>1</f></c><c r="B1" s="2"><f>1</f></c>'
            b'<c r="C1" s="1"><f>1</f></c></row></sheetData></worksheet>' + b" " * 40)
    a = padded(span)
    cells = formula_cell_bounds(a, len(span))
    words = bounds.words_of(a)
    assert bounds.text_codes(words, a, cells.ref_ends + 1, cells.f_starts - 1)[1] == [b' s="1"', b' s="2"']
    monkeypatch.setattr(bounds, "_MIX", np.uint64(0))          # every key the same
    assert bounds.text_codes(words, a, cells.ref_ends + 1, cells.f_starts - 1) is None
    got = CellPieces()
    add_to_pieces(got, a, cells, b"")
    got.finish(span[cells.ends[-1]:])
    _same(got, _split_pieces(span)[1])


@pytest.mark.parametrize("mix", [None, 0], ids=["keys", "every key the same"])
def test_long_texts_are_told_apart_beyond_their_keyed_bytes(monkeypatch, mix):
    """Texts longer than the bytes read into their key (a master's formula) are compared with the
    first of their code to the last byte: the codes are pd.factorize's, or None where keys collide."""
    from ilt_xl.engine import byte_positions as bounds
    if mix is not None:
        monkeypatch.setattr(bounds, "_MIX", np.uint64(mix))
    rng = np.random.default_rng(7)
    base = b"SUMIFS(Rates[Amount],Rates[Id],[@RoomId],Rates[ValidFrom],[@StartDate])"
    for _ in range(200):
        texts = []
        one_size = int(rng.integers(33, len(base))) if rng.random() < 0.5 else None    # told apart past 32 bytes only
        for _ in range(int(rng.integers(1, 30))):
            size = one_size or int(rng.integers(0, len(base)))
            t = bytearray(base[:size])
            if size and rng.random() < 0.3:         # one byte changed, often past the keyed 32
                t[int(rng.integers(32 if one_size else 0, size))] = int(rng.integers(65, 91))
            texts.append(bytes(t))
        span = b"|".join(texts)
        ends = np.cumsum([len(t) + 1 for t in texts]) - 1
        starts = ends - np.array([len(t) for t in texts])
        a = padded(span)
        got = bounds.text_codes(bounds.words_of(a), a, starts, ends)
        codes, distinct = pd.factorize(np.array(texts, dtype=object))
        if mix is None or len(set(texts)) == 1:
            assert got is not None and got[0].tolist() == codes.tolist() and got[1] == list(distinct)
        else:
            assert got is None
