"""Sheet XML that is well-formed but unusual, read as XML reads it on both of the scanner's paths
(the fast pattern scan and the careful ElementTree path): what a comment or processing instruction
holds is no cell; a CDATA formula; inline text with entities and escapes on the careful path; an
empty ``<v></v>``; ISO dates (t="d") in both date systems and times of day alone; a shared formula
with two masters. Expected values are hand-computed (and what LibreOffice computes for these files)."""
from __future__ import annotations

import pytest

from ilt_xl.engine.recalc import recalculate
from ilt_xl.engine.workbook_model import load_cached_values, load_workbook_model
from ilt_xl.xlsx import WorkbookError

from handmade import write_xlsx

# a cell the fast path reads by pattern becomes one it reads carefully (rich text's <color ...>
# starts like a cell, so the pattern scan cannot account for the sheet)
CAREFUL = '<row r="9"><c r="Z9" t="inlineStr"><is><r><rPr><color rgb="FFFF0000"/></rPr><t>x</t></r></is></c></row>'


def _computed(tmp_path, rows: str, date1904: bool = False) -> dict[str, object]:
    """The values recalc writes for ``rows`` (each cell's, by reference, read back by the engine)."""
    src = write_xlsx(tmp_path / "in.xlsx", {"S": rows}, date1904=date1904)
    recalculate(src, tmp_path / "out.xlsx")
    sheet = load_workbook_model(tmp_path / "out.xlsx").sheets[0]
    load_cached_values(sheet)
    g = sheet.grid
    return {f"{chr(65 + c)}{r + 1}": (g.obj[r, c] if g.kind[r, c] in (2, 4) else g.num[r, c])
            for r in range(g.shape[0]) for c in range(min(g.shape[1], 25)) if g.kind[r, c]}


@pytest.mark.parametrize("careful", [False, True], ids=["fast", "careful"])
@pytest.mark.parametrize("hidden", [
    '<!-- <c r="A1"><f>99</f><v>99</v></c> -->',
    '<!-- <c r="A1"><v>99</v></c> -->',
    '<?note <c r="A1"><f>99</f><v>99</v></c> ?>',
], ids=["formula-in-comment", "value-in-comment", "processing-instruction"])
def test_what_a_comment_or_processing_instruction_holds_is_no_cell(tmp_path, hidden, careful):
    rows = (f'<row r="1"><c r="A1"><v>1</v></c>{hidden}<c r="B1"><f>A1+1</f><v>0</v></c>'
            f'<c r="C1"><f>A1+2</f><v>0</v></c></row>' + (CAREFUL if careful else ""))
    got = _computed(tmp_path, rows)
    assert (got["A1"], got["B1"], got["C1"]) == (1, 2, 3)


def test_a_formula_in_a_cdata_section_is_read_and_its_neighbours_get_their_own_values(tmp_path):
    rows = '<row r="1"><c r="A1"><v>3</v></c><c r="B1"><f><![CDATA[A1*2]]></f><v>0</v></c><c r="C1"><f>A1*10</f><v>0</v></c></row>'
    got = _computed(tmp_path, rows)
    assert (got["B1"], got["C1"]) == (6, 30)


@pytest.mark.parametrize("careful", [False, True], ids=["fast", "careful"])
def test_inline_text_is_decoded_once_on_either_path(tmp_path, careful):
    # the literal text "R&amp;D _x0041_" (entities and an escaped escape), and a control character
    rows = ('<row r="1"><c r="A1" t="inlineStr"><is><t>R&amp;amp;D _x005F_x0041_</t></is></c>'
            '<c r="B1" t="inlineStr"><is><t>a_x0001_b</t></is></c>'
            '<c r="C1" t="str"><f>A1</f><v></v></c><c r="D1"><f>LEN(B1)</f><v>0</v></c></row>' + (CAREFUL if careful else ""))
    got = _computed(tmp_path, rows)
    assert (got["A1"], got["B1"], got["C1"], got["D1"]) == ("R&amp;D _x0041_", "a\x01b", "R&amp;D _x0041_", 3)


@pytest.mark.parametrize("careful", [False, True], ids=["fast", "careful"])
def test_an_empty_v_holds_nothing(tmp_path, careful):
    rows = ('<row r="1"><c r="A1"><v></v></c><c r="B1" t="s"><v></v></c><c r="C1" t="b"><v></v></c>'
            '<c r="D1"><v>4</v></c><c r="E1"><f>COUNTA(A1:D1)*10+COUNTBLANK(A1:D1)</f><v>0</v></c></row>'
            + (CAREFUL if careful else ""))
    assert _computed(tmp_path, rows)["E1"] == 13


@pytest.mark.parametrize("date1904, serial", [(False, 45352), (True, 43890)], ids=["1900", "1904"])
def test_iso_dates_are_serials_of_the_workbooks_date_system_and_a_time_alone_is_a_fraction(tmp_path, date1904, serial):
    rows = ('<row r="1"><c r="A1" t="d"><v>2024-03-01</v></c><c r="B1"><f>A1+1</f><v>0</v></c>'
            '<c r="C1" t="d"><v>2024-03-01T18:00:00Z</v></c><c r="D1"><f>C1-A1</f><v>0</v></c>'
            '<c r="E1" t="d"><v>12:30:00</v></c><c r="F1"><f>E1*24</f><v>0</v></c>'
            '<c r="G1" t="d"><v>9999-12-31</v></c><c r="H1"><f>YEAR(G1)</f><v>0</v></c>'
            '<c r="I1" t="d"><f>A1</f><v>2024-03-01</v></c></row>')
    got = _computed(tmp_path, rows, date1904)
    assert (got["B1"], got["D1"], got["F1"], got["H1"], got["I1"]) == (serial + 1, 0.75, 12.5, 9999, serial)


def test_a_shared_formula_with_two_masters_is_refused(tmp_path):
    rows = ('<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f t="shared" ref="B1:B2" si="0">A1*2</f><v>2</v></c>'
            '<c r="C1"><f t="shared" ref="C1:C2" si="0">A1*3</f><v>3</v></c></row>'
            '<row r="2"><c r="A2"><v>2</v></c><c r="B2"><f t="shared" si="0"/><v>4</v></c></row>')
    src = write_xlsx(tmp_path / "in.xlsx", {"S": rows})
    with pytest.raises(WorkbookError, match="si=0 has two master cells"):
        load_workbook_model(src)
    # the shared formulas are expanded as the part is scanned, but what fails is refused in its
    # place: after an unusable array area of the same sheet, as before
    rows = rows.replace('<c r="A2"><v>2</v></c>', '<c r="A2"><f t="array" ref="A2:ZZZZ2">1</f><v>1</v></c>')
    src = write_xlsx(tmp_path / "in2.xlsx", {"S": rows})
    with pytest.raises(WorkbookError, match="array formula area 'A2:ZZZZ2' is not usable"):
        load_workbook_model(src)


@pytest.mark.parametrize("careful", [False, True], ids=["fast", "careful"])
def test_long_number_texts_are_read_whole(tmp_path, careful):
    """xsd:double has no length limit: 40 digits are 1.2E+39 (a fixed width read 1.2E+31), and
    a small number written out in full is not cut to 0."""
    rows = ('<row r="1"><c r="A1"><v>1234567890123456789012345678901234567890</v></c><c r="B1"><f>A1/1E+39</f><v>0</v></c>'
            '<c r="C1"><v>0.00000000000000000000000000000000001234</v></c><c r="D1"><f>C1*1E+35</f><v>0</v></c></row>'
            + (CAREFUL if careful else ""))
    got = _computed(tmp_path, rows)
    assert got["B1"] == pytest.approx(1.2345678901234567) and got["D1"] == pytest.approx(1.234)


def test_a_shared_string_index_with_leading_zeros_is_its_number():
    from ilt_xl.engine.value_cells import SHARED_STRING, type_values

    typed = type_values([b"s", b"s"], [b"0000000000000000000001", b"12"], "p.xlsx", "S")
    assert typed.kind.tolist() == [SHARED_STRING] * 2 and typed.num.tolist() == [1, 12]


@pytest.mark.parametrize("careful", [False, True], ids=["fast", "careful"])
def test_cells_a_circle_leaves_uncomputed_keep_their_cached_values_on_either_path(tmp_path, careful):
    """The careful path (a pretty-printed, prefixed or rich-text sheet) wrote D1 =D1+1 without the 7
    Excel cached: the circle cleared it and only the fast path could give it back."""
    rows = ('<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f>NOSUCHFUNC(A1)</f><v>5</v></c><c r="C1"><f>B1+1</f><v>0</v></c>'
            '<c r="D1"><f>D1+1</f><v>7</v></c><c r="E1"><f>D1*2</f><v>3</v></c></row>' + (CAREFUL if careful else ""))
    got = _computed(tmp_path, rows)
    assert (got["B1"], got["C1"], got["D1"], got["E1"]) == (5, 6, 7, 3)
