"""Calculated columns are written as Excel shared formulas (issue 14, item 15): one formula text per
column, which openpyxl, python-calamine and the engine all read as the formula of every row.

LibreOffice's reading of them is checked by tests/test_template_fidelity.py, which recalculates the
built template and example in LibreOffice and compares every formula cell with the engine.
"""
from __future__ import annotations

import re
import zipfile

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from ilt_xl.engine.recalc import recalculate
from ilt_xl.schema import PLANNER
from ilt_xl.workbook import sheet_rows
from ilt_xl.workbook.builder import build_planner
from ilt_xl.workbook.example import make_example
from ilt_xl.xlsx.cells import column_letter

SESSIONS = PLANNER.table("Sessions")


@pytest.fixture(scope="module")
def planner(tmp_path_factory):
    """A small example built with 7-row chunks, so that shared formulas span several chunks."""
    folder = tmp_path_factory.mktemp("shared")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sheet_rows, "_CHUNK_ROWS", 7)
        example = make_example(sessions=30, seed=5)
        built = build_planner(folder / "built.xlsx", example)
    computed = folder / "computed.xlsx"
    recalculate(built, computed, today=pd.Timestamp("2025-06-02").date())
    return example, built, computed


def _sheet_xml(path, sheet: str) -> str:
    with zipfile.ZipFile(path) as archive:
        index = openpyxl.load_workbook(path, read_only=True).sheetnames.index(sheet) + 1
        return archive.read(f"xl/worksheets/sheet{index}.xml").decode("utf-8")


def test_each_calculated_column_is_one_shared_formula_over_its_rows(planner):
    example, built, _ = planner
    xml = _sheet_xml(built, "Sessions")
    last = len(example.tables["Sessions"]) + 1
    calculated = [(i, c) for i, c in enumerate(SESSIONS.columns, start=1) if c.calculated]
    for si, (index, column) in enumerate(calculated):
        letter = column_letter(index)
        masters = re.findall(rf'<c r="{letter}2"[^>]*><f t="shared" ref="([A-Z]+\d+:[A-Z]+\d+)" si="{si}">([^<]*)</f>', xml)
        assert masters == [(f"{letter}2:{letter}{last}",
                            SESSIONS.formula_of(column.name)[1:].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))]
        users = re.findall(rf'<c r="{letter}(\d+)"[^>]*><f t="shared" si="{si}"/></c>', xml)
        assert users == [str(r) for r in range(3, last + 1)]
    assert len(re.findall(r"<f[ >/]", xml)) == len(calculated) * (last - 1)    # no other formula, none twice


def test_openpyxl_reads_the_formula_of_every_row(planner):
    example, built, _ = planner
    ws = openpyxl.load_workbook(built)["Sessions"]
    table = ws.tables["Sessions"]
    for index, column in enumerate(SESSIONS.columns, start=1):
        if not column.calculated:
            continue
        cells = [ws.cell(row, index).value for row in range(2, len(example.tables["Sessions"]) + 2)]
        assert cells == [SESSIONS.formula_of(column.name)] * len(cells), column.name
        assert table.tableColumns[index - 1].calculatedColumnFormula.attr_text == SESSIONS.formula_of(column.name)[1:]


def test_engine_values_in_every_row_read_by_calamine_equal_hand_computed_ones(planner):
    """Days = EndDate - StartDate + 1 and Registered = the session's enrolments, computed here with
    pandas: every row of the shared formulas got its own value, not the master's."""
    example, _, computed = planner
    sessions = example.tables["Sessions"].reset_index(drop=True)
    rows = CalamineWorkbook.from_path(str(computed)).get_sheet_by_name("Sessions").to_python()
    header, body = rows[0], rows[1:1 + len(sessions)]
    got = pd.DataFrame(body, columns=header)
    days = (pd.to_datetime(sessions["EndDate"]) - pd.to_datetime(sessions["StartDate"])).dt.days + 1
    assert got["Days"].astype(float).tolist() == days.astype(float).tolist()
    enrolments = example.tables["Enrolments"]
    registered = sessions["SessionId"].map(enrolments.groupby("SessionId")["Registered"].sum()).fillna(0)
    assert got["Registered"].astype(float).tolist() == registered.astype(float).tolist()
    assert len(set(got["Days"])) > 1 and len(set(got["Registered"])) > 1   # the rows differ
