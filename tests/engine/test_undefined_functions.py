"""A function nothing defines in a workbook: Excel's value for it is #NAME?, which the engine
computes, except where something could define it (macros, an add-in, a name, one of Excel's own
functions the engine does not implement) or where the file holds another value for the cell."""
from __future__ import annotations

import openpyxl
import pytest

from ilt_xl.engine.recalc import recalculate
from ilt_xl.engine.undefined_functions import undefined_function

from handmade import write_xlsx


def _nothing_defined(name: str) -> bool:
    return False


@pytest.mark.parametrize("spelling, undefined", [
    ("MyUdf", True),                    # a VBA function of a file saved without its macros, a typo
    ("_xludf.MyUdf", True),             # the prefix other programs write for a user's function
    ("_xll.MyUdf", False),              # an XLL add-in's: Excel has it where the add-in is installed
    ("_xldudf_NS_MYUDF", False),        # an Office add-in's custom function
    ("_xlfn.NEWFUNC", False),           # a function of an Excel newer than the engine
    ("GETPIVOTDATA", False),            # Excel 2007's own, which the engine does not implement
    ("CUBEVALUE", False),
    ("REGISTER.ID", False),             # an Excel function openpyxl's list leaves out
    ("_FV", False),                     # Excel's own (a linked data type's field): no VBA name starts with _
    ("ILT_NEXT", False),                # ilt-xl's own, from a later version
    ("Book2.xlsm!MyUdf", False),        # qualified by another workbook
])
def test_which_spellings_nothing_can_define(spelling, undefined):
    name = spelling.upper().removeprefix("_XLUDF.").removeprefix("_XLL.").removeprefix("_XLFN.")
    assert undefined_function(spelling, name, False, _nothing_defined) is undefined


def test_macros_or_a_name_may_define_it():
    assert undefined_function("MyUdf", "MYUDF", True, _nothing_defined) is False
    assert undefined_function("MyUdf", "MYUDF", False, lambda name: name == "MYUDF") is False
    assert undefined_function("MyUdf", "MYUDF", False, lambda name: name == "OTHER") is True


# A1 holds 2. B1..B4 call MYUDF, which nothing defines: B1 cached #NAME? (Excel's own result), B2 caught
# by IFERROR, B3 cached nothing, B4 holds 42 (the workbook was saved without the VBA that computed it);
# C4 reads B4.
CELLS = ('<row r="1"><c r="A1"><v>2</v></c>'
         '<c r="B1" t="e"><f>MyUdf(A1)</f><v>#NAME?</v></c>'
         '<c r="C1"><f>A1+1</f><v>3</v></c></row>'
         '<row r="2"><c r="B2" t="str"><f>IFERROR(MyUdf(A1),"caught")</f><v>caught</v></c></row>'
         '<row r="3"><c r="B3"><f>MYUDF(A1)*2</f></c></row>'
         '<row r="4"><c r="B4"><f>MyUdf(A1)</f><v>42</v></c><c r="C4"><f>B4+1</f><v>0</v></c></row>')


def _values(path):
    ws = openpyxl.load_workbook(path, data_only=True)["S"]
    return {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}


def test_excel_s_name_error_is_computed_and_a_held_value_kept(tmp_path):
    report = recalculate(write_xlsx(tmp_path / "in.xlsx", {"S": CELLS}), tmp_path / "out.xlsx")
    got = _values(tmp_path / "out.xlsx")
    assert got == {"A1": 2, "B1": "#NAME?", "C1": 3, "B2": "caught", "B3": "#NAME?", "B4": 42, "C4": 43}
    assert [(p.cell, p.kind) for p in report.problems] == [("S!B4", "unknown function MYUDF")]
    assert "Excel shows #NAME?" in report.problems[0].reason
    assert report.cells_computed == 5 and report.kept_count == 1


def test_a_workbook_with_macros_keeps_every_such_cell(tmp_path):
    report = recalculate(write_xlsx(tmp_path / "in.xlsm", {"S": CELLS}, macros=True), tmp_path / "out.xlsm")
    got = _values(tmp_path / "out.xlsm")
    assert got == {"A1": 2, "B1": "#NAME?", "C1": 3, "B2": "caught", "B4": 42, "C4": 43}     # B3: nothing made up
    assert sorted(p.cell for p in report.problems) == ["S!B1", "S!B2", "S!B3", "S!B4"]
    assert all("Excel shows" not in p.reason for p in report.problems)


def test_excel_s_own_functions_and_add_ins_keep_their_cells(tmp_path):
    cells = ('<row r="1"><c r="A1"><f>GETPIVOTDATA("Sum",B9)</f><v>7</v></c>'
             '<c r="B1" t="e"><f>_xll.HPLNK(1)</f><v>#NAME?</v></c>'
             '<c r="C1"><f>_xlfn.NEWFUNC(1)</f><v>5</v></c></row>')
    report = recalculate(write_xlsx(tmp_path / "in.xlsx", {"S": cells}), tmp_path / "out.xlsx")
    assert [p.kind for p in report.problems] == ["unknown function GETPIVOTDATA", "unknown function HPLNK",
                                                 "unknown function NEWFUNC"]
    assert _values(tmp_path / "out.xlsx") == {"A1": 7, "B1": "#NAME?", "C1": 5}
