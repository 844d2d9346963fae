"""Value cells located by byte positions (ilt_xl.engine.value_cell_bounds): in a span it takes,
exactly the skeleton, cells, attributes and texts the pattern's split gives; any other span is left
to the pattern (None). Checked on random rows of every cell form, plain and damaged."""
from __future__ import annotations

import random

import numpy as np
import pytest

from ilt_xl.engine import byte_positions
from ilt_xl.engine.byte_positions import padded
from ilt_xl.engine.sheet_scan import _cut_value_cells, _split_value_cells
from ilt_xl.engine.value_cell_bounds import value_cell_bounds

# what is left of a row once its formula cells are cut out (<_/> where they were)
PLAIN = [
    b'<c r="{r}" s="2"><v>{k}</v></c>',
    b'<c r="{r}" t="s"><v>{k}</v></c>',
    b'<c r="{r}" s="9" t="inlineStr"><is><t>S{k} &amp; co</t></is></c>',
    b'<c r="{r}" t="inlineStr"><is><t xml:space="preserve"> a{k} </t></is></c>',
    b'<c r="{r}" t="str"><v></v></c>',
    b'<c r="{r}" t="b"><v>1</v></c>',
    b'<c r="{r}" t="e"><v>#N/A</v></c>',
    b'<c r="{r}" s="12"/>',
    b'<c r="{r}"/>',
    b'<_/>',
    b'<c r="{r}" s="1" t="inlineStr" cm="1" vm="2" ph="1" a-long-attribute="past the keyed bytes"><is><t>x</t></is></c>',
    b'<c r="{r}"/><v>{k}</v></c>',                     # taken by the pattern too: attributes "/"
]
ODD = [
    b'<c r="{r}"></c>',
    b'<c r="{r}"><v/></c>',
    b'<c r="{r}"><v>1</v><extLst/></c>',
    b'<c r="{r}" x="<"><v>1</v></c>',
    b'<c r="a{k}"><v>1</v></c>',
    b'<c r="{r}"><is><t>1</t></is>',
    b'<c r="{r}"><is><r><t>rich</t></r></is></c>',
    b'<c r="{r}"><f>1</f><v/></c>',
    b'<c r="{r}"/><is><t>1</t></is>',
    b'<c r="{r}" x="a>b"><v>1</v></c>',            # the pattern's start tag ends at the first ">"
    b'<c r="{r}" s="1" x="&gt;>"><is><t>1</t></is></c>',
    b'<c r="{r}"/>\n',                              # pretty-printed: the ">" is not right before the next "<"
]


def _row(rng: random.Random, r: int, forms: list[bytes]) -> bytes:
    cells = [rng.choice(forms).replace(b"{r}", f"{'ABCDEF'[c % 6] * rng.choice([1, 2, 3])}{r}".encode())
             .replace(b"{k}", str(rng.randint(0, 12)).encode()) for c in range(rng.randint(0, 8))]
    return b'<row r="%d">' % r + b"".join(cells) + b"</row>"


def _both(span: bytes):
    a = padded(span)
    cells = value_cell_bounds(a, len(span))
    split = [], [], {}
    expected = _split_value_cells(memoryview(span), *split)
    if cells is None:
        return None, None
    cut = [], [], {}
    types, raw, codes = _cut_value_cells(a, len(span), cells, *cut)     # the distinct t attributes and each cell's code
    return (cut, (types if codes is None else types[codes], raw)), (split, expected)


def _assert_same(got, expected) -> None:
    (skeletons, refs, attributes), (types, raw) = got
    (skeletons2, refs2, attributes2), (types2, raw2) = expected
    assert skeletons == skeletons2
    assert [r.tolist() for r in refs[0]] == [r.tolist() for r in refs2[0]]
    assert list(attributes) == list(attributes2) and types.tolist() == types2.tolist() and raw.tolist() == raw2.tolist()


@pytest.mark.parametrize("seed", range(40))
def test_the_locator_finds_what_the_pattern_splits(seed):
    rng = random.Random(seed)
    odd = seed % 2 == 1
    forms = PLAIN + ([rng.choice(ODD)] if odd else [])
    span = b"".join(_row(rng, r, forms) for r in range(1, 40)) + b"<_/>"
    got, expected = _both(span)
    if got is None:
        assert odd, "a span of plain cells left to the pattern"
        return
    _assert_same(got, expected)


@pytest.mark.parametrize("span", [b"", b"<row/>", b'<c r="A1"><v>1</v></c>', b'<c r="A1"><v>1</v></c><c r="B1"/>',
                                  b'<row><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c></row>'])
def test_spans_of_cells_only_or_of_none_are_marked_as_the_pattern_marks_them(span):
    _assert_same(*_both(span))


@pytest.mark.parametrize("cell", [c.replace(b"{r}", b"B7").replace(b"{k}", b"3") for c in ODD])
def test_odd_layouts_are_left_to_the_pattern(cell):
    span = b'<row r="7">' + cell + b'<c r="C7"><v>1</v></c></row>'
    assert value_cell_bounds(padded(span), len(span)) is None


def test_an_empty_cell_with_a_gt_in_an_attribute_is_kept_in_the_skeleton_as_the_pattern_keeps_it():
    span = b'<row r="7"><c r="A7" x="a>b"/><c r="C7"><v>1</v></c></row>'
    _assert_same(*_both(span))


def test_attributes_whose_keys_collide_are_told_apart(monkeypatch):
    monkeypatch.setattr(byte_positions, "_MIX", np.uint64(0))          # every key the same
    span = b'<row r="1"><c r="A1" s="1"><v>1</v></c><c r="B1" s="2"><v>2</v></c><c r="C1" s="1"><v>3</v></c></row>'
    _assert_same(*_both(span))
