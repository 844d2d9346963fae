"""The core's Sessions table equals every native formula cell of Sessions, as LibreOffice computes it.

The example planner (workbooks/ilt_planner_example.xlsx when present, else built from
``make_example``) and a small variant with planted error cases are recalculated in full by
LibreOffice headless. Their input tables are read with ``ilt_xl.read_planner``; the core's
``session_table_with_errors`` must then give, for every calculated cell, the same number
(1e-9 relative), the same text, or the same Excel error.

No Sessions formula calls an ILT_* function: FxRate and CostReporting are the FX table's native
lookups, which LibreOffice computes like every other column.
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

from ilt_xl import read_planner
from ilt_xl.core import excel_errors as xe
from ilt_xl.core.sessions import CALCULATED, TEXT_COLUMNS, session_table_with_errors
from ilt_xl.workbook.builder import build_planner
from ilt_xl.workbook.example import make_example

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(not soffice_available(), reason="LibreOffice (soffice) is not installed"),
]

EXAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "ilt_planner_example.xlsx"


def _with_error_cases():
    """A small example with rows that make the formulas show #N/A and #DIV/0!."""
    example = make_example(sessions=40, seed=3)
    s = example.tables["Sessions"]
    s.loc[s.index[0], "CourseId"] = "NO-SUCH-COURSE"
    s.loc[s.index[1], ["RoomId", "RoomCostEntered", "CapacityOverride"]] = ["NO-ROOM", np.nan, np.nan]
    s.loc[s.index[2], ["InstructorId", "InstructorFeeEntered"]] = ["NO-ONE", np.nan]
    s.loc[s.index[3], "CapacityOverride"] = 0
    s.loc[s.index[4], "CourseId"] = s.loc[s.index[4], "CourseId"].lower()  # MATCH is case-insensitive
    s.loc[s.index[5], ["RoomId", "CapacityOverride", "RoomCostEntered"]] = [np.nan, np.nan, np.nan]
    s.loc[s.index[6], "Status"] = "Cancelled"
    # Go/no-go around the lead time: planned sessions starting 0, 14 and 15 days after AsOfDate, one of an unknown course.
    as_of = pd.Timestamp(example.settings["AsOfDate"])
    for row, (days, course) in zip(s.index[8:12], [(0, None), (14, None), (15, None), (3, "NO-SUCH-COURSE")]):
        s.loc[row, ["Status", "StartDate", "EndDate"]] = ["Planned", as_of + pd.Timedelta(days=days), as_of + pd.Timedelta(days=days + 1)]
        if course:
            s.loc[row, "CourseId"] = course
    e = example.tables["Enrolments"]
    example.tables["Enrolments"] = e[~e["SessionId"].isin(s.loc[s.index[7:12], "SessionId"])]  # nobody registered
    # Rate history: a pool charged in USD from a date, and an instructor's row typed in another case.
    pool, who = example.tables["Equipment"]["EquipmentId"].iat[0], s["InstructorId"].iat[12]
    example.tables["Rates"] = pd.DataFrame({
        "ResourceType": ["Equipment", "Instructor"], "ResourceId": [pool, str(who).lower()],
        "ValidFrom": pd.to_datetime(["2024-01-01", "2023-06-01"]), "DayRate": [12.5, 901.0], "Currency": ["USD", "EUR"]})
    c = example.tables["Courses"]
    c.loc[c.index[0], "PricePerLearner"] = c.loc[c.index[0], "VariableCostPerLearner"]  # break-even #N/A
    return example


@pytest.fixture(scope="module", params=["example", "error_cases"])
def recalculated(request, tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("core_src")
    if request.param == "example":
        path = EXAMPLE if EXAMPLE.exists() else build_planner(src / "example.xlsx", make_example())
    else:
        path = build_planner(src / "error_cases.xlsx", _with_error_cases())
    return recalculate_with_libreoffice(path, tmp_path_factory.mktemp("core_lo"))


def _workbook_sessions(path: Path) -> pd.DataFrame:
    ws = openpyxl.load_workbook(path, data_only=True)["Sessions"]
    rows = [[c.value for c in r] for r in ws[ws.tables["Sessions"].ref]]
    return pd.DataFrame(rows[1:], columns=rows[0], dtype=object)


def _same(core_value, core_error, cell) -> bool:
    if xe.is_error(cell):
        return core_error == cell
    if core_error is not None:
        return False
    if isinstance(core_value, (pd.Timestamp, np.datetime64)):
        return pd.Timestamp(core_value) == pd.Timestamp(cell)
    if cell is None or isinstance(cell, str):  # a blank ("" or nothing): the core holds NaN or ""
        return (cell or "") == ("" if isinstance(core_value, float) and math.isnan(core_value) else core_value or "")
    if isinstance(cell, dt.datetime):
        cell = (cell - dt.datetime(1899, 12, 30)).days
    return math.isclose(float(core_value), float(cell), rel_tol=1e-9, abs_tol=1e-12)


def test_core_equals_every_sessions_formula_cell(recalculated):
    planner = read_planner(recalculated, validate=False)
    values, errors = session_table_with_errors(planner.tables, planner.settings)
    workbook = _workbook_sessions(recalculated)
    assert len(workbook) == len(values) > 0
    mismatches = []
    for column in CALCULATED:
        for i, cell in enumerate(workbook[column]):
            core_value, core_error = values[column].iloc[i], errors[column].iloc[i]
            if not _same(core_value, core_error, cell):
                mismatches.append((values["SessionId"].iloc[i], column, cell, core_value, core_error))
    assert not mismatches, mismatches[:20]


@pytest.mark.parametrize("recalculated", ["error_cases"], indirect=True)
def test_error_cases_are_really_exercised(recalculated):
    workbook = _workbook_sessions(recalculated)
    shown = set(workbook[[c for c in CALCULATED if c not in TEXT_COLUMNS]].to_numpy().ravel().tolist())
    assert {xe.NA, xe.DIV0} <= shown
    assert None in set(workbook["CostPerLearner"])  # no learners: blank, not #DIV/0!
    assert {"At risk", "Open", xe.NA} <= set(workbook["GoNoGo"])
