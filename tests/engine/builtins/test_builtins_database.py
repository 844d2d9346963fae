"""Database functions (DSUM, DAVERAGE, DCOUNT, DCOUNTA, DGET, DMAX, DMIN, DPRODUCT, DSTDEV(P),
DVAR(P)) on a hand-made table: labels, criteria rows OR'ed and cells AND'ed, Excel's errors."""
import datetime as dt
import math

import pytest
from formula_values import values

# the database A1:D7: a header row and six records
TABLE = {
    "A1": "City", "B1": "Kind", "C1": "Amount", "D1": True,
    "A2": "Oslo", "B2": "tea", "C2": 10, "D2": "x",
    "A3": "Osaka", "B3": "coffee", "C3": 20, "D3": "y",
    "A4": "oslo", "B4": "tea", "C4": 40, "D4": "x",
    "A5": "Lima", "B5": "water", "C5": "n/a", "D5": "z",
    "A6": "Oslofjord", "B6": "coffee", "C6": 80,
    "A7": "Lagos", "B7": "tea", "C7": 5, "D7": "x",
}


def _eval(cells: dict) -> dict:
    got = values({**TABLE, **cells})
    return {k: got[k] for k in cells if k.startswith("E")}


def test_labels_and_conditions():
    got = _eval({
        "F1": "City", "F2": "Oslo",                     # text matches the values beginning with it
        "G1": "City", "G2": '="=Oslo"',                 # "=Oslo" matches Oslo only (either case)
        "H1": "kind", "H2": "tea", "I1": "Amount", "I2": ">=10",     # two cells of a row: AND
        "J1": "Kind", "J2": "water", "J3": "coffee",                # two rows: OR
        "K1": "City", "K2": "O*a",                      # wildcards
        "L1": "Amount", "L2": 20,                       # a number matches the number
        "M1": "TRUE", "M2": "<>x",                      # the label TRUE is the field labelled TRUE
        "E1": "=DSUM(A1:D7,\"Amount\",F1:F2)",
        "E2": "=DSUM(A1:D7,3,G1:G2)",
        "E3": "=DSUM(A1:D7,C1,H1:I2)",
        "E4": "=DCOUNTA(A1:D7,\"city\",J1:J3)",
        "E5": "=DSUM(A1:D7,3,K1:K2)",
        "E6": "=DGET(A1:D7,\"City\",L1:L2)",
        "E7": "=DSUM(A1:D7,3.9,M1:M2)",
    })
    assert got == {"E1": 130.0, "E2": 50.0, "E3": 50.0, "E4": 3.0, "E5": 20.0, "E6": "Osaka", "E7": 100.0}


def test_aggregates_of_the_matching_values():
    crit = {"F1": "Kind", "F2": "tea", "F3": "coffee"}          # five records, amounts 10 20 40 80 5
    got = _eval({**crit, "E1": "=DAVERAGE(A1:D7,3,F1:F3)", "E2": "=DMAX(A1:D7,3,F1:F3)",
                 "E3": "=DMIN(A1:D7,3,F1:F3)", "E4": "=DPRODUCT(A1:D7,3,F1:F3)",
                 "E5": "=DVAR(A1:D7,3,F1:F3)", "E6": "=DVARP(A1:D7,3,F1:F3)",
                 "E7": "=DSTDEV(A1:D7,3,F1:F3)", "E8": "=DSTDEVP(A1:D7,3,F1:F3)"})
    x = [10, 20, 40, 80, 5]
    mean = sum(x) / 5
    ss = sum((v - mean) ** 2 for v in x)
    assert got["E1"] == pytest.approx(mean) and (got["E2"], got["E3"], got["E4"]) == (80.0, 5.0, 10 * 20 * 40 * 80 * 5.0)
    assert got["E5"] == pytest.approx(ss / 4) and got["E6"] == pytest.approx(ss / 5)
    assert got["E7"] == pytest.approx(math.sqrt(ss / 4)) and got["E8"] == pytest.approx(math.sqrt(ss / 5))


def test_counts_blank_rows_and_no_match():
    got = _eval({
        "F1": "Amount",                                   # F2 blank: every record
        "G1": "Kind", "G2": "milk",                       # no record
        "H1": "Kind", "H2": "water",
        "E1": "=DCOUNT(A1:D7,\"Amount\",F1:F2)",          # numbers only ("n/a" is text)
        "E2": "=DCOUNTA(A1:D7,4,F1:F2)",                 # non-blank cells
        "E3": "=DCOUNT(A1:D7,,H1:H2)",                   # no field: the matching records
        "E4": "=DSUM(A1:D7,3,G1:G2)", "E5": "=DMIN(A1:D7,3,G1:G2)", "E6": "=DAVERAGE(A1:D7,3,G1:G2)",
        "E7": "=DPRODUCT(A1:D7,3,G1:G2)", "E8": "=DSTDEV(A1:D7,3,H1:H2)",
    })
    assert got == {"E1": 5.0, "E2": 5.0, "E3": 1.0, "E4": 0.0, "E5": 0.0, "E6": "#DIV/0!", "E7": 0.0,
                   "E8": "#DIV/0!"}


def test_dget_needs_exactly_one_record():
    got = _eval({"F1": "City", "F2": "Lagos", "G1": "City", "G2": "Lisbon", "H1": "Kind", "H2": "tea",
                 "E1": "=DGET(A1:D7,3,F1:F2)", "E2": "=DGET(A1:D7,3,G1:G2)", "E3": "=DGET(A1:D7,3,H1:H2)"})
    assert got == {"E1": 5.0, "E2": "#VALUE!", "E3": "#NUM!"}


def test_errors_of_the_arguments():
    got = _eval({"F1": "Kind", "F2": "tea",
                 "E1": "=DSUM(A1:D7,\"Price\",F1:F2)",    # no such label
                 "E2": "=DSUM(A1:D7,0,F1:F2)", "E3": "=DSUM(A1:D7,5,F1:F2)",
                 "E4": "=DSUM(A1:D1,3,F1:F2)",           # a database with no record
                 "E5": "=DSUM(A2:D7,\"Amount\",F1:F2)",   # the labels are the first row
                 "E6": "=DSUM(A1:D7,C1:D1,F1:F2)",        # a field of two cells
                 "E7": "=DSUM(A1:D7,Z9,F1:F2)"})          # an empty cell as the field
    assert set(got.values()) == {"#VALUE!"}


def test_comparison_with_a_date_written_as_text():
    got = values({"A1": "Day", "A2": dt.datetime(2024, 3, 1), "A3": dt.datetime(2024, 9, 1),
                  "B1": "Day", "B2": ">=2024-06-30", "C1": "=DCOUNT(A1:A3,1,B1:B2)",
                  "C2": '=COUNTIF(A2:A3,">=2024-06-30")'})
    assert (got["C1"], got["C2"]) == (1.0, 1.0)


def test_computed_criteria():
    """A condition under a label that is no field is TRUE for every record or for none; a formula
    there with relative references (computed per record in Excel) keeps its cached value."""
    from ilt_xl.engine.recalc import RecalcReport, compute
    got = _eval({"F1": "", "F2": "=1<2", "G1": "Rate", "G2": "=1>2", "H1": "Other", "H2": "Oslo",
                 "E1": "=DCOUNTA(A1:D7,1,F1:F2)", "E2": "=DCOUNTA(A1:D7,1,G1:G2)", "E3": "=DCOUNTA(A1:D7,1,H1:H2)"})
    assert got == {"E1": 6.0, "E2": 0.0, "E3": 0.0}
    import tempfile
    from pathlib import Path

    import openpyxl

    from ilt_xl.engine.workbook_model import load_workbook_model
    wb = openpyxl.Workbook()
    for k, v in {**TABLE, "F1": "Big", "F2": "=C2>15", "E1": "=DSUM(A1:D7,3,F1:F2)"}.items():
        wb.active[k] = v
    with tempfile.TemporaryDirectory() as tmp:
        wb.save(Path(tmp) / "c.xlsx")
        report = compute(load_workbook_model(Path(tmp) / "c.xlsx"), dt.date(2024, 1, 1), RecalcReport("c", None))
    assert [(p.cell, p.kind) for p in report.problems] == [("Sheet!E1", "computed database criterion")]


def test_a_field_given_as_a_range_takes_the_cell_of_the_formulas_column():
    got = values({**TABLE, "F1": "Kind", "F2": "tea", "C9": "=DSUM(A1:D7,A1:D1,F1:F2)", "F9": "=DSUM(A1:D7,A1:D1,F1:F2)"})
    assert (got["C9"], got["F9"]) == (55.0, "#VALUE!")       # C1 is Amount; column F crosses no field
