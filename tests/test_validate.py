"""Value problems: each broken planner gives exactly its expected located problem(s)."""
from __future__ import annotations

import datetime as dt

import pytest

import broken_workbooks as bw
from ilt_xl import read_planner


def edit(table: str, index: int, **values):
    def apply(rows, settings):
        rows[table][index].update(values)
    return apply


def setting(name: str, value):
    def apply(rows, settings):
        settings[name] = value
    return apply


def add_row(table: str, **values):
    def apply(rows, settings):
        rows[table].append(values)
    return apply


# case -> (edit, {(severity, sheet, cell, column)}, a word of the message)
# Row 2 is the first data row; Sessions columns: A SessionId, B CourseId, C Status, D StartDate, E EndDate,
# F StartTime, G EndTime, H Country, J RoomId, K InstructorId, P RoomCostEntered, Q InstructorFeeEntered,
# R OtherFixedCost, S AllocationKey, T CurrencyEntered. Settings values sit in column B from row 2, in schema order.
CASES = {
    "text in an int column": (edit("Courses", 0, DurationDays="two"), {("error", "Courses", "D2", "DurationDays")}, "text"),
    "text in a money column": (edit("Rooms", 1, DayRate="300 GBP"), {("error", "Rooms", "F3", "DayRate")}, "text"),
    "date as text": (edit("Sessions", 0, StartDate="04/03/2024"), {("error", "Sessions", "D2", "StartDate")}, "date"),
    "number not a date": (edit("Sessions", 1, EndDate=20240507), {("error", "Sessions", "E3", "EndDate")}, "serial"),
    "fraction in an int column": (edit("Enrolments", 0, Registered=2.5), {("error", "Enrolments", "D2", "Registered")}, "fraction"),
    "boolean in a number column": (edit("Courses", 1, HoursPerDay=True), {("error", "Courses", "E3", "HoursPerDay")}, "TRUE"),
    "text in a time column": (edit("Sessions", 1, StartTime="9am"), {("error", "Sessions", "F3", "StartTime")}, "time"),
    "required value empty": (edit("Sessions", 1, CourseId=None), {("error", "Sessions", "B3", "CourseId")}, "required"),
    "status not allowed": (edit("Sessions", 0, Status="Done"), {("error", "Sessions", "C2", "Status")}, "allowed"),
    "allocation key not allowed": (edit("Sessions", 2, AllocationKey="random"), {("error", "Sessions", "S4", "AllocationKey")}, "allowed"),
    "unknown course id": (edit("Sessions", 2, CourseId="C9"), {("error", "Sessions", "B4", "CourseId")}, "not in Courses"),
    "unknown room id": (edit("Sessions", 0, RoomId="R9"), {("error", "Sessions", "J2", "RoomId")}, "not in Rooms"),
    "unknown business unit": (edit("Enrolments", 2, BusinessUnit="BU7"), {("error", "Enrolments", "B4", "BusinessUnit")}, "BusinessUnits"),
    "unknown session in checklist": (edit("Checklist", 0, SessionId="S99"), {("error", "Checklist", "A2", "SessionId")}, "Sessions"),
    "unknown currency": (edit("Courses", 0, Currency="XYZ"), {("error", "Courses", "J2", "Currency")}, "FX table"),
    "lower-case currency": (edit("Rooms", 0, Currency="eur"), {("error", "Rooms", "G2", "Currency")}, "allowed"),
    "bad FX currency code": (edit("FX", 1, Currency="Rand"), {("error", "FX", "B3", "Currency")}, "code"),
    "bad country code": (edit("Sessions", 0, Country="Deutschland"), {("error", "Sessions", "H2", "Country")}, "code"),
    "duplicate id": (edit("Courses", 1, CourseId="C1"),
                     {("error", "Courses", "A3", "CourseId"), ("error", "Sessions", "B3", "CourseId")}, "row 2"),
    "end before start": (edit("Sessions", 1, EndDate=dt.date(2024, 5, 1)), {("error", "Sessions", "E3", "EndDate")}, "before"),
    "end time before start time": (edit("Sessions", 1, EndTime=dt.time(8, 0)), {("error", "Sessions", "G3", "EndTime")}, "EndTime"),
    "negative capacity": (edit("Rooms", 2, Capacity=-4), {("error", "Rooms", "E4", "Capacity")}, "below 0"),
    "negative money": (edit("Sessions", 1, OtherFixedCost=-5), {("error", "Sessions", "R3", "OtherFixedCost")}, "below 0"),
    "negative count": (edit("Enrolments", 2, Registered=-1), {("error", "Enrolments", "D4", "Registered")}, "below 0"),
    "zero duration": (edit("Courses", 0, DurationDays=0), {("error", "Courses", "D2", "DurationDays")}, "below 1"),
    "min above max learners": (edit("Courses", 0, MinLearners=20), {("error", "Courses", "F2", "MinLearners")}, "MaxLearners"),
    # ... and the GBP session S2 is left without a rate in the FX tab (the workbook shows #N/A there).
    "zero FX rate": (edit("FX", 0, PerEUR=0), {("error", "FX", "C2", "PerEUR"), ("warning", "Sessions", "D3", "StartDate")},
                     "rate"),
    "attended above registered": (edit("Enrolments", 0, Attended=9), {("warning", "Enrolments", "E2", "Attended")}, "above"),
    "setting not allowed": (setting("AllocationMethod", "weird"), {("error", "Settings", "B5", "AllocationMethod")}, "allowed"),
    "setting of the wrong type": (setting("GoNoGoLeadDays", "two weeks"), {("error", "Settings", "B6", "GoNoGoLeadDays")}, "whole number"),
    "setting out of range": (setting("FiscalYearStartMonth", 13), {("error", "Settings", "B7", "FiscalYearStartMonth")}, "range"),
    "unknown reporting currency": (setting("ReportingCurrency", "XXX"), {("error", "Settings", "B2", "ReportingCurrency")}, "currency"),
    "budget rate date missing": (lambda r, s: s.update(FxDatePolicy="BudgetRateDate", BudgetRateDate=None),
                                 {("error", "Settings", "B4", "BudgetRateDate")}, "required"),
}


@pytest.mark.parametrize("case", CASES)
def test_broken_value_is_located(tmp_path, case):
    change, expected, word = CASES[case]
    rows, settings = bw.planner_rows(), bw.planner_settings()
    change(rows, settings)
    planner = read_planner(bw.write_planner(tmp_path / "p.xlsx", rows, settings))
    assert {(p.severity, p.sheet, p.cell, p.column) for p in planner.problems} == expected
    assert all(p.file == str(tmp_path / "p.xlsx") and p.row == int(p.cell[1:].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
               for p in planner.problems)
    said = [f"{p.message} (expected {p.expected})" for p in planner.problems]
    assert any(word in text for text in said), said


def test_currency_quoted_in_fx_is_known(tmp_path):
    rows = bw.planner_rows()
    rows["Courses"][0]["Currency"] = "NAD"      # not an ECB currency, but the FX table quotes it
    rows["Sessions"][0]["RoomCostEntered"] = 1000  # so the EUR room is no mismatch
    rows["Sessions"][0]["InstructorFeeEntered"] = 9000
    rows["Sessions"][2].update(RoomCostEntered=1, InstructorFeeEntered=1)
    assert read_planner(bw.write_planner(tmp_path / "p.xlsx", rows)).problems == []


def test_resources_in_another_currency_are_converted_and_a_missing_rate_is_told(tmp_path):
    """A GBP room and a GBP instructor on EUR sessions: the workbook converts their day rates at the FX tab's
    rate (no cost to type in, no problem); without a GBP row the conversion is named, per session and resource."""
    rows = bw.planner_rows()
    rows["Sessions"][0].update(RoomId="R2")
    rows["Sessions"][2].update(InstructorId="I2")
    assert read_planner(bw.write_planner(tmp_path / "p.xlsx", rows)).problems == []
    rows["FX"] = [r for r in rows["FX"] if r["Currency"] != "GBP"]
    said = {(p.severity, p.cell, p.message) for p in read_planner(bw.write_planner(tmp_path / "q.xlsx", rows)).problems}
    assert ("warning", "D2", "the day rate of R2 (GBP) of session S1 shows #N/A: the FX tab lacks the ECB rate of its "
            "StartDate (`ilt-xl fx` adds it)") in said
    assert any(cell == "D4" and "the day rate of I2 (GBP) of session S3 shows #N/A" in m for _, cell, m in said), said


def test_session_currency_entered_overrides_the_courses(tmp_path):
    rows = bw.planner_rows()
    rows["Sessions"][0].update(CurrencyEntered="NAD")  # a currency the FX tab quotes: known
    assert read_planner(bw.write_planner(tmp_path / "p.xlsx", rows)).problems == []
    rows["Sessions"][0].update(CurrencyEntered="nad")
    problems = read_planner(bw.write_planner(tmp_path / "q.xlsx", rows)).problems
    assert [(p.severity, p.cell, p.column) for p in problems] == [("error", "T2", "CurrencyEntered")]


def test_budget_mixing_a_whole_bu_row_and_country_rows_is_told(tmp_path):
    rows = bw.planner_rows()
    rows["Budget"].append(dict(Year=2024, BusinessUnit="BU1", Country=None, Budget=5000))  # BU1 DE has a row
    problems = read_planner(bw.write_planner(tmp_path / "p.xlsx", rows)).problems
    assert [(p.severity, p.sheet, p.cell) for p in problems] == [("warning", "Budget", "C3")]
    assert "business unit BU1 has both a whole-BU row and country rows (DE) in 2024" in problems[0].message


def test_nan_and_infinity_are_wrong(tmp_path):
    rows = bw.planner_rows()
    rows["Rooms"][0]["DayRate"] = 123456.25
    rows["Courses"][1]["VariableCostPerLearner"] = 654321.5
    path = bw.write_planner(tmp_path / "p.xlsx", rows)
    bw.replace_in_part(path, bw.sheet_part("Rooms"), b"<v>123456.25</v>", b"<v>NaN</v>")
    bw.replace_in_part(path, bw.sheet_part("Courses"), b"<v>654321.5</v>", b"<v>INF</v>")
    problems = read_planner(path).problems
    assert {(p.sheet, p.cell) for p in problems} == {("Rooms", "F2"), ("Courses", "I3")}
    assert all("NaN or infinity" in p.message for p in problems)


def test_all_problems_in_one_pass(tmp_path):
    """Independent breakages in one workbook: every one is reported, nothing else."""
    together = ("text in an int column", "text in a money column", "date as text", "status not allowed",
                "allocation key not allowed", "unknown course id", "bad FX currency code", "bad country code",
                "end before start", "negative capacity", "negative money", "negative count", "zero FX rate",
                "min above max learners", "setting not allowed", "unknown reporting currency")
    rows, settings = bw.planner_rows(), bw.planner_settings()
    expected = set()
    for name in together:
        change, located, _ = CASES[name]
        change(rows, settings)
        expected |= located
    # With an unknown reporting currency no conversion is checked: zero FX rate's warning on S2 is not given.
    expected.discard(("warning", "Sessions", "D3", "StartDate"))
    planner = read_planner(bw.write_planner(tmp_path / "p.xlsx", rows, settings))
    assert {(p.severity, p.sheet, p.cell, p.column) for p in planner.problems} == expected
    assert len(planner.errors) == len(together)


def test_wrong_type_in_required_column_is_reported_once(tmp_path):
    rows = bw.planner_rows()
    rows["Sessions"][0]["StartDate"] = "soon"
    problems = read_planner(bw.write_planner(tmp_path / "p.xlsx", rows)).problems
    assert [(p.cell, p.value) for p in problems] == [("D2", "soon")]


def test_session_cost_that_cannot_be_converted_is_a_warning_naming_the_row(tmp_path):
    rows = bw.planner_rows()
    rows["FX"].clear()
    rows["Sessions"][1].update(StartDate=dt.date(1990, 5, 7), EndDate=dt.date(1990, 5, 8))   # GBP, before the ECB's first rate
    planner = read_planner(bw.write_planner(tmp_path / "p.xlsx", rows))
    assert [(p.severity, p.sheet, p.cell, p.column) for p in planner.problems] == [("warning", "Sessions", "D3", "StartDate")]
    message = planner.problems[0].message
    assert "session S2 (GBP) cannot be converted to EUR" in message
    assert "no GBP rate on or before 1990-05-07 (first rate 1999-01-04)" in message   # ilt_xl.core.fx's reason
    # A manual rate dated before the session settles it.
    rows["FX"].append(dict(Date=dt.date(1990, 1, 1), Currency="GBP", PerEUR=0.7, Source="Treasury"))
    assert read_planner(bw.write_planner(tmp_path / "q.xlsx", rows)).problems == []


def test_fx_tab_lacking_the_ecb_rate_a_session_needs_is_a_warning(tmp_path):
    """The workbook converts with the FX tab alone: a session no manual row decides needs its ECB row there."""
    import numpy as np

    from ilt_xl.core import fx

    rows = bw.planner_rows()
    rows["FX"] = [r for r in rows["FX"] if r["Currency"] != "GBP"]   # S2 (GBP, 2024-05-06) is left to the ECB
    planner = read_planner(bw.write_planner(tmp_path / "p.xlsx", rows))
    assert [(p.severity, p.sheet, p.cell, p.column) for p in planner.problems] == [("warning", "Sessions", "D3", "StartDate")]
    assert "session S2 (GBP) shows #N/A: the FX tab lacks the ECB rate of its StartDate" in planner.problems[0].message
    # An older ECB row: the workbook would convert at it.
    rows["FX"].append(dict(Date=dt.date(2024, 1, 2), Currency="GBP", PerEUR=0.86, Source=fx.ECB_ROW_SOURCE))
    planner = read_planner(bw.write_planner(tmp_path / "q.xlsx", rows))
    assert "session S2 (GBP) converts at an older row of the FX tab" in planner.problems[0].message
    # The row the fx command writes settles it: the ECB's publication on or before 2024-05-06.
    per_eur, published, _, _ = fx.ecb_table().lookup(np.array(["GBP"], dtype=object), np.array(["2024-05-06"], dtype="datetime64[D]"))
    rows["FX"].append(dict(Date=published[0].item(), Currency="GBP", PerEUR=float(per_eur[0]), Source=fx.ECB_ROW_SOURCE))
    assert read_planner(bw.write_planner(tmp_path / "r.xlsx", rows)).problems == []


def test_holidays_out_of_country_order_or_missing_a_country_are_warnings(tmp_path):
    rows = bw.planner_rows()
    rows["Holidays"] = rows["Holidays"][-2:] + rows["Holidays"][:-2]   # two NA rows moved before DE
    planner = read_planner(bw.write_planner(tmp_path / "p.xlsx", rows))
    problems = [(p.severity, p.sheet, p.cell, p.column) for p in planner.problems]
    assert problems == [("warning", "Holidays", "A4", "Country")]
    assert "not sorted by country here (DE after NA)" in planner.problems[0].message
    rows = bw.planner_rows()
    rows["Holidays"] = [r for r in rows["Holidays"] if r["Country"] != "DE"]   # S1 (DE) has a checklist row
    planner = read_planner(bw.write_planner(tmp_path / "q.xlsx", rows))
    assert [(p.severity, p.sheet, p.cell, p.column) for p in planner.problems] == [("warning", "Sessions", "H2", "Country")]
    assert "the Holidays tab has no rows for DE" in planner.problems[0].message
