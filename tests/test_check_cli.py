"""``ilt-xl check``: exit codes 0/1/2, the problem table, JSON output, and no traceback on bad files."""
from __future__ import annotations

import json

from typer.testing import CliRunner

import broken_workbooks as bw
from ilt_xl.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["check", *args], env={"COLUMNS": "200"})


def test_clean_planner_exits_0(tmp_path):
    result = run(str(bw.write_planner(tmp_path / "p.xlsx")))
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output


def test_problems_are_listed_and_exit_1(tmp_path):
    rows = bw.planner_rows()
    rows["Rooms"][2]["Capacity"] = -4
    rows["Sessions"][0]["StartDate"] = "04/03/2024"
    result = run(str(bw.write_planner(tmp_path / "p.xlsx", rows)))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any("Rooms" in line and "E4" in line and "Capacity" in line and "-4" in line for line in lines)
    assert any("Sessions" in line and "D2" in line and "04/03/2024" in line for line in lines)
    assert "2 errors, 0 warnings" in result.output


def test_warnings_alone_exit_0(tmp_path):
    result = run(str(bw.write_planner(tmp_path / "p.xlsx", hidden_sheets=("FX",))))
    assert result.exit_code == 0 and "0 errors, 1 warning" in result.output


def test_json_output(tmp_path):
    rows = bw.planner_rows()
    rows["Sessions"][1]["RoomId"] = "R9"
    result = run(str(bw.write_planner(tmp_path / "p.xlsx", rows)), "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["errors"] == 1 and report["warnings"] == 0
    [problem] = report["problems"]
    assert (problem["sheet"], problem["cell"], problem["row"], problem["column"], problem["value"]) == (
        "Sessions", "J3", 3, "RoomId", "R9")


def test_limit_caps_the_table(tmp_path):
    rows = bw.planner_rows()
    for row in rows["Enrolments"]:
        row["Registered"] = -1
    result = run(str(bw.write_planner(tmp_path / "p.xlsx", rows)), "--limit", "1")
    # three negative counts, and two lines now attending more than registered (warnings)
    assert result.exit_code == 1 and "3 errors, 2 warnings (4 more not listed" in result.output


def test_unusable_files_exit_2_with_one_message(tmp_path):
    valid = bw.write_planner(tmp_path / "valid.xlsx")
    makers = {
        "missing.xlsx": lambda p: p,
        "garbage.xlsx": bw.not_a_zip_file,
        "csv.xlsx": bw.csv_file,
        "encrypted.xlsx": bw.encrypted_file,
        "truncated.xlsx": lambda p: bw.truncated_file(p, valid),
        "bomb.xlsx": lambda p: bw.declared_bomb_file(p, valid),
        "laughs.xlsx": lambda p: bw.billion_laughs_file(p, valid),
    }
    for name, make in makers.items():
        path = make(tmp_path / name)
        result = run(str(path))
        assert result.exit_code == 2, (name, result.output)
        assert "Traceback" not in result.output and f"Cannot check {path}" in result.output.replace("\n", " ")


def test_unexpected_failure_is_reported_not_hidden(tmp_path, monkeypatch):
    import ilt_xl.workbook.reader as reader

    def broken(path):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(reader, "read_planner", broken)
    path = str(bw.write_planner(tmp_path / "p.xlsx"))
    result = run(path)
    assert result.exit_code == 2
    assert "unexpected failure" in result.output and "ZeroDivisionError" in result.output
    assert "Traceback" not in result.output
    debug = run(path, "--debug")
    assert debug.exit_code == 2 and "Traceback" in debug.output


def test_json_values_blank_numbers_as_null(tmp_path):
    rows = bw.planner_rows()
    rows["Rooms"][0]["DayRate"] = None             # a required number left blank
    report = json.loads(run(str(bw.write_planner(tmp_path / "p.xlsx", rows)), "--format", "json").stdout)
    [problem] = report["problems"]
    assert (problem["sheet"], problem["cell"], problem["value"]) == ("Rooms", "F2", None)
    assert problem["message"] == "DayRate is required in Rooms"
