"""The engine in both date systems: a workbook with <workbookPr date1904="1"> (serial 0 is
1904-01-01) gets its dates in that system from DATE, TODAY, WORKDAY, EOMONTH ..., and reads its
date cells in it; the same formulas in a 1900 workbook give the 1900 serials. Expected values are
hand-computed: 2024-01-01 is 45,292 in the 1900 system and 45,292 - 1,462 = 43,830 in 1904."""
from __future__ import annotations

import datetime as dt

import pytest

from ilt_xl.engine.recalc import recalculate
from ilt_xl.engine.workbook_model import load_cached_values, load_workbook_model

from handmade import write_xlsx

JAN1_2024 = {False: 45292, True: 43830}
# A1 holds 2024-01-01 as a serial of the workbook's system (B1 the holiday 2024-01-02)
FORMULAS = {
    "C1": ("DATE(2024,1,1)", lambda s: s),
    "D1": ("YEAR(A1)*10000+MONTH(A1)*100+DAY(A1)", lambda s: 20240101),
    "E1": ("WEEKDAY(A1)", lambda s: 2),                       # a Monday
    "F1": ("WORKDAY(A1,1)", lambda s: s + 1),
    "G1": ("WORKDAY(A1,1,B1)", lambda s: s + 2),              # the holiday is skipped
    "H1": ("EOMONTH(A1,0)", lambda s: s + 30),
    "I1": ("NETWORKDAYS(A1,H1)", lambda s: 23),               # January 2024: 23 weekdays
    "J1": ("TODAY()", lambda s: s),                           # --today 2024-01-01
    "K1": ('TEXT(A1,"yyyy-mm-dd")', lambda s: "2024-01-01"),
    "L1": ("EDATE(A1,1)-A1", lambda s: 31),
    "M1": ("YEAR(0)", lambda s: 1904 if s == JAN1_2024[True] else 1900),
    "N1": ("A1+1", lambda s: s + 1),                          # plain arithmetic: no shift
    # from Friday 2024-01-05 (WORKDAY is lazy, so it shifts itself): Monday, then Tuesday past a holiday;
    # unshifted, a 1904 serial read as 1900 is a Saturday and gives s + 6
    "O1": ("WORKDAY(A1+4,1)", lambda s: s + 7),
    "P1": ("WORKDAY(A1+4,1,A1+7)", lambda s: s + 8),
}


@pytest.mark.parametrize("date1904", [False, True], ids=["1900", "1904"])
def test_dates_are_computed_in_the_workbooks_date_system(tmp_path, date1904):
    s = JAN1_2024[date1904]
    cells = f'<c r="A1"><v>{s}</v></c><c r="B1"><v>{s + 1}</v></c>' + "".join(
        f'<c r="{ref}"><f>{formula.replace("&", "&amp;").replace(chr(34), "&quot;")}</f></c>'
        for ref, (formula, _) in FORMULAS.items())
    src = write_xlsx(tmp_path / "in.xlsx", {"S": f'<row r="1">{cells}</row>'}, date1904=date1904)
    report = recalculate(src, tmp_path / "out.xlsx", today=dt.date(2024, 1, 1))
    assert report.problems == [] and report.error_cells == []
    model = load_workbook_model(tmp_path / "out.xlsx")
    assert model.date1904 is date1904
    load_cached_values(model.sheets[0])             # the values written, as cached in the output
    grid = model.sheets[0].grid
    got = {ref: (grid.obj if isinstance(want(s), str) else grid.num)[0, ord(ref[0]) - 65]
           for ref, (_, want) in FORMULAS.items()}
    assert got == {ref: want(s) for ref, (_, want) in FORMULAS.items()}


def test_ilt_date_functions_follow_the_workbooks_date_system(tmp_path):
    """ILT_DUEDATE and ILT_WORKDAYS (German holidays) give the same day in both systems."""
    got = {}
    for date1904 in (False, True):
        s = JAN1_2024[date1904]
        rows = (f'<row r="1"><c r="A1"><v>{s}</v></c><c r="B1"><f>ILT_DUEDATE(A1,-3,"DE")</f></c>'
                f'<c r="C1"><f>ILT_WORKDAYS(A1,A1+30,"DE")</f></c></row>')
        src = write_xlsx(tmp_path / f"in{date1904}.xlsx", {"S": rows}, date1904=date1904)
        report = recalculate(src, tmp_path / f"out{date1904}.xlsx", today=dt.date(2024, 1, 1))
        assert report.problems == [] and report.error_cells == []
        sheet = load_workbook_model(tmp_path / f"out{date1904}.xlsx").sheets[0]
        load_cached_values(sheet)
        grid = sheet.grid
        got[date1904] = (grid.num[0, 1] - s, grid.num[0, 2])       # due date relative to A1, workdays
    assert got[True] == got[False]
    assert got[False][1] == 22          # January 2024 in Germany: 23 weekdays, New Year's Day off
