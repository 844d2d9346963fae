"""``ilt-xl scenario``: what-if copies recalculated, changes applied exactly, diff against baseline."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ilt_xl.cli import app
from ilt_xl import scenario as sc

runner = CliRunner()
TODAY = "2026-03-01"


@pytest.fixture(scope="module")
def planner(tmp_path_factory):
    from ilt_xl.workbook.builder import write_planner_atomically
    from ilt_xl.workbook.example import make_example
    path = tmp_path_factory.mktemp("scenario") / "plan.xlsx"
    write_planner_atomically(path, make_example(sessions=200, seed=11))
    return path


def _table(path, name):
    from ilt_xl.workbook.reader import read_planner
    return read_planner(path, validate=False).tables[name]


@pytest.mark.parametrize("text, expected", [("+10%", 0.10), ("-5%", -0.05), ("2.5%", 0.025)])
def test_percentages(text, expected):
    assert sc.parse_percent(text) == pytest.approx(expected)


@pytest.mark.parametrize("parse, bad", [(sc.parse_percent, "10"), (sc.parse_percent, "+x%"),
                                        (sc.parse_fx, "USD+10%"), (sc.parse_fx, "US=+1%")])
def test_bad_options_are_explained(parse, bad):
    with pytest.raises(ValueError, match="expected"):
        parse(bad)


def test_scenario_cli_writes_recalculated_copies_and_a_diff(planner, tmp_path):
    out = tmp_path / "what-if"
    res = runner.invoke(app, ["scenario", str(planner), "-o", str(out), "--room-rate", "+10%",
                              "--cancel-below", "0.5", "--today", TODAY])
    assert res.exit_code == 0, res.output
    base = out / "plan.baseline.xlsx"
    rooms = out / "plan.room-rate+10%.xlsx"
    cancel = out / "plan.cancel-below-0.5.xlsx"
    assert base.exists() and rooms.exists() and cancel.exists() and (out / "plan.combined.xlsx").exists()
    # room rates moved by exactly 10%, and the recalculated room costs with them
    b_rooms, s_rooms = _table(base, "Rooms"), _table(rooms, "Rooms")
    assert (s_rooms["DayRate"].to_numpy() == pytest.approx(b_rooms["DayRate"].to_numpy() * 1.1))
    b_s, s_s = _table(base, "Sessions"), _table(rooms, "Sessions")
    derived = b_s["RoomCostEntered"].isna() & b_s["RoomId"].notna() & (b_s["RoomId"].astype(str) != "")
    assert derived.any()
    assert s_s.loc[derived, "RoomCost"].to_numpy(float) == pytest.approx(b_s.loc[derived, "RoomCost"].to_numpy(float) * 1.1)
    # cancel-below: exactly the active sessions under 50% occupancy are cancelled
    c_s = _table(cancel, "Sessions")
    occupancy = pd.to_numeric(b_s["Occupancy"], errors="coerce").fillna(0.0)
    low = b_s["Status"].isin(["Planned", "Confirmed"]) & (occupancy < 0.5)
    assert (c_s.loc[low, "Status"] == "Cancelled").all()
    assert (c_s.loc[~low, "Status"].to_numpy() == b_s.loc[~low, "Status"].to_numpy()).all()
    diff = pd.read_csv(out / "plan.scenarios.csv")
    rows = diff[(diff["Scenario"] == "room-rate+10%") & (diff["Figure"] == "Cost per learner")]
    assert len(rows) == 1 and rows["Change"].iloc[0] > 0
    assert set(diff["Scenario"]) >= {"room-rate+10%", "cancel-below-0.5", "combined"}


def test_fx_scenario_moves_the_currency_rates(planner, tmp_path):
    from ilt_xl.workbook import macros
    from ilt_xl.workbook.reader import read_planner
    p = read_planner(planner, validate=False)
    expected = macros.fx_rows(dict(p.tables), p.settings)
    target = tmp_path / "fx.xlsx"
    sc.write_scenario(planner, target, sc.Scenario("fx", fx=(("USD", 0.10),)), dt.date(2026, 3, 1))
    got = _table(target, "FX")
    is_usd = (expected["Currency"].astype(str).str.upper() == "USD").to_numpy()
    assert is_usd.any()
    # USD 10% stronger against EUR: 1.10 times fewer USD per EUR, so USD costs weigh more in EUR
    want = expected["PerEUR"].to_numpy(float) / np.where(is_usd, 1.1, 1.0)
    assert got["PerEUR"].to_numpy(float) == pytest.approx(want)
    assert sc.describe_fx("USD", 0.10) == "USD 10% stronger against EUR"
    assert sc.describe_fx("GBP", -0.025) == "GBP 2.5% weaker against EUR"


def test_scenario_never_replaces_files_already_in_out_without_force(planner, tmp_path):
    out = tmp_path / "what-if"
    args = ["scenario", str(planner), "-o", str(out), "--room-rate", "+5%", "--today", TODAY]
    assert runner.invoke(app, args).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(before) == {"plan.baseline.xlsx", "plan.room-rate+5%.xlsx", "plan.scenarios.csv"}
    (out / "plan.scenarios.csv").write_text("the analyst's own notes\n")
    again = runner.invoke(app, args)
    assert again.exit_code == 3
    said = " ".join(again.output.split())       # the console wraps long lines
    assert "3 files already exist" in said and "use --force to replace them" in said
    assert (out / "plan.scenarios.csv").read_text() == "the analyst's own notes\n"      # nothing touched
    assert {p.name for p in out.iterdir()} == set(before)
    forced = runner.invoke(app, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert pd.read_csv(out / "plan.scenarios.csv")["Scenario"].eq("room-rate+5%").all()
