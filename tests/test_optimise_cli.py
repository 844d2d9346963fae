"""optimise, merge-advice and apply on files: the Proposals tab, nothing in Sessions until apply, learners kept."""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from ilt_xl.cli.app import app
from ilt_xl.core.merge import fixed_cost_reporting
from ilt_xl.core.sessions import session_table
from ilt_xl.workbook.package_editor import PackageEditor
from ilt_xl.workbook.reader import read_planner

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "workbooks" / "ilt_planner_example.xlsx"
runner = CliRunner()


@pytest.fixture()
def planner_file(tmp_path) -> Path:
    path = tmp_path / "plan.xlsx"
    shutil.copy(EXAMPLE, path)
    return path


def _part(path: Path, sheet: str) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(PackageEditor(path).table(sheet).sheet_part)


def test_optimise_writes_proposals_only_then_apply_writes_sessions(planner_file, tmp_path):
    before = planner_file.read_bytes()
    proposed, applied = tmp_path / "proposed.xlsx", tmp_path / "applied.xlsx"
    result = runner.invoke(app, ["optimise", str(planner_file), "-o", str(proposed), "--move-days", "1"])
    assert result.exit_code == 0, result.output
    assert "optimal" in " ".join(result.output.split()) and "saving" in result.output
    assert planner_file.read_bytes() == before
    # Sessions and Enrolments are byte for byte as they were; the Proposals tab holds the proposals.
    assert _part(proposed, "Sessions") == _part(planner_file, "Sessions")
    assert _part(proposed, "Enrolments") == _part(planner_file, "Enrolments")
    planner = read_planner(proposed)
    p = planner.proposals
    is_proposed = p["Outcome"] == "Proposed"
    assert is_proposed.sum() > 20 and set(p.loc[is_proposed, "Accept"]) == {"Yes"}
    # A session nobody can staff is listed, not accepted, with the reason.
    assert set(p.loc[~is_proposed, "Outcome"]) <= {"Infeasible"} and set(p.loc[~is_proposed, "Accept"]) <= {"No"}
    assert p.loc[~is_proposed, "Rule"].str.startswith("cannot be staffed").all()
    assert not [x for x in planner.problems if x.is_error]
    ws = openpyxl.load_workbook(proposed)["Proposals"]
    header = [c.value for c in ws[1]]
    accept = next(dv for dv in ws.data_validations.dataValidation if dv.formula1 == '"Yes,No"')
    letter = openpyxl.utils.get_column_letter(header.index("Accept") + 1)
    assert f"{letter}{len(p) + 1}" in accept.sqref

    result = runner.invoke(app, ["apply", str(proposed), "-o", str(applied)])
    assert result.exit_code == 0, result.output
    after = read_planner(applied)
    assert not [x for x in after.problems if x.is_error]
    assert set(after.proposals.loc[is_proposed.to_numpy(), "Outcome"]) == {"Applied"}
    got = after.sessions.set_index("SessionId")
    want = p[is_proposed].set_index("SessionId")
    assert (got.loc[want.index, "InstructorId"] == want["ProposedInstructor"]).all()
    assert (got.loc[want.index, "StartDate"] == want["ProposedStart"]).all()
    # Conflicts refreshed: none names a session the optimiser assigned; values computed (recalculated) in the file.
    touched = set(want.index)
    assert not (after.conflicts["SessionA"].isin(touched) | after.conflicts["SessionB"].isin(touched)).any()
    assert got["FixedCost"].notna().all()
    assert got.loc[want.index, "ConflictFlag"].fillna("").eq("").all()
    # Locked sessions unchanged.
    old = read_planner(planner_file).sessions.set_index("SessionId")
    locked = old.index[old["Status"] != "Planned"]
    inputs = ["Status", "StartDate", "EndDate", "RoomId", "InstructorId", "InstructorFeeEntered", "RoomCostEntered", "OtherFixedCost"]
    pd.testing.assert_frame_equal(got.loc[locked, inputs], old.loc[locked, inputs])
    # Applying again changes nothing: every row is already Applied.
    again = runner.invoke(app, ["apply", str(applied), "-o", str(tmp_path / "again.xlsx")])
    assert again.exit_code == 0 and "0 proposal(s) applied" in " ".join(again.output.split())


def test_merge_advice_conserves_learners_and_saves_the_fixed_cost(planner_file, tmp_path):
    proposed, applied = tmp_path / "merge.xlsx", tmp_path / "merged.xlsx"
    result = runner.invoke(app, ["merge-advice", str(planner_file), "-o", str(proposed), "--within-days", "30"])
    assert result.exit_code == 0, result.output
    planner = read_planner(proposed)
    merges = planner.proposals
    assert len(merges) >= 1 and set(merges["Kind"]) == {"Merge"}
    s = session_table(planner.tables, planner.settings).reset_index(drop=True)
    fixed = pd.Series(fixed_cost_reporting(s, planner.tables, planner.settings), index=s["SessionId"])
    # Saving = fixed cost before - after; never more than the source's fixed cost (the target may gain per-learner
    # lines with the learners moved in, and a cancelled source still charges its cancellation fees).
    np.testing.assert_allclose(merges["Saving"], (merges["CostBefore"] - merges["CostAfter"]).round(2), atol=0.005)
    assert (merges["Saving"] <= fixed.loc[merges["SessionId"]].round(2).to_numpy() + 0.005).all()
    registered = planner.enrolments.groupby("SessionId")["Registered"].sum()
    np.testing.assert_array_equal(merges["LearnersMoved"], registered.reindex(merges["SessionId"], fill_value=0).to_numpy())

    assert runner.invoke(app, ["apply", str(proposed), "-o", str(applied)]).exit_code == 0
    after = read_planner(applied)
    assert after.enrolments["Registered"].sum() == planner.enrolments["Registered"].sum()
    got = after.sessions.set_index("SessionId")
    assert (got.loc[merges["SessionId"], "Status"] == "Cancelled").all()
    moved = after.enrolments.groupby("SessionId")["Registered"].sum()
    for source, target, n in zip(merges["SessionId"], merges["MergeInto"], merges["LearnersMoved"]):
        assert source not in moved.index
        assert moved[target] == registered.get(target, 0) + n
    # The fixed cost (reporting currency) of all sessions falls by the saving reported: a cancelled session's fixed
    # cost is its cancellation fees, which merging does not save.
    def total_fixed(p):
        table = session_table(p.tables, p.settings).reset_index(drop=True)
        return np.nansum(fixed_cost_reporting(table, p.tables, p.settings))

    assert total_fixed(planner) - total_fixed(after) == pytest.approx(merges["Saving"].sum(), abs=0.01 * len(merges))


def test_refusals_and_bad_options(planner_file, tmp_path):
    assert runner.invoke(app, ["optimise", str(planner_file), "--scope", "everything"]).exit_code == 2
    assert runner.invoke(app, ["optimise", str(planner_file), "--move-days", "-1"]).exit_code == 2
    assert runner.invoke(app, ["merge-advice", str(planner_file), "--below", "2"]).exit_code == 2
    out = tmp_path / "o.xlsx"
    out.write_bytes(b"x")
    assert runner.invoke(app, ["optimise", str(planner_file), "-o", str(out)]).exit_code == 3
    not_a_workbook = tmp_path / "bad.xlsx"
    not_a_workbook.write_text("not a workbook")
    assert runner.invoke(app, ["apply", str(not_a_workbook), "-o", str(tmp_path / "x.xlsx")]).exit_code == 2


def test_json_documents_hold_the_figures_and_rows_written(planner_file, tmp_path):
    """--format json (with --quiet): one JSON document per command whose figures agree with the rows it wrote."""
    import json

    proposed, merged, applied = tmp_path / "proposed.xlsx", tmp_path / "merged.xlsx", tmp_path / "applied.xlsx"
    result = runner.invoke(app, ["optimise", str(planner_file), "-o", str(proposed), "--format", "json", "--quiet"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["file"], doc["output"], doc["status"], doc["currency"]) == (str(planner_file), str(proposed), "optimal", "EUR")
    assert doc["blocks"] == 1   # the example is small: one MILP
    written = read_planner(proposed).proposals
    assert [p["SessionId"] for p in doc["proposals"]] == written["SessionId"].tolist()
    assert doc["proposed"] == (written["Outcome"] == "Proposed").sum() > 0
    assert doc["saving"] == pytest.approx(doc["cost_before"] - doc["cost_after"], abs=0.011)
    assert doc["saving"] == pytest.approx(written["Saving"].sum(), abs=0.01)
    assert [u["SessionId"] for u in doc["unstaffable"]] == written.loc[written["Outcome"] == "Infeasible", "SessionId"].tolist()

    result = runner.invoke(app, ["merge-advice", str(proposed), "-o", str(merged), "--within-days", "30", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    merges = read_planner(merged).proposals.query("Kind == 'Merge'")
    assert doc["merges"] == len(merges) == len(doc["proposals"]) > 0
    assert doc["saving"] == pytest.approx(merges["Saving"].sum(), abs=0.005)
    assert doc["learners_moved"] == merges["LearnersMoved"].sum()

    result = runner.invoke(app, ["apply", str(merged), "-o", str(applied), "--format", "json", "-q"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    after = read_planner(applied)
    assert doc["applied"] == (after.proposals["Outcome"] == "Applied").sum() > 0
    assert doc["skipped"] == (after.proposals["Outcome"] == "Skipped").sum()
    assert doc["learners_before"] == doc["learners_after"] == after.enrolments["Registered"].sum()
    assert len(doc["conflicts"]) == len(after.conflicts)


def test_optimise_refuses_a_model_too_large_before_writing(planner_file, tmp_path, monkeypatch):
    """More candidate pairs than fit in memory: exit 2, the size and what to do, nothing written."""
    import ilt_xl.core.optimise as module

    monkeypatch.setattr(module, "MAX_PAIRS", 200)
    target = tmp_path / "o.xlsx"
    result = runner.invoke(app, ["optimise", str(planner_file), "-o", str(target)])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "optimise refused, nothing written" in text and "more than 200 candidate" in text and "--scope" in text
    assert not target.exists()
