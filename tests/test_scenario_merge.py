"""scenario --cancel-below: the learners of a cancelled session move to a merge target instead of being dropped."""
from __future__ import annotations

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from ilt_xl import scenario as sc
from ilt_xl.cli import app
from ilt_xl.core.sessions import session_table
from ilt_xl.workbook.builder import write_planner_atomically
from ilt_xl.workbook.example import make_example


def test_cancelled_sessions_learners_move_to_a_session_of_the_same_course_and_country():
    example = make_example(600)
    tables, settings = {k: v.copy() for k, v in example.tables.items()}, example.settings
    before = session_table(tables, settings).set_index("SessionId")
    changed = sc.apply(sc.Scenario("c", cancel_below=0.5), {k: v.copy() for k, v in tables.items()}, settings)
    after_tables = {**tables, **{k: v for k, v in changed.items() if k in ("Sessions", "Enrolments")}}
    after = session_table(after_tables, settings).set_index("SessionId")
    cancelled = (before["Status"] != "Cancelled") & (after["Status"] == "Cancelled")
    assert cancelled.sum() > 0
    old_lines, new_lines = tables["Enrolments"], changed["Enrolments"]
    moved = old_lines["SessionId"].to_numpy() != new_lines["SessionId"].to_numpy()
    assert moved.any()
    # Lines move, never vanish: every line keeps its learners; each goes from a cancelled session to a live
    # session of the same course and country starting within 14 days.
    assert new_lines["Registered"].sum() == old_lines["Registered"].sum()
    src, dst = old_lines["SessionId"][moved].to_numpy(), new_lines["SessionId"][moved].to_numpy()
    assert cancelled.loc[src].all() and (after.loc[dst, "Status"] != "Cancelled").all()
    assert (before.loc[src, "CourseId"].to_numpy() == before.loc[dst, "CourseId"].to_numpy()).all()
    assert (before.loc[src, "Country"].to_numpy() == before.loc[dst, "Country"].to_numpy()).all()
    gap = np.abs((before.loc[dst, "StartDate"].to_numpy() - before.loc[src, "StartDate"].to_numpy()).astype("timedelta64[D]").astype(int))
    assert (gap <= 14).all()
    # A target never ends up above its capacity because of the moves.
    targets = np.unique(dst)
    assert (after.loc[targets, "Registered"] <= after.loc[targets, "Capacity"]).all()
    # Learners in live sessions: those of cancelled sessions with no target are the only ones lost.
    live_before = before.loc[before["Status"] != "Cancelled", "Registered"].sum()
    live_after = after.loc[after["Status"] != "Cancelled", "Registered"].sum()
    stranded = before.loc[cancelled[cancelled].index.difference(np.unique(src)), "Registered"].sum()
    assert live_after == live_before - stranded


def test_cli_shows_the_saving_per_business_unit(tmp_path):
    path = tmp_path / "plan.xlsx"
    write_planner_atomically(path, make_example(sessions=200, seed=11))
    out = tmp_path / "what-if"
    result = CliRunner().invoke(app, ["scenario", str(path), "-o", str(out), "--cancel-below", "0.5", "--today", "2026-03-01"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    diff = pd.read_csv(out / "plan.scenarios.csv")
    charges = diff[(diff["Scenario"] == "cancel-below-0.5") & (diff["Figure"] == "BU cost of active sessions")]
    assert len(charges) and "Saving per business unit:" in said
    for key, change in zip(charges["Key"], charges["Change"]):
        assert f"{key} {-change:,.2f}" in said
    learners = diff[(diff["Scenario"] == "cancel-below-0.5") & (diff["Figure"] == "Learners")]
    assert len(learners) <= 1  # unchanged when every cancelled session's learners found a target


def test_apply_leaves_the_tables_it_is_given_as_they_were():
    """``apply`` copies only the tables it changes: the planner's tables, staged again for the next
    scenario, must come back untouched from every kind of change."""
    example = make_example(600)
    tables = {k: v.copy() for k, v in example.tables.items()}
    combined = sc.Scenario("all", fx=(("USD", 0.1),), cancel_below=0.5, room_rate=0.05)
    changed = sc.apply(combined, tables, example.settings)
    assert {"FX", "Rooms", "Sessions", "Enrolments"} <= set(changed)     # each kind of change was made
    for name, frame in example.tables.items():
        pd.testing.assert_frame_equal(tables[name], frame, obj=name)
