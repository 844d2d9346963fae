"""Engine behaviour on small workbooks, against hand-computed values and the ILT registry."""
from __future__ import annotations

import datetime as dt
import zipfile

import numpy as np
import openpyxl
import pytest
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.table import Table

from ilt_xl.engine.recalc import recalculate
from ilt_xl.engine.workbook_model import load_workbook_model
from ilt_xl.functions import REGISTRY

TODAY = dt.date(2025, 3, 1)


def _values(path, sheet):
    return openpyxl.load_workbook(path, data_only=True)[sheet]


def _recalc(wb, tmp_path, name="wb.xlsx", **kw):
    src = tmp_path / name
    wb.save(src)
    out = tmp_path / ("out_" + name)
    report = recalculate(src, out, today=TODAY, **kw)
    return report, out


def _sessions_table(ws, rows, formulas):
    """A table 'S' with Start/End/Registered/Capacity inputs and the given calculated columns."""
    header = ["Start", "End", "Registered", "Capacity"] + list(formulas)
    ws.append(header)
    for r in rows:
        ws.append(list(r) + list(formulas.values()))
    ws.add_table(Table(displayName="S", ref=f"A1:{openpyxl.utils.get_column_letter(len(header))}{len(rows) + 1}"))


def test_ilt_functions_in_every_spelling_match_the_registry(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Plan"
    rows = [(45292, 45294, 8, 10), (45300, 45300, 0, 0), (45310, 45305, 3, 12), (45320, 45321, 12, 10)]
    spellings = {
        "Plain": "=ILT_DAYS(S[[#This Row],[Start]],S[[#This Row],[End]])",
        "Xludf": "=_xludf.ILT_DAYS(S[[#This Row],[Start]],S[[#This Row],[End]])",
        "Xll": "=_xll.ILT_DAYS(S[[#This Row],[Start]],S[[#This Row],[End]])",
        "Dudf": "=_xldudf_ILTNS_ILT_DAYS(S[[#This Row],[Start]],S[[#This Row],[End]])",
        "Dotted": "=ILT.DAYS(S[[#This Row],[Start]],S[[#This Row],[End]])",
        "Occ": "=ILT_OCCUPANCY(S[[#This Row],[Registered]],S[[#This Row],[Capacity]])",
    }
    _sessions_table(ws, rows, spellings)
    report, out = _recalc(wb, tmp_path)
    assert report.problems == []
    got = _values(out, "Plan")
    starts = np.array([r[0] for r in rows], dtype=object)
    ends = np.array([r[1] for r in rows], dtype=object)
    days = REGISTRY["ILT_DAYS"](starts, ends)
    occ = REGISTRY["ILT_OCCUPANCY"](np.array([r[2] for r in rows], dtype=object), np.array([r[3] for r in rows], dtype=object))
    for i in range(len(rows)):
        for col in range(5, 10):
            assert got.cell(i + 2, col).value == days[i], (i, col)
        assert got.cell(i + 2, 10).value == occ[i]
    assert got.cell(3, 10).value == "#DIV/0!"   # capacity 0: the registry's error, written as an error


def test_spilling_ilt_function_fills_its_array_formula_area(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    for i, w in enumerate([1, 2, 3], start=1):
        ws.cell(i, 1, w)
    ws["C1"] = ArrayFormula("C1:C3", "=ILT_ALLOCATE(100,A1:A3)")
    report, out = _recalc(wb, tmp_path)
    assert report.problems == []
    expected = np.asarray(REGISTRY["ILT_ALLOCATE"](100.0, np.array([[1], [2], [3]], dtype=object))).ravel()
    got = _values(out, "Sheet")
    assert [got.cell(i, 3).value for i in (1, 2, 3)] == pytest.approx(list(expected))
    assert sum(got.cell(i, 3).value for i in (1, 2, 3)) == pytest.approx(100.0)


def test_circular_reference_names_the_cells(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B1"], ws["C1"] = "=B1+1", "=A1*2", "=5"
    report, out = _recalc(wb, tmp_path)
    reasons = " ".join(str(p) for p in report.problems)
    assert "circular reference" in reasons and "Sheet!A1" in reasons and "Sheet!B1" in reasons
    assert _values(out, "Sheet")["C1"].value == 5


def test_running_total_rows_depend_on_the_row_above(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    vals = [3, 1.5, -2, 10]
    for i, v in enumerate(vals, start=1):
        ws.cell(i, 1, v)
        ws.cell(i, 2, "=A1" if i == 1 else f"=B{i - 1}+A{i}")
        ws.cell(i, 3, f"=SUM($A$1:A{i})")
    report, out = _recalc(wb, tmp_path)
    assert report.problems == []
    got = _values(out, "Sheet")
    assert [got.cell(i, 2).value for i in range(1, 5)] == pytest.approx(list(np.cumsum(vals)))
    assert [got.cell(i, 3).value for i in range(1, 5)] == pytest.approx(list(np.cumsum(vals)))


def test_xlookup_against_hand_computed_values(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    for i, (k, v) in enumerate([("a", 1), ("B", 2), ("c", 3), ("b", 4), (7, 70)], start=1):
        ws.cell(i, 1, k)
        ws.cell(i, 2, v)
    ws["D1"] = '=_xlfn.XLOOKUP("b",A1:A5,B1:B5)'             # case-insensitive, first match
    ws["D2"] = '=_xlfn.XLOOKUP("zz",A1:A5,B1:B5,"none")'
    ws["D3"] = '=_xlfn.XLOOKUP("zz",A1:A5,B1:B5)'
    ws["D4"] = "=_xlfn.XLOOKUP(7,A1:A5,B1:B5)"
    ws["D5"] = '=_xlfn.XLOOKUP("7",A1:A5,B1:B5,-1)'           # text "7" is not the number 7
    report, out = _recalc(wb, tmp_path)
    got = _values(out, "Sheet")
    assert [got[f"D{i}"].value for i in range(1, 6)] == [2, "none", "#N/A", 70, -1]


def test_errors_propagate_and_iferror_catches_them(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "=NA()"
    ws["A2"] = "=A1+1"
    ws["A3"] = '=1/0&"x"'
    ws["A4"] = "=IFERROR(A2,0)"
    ws["A5"] = '="a"+1'
    ws["A6"] = "=SUM(A1:A3)"
    ws["A7"] = "=IFNA(A3,7)"
    report, out = _recalc(wb, tmp_path)
    got = _values(out, "Sheet")
    assert [got[f"A{i}"].value for i in range(1, 8)] == ["#N/A", "#N/A", "#DIV/0!", 0, "#VALUE!", "#N/A", "#DIV/0!"]
    assert {e.error for e in report.error_cells} == {"#N/A", "#DIV/0!", "#VALUE!"}


def test_today_option_and_defined_names(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = 2
    from openpyxl.workbook.defined_name import DefinedName
    wb.defined_names["Two"] = DefinedName("Two", attr_text="Sheet!$A$1")
    ws["B1"] = "=TODAY()+Two"
    report, out = _recalc(wb, tmp_path)
    assert _values(out, "Sheet")["B1"].value == dt.datetime(2025, 3, 3) or \
        _values(out, "Sheet")["B1"].value == (TODAY - dt.date(1899, 12, 30)).days + 2


def test_unsupported_function_and_bad_reference_are_located(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["K", "V"])
    ws.append(["a", 1])
    ws.add_table(Table(displayName="T", ref="A1:B2"))
    ws["D5"] = '=CELL("filename",A1)'
    ws["D6"] = "=SUM(T[Nope])"
    ws["D7"] = "=OFFSET(A1,1,1)"
    report, out = _recalc(wb, tmp_path)
    by_cell = {p.cell: p.reason for p in report.problems}
    assert "CELL('filename') is not supported" in by_cell["Sheet!D5"]
    assert "Sheet!D7" not in by_cell and _values(out, "Sheet")["D7"].value == 1
    assert "has no column 'Nope'" in by_cell["Sheet!D6"]
    # no value was cached (openpyxl wrote the file): none is made up, the cell stays without one
    assert _values(out, "Sheet")["D6"].value is None


def test_values_only_writes_no_formulas(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["A2"], ws["A3"] = 4, "=A1*2", '="x"&A1'
    report, out = _recalc(wb, tmp_path, values_only=True)
    f = openpyxl.load_workbook(out)["Sheet"]
    assert (f["A2"].value, f["A3"].value) == (8, "x4")


def test_reader_expands_shared_formulas_and_reads_every_value_type(tmp_path):
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<sheetData>"
        '<row r="1"><c r="A1"><v>1</v></c><c r="B1" t="s"><v>0</v></c><c r="C1" t="b"><v>1</v></c>'
        '<c r="D1" t="e"><v>#N/A</v></c><c r="E1" t="inlineStr"><is><t>in&amp;line</t></is></c></row>'
        '<row r="2"><c r="A2"><v>2</v></c><c r="B2"><f t="shared" ref="B2:B4" si="0">A2*10+$A$1</f><v>0</v></c></row>'
        '<row r="3"><c r="A3"><v>3</v></c><c r="B3"><f t="shared" si="0"/><v>0</v></c></row>'
        '<row r="4"><c r="A4"><v>4</v></c><c r="B4"><f t="shared" si="0"/></c></row>'
        "</sheetData></worksheet>"
    )
    path = tmp_path / "shared.xlsx"
    _write_minimal_xlsx(path, sheet, ["sh&lt;x"])
    model = load_workbook_model(path)
    s = model.sheets[0]
    assert s.formulas.texts == ["A2*10+$A$1", "A3*10+$A$1", "A4*10+$A$1"]
    assert [s.grid.value(0, c) for c in range(5)][:3] == [1.0, "sh<x", True]
    assert str(s.grid.value(0, 3)) == "#N/A" and s.grid.value(0, 4) == "in&line"
    out = tmp_path / "shared.out.xlsx"
    recalculate(path, out, today=TODAY)
    got = openpyxl.load_workbook(out, data_only=True).active
    assert [got[f"B{r}"].value for r in (2, 3, 4)] == [21, 31, 41]


def _write_minimal_xlsx(path, sheet_xml: str, shared: list[str]) -> None:
    ct = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
          '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
          '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
          "</Types>")
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>")
    wb = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
          'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
          '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
    wb_rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
               '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
               '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
               "</Relationships>")
    sst = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           + "".join(f"<si><t>{s}</t></si>" for s in shared) + "</sst>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", ct)
        z.writestr("_rels/.rels", rels)
        z.writestr("xl/workbook.xml", wb)
        z.writestr("xl/_rels/workbook.xml.rels", wb_rels)
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        z.writestr("xl/sharedStrings.xml", sst)


def test_entities_and_zip_bombs_are_refused(tmp_path):
    from ilt_xl.xlsx import WorkbookError
    evil = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><worksheet xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main"><sheetData/></worksheet>')
    path = tmp_path / "evil.xlsx"
    _write_minimal_xlsx(path, evil, [])
    with pytest.raises(WorkbookError, match="DTD"):
        load_workbook_model(path)
    bomb = tmp_path / "bomb.xlsx"
    _write_minimal_xlsx(bomb, "<worksheet/>", [])
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/zeros.bin", b"\0" * (20 << 20))
    with pytest.raises(WorkbookError, match="zip bomb"):
        load_workbook_model(bomb)
    notzip = tmp_path / "not.xlsx"
    notzip.write_bytes(b"hello")
    with pytest.raises(WorkbookError, match=r"not an \.xlsx"):
        load_workbook_model(notzip)


def test_a_column_reading_itself_is_circular_and_reported_once(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["X", "Share"])
    n = 3000
    for i in range(n):
        ws.append([i, "=T[[#This Row],[X]]/SUM(T[Share])"])
    ws.add_table(Table(displayName="T", ref=f"A1:B{n + 1}"))
    report, out = _recalc(wb, tmp_path)
    assert len(report.problems) == 1
    p = report.problems[0]
    assert p.cell == "Sheet!B2" and p.cells == n and "circular reference" in p.reason


def test_each_row_summing_the_rows_above_is_ordered_by_row(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    n = 2000
    for i in range(1, n + 1):
        ws.cell(i, 1, i)
        ws.cell(i, 2, "=A1" if i == 1 else f"=SUM(B$1:B{i - 1})+A{i}")
    report, out = _recalc(wb, tmp_path)
    assert report.problems == []
    got = _values(out, "Sheet")
    expected, running = [], 0.0
    for i in range(1, n + 1):
        value = running + i
        expected.append(value)
        running += value
    assert [got.cell(i, 2).value for i in (1, 2, 3, 10)] == pytest.approx([expected[0], expected[1], expected[2], expected[9]])
    assert got.cell(40, 2).value == pytest.approx(expected[39], rel=1e-12)


def test_ilt_fx_with_a_rate_range_and_error_inputs_matches_the_registry(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Plan"
    ws.append(["Date", "Currency", "PerEUR", "Source"])
    ws.append([dt.date(2025, 1, 2), "USD", 1.25, "manual"])
    ws.append([dt.date(2025, 1, 2), "GBP", 0.8, "manual"])
    ws.add_table(Table(displayName="FX", ref="A1:D3"))
    amounts = [(100, "USD"), (50, "GBP"), (10, "EUR"), ("=NA()", "USD"), (5, "XXX")]
    ws["F1"], ws["G1"], ws["H1"] = "Amount", "Ccy", "InEUR"
    for i, (amount, ccy) in enumerate(amounts, start=2):
        ws.cell(i, 6, amount)
        ws.cell(i, 7, ccy)
        ws.cell(i, 8, f'=ILT_FX(F{i},G{i},"EUR",DATE(2025,1,3),FX[[Date]:[PerEUR]])')
    report, out = _recalc(wb, tmp_path)
    assert report.problems == []
    got = _values(out, "Plan")
    rates = np.array([[dt.datetime(2025, 1, 2), "USD", 1.25], [dt.datetime(2025, 1, 2), "GBP", 0.8]], dtype=object)
    rates[:, 0] = [(d - dt.datetime(1899, 12, 30)).days for d in rates[:, 0]]
    for i, (amount, ccy) in enumerate(amounts, start=2):
        value = "#N/A" if amount == "=NA()" else amount
        expected = REGISTRY["ILT_FX"](value, ccy, "EUR", 45660.0, rates)
        assert got.cell(i, 8).value == pytest.approx(expected) if not isinstance(expected, str) else \
            got.cell(i, 8).value == expected, (i, got.cell(i, 8).value, expected)


def test_a_sheet_with_invalid_utf8_is_a_damaged_sheet_not_a_crash(tmp_path):
    import io
    import zipfile

    import openpyxl

    from ilt_xl.engine.recalc import recalculate
    from ilt_xl.xlsx import WorkbookError

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Plan"
    ws["A1"], ws["A2"] = "café", '=A1&"x"'
    buffer = io.BytesIO()
    wb.save(buffer)
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as zin, zipfile.ZipFile(damaged, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"A1&amp;", b"A1\xc4&amp;")  # an invalid UTF-8 byte inside the formula text
            zout.writestr(info, data)
    src = tmp_path / "damaged.xlsx"
    src.write_bytes(damaged.getvalue())
    # invalid UTF-8 is not XML: refused as such, before its cells are read
    with pytest.raises(WorkbookError, match=r"sheet Plan \(xl/worksheets/sheet1.xml\) is damaged: its XML is not well-formed"):
        recalculate(src, tmp_path / "out.xlsx")


def test_the_same_typed_text_on_consecutive_rows_reads_the_same_cells(tmp_path):
    # =C1*10 typed (not filled) into B1:B3 reads C1 from every row, as in Excel
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["C1"], ws["C2"], ws["C3"] = 1, 2, 3
    ws["B1"], ws["B2"], ws["B3"] = "=C1*10", "=C1*10", "=C1*10"
    ws["E1"] = 4
    ws["A5"], ws["A6"] = "=SUM(C1:C3:E1)", "=SUM(C1:C2:C3)"     # a range operator on a range
    report, out = _recalc(wb, tmp_path)
    got = _values(out, "Sheet")
    assert [got[f"B{r}"].value for r in (1, 2, 3)] == [10, 10, 10]
    assert (got["A5"].value, got["A6"].value) == (10, 6)
