"""The headless twins on the example planner: contents from the core, user edits kept, nothing else touched."""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ilt_xl.cli.app import app
from ilt_xl.core import checklists, fx, plan, resources
from ilt_xl.core.allocation import allocate
from ilt_xl.core.sessions import session_table, setting
from ilt_xl.schema import PLANNER
from ilt_xl.workbook.headless import run_macro
from ilt_xl.workbook.macros import ECB_ROW_SOURCE
from ilt_xl.workbook.package_editor import PackageEditor
from ilt_xl.workbook.reader import read_planner
from ilt_xl.workbook.sheet_writer import replace_table_rows

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "workbooks" / "ilt_planner_example.xlsx"


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    """The committed example planner, or one built like it when it is not there yet."""
    if EXAMPLE.exists():
        return EXAMPLE
    from ilt_xl.workbook.builder import build_planner
    from ilt_xl.workbook.example import make_example

    return build_planner(tmp_path_factory.mktemp("example") / "example.xlsx", make_example(120))


@pytest.fixture()
def planner_file(example, tmp_path) -> Path:
    return Path(shutil.copy(example, tmp_path / "plan.xlsx"))


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _table_parts(path: Path, table: str) -> set[str]:
    location = PackageEditor(path).table(table)
    return {location.sheet_part, location.table_part}


def _changed(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    assert set(before) <= set(after), "no part is ever dropped"
    return {n for n in after if before.get(n) != after[n]}


def _settings(planner) -> dict:
    return {s.name: setting(planner.settings, s.name) for s in PLANNER.settings}


def _assert_frames_equal(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected)
    for column in expected.columns:
        g, e = got[column].reset_index(drop=True), expected[column].reset_index(drop=True)
        if pd.api.types.is_numeric_dtype(e) and not pd.api.types.is_bool_dtype(e):
            np.testing.assert_allclose(pd.to_numeric(g, errors="coerce").to_numpy("float64"),
                                       pd.to_numeric(e, errors="coerce").to_numpy("float64"), rtol=1e-12, atol=1e-9,
                                       err_msg=column)
        elif pd.api.types.is_datetime64_any_dtype(e):
            assert (pd.to_datetime(g).fillna(pd.Timestamp(0)) == pd.to_datetime(e).fillna(pd.Timestamp(0))).all(), column
        else:
            assert (g.astype(object).where(g.notna(), "").astype(str).tolist()
                    == e.astype(object).where(e.notna(), "").astype(str).tolist()), column


def _fees_of_cancelled_only(sessions: pd.DataFrame) -> pd.DataFrame:
    """The sessions not cancelled, and the cancelled ones with a fee, charged the fee alone (no variable cost)."""
    cancelled = sessions["Status"] == "Cancelled"
    kept = ~cancelled | (sessions["CancellationFee"] != 0)
    assert (kept & cancelled).any(), "the example has a cancellation fee"
    return sessions[kept].assign(VariableCostPerLearner=sessions["VariableCostPerLearner"].where(~cancelled, 0.0)[kept])


@pytest.mark.parametrize("macro,table,expected", [
    # Cancelled sessions are charged their cancellation fee only: the ledger holds the others and those fees.
    ("allocate", "Allocation", lambda p, s: allocate(
        _fees_of_cancelled_only(session_table(p.tables, s)), p.enrolments, s["AllocationMethod"], s["ReportingCurrency"],
        s["FxDatePolicy"], s["BudgetRateDate"], p.fx)),
    ("conflicts", "Conflicts", lambda p, s: resources.conflicts(p.tables, s)),
    ("checklist", "Checklist", lambda p, s: checklists.regenerate(
        p.checklist, p.sessions, p.checklist_template,
        since=pd.Timestamp(s["AsOfDate"]) - pd.Timedelta(days=s["ChecklistHorizonDays"]))),
    ("budget", "Budget", lambda p, s: plan.budget_table(p.tables, s).drop(columns="Variance")),
])
def test_twin_writes_the_core_result_and_only_its_table(planner_file, tmp_path, macro, table, expected):
    before = _parts(planner_file)
    out = tmp_path / "out.xlsx"
    run_macro(macro, planner_file, out)
    assert _parts(planner_file) == before, "the input is untouched without --in-place"
    assert _changed(before, _parts(out)) <= _table_parts(planner_file, table)
    source = read_planner(planner_file, validate=False)
    written = read_planner(out, validate=False)
    frame = written.tables[table]
    want = expected(source, _settings(source))
    schema = PLANNER.table(table)
    computed = {c.name for c in schema.calculated_columns}
    columns = [c for c in want.columns if c in frame.columns and c not in computed]
    _assert_frames_equal(frame[columns], want[columns])
    assert len(want) > 0, f"the example exercises {macro}"
    # Calculated columns (Checklist.DueDate among them) are the workbook's formulas on every written row.
    _assert_formulas_on_every_row(out, table, len(want))


def test_example_ledger_is_what_allocate_writes(planner_file, tmp_path):
    """The example ships its Allocation ledger as `ilt-xl allocate` writes it (so Budget's Lines* stages are
    filled without running a command): running the twin on it changes no row."""
    out = tmp_path / "out.xlsx"
    run_macro("allocate", planner_file, out)
    shipped = read_planner(planner_file, validate=False)
    again = read_planner(out, validate=False).tables["Allocation"]
    columns = [c.name for c in PLANNER.table("Allocation").input_columns]
    _assert_frames_equal(shipped.tables["Allocation"][columns], again[columns])
    sessions = shipped.sessions
    charged = sessions.loc[(sessions["Status"] != "Cancelled") | (sessions["CancellationFee"] > 0), "SessionId"]
    assert set(shipped.tables["Allocation"]["SessionId"]) == set(charged) and len(charged) > 0


def _assert_formulas_on_every_row(path: Path, table: str, rows: int) -> None:
    import openpyxl

    ws = openpyxl.load_workbook(path)[table]
    header = [c.value for c in ws[1]]
    for column in PLANNER.table(table).calculated_columns:
        j = header.index(column.name) + 1
        cells = {ws.cell(r, j).value for r in range(2, rows + 2)}
        assert cells == {PLANNER.table(table).formula_of(column.name)}, (table, column.name)


def test_checklist_rerun_keeps_user_edits_moves_open_tasks_and_cancels(planner_file, tmp_path):
    first = tmp_path / "first.xlsx"
    run_macro("checklist", planner_file, first)
    planner = read_planner(first, validate=False)
    checklist = planner.checklist.reset_index(drop=True)
    sessions = planner.sessions
    future = sessions[(sessions["Status"] == "Planned")].index[:2]
    moved_id, cancelled_id = sessions.loc[future[0], "SessionId"], sessions.loc[future[1], "SessionId"]
    moved_rows = checklist.index[checklist["SessionId"] == moved_id]
    cancel_rows = checklist.index[checklist["SessionId"] == cancelled_id]
    done_row, noted_row = moved_rows[0], moved_rows[1]
    # The user's edits: a task done, a note, a session moved by a week, another cancelled.
    checklist.loc[done_row, ["Status", "DoneDate"]] = ["Done", pd.Timestamp("2026-05-04")]
    checklist.loc[noted_row, "Notes"] = "=caterer called, waiting"
    checklist.loc[cancel_rows[0], ["Status", "DoneDate"]] = ["Done", pd.Timestamp("2026-05-05")]
    edited_sessions = sessions.copy()
    edited_sessions.loc[future[0], ["StartDate", "EndDate"]] += pd.Timedelta(days=7)
    edited_sessions.loc[future[1], "Status"] = "Cancelled"
    editor = PackageEditor(first)
    replace_table_rows(editor, "Checklist", checklist.drop(columns=["Country", "Overdue"]))
    replace_table_rows(editor, "Sessions", edited_sessions[[c.name for c in PLANNER.table("Sessions").input_columns]])
    edited = tmp_path / "edited.xlsx"
    editor.save(edited)

    before = _parts(edited)
    second = tmp_path / "second.xlsx"
    run_macro("checklist", edited, second)
    assert _changed(before, _parts(second)) <= _table_parts(edited, "Checklist")
    _assert_formulas_on_every_row(second, "Checklist", len(checklist))
    # DueDate is a formula written without a cached value: its values are what the formula gives,
    # ILT_DUEDATE of the session as planned (the core's due_dates, checked against the registry elsewhere).
    second_planner = read_planner(second, validate=False)
    again = second_planner.checklist.reset_index(drop=True)
    assert again["DueDate"].isna().all(), "no cached value is invented"
    again["DueDate"] = checklists.due_dates(again, second_planner.sessions, second_planner.checklist_template)
    checklist["DueDate"] = checklists.due_dates(checklist, planner.sessions, planner.checklist_template)
    key = ["SessionId", "TaskId"]
    merged = again.merge(checklist, on=key, suffixes=("", "_old"))
    row = merged.set_index(key)
    done = tuple(checklist.loc[done_row, key])
    assert row.loc[done, "Status"] == "Done" and row.loc[done, "DoneDate"] == pd.Timestamp("2026-05-04")
    assert row.loc[done, "DueDate"] > checklist.loc[done_row, "DueDate"], "a done task's due date follows the plan too"
    noted = tuple(checklist.loc[noted_row, key])
    assert row.loc[noted, "Notes"] == "=caterer called, waiting"
    moved_open = merged[(merged["SessionId"] == moved_id) & (merged["Status"] == "Open")]
    assert len(moved_open) and (moved_open["DueDate"] > moved_open["DueDate_old"]).all(), "open tasks move"
    cancelled = merged[merged["SessionId"] == cancelled_id].set_index("TaskId")
    first_task = checklist.loc[cancel_rows[0], "TaskId"]
    assert cancelled.loc[first_task, "Status"] == "Done", "done work stays done"
    others = cancelled.drop(index=first_task)
    assert set(others.loc[others["Status_old"] == "Open", "Status"]) == {"Cancelled"}, "open tasks of a cancelled session"
    assert set(others.loc[others["Status_old"] == "Done", "Status"]) <= {"Done"}, "done work stays done"
    assert len(again) == len(checklist), "nothing is deleted"


def test_fx_writes_ecb_rates_used_and_keeps_manual_rows(planner_file, tmp_path):
    planner = read_planner(planner_file, validate=False)
    # The treasury's ZAR rows stay among the manual rows.
    inputs = [c.name for c in PLANNER.table("FX").input_columns]
    nad = planner.fx.loc[planner.fx["Currency"] == "ZAR", inputs].reset_index(drop=True)
    manual = pd.concat([pd.DataFrame({"Date": [pd.Timestamp("2025-01-01")], "Currency": ["USD"], "PerEUR": [1.5],
                                      "Source": ["Treasury budget rate"]}), nad], ignore_index=True)
    editor = PackageEditor(planner_file)
    replace_table_rows(editor, "FX", manual)
    edited = tmp_path / "edited.xlsx"
    editor.save(edited)
    out = tmp_path / "out.xlsx"
    run_macro("fx", edited, out)
    assert _changed(_parts(edited), _parts(out)) <= _table_parts(edited, "FX")
    table = read_planner(out, validate=False).fx.reset_index(drop=True)
    assert table[inputs].iloc[:len(manual)].values.tolist() == manual.values.tolist(), "the manual rows come first, unchanged"
    ecb = table[table["Source"] == ECB_ROW_SOURCE]
    assert len(ecb) > 0
    # Independent check: each written rate is the ECB rate of its own publication date.
    per_eur, published, _, found = fx.ecb_table().lookup(ecb["Currency"].to_numpy(object),
                                                          ecb["Date"].to_numpy("datetime64[D]"))
    assert found.all() and (published == ecb["Date"].to_numpy("datetime64[D]")).all()
    np.testing.assert_allclose(per_eur, ecb["PerEUR"].to_numpy("float64"))
    # Every session leg not decided by the manual row is covered: converting with the FX tab alone
    # as manual rates gives the same rates as ECB + manual rows.
    s = session_table(planner.tables, _settings(planner))
    dates = s["StartDate"].to_numpy("datetime64[D]")
    ccy = s["Currency"].astype(str).to_numpy(object)
    with_ecb = fx.rates(ccy, "EUR", dates, manual)
    tab_only = fx.rates(ccy, "EUR", dates, table)
    ok = with_ecb.ok
    np.testing.assert_allclose(tab_only.rate[ok], with_ecb.rate[ok])
    assert not (ecb["Currency"] == "USD").any() or (ecb.loc[ecb["Currency"] == "USD", "Date"] < "2025-01-01").all()
    # A second run keeps the manual row and rewrites the same ECB rows.
    again = tmp_path / "again.xlsx"
    run_macro("fx", out, again)
    _assert_frames_equal(read_planner(again, validate=False).fx.reset_index(drop=True), table)


def test_budget_rerun_keeps_budget_values(planner_file, tmp_path):
    first = tmp_path / "first.xlsx"
    run_macro("budget", planner_file, first)
    budget = read_planner(first, validate=False).budget.reset_index(drop=True)
    budget.loc[0, "Budget"] = 123456.78
    editor = PackageEditor(first)
    replace_table_rows(editor, "Budget", budget.drop(columns="Variance"))
    edited = tmp_path / "edited.xlsx"
    editor.save(edited)
    second = tmp_path / "second.xlsx"
    run_macro("budget", edited, second)
    again = read_planner(second, validate=False).budget.reset_index(drop=True)
    assert again.loc[0, "Budget"] == 123456.78
    assert len(again) == len(budget)
    _assert_frames_equal(again[["Actual", "Committed", "Forecast"]], budget[["Actual", "Committed", "Forecast"]])


def _without_command_sheets(path: Path, target: Path) -> Path:
    """A planner as made before the template held the Availability and Problems sheets."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    for name in ("Availability", "Problems"):
        wb.remove(wb[name])
    wb.save(target)
    return target


@pytest.mark.parametrize("age", ["current", "older"])
def test_availability_sheet_is_filled_with_booked_days_and_a_colour_scale(planner_file, tmp_path, age):
    if age == "older":
        planner_file = _without_command_sheets(planner_file, tmp_path / "older.xlsx")
    out = tmp_path / "out.xlsx"
    before = _parts(planner_file)
    run_macro("availability", planner_file, out)
    after = _parts(out)
    new = set(after) - set(before)
    changed = _changed(before, after) - new
    if age == "current":  # the template has the sheet: only its two parts are rewritten, and styles.xml gains
        # the fills of the leave and free colours (once: see the second run below)
        assert not new and changed == _table_parts(planner_file, "Availability") | {"xl/styles.xml"}
    else:  # an older planner gets the sheet added
        assert new and changed == {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"}
    import openpyxl

    wb = openpyxl.load_workbook(out)
    ws = wb["Availability"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["Kind", "Resource", "Name"] and len(header) == 3 + 52
    planner = read_planner(planner_file, validate=False)
    as_of = pd.Timestamp(_settings(planner)["AsOfDate"])
    monday = as_of - pd.Timedelta(days=as_of.weekday())
    # Hand count for an instructor booked in the window, week by week: calendar days of live sessions.
    s = planner.sessions
    live = s[s["Status"] != "Cancelled"]
    in_window = live[(live["StartDate"] >= monday) & (live["StartDate"] < monday + pd.Timedelta(weeks=52))]
    instructor = in_window["InstructorId"].value_counts().index[0]
    mine = live[live["InstructorId"] == instructor]
    expected = []
    for week in range(52):
        first, last = monday + pd.Timedelta(weeks=week), monday + pd.Timedelta(weeks=week, days=6)
        overlap = (mine["EndDate"].clip(upper=last) - mine["StartDate"].clip(lower=first)).dt.days + 1
        expected.append(int(overlap.clip(lower=0).sum()))
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == "Instructor" and r[1] == instructor)
    assert [v or 0 for v in row[3:]] == expected and sum(expected) > 0
    assert 0 not in row[3:] and None in row[3:]  # a free week is blank, not 0
    rooms = [r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == "Room"]
    assert len(rooms) == len(planner.rooms)
    rules = ws.conditional_formatting
    assert any(rule.type == "colorScale" for cf in rules for rule in cf.rules)
    # A second run replaces the rows and the colour scale, adding no sheet.
    again = tmp_path / "again.xlsx"
    run_macro("availability", out, again)
    assert _changed(after, _parts(again)) <= _table_parts(out, "Availability")
    assert sum(rule.type == "colorScale" for cf in openpyxl.load_workbook(again)["Availability"].conditional_formatting
               for rule in cf.rules) == 1


def test_validate_writes_problems_sheet(planner_file, tmp_path):
    planner = read_planner(planner_file, validate=False)
    sessions = planner.sessions[[c.name for c in PLANNER.table("Sessions").input_columns]].copy()
    sessions.iloc[0, sessions.columns.get_loc("CourseId")] = "NO-SUCH-COURSE"
    editor = PackageEditor(planner_file)
    replace_table_rows(editor, "Sessions", sessions)
    broken = tmp_path / "broken.xlsx"
    editor.save(broken)
    out = tmp_path / "out.xlsx"
    result = run_macro("validate", broken, out)
    assert result.rows >= 1
    import openpyxl

    ws = openpyxl.load_workbook(out)["Problems"]
    rows = list(ws.iter_rows(min_row=1, values_only=True))
    assert list(rows[0]) == ["Severity", "Sheet", "Cell", "Column", "Value", "Expected", "Message"]
    assert any(r[1] == "Sessions" and r[3] == "CourseId" and r[4] == "NO-SUCH-COURSE" for r in rows[1:])


def test_cli_in_place_default_output_and_refusals(planner_file, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["conflicts", str(planner_file)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "plan.out.xlsx").exists()
    assert runner.invoke(app, ["conflicts", str(planner_file)]).exit_code == 3, "an existing output is refused"
    assert runner.invoke(app, ["conflicts", str(planner_file), "--force"]).exit_code == 0
    before = planner_file.read_bytes()
    assert runner.invoke(app, ["conflicts", str(planner_file), "--in-place"]).exit_code == 0
    assert planner_file.read_bytes() != before
    assert runner.invoke(app, ["conflicts", str(tmp_path / "missing.xlsx")]).exit_code == 2
    assert runner.invoke(app, ["conflicts", str(planner_file), "-o", str(tmp_path / "no" / "x.xlsx")]).exit_code == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.out.xlsx", "plan.xlsx"], "no temporary file left"


def test_twins_refuse_a_planner_check_rejects_and_print_checks_listing(tmp_path):
    import sys
    sys.path.insert(0, str(Path(__file__).parent))
    import broken_workbooks as bw

    rows = bw.planner_rows()
    rows["Sessions"][1]["SessionId"] = rows["Sessions"][0]["SessionId"]      # a duplicate id
    rows["Sessions"][2]["CourseId"] = "C9"                                   # an unknown course
    broken = bw.write_planner(tmp_path / "broken.xlsx", rows)
    before = broken.read_bytes()
    runner = CliRunner()
    checked = runner.invoke(app, ["check", str(broken), "--limit", "0"], env={"COLUMNS": "200"})
    assert checked.exit_code == 1 and "C9" in checked.stdout and "duplicate SessionId" in checked.stdout
    for name in ("checklist", "allocate", "conflicts", "fx", "budget", "availability"):
        out = tmp_path / f"{name}.xlsx"
        result = runner.invoke(app, [name, str(broken), "-o", str(out)], env={"COLUMNS": "200"})
        assert result.exit_code == 1, (name, result.output)
        assert checked.stdout in result.stdout, f"{name} does not list the problems as check does"
        assert not out.exists(), f"{name} wrote a file although it refused"
    validated = runner.invoke(app, ["validate", str(broken), "-o", str(tmp_path / "v.xlsx")], env={"COLUMNS": "200"})
    assert validated.exit_code == 1 and (tmp_path / "v.xlsx").exists() and checked.stdout in validated.stdout
    assert broken.read_bytes() == before


@pytest.mark.libreoffice
def test_libreoffice_opens_twin_outputs(planner_file, tmp_path):
    from tests.libreoffice import recalculate_with_libreoffice, soffice_available

    if not soffice_available():
        pytest.skip("LibreOffice not installed")
    import openpyxl

    out = tmp_path / "out.xlsx"
    run_macro("availability", planner_file, out)
    run_macro("checklist", out, out)
    run_macro("budget", out, out)
    expected = read_planner(out, validate=False)
    copy = recalculate_with_libreoffice(out, tmp_path / "lo")
    wb = openpyxl.load_workbook(copy, data_only=True)
    availability = list(wb["Availability"].iter_rows(values_only=True))
    assert list(availability[0][:3]) == ["Kind", "Resource", "Name"]
    leave_rows = sum(r[0] == "Leave" for r in availability[1:])
    assert len(availability) - 1 == len(expected.instructors) + len(expected.rooms) + leave_rows
    # The example's leave after its as-of date: one row per resource on leave in the window.
    assert leave_rows == expected.unavailability.loc[expected.unavailability["To"] >= "2026-06-15", "Resource"].nunique() > 0
    checklist = list(wb["Checklist"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in checklist] == expected.checklist["SessionId"].tolist()
    # Country and DueDate are native formulas (WORKDAY over the Holidays tab): LibreOffice computes them on
    # every written row, as the core's calendar gives them; Overdue is set on open tasks due before AsOfDate.
    due = checklists.due_dates(expected.checklist, expected.sessions, expected.checklist_template)
    country = expected.sessions.set_index("SessionId")["Country"]
    as_of = pd.Timestamp(expected.settings["AsOfDate"])
    assert [r[5] for r in checklist] == country.loc[expected.checklist["SessionId"]].tolist()
    assert [pd.Timestamp(r[6]) for r in checklist] == list(pd.to_datetime(due))
    assert [r[10] for r in checklist] == ["Overdue" if r[7] == "Open" and pd.Timestamp(r[6]) < as_of else None
                                          for r in checklist]
    assert {r[7] for r in checklist} >= {"Open", "Done"} and "Overdue" in {r[10] for r in checklist}
    # A native calculated column is computed by LibreOffice on every row the budget twin wrote.
    budget = list(wb["Budget"].iter_rows(min_row=2, values_only=True))
    written = expected_budget = expected.budget
    assert len(budget) == len(written) > 0
    for row, (_, b) in zip(budget, expected_budget.iterrows()):
        want = b["Budget"] - (np.nan_to_num(b["Actual"]) + np.nan_to_num(b["Committed"]) + np.nan_to_num(b["Forecast"]))
        assert row[7] == pytest.approx(want, rel=1e-9, abs=1e-9)
