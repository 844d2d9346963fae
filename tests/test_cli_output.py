"""Output that fits where it goes: plain unwrapped lines in a pipe, tables that never cut a number on a
terminal, JSON on demand, progress only on a terminal's standard error. Widths are set explicitly."""
from __future__ import annotations

import io
import json

from rich.console import Console
from typer.testing import CliRunner

import broken_workbooks as bw
from ilt_xl.cli.app import app
from ilt_xl.cli.output import Column, FittingConsole, plural, print_table

runner = CliRunner(env={"COLUMNS": "80"})
MONEY = "18,577,000.00"


def _terminal(width: int) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return FittingConsole(file=out, force_terminal=True, width=width, color_system=None), out


def test_a_terminal_table_never_cuts_a_number():
    for width in (40, 80, 200):
        console, out = _terminal(width)
        print_table(console, "Budget", [Column("Business unit"), Column("Budget", numeric=True)],
                    [["Research & Development of very long names", MONEY]])
        text = out.getvalue()
        assert MONEY in text and "…" not in text, (width, text)


def test_a_pipe_gets_plain_lines_that_never_wrap():
    out = io.StringIO()
    console = FittingConsole(file=out, width=20)       # not a terminal
    console.print("a path /" + "x" * 100 + " does not exist")
    print_table(console, "T", [Column("A"), Column("B", numeric=True)], [["x" * 50, MONEY]])
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("does not exist") and len(lines) == 4
    assert lines[-1].startswith("x" * 50) and lines[-1].endswith(MONEY)


def test_plurals():
    assert plural(1, "error") == "1 error" and plural(0, "error") == "0 errors" and plural(1234, "row") == "1,234 rows"


def test_check_in_a_pipe_prints_one_line_per_problem(tmp_path):
    rows = bw.planner_rows()
    rows["Rooms"][2]["Capacity"] = "many"
    path = bw.write_planner(tmp_path / "p.xlsx", rows)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{path}: Rooms!E4: Capacity: error: the cell holds text; value: many (expected a whole number)",
        "1 error, 0 warnings"]


def test_a_missing_setting_whose_default_is_used_is_a_warning(tmp_path):
    path = bw.write_planner(tmp_path / "p.xlsx", drop_names=("GoNoGoLeadDays",))
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert "Settings: GoNoGoLeadDays: warning: the named cell GoNoGoLeadDays is missing; its default 14 is used" \
        in result.output and "0 errors, 1 warning" in result.output


def test_report_in_a_pipe_never_cuts_money_and_reports_around_a_bad_cell(tmp_path):
    rows = bw.planner_rows()
    rows["Sessions"][1]["RoomId"] = "R9"        # an unknown room: that session is left out, the rest reported
    path = bw.write_planner(tmp_path / "p.xlsx", rows)
    result = runner.invoke(app, ["report", str(path)])
    assert result.exit_code == 1, result.output
    assert "…" not in result.output and "KPIs by fiscal year" in result.output and "Budget by year" in result.output
    assert f"{path}: Sessions!J3: RoomId: error:" in result.output.split("Not reported")[1]
    report = json.loads(runner.invoke(app, ["report", str(path), "--format", "json"]).stdout)
    assert report["sessions"] == 2 and [p["cell"] for p in report["not_reported"]] == ["J3"]
    assert {k["KPI"] for k in report["kpis"]} >= {"TotalCost", "SessionsDelivered"}


def test_help_shows_flags_as_flags_examples_and_the_version():
    help_text = runner.invoke(app, ["recalc", "--help"], env={"COLUMNS": "200"}).output
    assert "<bool>" not in help_text and "Examples" in help_text and "ilt-xl recalc plan.xlsx" in help_text
    batch = runner.invoke(app, ["batch", "--help"], env={"COLUMNS": "200"}).output
    assert "the CPU count" in batch and "[default: 0]" not in batch and "ilt-xl[dask]" in batch
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.output.startswith("ilt-xl ")


def test_sessions_without_example_is_an_error(tmp_path):
    result = runner.invoke(app, ["new", str(tmp_path / "p.xlsx"), "--sessions", "30"])
    assert result.exit_code == 2 and "--sessions" in result.output and "--example" in result.output
    assert not (tmp_path / "p.xlsx").exists()
