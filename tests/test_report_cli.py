"""``ilt-xl report``: the README's first command, on the example and on bad input."""
import re

from typer.testing import CliRunner

from ilt_xl.cli import app
from ilt_xl.core.kpis import kpi_report
from ilt_xl.core.sessions import session_table
from ilt_xl.workbook.reader import read_planner
from ilt_xl.cli.report import EXAMPLE

runner = CliRunner()


def test_report_on_the_example_shows_the_core_figures():
    result = runner.invoke(app, ["report"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    planner = read_planner(EXAMPLE)
    sessions = session_table(planner.tables, planner.settings)
    kpis = kpi_report(planner.tables, planner.settings, sessions).set_index(["Year", "KPI"]).Value
    assert f"{kpis[(2024, 'TotalCost')]:,.2f}" in result.output
    assert f"{kpis[(2023, 'SessionsDelivered')]:,.0f}" in result.output
    at_risk = sessions.SessionId[sessions.GoNoGo == "At risk"]
    assert len(at_risk) > 0
    assert all(s in result.output for s in at_risk)
    assert re.search(r"Conflicts \(\d+\)", result.output)


def test_report_refuses_a_file_that_is_not_a_workbook(tmp_path):
    bad = tmp_path / "plan.xlsx"
    bad.write_text("SessionId,CourseId\nS1,C1\n")
    result = runner.invoke(app, ["report", str(bad)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


STAGES = ("LinesEstimated", "LinesCommitted", "LinesActual")


def _budget_cells(path) -> list[dict]:
    """Budget's rows as the workbook holds them (cached values: the engine's, written by `ilt-xl new`)."""
    import openpyxl

    ws = openpyxl.load_workbook(path, data_only=True)["Budget"]
    ref = ws.tables["Budget"].ref
    rows = [[c.value for c in row] for row in ws[ref]]
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def _stage_line(year, unit, country, values) -> str:
    return "  ".join([str(year), unit, country or "(all)"]) + " " + " ".join(f"{v:,.2f}" for v in values)


def test_report_shows_each_budget_lines_stages_as_budget_cells_show_them():
    """JSON and plain lines (a pipe) give, per Budget row, the cached values of its Lines* cells to the cent."""
    import json

    cells = _budget_cells(EXAMPLE)
    report = json.loads(runner.invoke(app, ["report", "--format", "json", "--quiet"]).stdout)
    lines = report["budget_lines"]
    assert len(lines) == len(cells)
    for got, cell in zip(lines, cells):
        assert (got["Year"], got["BusinessUnit"], got["Country"] or None) == (cell["Year"], cell["BusinessUnit"], cell["Country"])
        assert [round(got[s], 2) for s in STAGES] == [round(cell[s], 2) for s in STAGES], cell
    # estimated -> committed -> actual is visible: some lines are ordered, some invoiced, not all yet
    assert any(c["LinesActual"] > 0 for c in cells)
    assert any(c["LinesEstimated"] > c["LinesCommitted"] > c["LinesActual"] > 0 for c in cells)
    text = runner.invoke(app, ["report", "--quiet"]).output
    section = text.split("Cost lines by budget line")[1].split("\n\n")[0]
    shown = [c for c in cells if any(c[s] for s in STAGES)]
    assert f"{len(cells) - len(shown)} budget lines without cost lines not shown" in text
    assert not re.search(r"^2023\s", section, re.M)  # the example's cost lines are all in 2026
    for cell in shown:
        assert re.search(r"\s+".join(re.escape(p) for p in _stage_line(
            cell["Year"], cell["BusinessUnit"], cell["Country"], [cell[s] for s in STAGES]).split()), section), cell


def test_report_stages_of_a_hand_computed_planner(tmp_path):
    """test_cost_lines' case: lines in GBP, USD and EUR at three stages, a cancelled session's fee, a BU with a
    country row and one with a whole-BU row; the report's figures are the hand-computed ones."""
    import datetime as dt
    import json

    from test_cost_lines import _budget_expected, _with_ledger_and_budget

    from ilt_xl.workbook.builder import build_planner

    path = build_planner(tmp_path / "plan.xlsx", _with_ledger_and_budget(), as_of=dt.date(2024, 6, 30))
    result = runner.invoke(app, ["report", str(path), "--format", "json", "--quiet"])
    report = json.loads(result.stdout)
    # the case's line of an unknown session S9 is an error: reported around (exit 1), as any bad row
    assert result.exit_code == 1 and [p["value"] for p in report["not_reported"]] == ["S9"]
    got = {(r["BusinessUnit"], r["Country"] or ""): r for r in report["budget_lines"]}
    expected = _budget_expected()
    assert set(got) == set(expected)
    for row, figures in expected.items():
        for column, value in figures.items():
            assert got[row][column] == round(value, 2), (row, column)
    text = runner.invoke(app, ["report", str(path), "--quiet"]).output
    a_de = expected[("A", "DE")]
    assert re.search(r"2024\s+A\s+DE\s+" + r"\s+".join(re.escape(f"{a_de[s]:,.2f}") for s in STAGES), text)
