"""Cost lines per session (SessionCosts, issue 10), on hand-computed cases: each line in its own currency converted at
the ECB rate of its session's start date, per-learner lines x learners, a line of a derived category replacing the
figure derived from the resource tables, and a cancelled session charged its cancellation fee only.

The ECB rates come from the ``currency_converter`` package itself; the workbook's native formulas are recalculated by
LibreOffice and by the engine and must give the same figures as the core.
"""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from libreoffice import recalculate_with_libreoffice, soffice_available
from test_costs_finance import ECB, SETTINGS, START, VARIABLE, _as_read, _tables

from ilt_xl.core import cost_lines, kpis, plan
from ilt_xl.core.sessions import session_table_with_errors
from ilt_xl.engine.recalc import recalculate
from ilt_xl.workbook import macros
from ilt_xl.workbook.builder import build_planner
from ilt_xl.workbook.reader import read_planner

S2_START = dt.date(2024, 3, 5)
EXAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "ilt_planner_example.xlsx"
TRAVEL_GBP = 240.0
CATERING_EUR = 12.5          # per learner
ROOM_LINE_USD = 300.0        # replaces S1's GBP room day rate
FEE_EUR = 100.01             # S3 is cancelled: charged this fee only, split 4:2 over two BUs


def _with_lines() -> dict[str, pd.DataFrame]:
    tables = _tables()
    tables["SessionCosts"] = _as_read("SessionCosts", pd.DataFrame({
        "SessionId": ["S2", "S2", "S1", "S3", "S3", "S9"],
        "Category": ["travel", "catering", "room", "cancellation fee", "travel", "travel"],
        "Basis": ["fixed", "per learner", "fixed", "fixed", "fixed", "fixed"],
        "Supplier": ["Rail UK", "Cafe", "Hotel", "Venue", "Air", "Nobody"],
        "Currency": ["GBP", "EUR", "USD", "EUR", "EUR", "EUR"],
        # S2's travel: estimated 250, ordered 240 (PO); S1's room invoiced 300 after a PO of 320
        "Estimated": [250.0, CATERING_EUR, 280.0, 200.0, 90.0, 10.0],
        "Committed": [TRAVEL_GBP, np.nan, 320.0, FEE_EUR, np.nan, np.nan],
        "PONumber": ["PO-1", "", "PO-2", "PO-3", "", ""],
        "Actual": [np.nan, np.nan, ROOM_LINE_USD, np.nan, np.nan, np.nan],
        "InvoiceNumber": ["", "", "INV-7", "", "", ""],
        "InvoiceDate": pd.to_datetime([pd.NaT, pd.NaT, "2024-03-20", pd.NaT, pd.NaT, pd.NaT]),
    }))
    tables["FX"] = macros.fx_rows(tables, {})  # the fx command: now the lines' GBP and USD legs too
    tables["Enrolments"] = _as_read("Enrolments", pd.concat([tables["Enrolments"], pd.DataFrame({
        "SessionId": ["S3"], "BusinessUnit": ["B"], "Country": ["FR"], "Registered": [2], "Attended": [0]})],
        ignore_index=True))
    return tables


def _expected() -> dict[str, dict[str, float]]:
    """Hand-computed: S2 (2 registered learners, EUR) gets a GBP travel line and a per-learner catering line;
    S1's USD room line replaces its GBP room day rate; S3 (cancelled) is charged its fee only."""
    travel = ECB.convert(TRAVEL_GBP, "GBP", "EUR", S2_START)
    room = ECB.convert(ROOM_LINE_USD, "USD", "EUR", START)
    instructor = ECB.convert(682, "USD", "EUR", START)
    return {
        "S2": {"LinesCost": travel + 2 * CATERING_EUR, "FixedCost": 120.0 + travel + 2 * CATERING_EUR,
               "LinesEstimated": ECB.convert(250, "GBP", "EUR", S2_START) + 2 * CATERING_EUR, "LinesActual": 0.0},
        "S1": {"RoomCost": room, "FixedCost": room + instructor,
               "LinesCommitted": ECB.convert(320, "USD", "EUR", START), "LinesActual": room},
        "S3": {"CancellationFee": FEE_EUR, "FixedCost": FEE_EUR, "VariableCost": 0.0, "SessionCost": FEE_EUR,
               "LinesCost": 90.0, "CostReporting": FEE_EUR},
    }


def test_a_session_is_composed_from_its_lines():
    table = session_table_with_errors(_with_lines(), SETTINGS)
    s = table.values.set_index("SessionId")
    for session, figures in _expected().items():
        for column, value in figures.items():
            assert s.at[session, column] == pytest.approx(value, rel=1e-12, abs=1e-9), (session, column)
    assert s.at["S2", "CostReporting"] == round(120.0 + ECB.convert(TRAVEL_GBP, "GBP", "EUR", S2_START)
                                               + 2 * CATERING_EUR + 2 * VARIABLE + 1e-9, 2)
    assert table.errors.stack().dropna().empty


def test_each_line_shows_its_stage_rate_and_amounts():
    tables = _with_lines()
    sessions = session_table_with_errors(tables, SETTINGS)
    s = sessions.values.reset_index(drop=True)
    lines = cost_lines.line_table(tables["SessionCosts"], s, sessions.errors.reset_index(drop=True), None, "EUR")
    # without an FX table a line in another currency has no rate: #N/A, as the workbook shows it
    assert lines.errors.loc[0, "Rate"] == "#N/A" and lines.errors.loc[1, "Rate"] is None
    v = lines.values
    assert list(v["Stage"]) == ["Committed", "Estimated", "Actual", "Committed", "Estimated", "Estimated"]
    assert v.loc[1, "Quantity"] == 2 and v.loc[1, "AmountSession"] == 2 * CATERING_EUR
    assert lines.errors.loc[5, "SessionCurrency"] == "#N/A"   # S9 is no session: adds to none


def _sheet(wb, name: str) -> dict[str, dict]:
    ws = wb[name]
    header = [c.value for c in ws[1]]
    return [dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)]


@pytest.mark.libreoffice
@pytest.mark.skipif(not soffice_available(), reason="LibreOffice (soffice) is not installed")
def test_the_workbook_composes_sessions_from_lines_natively(tmp_path):
    tables = _with_lines()
    src = build_planner(tmp_path / "lines.xlsx", tables, as_of=dt.date(2024, 6, 30))
    recalculate(src, tmp_path / "engine.xlsx", today=dt.date(2024, 6, 30))
    books = {"LibreOffice": openpyxl.load_workbook(recalculate_with_libreoffice(src, tmp_path / "lo"), data_only=True),
             "engine": openpyxl.load_workbook(tmp_path / "engine.xlsx", data_only=True)}
    core = session_table_with_errors(tables, SETTINGS).values.set_index("SessionId")
    for by, wb in books.items():
        rows = {r["SessionId"]: r for r in _sheet(wb, "Sessions")}
        for session, figures in _expected().items():
            for column, value in figures.items():
                assert rows[session][column] == pytest.approx(value, rel=1e-12, abs=1e-9), (by, session, column)
        for session in core.index:
            assert rows[session]["CostReporting"] == core.at[session, "CostReporting"], (by, session)
        lines = _sheet(wb, "SessionCosts")
        assert [r["Stage"] for r in lines] == ["Committed", "Estimated", "Actual", "Committed", "Estimated", "Estimated"]
        assert lines[1]["Quantity"] == 2, by
        assert lines[0]["AmountSession"] == pytest.approx(ECB.convert(TRAVEL_GBP, "GBP", "EUR", S2_START), rel=1e-12), by
        assert math.isclose(lines[0]["AmountReporting"], round(lines[0]["AmountSession"] + 1e-9, 2)), by


def test_a_cancelled_session_charges_only_its_fee_allocated_to_the_cent():
    tables = _with_lines()
    ledger = macros.allocation_rows(tables, SETTINGS)
    fee = ledger[ledger["SessionId"] == "S3"].set_index("BusinessUnit")
    # 100.01 by headcount 4:2 = 66.6733 + 33.3367: largest remainder gives the cent to B
    assert fee["Amount"].to_dict() == {"A": 66.67, "B": 33.34}
    assert fee["VariableAmount"].to_dict() == {"A": 0.0, "B": 0.0}
    assert fee["AmountReporting"].to_dict() == {"A": 66.67, "B": 33.34}
    # Budget counts the fee under Actual; the report's total cost and the Dashboard's formula count it too
    sessions = session_table_with_errors(tables, SETTINGS).values
    budget = plan.budget_table(tables, SETTINGS, sessions)
    delivered = sessions.loc[sessions["Status"] == "Delivered", "CostReporting"].sum()
    assert round(budget["Actual"].sum(), 2) == round(delivered + FEE_EUR, 2)
    assert kpis.kpis_by_year(tables, SETTINGS, sessions).loc[2024, "TotalCost"] == round(delivered + FEE_EUR, 2)


def test_check_locates_every_bad_line(tmp_path):
    tables = _with_lines()
    bad = _as_read("SessionCosts", pd.DataFrame({
        "SessionId": ["S9", "S2", "S2", "S1", "S5", "S1", "S1"],
        "Category": ["travel", "Travel", "venue", "venue", "catering", "cancellation fee", "materials"],
        "Basis": "fixed", "Currency": ["EUR", "EUR", "", "EUR", "EUR", "EUR", "JPY"],
        "Estimated": 10.0, "Actual": [np.nan, np.nan, np.nan, 50.0, 20.0, np.nan, np.nan],
        "InvoiceNumber": ["", "", "", "INV-9", "INV-10", "", ""],
        "InvoiceDate": pd.to_datetime([pd.NaT, pd.NaT, pd.NaT, pd.NaT, "2024-03-01", pd.NaT, pd.NaT]),
    }))
    tables["SessionCosts"] = pd.concat([tables["SessionCosts"], bad], ignore_index=True)  # rows 8-14 of the sheet
    planner = read_planner(build_planner(tmp_path / "bad.xlsx", tables, as_of=dt.date(2024, 6, 30)))
    found = {(p.cell, p.severity): p.message for p in planner.problems if p.sheet == "SessionCosts"}
    assert "Sessions" in found[("A8", "error")]                     # S9 (and the first S9 line, row 7)
    assert "Travel" in found[("B9", "error")]                       # categories are the drop-down's, lower case
    assert "required" in found[("E10", "error")]                    # a line needs its currency
    assert "InvoiceDate" in found[("K11", "error")]                 # an invoice without its date
    assert "not yet delivered" in found[("I12", "warning")]         # actual on S5, Planned
    assert "cancelled" in found[("B13", "warning")]                 # a fee on S1, delivered: not counted
    assert "lacks the rate" in found[("E14", "warning")]            # JPY: the FX tab has no JPY rate
    assert ("A7", "error") in found
    assert len(found) == 8, found


def test_the_example_shows_cost_lines_in_mixed_currencies_with_pos_invoices_and_a_fee():
    planner = read_planner(EXAMPLE)
    lines, sessions = planner.session_costs, planner.sessions.set_index("SessionId")
    status = sessions.loc[lines["SessionId"], "Status"].to_numpy()
    session_currency = session_table_with_errors(planner.tables, planner.settings).values.set_index(
        "SessionId").loc[lines["SessionId"], "Currency"].to_numpy()
    assert {"travel", "catering", "venue", "cancellation fee"} <= set(lines["Category"])
    # an EUR session with a GBP travel line
    assert ((lines["Category"] == "travel") & (lines["Currency"] == "GBP") & (session_currency == "EUR")).any()
    assert (lines["Basis"] == "per learner").any()
    fee = (lines["Category"] == "cancellation fee").to_numpy()
    assert fee.any() and (status[fee] == "Cancelled").all()
    ordered = lines["PONumber"] != ""
    assert (ordered[np.isin(status, ("Confirmed", "Delivered")) & ~fee]).all()
    assert not ordered[status == "Planned"].any()
    invoiced = (lines["InvoiceNumber"] != "").to_numpy()
    assert invoiced.any() and set(status[invoiced]) <= {"Delivered", "Cancelled"}
    assert lines.loc[invoiced, "InvoiceDate"].notna().all()
    assert not [p for p in planner.problems if p.sheet == "SessionCosts"]
    # the fee is in the ledger, allocated to the cent
    ledger = macros.allocation_rows(planner.tables, planner.settings)
    charged = session_table_with_errors(planner.tables, planner.settings).values.set_index("SessionId")
    for session in lines.loc[fee, "SessionId"]:
        assert round(ledger.loc[ledger["SessionId"] == session, "AmountReporting"].sum(), 2) == \
            charged.at[session, "CostReporting"] > 0


def _with_ledger_and_budget() -> dict[str, pd.DataFrame]:
    tables = _with_lines()
    # S1: A/DE 5 + B/FR 3; S2: A/DE 2; S3 (cancelled): A/DE 4 + B/FR 2. A has a DE row (its whole-BU row then
    # counts nothing), B a whole-BU row only (its FR lines count there).
    tables["Budget"] = _as_read("Budget", pd.DataFrame({"Year": [2024, 2024, 2024], "BusinessUnit": ["A", "A", "B"],
                                                        "Country": ["", "DE", ""], "Budget": [1000.0, 500.0, 800.0]}))
    tables["Allocation"] = _as_read("Allocation", macros.allocation_rows(tables, SETTINGS))
    return tables


def _budget_expected() -> dict[tuple[str, str], dict[str, float]]:
    room_actual = ECB.convert(ROOM_LINE_USD, "USD", "EUR", START)
    room_committed = ECB.convert(320, "USD", "EUR", START)
    s2_estimated = ECB.convert(250, "GBP", "EUR", S2_START) + 2 * CATERING_EUR
    s2_committed = ECB.convert(TRAVEL_GBP, "GBP", "EUR", S2_START)
    cents = lambda x: round(x + 1e-9, 2)  # noqa: E731 (half up, as ROUND on these positive amounts)
    return {
        ("A", "DE"): {"LinesActual": cents(5 / 8 * room_actual),
                      "LinesCommitted": cents(5 / 8 * room_committed) + cents(s2_committed) + cents(4 / 6 * FEE_EUR),
                      "LinesEstimated": cents(5 / 8 * 280 * room_committed / 320) + cents(s2_estimated) + cents(4 / 6 * 200)},
        ("A", ""): {"LinesActual": 0.0, "LinesCommitted": 0.0, "LinesEstimated": 0.0},
        ("B", ""): {"LinesActual": cents(3 / 8 * room_actual),
                    "LinesCommitted": cents(3 / 8 * room_committed) + cents(2 / 6 * FEE_EUR)},
    }


def test_budget_rows_show_the_lines_stages_allocated_to_them():
    tables = _with_ledger_and_budget()
    sessions = session_table_with_errors(tables, SETTINGS).values
    ledger, figures = cost_lines.budget_lines(tables["Allocation"], sessions, tables["Budget"], SETTINGS)
    assert list(ledger["BudgetCountry"]) == ["DE" if bu == "A" else "(all)" for bu in tables["Allocation"]["BusinessUnit"]]
    got = figures.set_axis(pd.MultiIndex.from_frame(tables["Budget"][["BusinessUnit", "Country"]]))
    for row, expected in _budget_expected().items():
        for column, value in expected.items():
            assert got.at[row, column] == pytest.approx(value, abs=1e-9), (row, column)


@pytest.mark.libreoffice
@pytest.mark.skipif(not soffice_available(), reason="LibreOffice (soffice) is not installed")
def test_the_workbook_allocates_the_lines_stages_to_budget_rows_natively(tmp_path):
    tables = _with_ledger_and_budget()
    src = build_planner(tmp_path / "budget.xlsx", tables, as_of=dt.date(2024, 6, 30))
    recalculate(src, tmp_path / "engine.xlsx", today=dt.date(2024, 6, 30))
    books = {"LibreOffice": openpyxl.load_workbook(recalculate_with_libreoffice(src, tmp_path / "lo"), data_only=True),
             "engine": openpyxl.load_workbook(tmp_path / "engine.xlsx", data_only=True)}
    sessions = session_table_with_errors(tables, SETTINGS).values
    _, core = cost_lines.budget_lines(tables["Allocation"], sessions, tables["Budget"], SETTINGS)
    for by, wb in books.items():
        rows = {(r["BusinessUnit"], r["Country"] or ""): r for r in _sheet(wb, "Budget")}
        for row, expected in _budget_expected().items():
            for column, value in expected.items():
                assert rows[row][column] == pytest.approx(value, abs=1e-9), (by, row, column)
        for i, row in enumerate(rows.values()):
            for column in core.columns:
                assert row[column] == pytest.approx(core.iloc[i][column], abs=1e-9), (by, i, column)
