"""The holidays command fills the Holidays tab the checklist's native WORKDAY due dates read.

Checked against the ``holidays`` package called directly (not through the core), on the example
planner, with a row the user added, rows out of order, and on an older planner without the tab.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import holidays
import pandas as pd
import pytest
from typer.testing import CliRunner

from ilt_xl.cli.app import app
from ilt_xl.workbook.headless import run_macro
from ilt_xl.workbook.package_editor import PackageEditor
from ilt_xl.workbook.reader import read_planner
from ilt_xl.workbook.sheet_writer import replace_table_rows

EXAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "ilt_planner_example.xlsx"
CLOSING_DAY = pd.DataFrame({"Country": ["GB"], "Date": [pd.Timestamp("2026-12-29")], "Name": ["Company closing day"]})


@pytest.fixture()
def planner_file(tmp_path) -> Path:
    if not EXAMPLE.exists():
        from ilt_xl.workbook.builder import build_planner
        from ilt_xl.workbook.example import make_example
        return build_planner(tmp_path / "plan.xlsx", make_example(120))
    return Path(shutil.copy(EXAMPLE, tmp_path / "plan.xlsx"))


def _expected(planner) -> pd.DataFrame:
    """Every public holiday of every session country in the sessions' years +-1, straight from the package."""
    s = planner.sessions
    years = range(min(s["StartDate"].dt.year) - 1, max(s["EndDate"].dt.year) + 2)
    rows = [(c, pd.Timestamp(d), name) for c in sorted(set(s["Country"]))
            for d, name in sorted(holidays.country_holidays(c, years=years).items())]
    return pd.DataFrame(rows, columns=["Country", "Date", "Name"])


def test_holidays_are_written_sorted_and_the_users_rows_kept(planner_file, tmp_path):
    planner = read_planner(planner_file, validate=False)
    # The user's table: shuffled, with a closing day of their own.
    shuffled = pd.concat([planner.holidays.sample(frac=1, random_state=1), CLOSING_DAY], ignore_index=True)
    editor = PackageEditor(planner_file)
    replace_table_rows(editor, "Holidays", shuffled)
    edited = tmp_path / "edited.xlsx"
    editor.save(edited)
    out = tmp_path / "out.xlsx"
    result = run_macro("holidays", edited, out)
    assert set(result.changed_parts) == {PackageEditor(edited).table("Holidays").sheet_part}
    got = read_planner(out, validate=False).holidays.reset_index(drop=True)
    want = pd.concat([_expected(planner), CLOSING_DAY]).sort_values(["Country", "Date"], kind="stable", ignore_index=True)
    assert result.rows == len(want) == len(got)
    assert got["Country"].tolist() == want["Country"].tolist()
    assert (got["Date"] == want["Date"]).all()
    assert got["Name"].tolist() == want["Name"].tolist()
    # Sorted by country, as the due dates' MATCH(country, Holidays[Country], 1) needs.
    assert got["Country"].tolist() == sorted(got["Country"])


def test_an_older_planner_without_the_tab_is_warned_and_gets_it(planner_file, tmp_path):
    import openpyxl

    wb = openpyxl.load_workbook(planner_file)
    wb.remove(wb["Holidays"])
    older = tmp_path / "older.xlsx"
    wb.save(older)
    planner = read_planner(older)
    missing = [p for p in planner.problems if p.sheet == "Holidays"]
    assert len(missing) == 1 and not missing[0].is_error and "ilt-xl holidays" in missing[0].message
    assert planner.holidays.empty
    runner = CliRunner()
    out = tmp_path / "out.xlsx"
    result = runner.invoke(app, ["holidays", str(older), "-o", str(out)])
    assert result.exit_code == 0, result.output
    again = read_planner(out, validate=False)
    assert len(again.holidays) == len(_expected(planner))
    assert f"Holidays written ({len(again.holidays)} rows)" in " ".join(result.output.split())  # any line width
    assert not [p for p in read_planner(out).problems if p.sheet == "Holidays"]
