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


def _ilt_range_results(tmp_path, date1904: bool) -> dict[str, float]:
    """ILT_* functions with range arguments; every date (A1's 2024-01-01, the ranges' dates) in the book's system."""
    s = JAN1_2024[date1904]
    rows = {
        # rates: GBP only (USD falls back to the ECB's rate of that day); bookings of I1: Friday 2024-01-05,
        # and of R1 two sessions overlapping on 2024-01-03 and 04
        1: [("A1", s), ("D1", "Date"), ("E1", "Currency"), ("F1", "PerEUR"),
            ("G1", "S1"), ("H1", "I1"), ("I1", s + 4), ("J1", s + 4)],
        2: [("D2", s), ("E2", "GBP"), ("F2", 0.5), ("G2", "S2"), ("H2", "R1"), ("I2", s + 1), ("J2", s + 3)],
        3: [("G3", "S3"), ("H3", "R1"), ("I3", s + 2), ("J3", s + 5)],
    }
    formulas = {
        "B1": 'ILT_FXRATE("EUR","USD",A1,D1:F2)', "B2": 'ILT_FXRATE("EUR","USD",A1)',
        "B3": 'ILT_FX(10,"EUR","GBP",A1,D1:F2)',
        "B4": 'ILT_UTILIZATION("I1",A1+4,A1+4,H1:H3,I1:I3,J1:J3,,,"DE")',   # 1 booked day / 1 workday
        "B5": 'INDEX(ILT_CONFLICTS(G1:G3,H1:H3,I1:I3,J1:J3),1,4)-A1',         # first common day, from A1
        "B6": 'INDEX(ILT_CONFLICTS(G1:G3,H1:H3,I1:I3,J1:J3),1,5)-A1',
    }
    cells = {r: [f'<c r="{ref}"' + (f' t="inlineStr"><is><t>{v}</t></is></c>' if isinstance(v, str) else f'><v>{v}</v></c>')
                 for ref, v in row] for r, row in rows.items()}
    for ref, formula in formulas.items():
        cells.setdefault(int(ref[1:]), []).append(f'<c r="{ref}"><f>{formula.replace(chr(34), "&quot;")}</f></c>')
    xml = "".join(f'<row r="{r}">{"".join(sorted(c, key=lambda x: (len(x.split(chr(34))[1]), x)))}</row>'
                  for r, c in sorted(cells.items()))
    src = write_xlsx(tmp_path / f"ranges{date1904}.xlsx", {"S": xml}, date1904=date1904)
    report = recalculate(src, tmp_path / f"ranges_out{date1904}.xlsx", today=dt.date(2024, 1, 1))
    assert report.problems == [] and report.error_cells == []
    sheet = load_workbook_model(tmp_path / f"ranges_out{date1904}.xlsx").sheets[0]
    load_cached_values(sheet)
    return {ref: float(sheet.grid.num[int(ref[1:]) - 1, 1]) for ref in formulas}


def test_ilt_functions_with_range_arguments_follow_the_workbooks_date_system(tmp_path):
    """Before, a 1904 book's ILT_* call with a range argument kept all its dates unshifted: ILT_FXRATE took
    the ECB's USD rate of 2019-12-31 and ILT_UTILIZATION counted Saturday 2020-01-04 (#DIV/0!)."""
    got = {date1904: _ilt_range_results(tmp_path, date1904) for date1904 in (False, True)}
    assert got[True] == got[False]
    assert got[False]["B1"] == got[False]["B2"] == pytest.approx(1.105)   # ECB, 29 December 2023 (1.1050 USD)
    assert got[False]["B3"] == 5.0                                        # the manual GBP rate of that day
    assert got[False]["B4"] == 1.0
    assert (got[False]["B5"], got[False]["B6"]) == (2.0, 3.0)             # 2024-01-03 and 04, serials of the book


def test_text_with_a_column_of_formats_shifts_only_the_dates(tmp_path):
    """TEXT(C,B) down a column whose formats differ: only a date format reads its value as a date
    of the 1904 system; a number format shows the number, an elapsed time counts from serial 0."""
    rows = [("0.00", 12.34, "12.34"), ("yyyy-mm-dd", 0, "1904-01-01"), ("[h]:mm", 1.5, "36:00"),
            ("#,##0", 1234, "1,234"), ("d-mmm-yy", 43830, "1-Jan-24")]
    xml = "".join(f'<row r="{i}"><c r="A{i}"><f>TEXT(C{i},B{i})</f></c><c r="B{i}" t="inlineStr"><is><t>{fmt}</t></is></c>'
                  f'<c r="C{i}"><v>{v}</v></c></row>' for i, (fmt, v, _) in enumerate(rows, 1))
    src = write_xlsx(tmp_path / "in.xlsx", {"S": xml}, date1904=True)
    recalculate(src, tmp_path / "out.xlsx", today=dt.date(2024, 1, 1))
    model = load_workbook_model(tmp_path / "out.xlsx")
    load_cached_values(model.sheets[0])
    assert [model.sheets[0].grid.obj[i, 0] for i in range(len(rows))] == [want for _, _, want in rows]
