"""A circular reference without iterative calculation: Excel does not compute the circle, and the
cells reading it keep what they held (an Excel-saved workbook has ``=B1+1`` cached as 0 while B1,
on a circle, is 0). The engine keeps the values Excel cached for both, reports them as kept
("circular reference", naming the cells), and computes everything else."""
from __future__ import annotations

import datetime as dt

from handmade import write_xlsx

from ilt_xl.engine.recalc import compute
from ilt_xl.engine.workbook_model import load_workbook_model

DAY = dt.date(2024, 1, 1)


def _compute(tmp_path, cells: str):
    model = load_workbook_model(write_xlsx(tmp_path / "in.xlsx", {"S": cells}))
    report = compute(model, DAY)
    grid = model.sheets[0].grid
    return report, lambda a1: grid.value(int(a1[1:]) - 1, ord(a1[0]) - 65)


def test_a_circle_and_its_readers_keep_excels_values(tmp_path):
    # A1 TRUE: B1 reads C1, C1 reads B1 (a circle); D1 reads C1; E1 does not touch the circle
    report, v = _compute(tmp_path, '<row r="1"><c r="A1" t="b"><v>1</v></c>'
                                   '<c r="B1"><f>IF(A1,C1,1)</f><v>7</v></c><c r="C1"><f>B1+1</f><v>8</v></c>'
                                   '<c r="D1"><f>C1*2</f><v>3</v></c><c r="E1"><f>A1+1</f><v>99</v></c></row>')
    assert [v(c) for c in ("B1", "C1", "D1", "E1")] == [7.0, 8.0, 3.0, 2.0]
    assert report.kept_count == 3 and report.kept_by_kind() == {"circular reference": 3}
    text = " ".join(str(p) for p in report.problems)
    assert "S!B1" in text and "S!C1" in text and "reads S!C1" in text
    assert report.cells_computed == 1


def test_the_branch_not_taken_is_no_circle(tmp_path):
    # A1 FALSE: B1 is 1 without reading C1, so nothing is circular and everything is computed
    report, v = _compute(tmp_path, '<row r="1"><c r="A1" t="b"><v>0</v></c>'
                                   '<c r="B1"><f>IF(A1,C1,1)</f><v>7</v></c><c r="C1"><f>B1+1</f><v>8</v></c>'
                                   '<c r="D1"><f>C1*2</f><v>3</v></c></row>')
    assert [v(c) for c in ("B1", "C1", "D1")] == [1.0, 2.0, 4.0]
    assert report.problems == []


def test_readers_in_a_column_are_kept_row_by_row(tmp_path):
    # B2:B4 read A2:A4; only A3 is on a circle (with C3), so only B3 keeps its cached value
    rows = ('<row r="2"><c r="A2"><v>1</v></c><c r="B2"><f>A2*10</f><v>0</v></c></row>'
            '<row r="3"><c r="A3"><f>C3</f><v>5</v></c><c r="B3"><f>A3*10</f><v>42</v></c><c r="C3"><f>A3</f><v>5</v></c></row>'
            '<row r="4"><c r="A4"><v>3</v></c><c r="B4"><f>A4*10</f><v>0</v></c></row>')
    report, v = _compute(tmp_path, rows)
    assert [v(c) for c in ("B2", "B3", "B4", "A3", "C3")] == [10.0, 42.0, 30.0, 5.0, 5.0]
    assert report.kept_count == 3
    assert any(p.cell == "S!B3" and p.cells == 1 for p in report.problems)


def test_an_array_formula_on_a_circle_keeps_its_whole_area(tmp_path):
    # {=A1:A2*2} in B1:B2 reads A1, which reads B2: the whole area keeps what Excel cached
    rows = ('<row r="1"><c r="A1"><f>B2</f><v>4</v></c><c r="B1"><f t="array" ref="B1:B2">A1:A2*2</f><v>8</v></c></row>'
            '<row r="2"><c r="A2"><v>3</v></c><c r="B2"><v>6</v></c></row>')
    report, v = _compute(tmp_path, rows)
    assert [v(c) for c in ("A1", "B1", "B2")] == [4.0, 8.0, 6.0]
    assert report.kept_by_kind() == {"circular reference": 2}


def test_a_circle_without_cached_values_is_left_empty_not_computed(tmp_path):
    report, v = _compute(tmp_path, '<row r="1"><c r="A1"><f>B1+1</f></c><c r="B1"><f>A1+1</f></c>'
                                   '<c r="C1"><f>5</f></c></row>')
    assert (v("A1"), v("B1"), v("C1")) == (None, None, 5.0)
    assert report.kept_count == 2


def test_recalc_exits_1_and_lists_the_circle_as_kept(tmp_path):
    import json

    import openpyxl
    from typer.testing import CliRunner

    from ilt_xl.cli import app
    src = write_xlsx(tmp_path / "in.xlsx", {"S": '<row r="1"><c r="A1"><f>B1+1</f><v>3</v></c>'
                                                 '<c r="B1"><f>A1+1</f><v>4</v></c><c r="C1"><f>A1*10</f><v>30</v></c>'
                                                 '<c r="D1"><f>2*2</f><v>0</v></c></row>'})
    res = CliRunner().invoke(app, ["recalc", str(src), "-o", str(tmp_path / "o.xlsx"), "--format", "json"])
    assert res.exit_code == 1, res.output
    data = json.loads(res.stdout)
    assert data["cells"] == 1 and data["kept_as_cached"] == 3
    assert data["kept_by_reason"] == {"circular reference": 3}
    assert any("S!A1" in k["reason"] for k in data["not_evaluated"])
    got = openpyxl.load_workbook(tmp_path / "o.xlsx", data_only=True)["S"]
    assert [got[c].value for c in ("A1", "B1", "C1", "D1")] == [3, 4, 30, 4]      # Excel's values kept
