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
