"""Sheet XML as Excel reads it: cached text with xml:space, prefixed namespaces, pretty-printed
parts, attributes in another order or quoting, part names in another case; malformed XML refused
(exit 2); text XML cannot hold written as _xHHHH_; array areas without cached values written in
linear time; every output well-formed."""
from __future__ import annotations

import xml.dom.minidom
import zipfile

import openpyxl
import pytest
from typer.testing import CliRunner

from ilt_xl.cli import app
from ilt_xl.engine.recalc import recalculate
from ilt_xl.engine.sheet_scan import decode_xstring, encode_xstring
from ilt_xl.engine.workbook_model import load_cached_values, load_workbook_model

from handmade import NS, read_part, write_xlsx

runner = CliRunner()


def _well_formed_parts(path):
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                xml.dom.minidom.parseString(z.read(name))


def _values(path, sheet="S"):
    ws = openpyxl.load_workbook(path, data_only=True)[sheet]
    return {c.coordinate: c.value for row in ws.iter_rows() for c in row}


PREFIXED = (f'<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="{NS}"><x:sheetData>'
            '<x:row r="1"><x:c r="A1"><x:v>2</x:v></x:c><x:c r="B1"><x:f>A1*10</x:f><x:v>0</x:v></x:c>'
            '<x:c r="C1" t="str"><x:f>"a"&amp;A1</x:f><x:v>zz</x:v></x:c></x:row></x:sheetData></x:worksheet>')
PRETTY = (f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="{NS}">\n  <sheetData>\n    <row r="1">\n'
          '      <c r="A1">\n        <v>2</v>\n      </c>\n      <c s="0" r="B1" >\n        <f>A1*10</f>\n'
          '        <v>0</v>\n      </c>\n'
          "      <c t='str' r='C1'><f>\"a\"&amp;A1</f><v xml:space='preserve'> zz</v></c>\n    </row>\n"
          "  </sheetData>\n</worksheet>\n")


@pytest.mark.parametrize("part", [PREFIXED, PRETTY], ids=["prefixed", "pretty-printed"])
def test_other_layouts_are_read_and_written_in_their_own_form(tmp_path, part):
    src = write_xlsx(tmp_path / "in.xlsx", {"S": part}, whole_parts=True)
    report = recalculate(src, tmp_path / "out.xlsx")
    assert report.problems == [] and report.cells_computed == 2
    assert _values(tmp_path / "out.xlsx") == {"A1": 2, "B1": 20, "C1": "a2"}
    out = read_part(tmp_path / "out.xlsx").decode()
    if part is PREFIXED:
        assert '<x:c r="B1"><x:f>A1*10</x:f><x:v>20</x:v></x:c>' in out and "<c " not in out
    else:
        assert out.startswith(part[:part.index("<c s=")])          # untouched around the formula cells
    _well_formed_parts(tmp_path / "out.xlsx")


def test_cached_text_with_xml_space_preserve_is_read(tmp_path):
    src = write_xlsx(tmp_path / "in.xlsx", {"S": '<row r="1"><c r="A1" t="str"><f>FOOBAR()</f>'
                                                  '<v xml:space="preserve"> kept </v></c>'
                                                  '<c r="B1" t="str"><f>A1&amp;"!"</f><v xml:space="preserve"> </v></c>'
                                                  '</row>'})
    report = recalculate(src, tmp_path / "out.xlsx")
    assert [p.kind for p in report.problems] == ["unknown function FOOBAR"]
    assert _values(tmp_path / "out.xlsx") == {"A1": " kept ", "B1": " kept !"}


def test_part_names_differing_in_case_are_found(tmp_path):
    src = write_xlsx(tmp_path / "in.xlsx", {"S": '<row r="1"><c r="A1"><v>2</v></c><c r="B1"><f>A1*10</f></c></row>'},
                     part_name=lambda i: f"xl/worksheets/Sheet{i}.xml")
    with zipfile.ZipFile(src) as z:     # the relationship names sheet1.xml, the zip holds Sheet1.xml
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(b"Sheet1", b"sheet1")
    with zipfile.ZipFile(src, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    res = runner.invoke(app, ["recalc", str(src), "-o", str(tmp_path / "out.xlsx")])
    assert res.exit_code == 0, res.output
    out = load_workbook_model(tmp_path / "out.xlsx").sheets[0]      # openpyxl reads names case-sensitively
    load_cached_values(out)                                          # the values written
    assert out.part == "xl/worksheets/Sheet1.xml" and out.grid.num[0, 1] == 20


@pytest.mark.parametrize("rows", [
    '<row r="1"><c r="A1"><v>2</v></c><c r="B1"><f>A1*10</f></c></row><row r="2">',     # unclosed row
    '<row r="1"><c r="A1"><v>2</v></c><c r="B1"><f>A1*10</f></c></row></row>',           # stray end tag
    '<row r="1"><c r="A1"><v>2</v></c><c r="B1"><f>A1*10</f></c><bogus></row>',          # unclosed element
], ids=["unclosed-row", "stray-end-tag", "unclosed-element"])
def test_malformed_sheet_xml_is_refused_with_exit_2_and_nothing_written(tmp_path, rows):
    src = write_xlsx(tmp_path / "in.xlsx", {"S": rows})
    res = runner.invoke(app, ["recalc", str(src), "-o", str(tmp_path / "out.xlsx")])
    assert res.exit_code == 2, res.output
    assert "not well-formed" in " ".join(res.output.split()) and "S" in res.output
    assert not (tmp_path / "out.xlsx").exists()


def test_text_xml_cannot_hold_is_written_as_excel_escapes(tmp_path):
    src = write_xlsx(tmp_path / "in.xlsx", {"S": '<row r="1"><c r="A1"><f>CHAR(1)&amp;"x"</f></c>'
                                                  '<c r="B1"><f>UNICHAR(65535)</f></c>'
                                                  '<c r="C1"><f>"_x0041_"</f></c>'
                                                  '<c r="D1" t="str"><f>"a"</f><v>_x0007_b</v></c></row>'})
    for values_only in (False, True):
        out = tmp_path / f"out{values_only}.xlsx"
        recalculate(src, out, values_only=values_only)
        _well_formed_parts(out)
        part = read_part(out).decode()
        assert "_x0001_x" in part and "_xFFFF_" in part and "_x005F_x0041_" in part
        back = load_workbook_model(out).sheets[0]
        load_cached_values(back)                                    # the values written, read back decoded
        cells = back.grid.obj[0, :3].tolist()
        assert cells == ["\x01x", "\uffff", "_x0041_"]


def test_cached_text_escapes_are_decoded_when_read():
    assert decode_xstring("_x0007_b_x005F_x0041_") == "\x07b_x0041_"
    for text in ("\x01x", "\uffff\ufffe", "_x0041_", "a_b", "\ud800", "_x005F_"):
        assert decode_xstring(encode_xstring(text)) == text


def test_an_array_area_without_cached_values_is_filled_in_one_pass(tmp_path):
    # an array formula over A1:A20000 (one column) and B1:CW100 (100 x 100), only the anchors present;
    # row 3 exists with a value cell after the area; rows 5000-5001 hold other cells
    rows = ('<row r="1"><c r="A1"><f t="array" ref="A1:A20000">ROW(Z1:Z20000)*2</f></c>'
            '<c r="B1"><f t="array" ref="B1:CW100">ROW(DA1:DA100)*1000</f></c></row>'
            '<row r="3"><c r="A3"/><c r="CX3"><v>7</v></c></row>'
            '<row r="5000"><c r="A5000" ph="1"></c><c r="B5000"><v>9</v></c></row>')
    src = write_xlsx(tmp_path / "in.xlsx", {"S": rows})
    report = recalculate(src, tmp_path / "out.xlsx")
    assert report.problems == []
    _well_formed_parts(tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx", data_only=True)["S"]
    assert [ws.cell(r, 1).value for r in (1, 2, 3, 5000, 20000)] == [2, 4, 6, 10000, 40000]
    assert ws.cell(100, 101).value == 100 * 1000 and ws.cell(2, 2).value == 2000 and ws.cell(3, 102).value == 7
    assert ws.cell(5000, 2).value == 9
    part = read_part(tmp_path / "out.xlsx").decode()
    assert part.count('<c r="A3"') == 1 and part.count('<c r="A5000" ph="1">') == 1     # refreshed, not doubled


def test_a_column_times_a_row_spans_a_16384_cell_array_area(tmp_path):
    """ROW(column) * COLUMN(row) broadcasts both ways, as in Excel; the area has no cached values
    and is written whole (one pass, however many cells)."""
    src = write_xlsx(tmp_path / "in.xlsx", {"S": '<row r="1"><c r="A1"><f t="array" ref="A1:P1024">'
                                                  'ROW(Z1:Z1024)*COLUMN(Z1:AO1)</f></c></row>'})
    report = recalculate(src, tmp_path / "out.xlsx")
    assert report.problems == [] and report.error_cells == []
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx", data_only=True)["S"]
    assert (ws["A1"].value, ws["C5"].value, ws["P1024"].value) == (26, 5 * 28, 1024 * 41)
    assert sum(1 for row in ws.iter_rows() for c in row if c.value is not None) == 16384
