"""The compiled cell locator (ilt_xl/engine/_cell_locator.c) against the numpy locators, its
reference: on every span of every worksheet of the shared Excel workbooks and of the committed
ones, and on generated spans cut at every byte, the same bounds (every array, its dtype), the same
grouped texts, the same None for a span left to the pattern. Where a C compiler is at hand the
extension must have been built (CI must not measure the fallback unnoticed), and a scan forced onto
the numpy locators reads the same cells. Write-back's number texts (writeback.number_texts) are the
Python ones, repr's, on the workbooks' numbers and on edges and random doubles."""
from __future__ import annotations

import dataclasses
import re
import shutil
import sysconfig
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from ilt_xl.engine import cell_locator
from ilt_xl.engine.byte_positions import between, joined, marked, padded
from ilt_xl.engine import sheet_scan
from ilt_xl.engine.scan_check import around_damage, hides_markup, plain_rows, text_doubt
from ilt_xl.engine.formula_cell_bounds import formula_cell_bounds, numpy_formula_cell_bounds
from ilt_xl.engine.value_cells import PositionedTexts
from ilt_xl.engine.sheet_scan import _LOCATE_SPAN, _around_formula_cells, _cells_accounted, _row_spans, _spans, \
    _split_formula_cells, scan_sheet_xml
from ilt_xl.engine.value_cell_bounds import numpy_value_cell_bounds, value_cell_bounds
from ilt_xl.engine.writeback import python_number_texts
from ilt_xl.xlsx import WorkbookError
from ilt_xl.xlsx.safezip import xml_damage
from tests.engine.conformance import corpus_files, corpus_folder

ROOT = Path(__file__).resolve().parents[2]
FOLDER = corpus_folder()
WORKBOOKS = sorted(ROOT.glob("workbooks/*.xlsx")) + (corpus_files(FOLDER) if FOLDER else [])
needs_compiled = pytest.mark.skipif(cell_locator.compiled is None, reason="the cell locator was not built here")


def _compiler_at_hand() -> bool:
    cc = (sysconfig.get_config_var("CC") or "").split()
    return bool(cc) and shutil.which(cc[0]) is not None and (Path(sysconfig.get_paths()["include"]) / "Python.h").exists()


@pytest.mark.skipif(not _compiler_at_hand(), reason="no C compiler or Python headers: the numpy locators run")
def test_the_extension_is_built_where_a_compiler_is_at_hand():
    assert cell_locator.compiled is not None, (
        "a C compiler and Python.h are here but ilt_xl.engine._cell_locator is not importable: "
        "reinstall (pip install -e .) so that the scan does not silently run its numpy fallback")


def _same_arrays(got, want) -> None:
    assert type(got) is type(want)
    for f in dataclasses.fields(want):
        x, y = getattr(got, f.name), getattr(want, f.name)
        if isinstance(y, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), f.name


def _grouped(a, starts, ends) -> tuple[list, list]:
    """pd.factorize of the texts span[s:e]: what the compiled locator's grouping must give."""
    if not len(starts):
        return [], []
    codes, distinct = pd.factorize(np.array(joined(a, starts, ends).split(b"\0"), dtype=object))
    return codes.tolist(), distinct.tolist()


def _agree(span: bytes, buffer=None) -> None:
    """Both locators agree on ``span``; the compiled one is given ``buffer`` (``span`` followed by
    more bytes, which it must not read) when there is one."""
    a = padded(span)
    c = padded(buffer) if buffer is not None else a
    for compiled, numpy_ in ((cell_locator.compiled.formula_cells, numpy_formula_cell_bounds),
                             (cell_locator.compiled.value_cells, numpy_value_cell_bounds)):
        want = numpy_(a, len(span))
        got = compiled(c, len(span))
        assert (got is None) == (want is None), (numpy_.__name__, span)
    got, want = formula_cell_bounds(c, len(span)), numpy_formula_cell_bounds(a, len(span))
    if want is not None:
        _same_arrays(got, want)
        assert [got.attrs[0].tolist(), got.attrs[1]] == list(_grouped(a, want.ref_ends + 1, want.f_starts - 1))
        assert [got.f_elements[0].tolist(), got.f_elements[1]] == list(_grouped(a, want.f_starts, want.f_ends))
    got, want = value_cell_bounds(c, len(span)), numpy_value_cell_bounds(a, len(span))
    if want is not None:
        _same_arrays(got, want)
        assert got.attributes[0].dtype == want.attributes[0].dtype
        assert [got.attributes[0].tolist(), got.attributes[1]] == [want.attributes[0].tolist(), want.attributes[1]]


def _worksheets(path: Path) -> list[bytes]:
    with zipfile.ZipFile(path) as z:
        return [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]


@needs_compiled
@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda p: p.name)
def test_both_locators_agree_on_every_span_of_real_workbooks(path):
    for data in _worksheets(path):
        for span in _spans(data, _LOCATE_SPAN):            # the spans whose formula cells are located
            _agree(bytes(span))
        pieces = _split_formula_cells(data)[0]
        start = pieces.head.find(b"<sheetData")
        if start < 0:
            continue
        for text, a0, b0 in _around_formula_cells(pieces, start, len(pieces.tail)):    # the value cells' spans
            for a, b in _row_spans(text, a0, b0, _LOCATE_SPAN):
                _agree(text[a:b])


# cells put together at random from start tags, contents and ends the locators take or leave to the pattern
START_TAGS = [
    b'<c r="B7" s="3">', b'<c r="AB12">', b'<c r="XFD1048576" t="str">', b'<c r="A0">', b'<c r="A1234567">',
    b'<c r="A12345678">', b'<c r="a1">', b'<c r="ABCD1">', b'<c r="A">', b'<c r="1">', b'<c r="A1>', b'<c  r="A1">',
    b'<c r="A1" x=">">', b'<c r="A1" t="x<">', b'<c r="C7"/>', b'<c r="C7" s="2"/>', b'<c r="C7" />', b"<c>",
    b'<c r="D9" s="1" t="inlineStr" cm="1" vm="2" ph="1" a-long-attribute="past the keyed bytes">',
]
CONTENTS = [
    b"<f>A1*2</f>", b'<f t="shared" si="0"/>', b'<f t="shared" ref="A1:A9" si="1">B1&amp;"a"</f>', b"<f/>",
    b'<f\tt="array" ref="A1">SUM(1)</f>', b"<f>", b"</f>", b'<f x="/>"/>', b"<f a=\"<\"/>", b"<fo>1</fo>", b"<v>2</v>",
    b"<v>", b"</v>", b"<v/>", b'<v xml:space="preserve"> x </v>', b'<v xml:space="preserve">', b"<v></v>",
    b"<is><t>a &gt; b</t></is>", b'<is><t xml:space="preserve"> a </t></is>', b"<is><t>", b"</t></is>",
    b"<is><r><t>rich</t></r></is>", b"<extLst/>", b"<!-- c -->", b"1.5", b" ",
]
ENDS = [b"</c>", b"</c>", b"", b"</c", b"x</c>", b"\n"]
FRAGMENTS = [b'<row r="7">', b"</row>", b"<_/>", b"<sheetData>", b"</sheetData>", b">", b"/", b"<", b'"', b"\n"]
CELL = st.tuples(st.sampled_from(START_TAGS), st.lists(st.sampled_from(CONTENTS), max_size=2),
                 st.sampled_from(ENDS)).map(lambda t: t[0] + b"".join(t[1]) + t[2])
FORMULA_CELLS = [
    b'<c r="A1" s="3"><f>A1*2</f><v>2</v></c>', b'<c r="B1"><f t="shared" si="1"/></c>',
    b'<c r="C1" t="str"><f>"x"</f><v xml:space="preserve"> x </v></c>',
]
VALUE_CELLS = [
    b'<c r="D1" s="2"><v>4</v></c>',
    b'<c r="E1" t="inlineStr"><is><t>f&gt;</t></is></c>', b'<c r="F1" t="inlineStr"><is><t xml:space="preserve"> a </t></is></c>',
    b'<c r="G1"/>', b'<c r="H1" t="str"><v></v></c>', b'<c r="I1"/><v>1</v></c>', b"<_/>",
]


@needs_compiled
@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(CELL, st.sampled_from(FORMULA_CELLS + VALUE_CELLS + FRAGMENTS)), max_size=12),
       st.binary(max_size=8))
def test_both_locators_agree_on_generated_spans_cut_at_every_byte(pieces, beyond):
    span = b"".join(pieces)
    for cut in range(len(span) + 1):
        _agree(span[:cut], span + beyond)


@needs_compiled
@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(FORMULA_CELLS + VALUE_CELLS), min_size=1, max_size=40), st.booleans())
def test_both_locators_take_spans_of_plain_cells(cells, values_only):
    """Spans of plain cells are taken (value cells once the formula cells are cut out)."""
    span = b'<row r="1">' + b"".join(c for c in cells if not values_only or c in VALUE_CELLS) + b"</row>"
    _agree(span)
    assert formula_cell_bounds(padded(span), len(span)) is not None
    assert value_cell_bounds(padded(span), len(span)) is not None or not values_only


@pytest.mark.parametrize("path", [p for p in WORKBOOKS if p.name == "ilt_planner_example.xlsx"], ids=lambda p: p.name)
def test_a_scan_on_the_numpy_locators_reads_the_same_cells(monkeypatch, path):
    for data in _worksheets(path):
        compiled = scan_sheet_xml(data, path, "sheet")
        monkeypatch.setattr(cell_locator, "compiled", None)
        fallback = scan_sheet_xml(data, path, "sheet")
        monkeypatch.undo()
        for name in ("v_rows", "v_cols", "f_rows", "f_cols", "f_shared"):
            assert np.array_equal(getattr(compiled, name), getattr(fallback, name)), name
        for name in ("kind", "num", "code"):
            assert np.array_equal(getattr(compiled.v_values, name), getattr(fallback.v_values, name)), name
        assert compiled.v_values.objects == fallback.v_values.objects
        assert compiled.around_cells == fallback.around_cells
        p, q = compiled.pieces, fallback.pieces
        assert p.without_formula_cells(b"|") == q.without_formula_cells(b"|")
        assert p.refs.joined(b"|") == q.refs.joined(b"|") and p.values.joined(b"|") == q.values.joined(b"|")
        assert p.attrs.distinct == q.attrs.distinct and np.array_equal(p.attrs.codes, q.attrs.codes)
        assert p.f_elements.distinct == q.f_elements.distinct and np.array_equal(p.f_elements.codes, q.f_elements.codes)
        assert np.array_equal(p.no_value, q.no_value) and np.array_equal(p.sizes, q.sizes)


def _numpy(f, *args):
    """What ``f`` gives on the numpy path."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(cell_locator, "compiled", None)
        return f(*args)


@needs_compiled
@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=60).flatmap(lambda span: st.tuples(
    st.just(span), st.lists(st.integers(0, len(span)), max_size=12).map(sorted), st.sampled_from([b"<_/>", b"|"]))))
def test_texts_are_cut_out_and_put_together_as_numpy_does(case):
    """joined, between, marked and the grouping of texts (PositionedTexts.factorize): the compiled
    ones give the numpy ones' bytes, on items one after the other (touching or not, empty or not)."""
    span, cuts, marker = case
    span = span.replace(b"\0", b"x")               # the spans cut hold no NUL (XML holds none)
    a, n = padded(span), len(span)
    starts, ends = np.array(cuts[0::2], np.int64), np.array(cuts[1::2], np.int64)
    starts = starts[:len(ends)]
    assert joined(a, starts, ends) == _numpy(joined, a, starts, ends)
    if len(starts) and (ends > starts).all():        # what between asks of its items (cells)
        first = int(starts[0]) // 2
        assert between(a, first, starts, ends) == _numpy(between, a, first, starts, ends)
    if (ends - starts >= len(marker)).all():        # what marked asks of its items
        assert marked(a, n, starts, ends, marker) == _numpy(marked, a, n, starts, ends, marker)


@pytest.mark.parametrize("span, starts, ends, expected", [
    (b"<c/>", [0], [4], b"<_/><_/>"), (b"<c/><d/>", [0, 4], [4, 8], b"<_/><_/>"), (b"<c/>x<d/>", [0, 5], [4, 9], b"<_/>x<_/>"),
    (b"x<c/>", [1], [5], b"x<_/>"), (b"<c/>x", [0], [4], b"<_/>x"), (b"", [], [], b"<_/>"), (b"xy", [], [], b"xy"),
    (b"<c/><d/>x<e/>", [0, 4, 9], [4, 8, 13], b"<_/>x<_/>"),
])
def test_runs_of_items_are_marked_once_and_a_span_of_items_only_twice(span, starts, ends, expected):
    a, starts, ends = padded(span), np.array(starts, np.int64), np.array(ends, np.int64)
    assert marked(a, len(span), starts, ends, b"<_/>") == _numpy(marked, a, len(span), starts, ends, b"<_/>") == expected


TEXTS = [b"", b"1", b"S12", b"S123", b"12345678", b"123456789", b"SUMIFS(Rates[Amount],Rates[Id],[@RoomId])",
         b"SUMIFS(Rates[Amount],Rates[Id],[@RoomIds])", b"a &amp; b"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(TEXTS), max_size=40))
def test_texts_are_grouped_as_pandas_factorize_groups_them(texts):
    """PositionedTexts.factorize (the compiled grouping, and numpy's keys) gives pd.factorize's codes and texts."""
    span = b"|".join(texts)
    ends = np.cumsum([len(t) + 1 for t in texts], dtype=np.int64) - 1
    starts = ends - np.array([len(t) for t in texts], np.int64)
    positioned, every = PositionedTexts(padded(span), starts, ends), np.arange(len(texts))
    codes, distinct = pd.factorize(np.array(texts, dtype=object)) if texts else (np.zeros(0, np.int64), [])
    for got in (positioned.factorize(every), _numpy(positioned.factorize, every)):
        assert got[0].dtype == np.int64 and got[0].tolist() == codes.tolist() and got[1] == list(distinct)


@needs_compiled
@pytest.mark.parametrize("starts, ends", [([0], [9]), ([-1], [2]), ([3], [2]), ([0, 2], [4, 6])])
def test_items_outside_the_span_or_out_of_order_are_refused(starts, ends):
    starts, ends = np.array(starts, np.int64), np.array(ends, np.int64)
    a = np.frombuffer(b"abcdefgh", np.uint8)
    with pytest.raises(ValueError):
        cell_locator.compiled.between(a, 0, starts, ends)
    with pytest.raises(ValueError):
        cell_locator.compiled.marked(a, 8, starts, ends, b"|")
    if (starts >= 0).all() and (starts <= ends).all() and (ends <= 8).all():
        assert cell_locator.compiled.joined(a, starts, ends) == b"\0".join(bytes(a[s:e]) for s, e in zip(starts, ends))
    else:
        with pytest.raises(ValueError):
            cell_locator.compiled.joined(a, starts, ends)


PIECES = [b"&", b"amp;", b"lt;", b"gt;", b"quot;", b"apos;", b"ap", b"#", b"x", b"X", b"0", b"9", b"1234567", b"12345678",
          b"a", b"F", b"fffff", b"D800", b"1114111", b";", b"]", b"]]", b">", b"<", b"\t", b"\n", b"\r", b"\x00",
          b"\x01", b"\x1f", b"\x7f", "é".encode(), b"\xef\xbf\xbe", b"\xef\xbf\xbf", b"\xff", b"\xc3", b" "]
# whole references at the edges of what XML takes
REFERENCES = [b"&#0;", b"&#9;", b"&#x1F;", b"&#x20;", b"&#xD7FF;", b"&#xD800;", b"&#57344;", b"&#xFFFD;", b"&#xFFFE;",
              b"&#65535;", b"&#x10000;", b"&#1114111;", b"&#x110000;", b"&#1234567;", b"&#12345678;", b"&#x123456;",
              b"&#x1234567;", b"&#00000065;", b"&#0000065;", b"&#x0000041;", b"&#x000041;", b"&#x;", b"&#;", b"&#X41;",
              b"&#x4g;", b"&amp;", b"&AMP;", b"&ampx;", b"]]>"]


@needs_compiled
@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES + REFERENCES), max_size=16))
def test_texts_left_in_doubt_are_those_python_leaves_in_doubt(pieces):
    """scan_check.text_doubt: the compiled one byte pass finds doubt exactly where the Python checks do."""
    data = b"".join(pieces)
    assert text_doubt(data) == _numpy(text_doubt, data), data


@needs_compiled
@pytest.mark.parametrize("piece", PIECES + REFERENCES)
def test_doubt_is_found_at_every_offset_among_plain_bytes(piece):
    """The compiled text_doubt skips plain bytes 8 at a time: what it looks for is found wherever it lies."""
    for k in range(17):
        data = b"x" * k + piece + b"y" * 9
        assert text_doubt(data) == _numpy(text_doubt, data), data


# sheetData skeletons (cells cut out) put together from start tags and fragments plain_rows takes or leaves
SHEET_DATA = [b"<sheetData>", b"<sheetData >", b'<sheetData a="1">', b"<sheetData/>", b'<sheetData xmlns:x="u">',
              b"<sheetDatax>", b'<sheetData a="1"a="2">']
ROW_PIECES = [
    b'<row r="7">', b'<row r="7" spans="1:3">', b'<row r="7"/>', b'<row r="7" r="8">', b'<row\tr="7"\n>',
    b"<row r='7'>", b'<row r="7" x:y="1">', b'<row xmlns="urn:u">', b'<row r="1" hidden="1">', b'<row r = "1">',
    b'<row r="1" XMLa="1">', b"<row>", b"<rows>", b"</row>", b"</row >", b'<c r="A1" s="2"/>', b'<c r="A1"/>',
    b'<c r="A1" s="2">', b"</c>", b'<c  r="A1"/>', b'<c\tr="A1"/>', b'<c r="A1" s=">"/>', b'<c r="A1" s="&amp;"/>',
    b'<c r="A1"s="2"/>', b'<c r="A1" s="2" />', b"<c/>", b'<c r="A1" s="\xc3\xa9"/>', b"<_/>", b"<_/>", b" ", b"\n",
    b"<!-- x -->", b"&amp;", b"x", b"<", b">", b'"', b"/>",
]
HEADS = [
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="urn:m"><dimension ref="A1"/>',
    b'<worksheet xmlns="urn:m" xmlns:x="urn:x">', b"<worksheet><dimension ref=\"A1\">",
    b'<?xml version="1.0" encoding="ISO-8859-1"?><worksheet>', b"<worksheet><sheetData>",
]
TAILS = [b"</sheetData></worksheet>", b"</sheetData>", b"</sheetData><x></worksheet>",
         b"</sheetData></worksheet><extra/>", b"</sheetData></dimension></worksheet>"]


@needs_compiled
@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SHEET_DATA), st.lists(st.sampled_from(ROW_PIECES), max_size=10))
def test_plain_rows_are_well_formed_content_and_empty_cells_only(start_tag, pieces):
    """Where plain_rows takes a skeleton, its cells are all empty ones as the patterns count them,
    and expat refuses a part around it (well-formed or not) exactly when it refuses that part
    without the rows: what lets the scan read only the markup around them."""
    skeleton = start_tag + b"".join(pieces)
    plain = plain_rows(skeleton)
    if plain:
        assert skeleton[:plain] == start_tag and _cells_accounted(skeleton)
    for head in HEADS:
        for tail in TAILS:
            around = head + skeleton + tail
            if hides_markup(around):
                continue        # the careful path's (never asked)
            damage = around_damage(around, len(head), plain, len(head) + len(skeleton))
            assert (damage is None) == (xml_damage(around) is None), (around, damage)


@needs_compiled
def test_plain_rows_take_what_the_writers_write_and_leave_the_rest():
    rows = b'<sheetData><row r="1" spans="1:3" hidden="1"><_/><c r="B1" s="2"/></row>\n<row r="2"/><row r="3"><_/></row>'
    assert plain_rows(rows) == len(b"<sheetData>")
    for other in (b'<row r="4" r="4">', b'<row r="4" x14ac:dyDescent="0.25">', b'<row r="4"><c r="A4"></c></row>',
                  b"<row><!-- --></row>", b'<row r="4">', b"</row>", b"<c r=\"A1\"/>"):
        assert plain_rows(rows + other) == 0, other
    # what the planner's own workbook holds is plain: its sheets skip expat over their rows
    with zipfile.ZipFile(ROOT / "workbooks" / "ilt_planner_example.xlsx") as z:
        data = z.read("xl/worksheets/sheet7.xml")
    seen = []
    with pytest.MonkeyPatch.context() as m:
        m.setattr(sheet_scan, "plain_rows", lambda skeleton: seen.append((skeleton, plain_rows(skeleton))) or seen[-1][1])
        scan_sheet_xml(data, "p.xlsx", "S")
    [(skeleton, plain)] = seen
    assert b"<_/>" in skeleton and plain == len(b"<sheetData>")


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda p: p.name)
def test_a_scan_without_plain_rows_reads_the_same_cells_and_refuses_the_same(monkeypatch, path):
    """plain_rows is only a short cut: each worksheet scanned with it and with expat over every
    skeleton (as without the extension) gives the same cells, and the same damage once a row tag is
    broken."""
    for data in _worksheets(path):
        broken = data.replace(b"<row ", b"<row  r=\"0\" ", 1).replace(b'"0" r=', b'"0" r =', 1)
        got = [_scan_or_refusal(data), _scan_or_refusal(broken)]
        monkeypatch.setattr(sheet_scan, "plain_rows", lambda skeleton: 0)
        want = [_scan_or_refusal(data), _scan_or_refusal(broken)]
        monkeypatch.undo()
        assert got == want


def _scan_or_refusal(data: bytes):
    try:
        cells = scan_sheet_xml(data, "p.xlsx", "S")
    except WorkbookError as exc:
        return str(exc)
    return (cells.v_rows.tolist(), cells.v_cols.tolist(), cells.v_values.kind.tolist(), cells.v_values.num.tolist(),
            cells.v_values.objects, cells.f_rows.tolist(), cells.f_texts.codes.tolist(), cells.f_texts.distinct,
            cells.around_cells, cells.hidden_rows.tolist(), cells.filtering)



def _numbers_held(path: Path) -> np.ndarray:
    """Every number a worksheet of ``path`` holds in a ``<v>`` (results Excel computed, among others)."""
    found = []
    for data in _worksheets(path):
        for text in re.findall(rb"<v>([^<]*)</v>", data):
            try:
                found.append(float(text))
            except ValueError:
                pass
    return np.array(found, dtype=np.float64)


def _neighbours(x: np.ndarray) -> np.ndarray:
    """``x`` with the doubles next to each and a few results of arithmetic on them (17-digit texts)."""
    with np.errstate(over="ignore"):
        return np.concatenate([x, np.nextafter(x, np.inf), np.nextafter(x, -np.inf), x / 3, x * 1.1, -x])


def _same_number_texts(x: np.ndarray) -> None:
    got, want = cell_locator.compiled.number_texts(x), python_number_texts(x)
    if got != want:
        bad = next(i for i in range(len(x)) if got[i] != want[i])
        raise AssertionError(f"{x[bad]!r}: compiled {got[bad]!r}, Python {want[bad]!r}")


@needs_compiled
def test_number_texts_are_pythons_on_every_number_the_workbooks_hold():
    """writeback.number_texts: the compiled texts are the Python ones (repr, whole numbers below 1e15 as
    integers) for every number of the shared and committed workbooks and the doubles around them."""
    numbers = np.concatenate([_numbers_held(path) for path in WORKBOOKS])
    assert len(numbers) > 1000
    _same_number_texts(_neighbours(numbers))


EDGES = [0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1e15, -1e15, 1e15 - 1, 1e15 - 0.5, 1e15 + 1, 1e16, 1e17, 2.0 ** 53, 2.0 ** 53 + 2,
         2.0 ** 63, 2.0 ** 64, 1e22, 1e23, 1e-4, 1e-5, 0.00012345, 9.999999999999999e-05, 123456.789, 0.3, 2.0 / 3,
         5e-324, 2.2250738585072014e-308, 2.225073858507201e-308, 1.7976931348623157e308, np.inf, -np.inf, np.nan,
         -np.nan, 4.35, 0.015, 1.005, 2.675, 9007199254740993.0, 0.1 + 0.2]


@needs_compiled
def test_number_texts_are_pythons_on_edges_powers_and_random_doubles():
    """Edges (signed zero, 1e15 either side, exponent notation, powers of two and ten, subnormals, the
    largest double, NaN and infinities), decimals of every length, and random bit patterns."""
    rng = np.random.default_rng(16)
    powers = np.concatenate([2.0 ** np.arange(-1074, 1024), 10.0 ** np.arange(-323, 309)])
    decimals = rng.integers(-10 ** 17, 10 ** 17, 100_000) / 10.0 ** rng.integers(0, 20, 100_000)
    short = rng.integers(-99_999, 99_999, 100_000) / 10.0 ** rng.integers(1, 6, 100_000)
    bits = rng.integers(0, 2 ** 63, 100_000, dtype=np.int64).view(np.float64)
    _same_number_texts(_neighbours(np.concatenate([np.array(EDGES), powers, decimals, short])))
    _same_number_texts(np.concatenate([bits, -bits]))


@needs_compiled
@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True), max_size=50))
def test_number_texts_are_pythons_on_any_doubles(xs):
    _same_number_texts(np.array(xs, dtype=np.float64))


def test_python_number_texts_are_repr_or_the_whole_number():
    x = np.array([0.1, -0.0, 3.0, -42.0, 1e15 - 1, 1e15, 1e16, 1.5e-5, 2.5, np.nan, -np.inf])
    assert python_number_texts(x) == [b"0.1", b"0", b"3", b"-42", b"999999999999999", b"1000000000000000.0",
                                      b"1e+16", b"1.5e-05", b"2.5", b"nan", b"-inf"]
