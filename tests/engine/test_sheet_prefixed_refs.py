"""Sheet-prefixed forms the formula parser cannot read alone: 3-D references (``SUM(Jan:Mar!B2)``,
every sheet from Jan to Mar in the workbook's order), names qualified by their sheet
(``Defines!Rate``) and ``[0]!Name`` (this workbook's own name). Expected values by Excel's rules;
Excel's cached values in Apache POI's test workbooks agree (SUM(Sheet1:Sheet3!A1) is 66 for
11, 22, 33; a sheet-scoped name read from another sheet gives its cell)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
from openpyxl.workbook.defined_name import DefinedName

from ilt_xl.engine.recalc import compute
from ilt_xl.engine.three_d_refs import expand, qualified_names
from ilt_xl.engine.workbook_model import load_workbook_model


def test_a_3d_reference_is_the_union_of_its_sheets_areas():
    sheets = ["Summary", "Jan", "Feb", "Mar 2024", "Notes"]
    assert expand("SUM(Jan:Feb!B2)", sheets) == "SUM(('Jan'!B2,'Feb'!B2))"
    assert expand("SUM('Feb:Mar 2024'!$A$1:B2)", sheets) == "SUM(('Feb'!$A$1:B2,'Mar 2024'!$A$1:B2))"
    assert expand("SUM(Feb:Jan!B2)", sheets) == "SUM(('Jan'!B2,'Feb'!B2))"          # either order
    assert expand("SUM(Jan:Nope!B2)", sheets) == "SUM(#REF!)"
    assert expand('"Jan:Feb!B2"&Jan!A1:B2', sheets) == '"Jan:Feb!B2"&Jan!A1:B2'      # text; a plain range
    assert expand("Jan!A1:Feb!B2", sheets) == "Jan!A1:Feb!B2"


def test_a_sheet_qualified_name_is_its_definition():
    names = {(1, "RATE"): "Defines!$B$2", (None, "TOTAL"): "Defines!$C$9"}
    found = lambda index, name: names.get((index, name)) or names.get((None, name))      # noqa: E731
    sheets = ["Uses", "Defines"]
    assert qualified_names("Defines!Rate*2", sheets, found) == "(Defines!$B$2)*2"
    assert qualified_names("Defines!B2+Uses!Total", sheets, found) == "Defines!B2+(Defines!$C$9)"
    assert qualified_names("Uses!Rate+Defines!Nope", sheets, found) == "Uses!Rate+Defines!Nope"


def test_whole_workbook(tmp_path: Path):
    wb = openpyxl.Workbook()
    summary = wb.active
    summary.title = "Summary"
    for i, name in enumerate(("Jan", "Feb", "Mar"), start=1):
        ws = wb.create_sheet(name)
        ws["A1"], ws["B1"], ws["C1"] = 11 * i, 5, "x" if i != 2 else None
    defines = wb.create_sheet("Defines")
    defines["A1"], defines["B2"] = "Test A1", 142
    wb.defined_names["GLOBAL_B2"] = DefinedName("GLOBAL_B2", attr_text="Defines!$B$2")
    defines.defined_names["LOCAL_A1"] = DefinedName("LOCAL_A1", attr_text="Defines!$A$1")
    summary["A1"] = "=SUM(Jan:Mar!A1)"
    summary["A2"] = "=AVERAGE(Jan:Mar!A1:B1)"
    summary["A3"] = "=COUNTA(Jan:Mar!C1)"
    summary["A4"] = "=MAX(Feb:Mar!A1)"
    summary["A5"] = "=Defines!LOCAL_A1"
    summary["A6"] = "=[0]!GLOBAL_B2+1"
    path = tmp_path / "book.xlsx"
    wb.save(path)
    model = load_workbook_model(path)
    report = compute(model, dt.date(2024, 1, 1))
    grid = model.sheet("Summary").grid
    got = [grid.value(r, 0) for r in range(6)]
    assert got == [66.0, 13.5, 2.0, 33.0, "Test A1", 143.0], report     # AVERAGE: (11+5+22+5+33+5)/6


def test_a_names_relative_references_are_relative_to_the_cell_that_uses_it(tmp_path: Path):
    # a name's relative parts are stored relative to A1: HOURS = Sheet1!$B1 is $B5 in row 5, and
    # COLUMN = Sheet1!A$1:A$3 is C$1:C$3 in column C (Excel's cached values in PhpSpreadsheet's
    # NamedFormulae test workbook follow this rule)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for r, (a, b, c) in enumerate([(1, 2, 3), (4, 5, 6), (7, 8, 9)], start=1):
        ws.cell(r, 1, a), ws.cell(r, 2, b), ws.cell(r, 3, c)
    ws["B5"], ws["B6"] = 7.25, 6.5
    wb.defined_names["HOURS"] = DefinedName("HOURS", attr_text="Sheet1!$B1")
    wb.defined_names["COLUMN"] = DefinedName("COLUMN", attr_text="Sheet1!A$1:A$3")
    wb.defined_names["TWICE"] = DefinedName("TWICE", attr_text="HOURS*2")
    ws["C5"], ws["C6"] = "=HOURS*10", "=HOURS*10"       # one formula over a run of rows
    ws["D7"] = "=TWICE"
    ws["A10"], ws["C10"] = "=SUM(COLUMN)", "=SUM(COLUMN)"
    path = tmp_path / "names.xlsx"
    wb.save(path)
    model = load_workbook_model(path)
    compute(model, dt.date(2024, 1, 1))
    grid = model.sheet("Sheet1").grid
    assert (grid.value(4, 2), grid.value(5, 2), grid.value(6, 3)) == (72.5, 65.0, 0.0)   # B7 is empty
    assert (grid.value(9, 0), grid.value(9, 2)) == (12.0, 18.0)


def test_a_names_relative_references_wrap_past_the_grid_and_this_row_is_the_row_of_use(tmp_path: Path):
    # Excel's cached values in EPPlus's DefinedNameRelative workbook: LEFTUP = Sheet1!XFD1048576
    # (stored relative to A1) is the cell up and left of the one using it; a table's
    # [#This Row] in a name is the row of the cell using it
    from openpyxl.worksheet.table import Table
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws["H8"], ws["I8"] = 1, 2
    ws["I9"] = "=LEFTUP+Sheet1!I8"
    for r, row in enumerate([("a", "b"), (1, 2), (4, 5)], start=1):
        ws.cell(r, 11, row[0]), ws.cell(r, 12, row[1])
    ws.add_table(Table(displayName="T", ref="K1:L3"))
    ws["M2"], ws["M3"] = "=ROWSUM", "=ROWSUM"
    wb.defined_names["LEFTUP"] = DefinedName("LEFTUP", attr_text="Sheet1!XFD1048576")
    wb.defined_names["ROWSUM"] = DefinedName("ROWSUM", attr_text="T[[#This Row],[a]]+T[[#This Row],[b]]")
    path = tmp_path / "names.xlsx"
    wb.save(path)
    model = load_workbook_model(path)
    compute(model, dt.date(2024, 1, 1))
    grid = model.sheet("Sheet1").grid
    assert (grid.value(8, 8), grid.value(1, 12), grid.value(2, 12)) == (3.0, 3.0, 9.0)
