"""The forecast: calibrated on backtests, internally consistent, and using only what was known."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from ilt_xl.cli import app
from ilt_xl.core import fx
from ilt_xl.core.forecast import MAPE_HISTORY, QUANTILES, backtest, default_horizon, forecast
from ilt_xl.core.rounding import rounded
from ilt_xl.core.sessions import session_table
from ilt_xl.workbook.builder import build_planner
from ilt_xl.workbook.example import AS_OF, make_example
from ilt_xl.workbook.forecast_macro import forecast_frames

EXAMPLE_WORKBOOK = Path(__file__).resolve().parents[1] / "workbooks" / "ilt_planner_example.xlsx"
ONE_YEAR_BACK = pd.Timestamp(AS_OF) - pd.DateOffset(years=1)


@pytest.fixture(scope="module")
def example():
    return make_example()


@pytest.fixture(scope="module")
def current(example):
    return forecast(example.tables, example.settings)


def _backtest(example):
    sessions = session_table(example.tables, example.settings)
    result = forecast(example.tables, example.settings, as_of=ONE_YEAR_BACK, use_demand=False, sessions=sessions)
    return backtest(result, sessions, AS_OF)


@pytest.mark.parametrize("seed", [2026, 1])
def test_backtest_one_year_back_is_accurate_and_calibrated(example, seed):
    """P50 within 25% MAPE on courses with two years of history; P10-P90 holds 70-90% of course x quarter actuals."""
    test = _backtest(example if seed == 2026 else make_example(seed=seed))
    assert test.first == pd.Timestamp("2025-07-01") and test.last == pd.Timestamp("2026-05-01")
    eligible = test.courses[test.courses["HistoryMonths"] >= MAPE_HISTORY]
    assert len(eligible) >= 20
    assert test.mape == pytest.approx(eligible["APE"].mean())
    assert test.mape <= 0.25, test.courses
    assert len(test.quarters) >= 4 * 20  # Q3 2025 .. Q2 2026 (April and May) for every course
    assert 0.70 <= test.coverage <= 0.90, test.quarters


def test_backtest_compares_with_an_independent_count_of_what_happened(example):
    test = _backtest(example)
    s = example.tables["Sessions"].merge(
        example.tables["Enrolments"].groupby("SessionId")["Attended"].sum().rename("A"), on="SessionId", how="left")
    window = s[(s["Status"] == "Delivered") & (s["StartDate"] >= "2025-07-01") & (s["StartDate"] < "2026-06-01")]
    actual = window.groupby("CourseId")["A"].sum()
    got = test.courses.set_index("CourseId")["Actual"]
    pd.testing.assert_series_equal(got.reindex(actual.index), actual, check_names=False, check_dtype=False)
    per_quarter = test.quarters.groupby("CourseId")["Actual"].sum()
    pd.testing.assert_series_equal(per_quarter.reindex(actual.index), actual, check_names=False, check_dtype=False)


def test_quantiles_are_ordered_everywhere(current, example):
    rows, months = current.rows, current.monthly
    for frame, prefix in ((rows, "Learners"), (rows, "Cost"), (months, "Learners"), (months, "Cost")):
        p10, p50, p90 = (frame[f"{prefix}P{q}"].to_numpy() for q in (10, 50, 90))
        assert (p10 <= p50).all() and (p50 <= p90).all()
        assert (p10 >= 0).all()
    budget = forecast_frames(example.tables, example.settings)[1]["Budget"].dropna(subset=["ForecastP50"])
    assert len(budget) and (budget["ForecastP50"] <= budget["ForecastP90"]).all()


def test_horizon_runs_to_the_end_of_next_fiscal_year(current):
    assert default_horizon(pd.Timestamp("2026-06-15"), 1) == 18
    # With July starts, 2026-06-15 is in FY2025 (to 2026-06-30): next year, FY2026, ends 2027-06-30.
    assert default_horizon(pd.Timestamp("2026-06-15"), 7) == 12
    assert current.monthly["Period"].iloc[0] == pd.Timestamp("2026-07-01")
    assert current.monthly["Period"].iloc[-1] == pd.Timestamp("2027-12-01")
    assert set(current.rows["Period"]) == set(current.monthly["Period"])


def _course_facts_by_hand(example, as_of):
    """No-show, cancellation, capacity and fixed cost per course, by the documented rules, from the tables."""
    t = example.tables
    s = session_table(t, example.settings)
    known = s[s["StartDate"] < as_of]
    delivered = known[known["Status"] == "Delivered"]
    reg, att = delivered.groupby("CourseId")["Registered"].sum(), delivered.groupby("CourseId")["Attended"].sum()
    no_show = 1 - (att + 50 * att.sum() / reg.sum()) / (reg + 50)
    decided = known[known["Status"].isin(["Delivered", "Cancelled"])]
    n, c = decided.groupby("CourseId").size(), (decided["Status"] == "Cancelled").groupby(decided["CourseId"]).sum()
    cancel = (c + 10 * c.sum() / n.sum()) / (n + 10)
    recent = delivered[delivered["StartDate"] >= (as_of - pd.DateOffset(months=24)).replace(day=1)]
    capacity = recent.groupby("CourseId")["Capacity"].median()
    courses = t["Courses"].set_index("CourseId")
    rate = pd.Series(fx.rates(courses["Currency"].to_numpy(object), "EUR",
                              np.full(len(courses), np.datetime64(as_of.date(), "D")), t["FX"]).rate, index=courses.index)
    fixed = recent.groupby("CourseId")["FixedCost"].median() * rate
    variable = courses["VariableCostPerLearner"] * rate
    return no_show, cancel, capacity, fixed, variable


def test_sessions_and_cost_follow_capacity_fill_and_the_course_cost_structure(example, current):
    no_show, cancel, capacity, fixed, variable = _course_facts_by_hand(example, pd.Timestamp(AS_OF))
    rows = current.rows[current.rows["Basis"] == "Model"]
    # The table rounds learners to 0.1 and computes from the unrounded figure: compare rows of 5 learners or more.
    for q in (10, 50, 90):
        big = rows[rows[f"LearnersP{q}"] >= 5]
        course = big["CourseId"]
        reg = big[f"LearnersP{q}"] / (1 - no_show.reindex(course).to_numpy())
        running = reg / (capacity.reindex(course).to_numpy() * 0.8)
        if q == 50:
            np.testing.assert_allclose(big["SessionsP50"], running / (1 - cancel.reindex(course).to_numpy()), rtol=0.02)
        cost = running * fixed.reindex(course).to_numpy() + reg * variable.reindex(course).to_numpy()
        np.testing.assert_allclose(big[f"CostP{q}"], cost, rtol=0.02)
    assert (rows["Currency"] == "EUR").all()


def test_figures_are_rounded_by_the_noise_free_rule(current):
    """Each row's learners (0.1) and cost (the cent) are its unrounded quantile rounded by core.rounding's rule,
    half away from zero, so float noise cannot move a cent between platforms."""
    q = np.quantile(current.paths, QUANTILES, axis=1).T[current.row_cell] * current.row_weight[:, None]
    for i, p in enumerate((10, 50, 90)):
        np.testing.assert_array_equal(current.rows[f"LearnersP{p}"].to_numpy(float), rounded(q[:, i], 1))
        np.testing.assert_array_equal(current.rows[f"CostP{p}"].to_numpy(float), rounded(q[:, i] * current.row_cost, 2))


def test_uses_only_what_was_known_on_the_as_of_date(example):
    """Changing or dropping anything that starts after the as-of date changes nothing."""
    as_of = pd.Timestamp("2025-06-15")
    base = forecast(example.tables, example.settings, as_of=as_of, use_demand=False)
    tables = dict(example.tables)
    s = tables["Sessions"]
    later = s["StartDate"] >= as_of
    tables["Sessions"] = s[~later | (np.arange(len(s)) % 2 == 0)].copy()
    e = tables["Enrolments"]
    tables["Enrolments"] = e.assign(Attended=np.where(e["SessionId"].isin(s.loc[later, "SessionId"]), 0, e["Attended"]))
    other = forecast(tables, example.settings, as_of=as_of, use_demand=False)
    pd.testing.assert_frame_equal(base.rows, other.rows)
    pd.testing.assert_frame_equal(base.monthly, other.monthly)


def test_approved_demand_replaces_the_model_figure_and_requested_demand_does_not(example, current):
    demand = example.tables["Demand"]
    approved = demand[demand["Status"] == "Approved"]
    requested = demand[demand["Status"] == "Requested"]
    rows = current.rows.set_index(["Period", "CourseId", "BusinessUnit", "Country"])
    for _, d in approved.iterrows():
        row = rows.loc[(d["Period"], d["CourseId"], d["BusinessUnit"], d["Country"])]
        assert row["Basis"] == "Demand"
        assert row["LearnersP50"] == pytest.approx(d["Learners"], abs=0.06)
        assert row["LearnersP10"] < row["LearnersP50"] < row["LearnersP90"]
    assert (current.rows["Basis"] == "Demand").sum() == len(approved)
    assert current.requested_learners == requested["Learners"].sum()
    backtested = forecast(example.tables, example.settings, as_of=AS_OF, use_demand=False)
    assert (backtested.rows["Basis"] == "Model").all() and backtested.requested_learners == 0


def test_totals_take_the_quantiles_of_summed_paths(current, example):
    """A total's band lies inside the sum of its rows' bands (independent parts partly cancel out),
    never the sum of the rows' quantiles."""
    by_month = current.rows.groupby("Period")[["LearnersP10", "LearnersP50", "LearnersP90"]].sum()
    months = current.monthly.set_index("Period")
    assert (months["LearnersP10"] >= by_month["LearnersP10"] - 0.5).all()
    assert (months["LearnersP90"] <= by_month["LearnersP90"] + 0.5).all()
    assert ((months["LearnersP90"] - months["LearnersP10"]) < (by_month["LearnersP90"] - by_month["LearnersP10"])).all()
    budget = forecast_frames(example.tables, example.settings)[1]["Budget"]
    next_year = budget[budget["Year"] == 2027].set_index("BusinessUnit")
    assert len(next_year) == 6 and next_year["ForecastP50"].gt(0).all()
    cost = current.rows[current.rows["Period"].dt.year == 2027].groupby("BusinessUnit")[["CostP10", "CostP90"]].sum()
    assert (next_year["ForecastP50"].reindex(cost.index) > cost["CostP10"]).all()
    assert (next_year["ForecastP90"].reindex(cost.index) < cost["CostP90"]).all()


def test_budget_keeps_typed_values_and_rows(example):
    before = example.tables["Budget"]
    after = forecast_frames(example.tables, example.settings)[1]["Budget"]
    assert len(after) == len(before)
    pd.testing.assert_frame_equal(after[["Year", "BusinessUnit", "Country", "Budget", "Actual", "Committed", "Forecast"]],
                                  before[["Year", "BusinessUnit", "Country", "Budget", "Actual", "Committed", "Forecast"]],
                                  check_dtype=False)
    past = after[after["Year"] < AS_OF.year]
    assert past["ForecastP50"].isna().all()  # years the forecast does not reach stay blank


# ----------------------------------------------------------------------------- command line


@pytest.fixture(scope="module")
def planner(tmp_path_factory, example):
    return build_planner(tmp_path_factory.mktemp("forecast") / "plan.xlsx", example)


def test_cli_backtest_prints_the_figures(planner):
    result = CliRunner().invoke(app, ["forecast", str(planner), "--as-of", "2025-06-15"])
    assert result.exit_code == 0, result.output
    assert "Backtest" in result.output and "MAPE of P50 by course" in result.output
    assert "Demand tab left out" in result.output


def test_cli_json_rows_and_backtest(planner):
    result = CliRunner().invoke(app, ["forecast", str(planner), "--as-of", "2025-06-15", "--horizon", "6", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["first_month"] == "2025-07-01" and data["last_month"] == "2025-12-01"
    keys = {"period", "course", "business_unit", "country", "learners_p10", "learners_p50", "learners_p90",
            "sessions_p50", "cost_p10", "cost_p50", "cost_p90", "currency"}
    assert data["rows"] and keys <= set(data["rows"][0])
    assert data["backtest"]["mape"] is not None and 0 <= data["backtest"]["coverage_p10_p90"] <= 1


def test_cli_writes_the_tabs_and_leaves_the_input_alone(planner, tmp_path):
    before = planner.read_bytes()
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(app, ["forecast", str(planner), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert planner.read_bytes() == before
    wb = openpyxl.load_workbook(out, read_only=True)
    header = next(wb["Forecast"].iter_rows(min_row=1, max_row=1, values_only=True))
    assert header[:4] == ("Period", "CourseId", "BusinessUnit", "Country")
    assert sum(1 for _ in wb["ForecastMonths"].iter_rows(min_row=2)) == 18
    again = CliRunner().invoke(app, ["forecast", str(planner), "-o", str(out)])
    assert again.exit_code == 3  # exists, no --force


@pytest.mark.parametrize("args, code", [
    (["--as-of", "15/06/2025"], 2),
    (["--format", "xml"], 2),
    (["--horizon", "0"], 2),
    (["--as-of", "9999-12-31"], 2),                     # past the months a forecast can date (issue 14 rule 13)
    (["--as-of", "1899-12-31"], 2),                     # before Excel's first date
    (["--as-of", "2262-01-01"], 2),                     # its default horizon runs past 2262-03
])
def test_cli_refuses_bad_options(planner, args, code, tmp_path):
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(app, ["forecast", str(planner), *args, "-o", str(out)])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and not out.exists()


def test_cli_backtest_from_before_any_history_says_there_is_nothing_to_measure(planner):
    result = CliRunner().invoke(app, ["forecast", str(planner), "--as-of", "1990-01-01"])
    assert result.exit_code == 0, result.output
    assert "nan" not in result.output.lower() and "0 of 0 course x quarter cells" in result.output
    data = json.loads(CliRunner().invoke(app, ["forecast", str(planner), "--as-of", "1900-01-01", "--format", "json"]).stdout)
    assert data["backtest"]["quarters"] == [] and data["backtest"]["mape"] is None


@pytest.mark.libreoffice
def test_forecast_tab_and_dashboard_band_render_in_libreoffice(tmp_path):
    """LibreOffice recalculates the written planner: the Dashboard's forecast block shows ForecastMonths with no
    error, and the band chart (areas for P10 and P10-P90, a line for P50) survives its export."""
    import sys
    import zipfile
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from libreoffice import recalculate_with_libreoffice, soffice_available

    if not soffice_available():
        pytest.skip("LibreOffice (soffice) is not installed")
    from ilt_xl.workbook import dashboard

    source = Path(__file__).resolve().parents[1] / "workbooks" / "ilt_planner_example.xlsx"
    out = recalculate_with_libreoffice(source, tmp_path / "lo")
    wb = openpyxl.load_workbook(out, data_only=True)
    months = [r for r in wb["ForecastMonths"].iter_rows(min_row=2, values_only=True) if r[0] is not None]
    ws = wb["Dashboard"]
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Forecast month")
    shown = [[ws.cell(header + 1 + i, c).value for c in range(1, 6)] for i in range(dashboard.FORECAST_ROWS)]
    assert len(months) == 18
    for (period, p10, p50, p90, *_), (when, low, band, median, high) in zip(months, shown):
        assert when == period and (low, median, high) == (p10, p50, p90) and band == pytest.approx(p90 - p10)
    assert all(v in (None, "") for row in shown[len(months):] for v in row)
    errors = [c.coordinate for row in wb["Forecast"].iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("#")]
    assert errors == []
    with zipfile.ZipFile(out) as z:
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert any("areaChart" in c and "lineChart" in c for c in charts)


def test_an_empty_planner_forecasts_nobody(tmp_path):
    template = build_planner(tmp_path / "empty.xlsx")
    result = CliRunner().invoke(app, ["forecast", str(template), "--format", "json", "--horizon", "3"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["rows"] == [] and [m["learners_p50"] for m in data["months"]] == [0.0, 0.0, 0.0]


def test_a_planner_made_before_the_forecast_tabs_still_reads(tmp_path):
    """The tabs and Budget columns added for the forecast are only warned about when missing, so older planners
    keep working with every other command; the forecast adds its two tabs to such a planner."""
    from ilt_xl.workbook.reader import read_planner

    path = build_planner(tmp_path / "old.xlsx")
    wb = openpyxl.load_workbook(path)
    for name in ("Demand", "Forecast", "ForecastMonths"):
        del wb[name]
    wb.save(path)
    planner = read_planner(path)
    assert [p for p in planner.problems if p.is_error] == []
    assert {p.sheet for p in planner.problems} >= {"Demand", "Forecast", "ForecastMonths"}
    assert planner.demand.empty
    result = CliRunner().invoke(app, ["forecast", str(path), "--horizon", "3", "-o", str(tmp_path / "out.xlsx")])
    assert result.exit_code == 0, result.output
    after = read_planner(tmp_path / "out.xlsx")
    assert {p.sheet for p in after.problems} & {"Forecast", "ForecastMonths"} == set()
    assert len(after.tables["ForecastMonths"]) == 3


# The forecast in a fresh interpreter: BLAS's thread count (what the library reports), a digest of the simulated
# paths and every cell of the three tables it writes (repr: the exact float).
_FORECAST_CHILD = """
import hashlib, json, sys
from pathlib import Path
import numpy, scipy.linalg
from threadpoolctl import threadpool_info
from ilt_xl.workbook.forecast_macro import forecast_frames
from ilt_xl.workbook.reader import read_planner
threads = sorted({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})
planner = read_planner(Path(sys.argv[1]), validate=False)
result, frames = forecast_frames(planner.tables, planner.settings)
print(json.dumps({"threads": threads, "paths": hashlib.sha256(result.paths.tobytes()).hexdigest(),
                  "tables": {name: [[repr(v) for v in row] for row in frame.itertuples(index=False)]
                             for name, frame in frames.items()}}))
"""


def _forecast_with_blas_threads(threads: int) -> dict:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
           "OMP_NUM_THREADS": str(threads)}
    run = subprocess.run([sys.executable, "-c", _FORECAST_CHILD, str(EXAMPLE_WORKBOOK)], capture_output=True,
                         text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout)


def test_the_forecast_does_not_depend_on_blas_thread_count():
    """One and two BLAS threads give bit-identical paths and tables (before the forecast ran on one thread,
    two threads moved the example's paths by up to 7e-7 and ForecastMonths row 16's CostP50 by a cent)."""
    one, two = _forecast_with_blas_threads(1), _forecast_with_blas_threads(2)
    if one["threads"] != [1] or two["threads"] != [2]:
        pytest.skip(f"this BLAS did not take the thread counts asked for: {one['threads']} and {two['threads']}")
    for name, rows in one["tables"].items():
        assert len(rows) == len(two["tables"][name]) > 0, name
        for i, (a, b) in enumerate(zip(rows, two["tables"][name])):
            assert a == b, (name, i, a, b)
    assert one["paths"] == two["paths"]


def test_a_thin_history_gives_no_cast_artefacts():
    """On 40 sessions (the error-cases planner of test_core_vs_workbook) the P90 paths ran to 1e15 learners (see the test below);
    their cost used to reach an int64 cast and come out as -92,233,720,368,547,758.08 (a RuntimeWarning only)."""
    example = make_example(sessions=40, seed=3)
    _, frames = forecast_frames(example.tables, example.settings)
    for name, columns in (("Forecast", ["CostP10", "CostP50", "CostP90"]), ("ForecastMonths", ["CostP10", "CostP50", "CostP90"]),
                          ("Budget", ["ForecastP50", "ForecastP90"])):
        values = frames[name][columns].to_numpy(float)
        assert (values[~np.isnan(values)] >= 0).all(), name


def test_a_thin_history_gives_a_forecast_of_its_own_order_of_magnitude():
    """The error-cases planner (40 sessions): its busiest month had 64 learners and its largest approved demand is
    55 a month, yet the P90 of a month was 7e14 learners (P50 9e4): courses with one session and then nothing got a
    log-link trend of about -40 a year with standard errors up to 8, and demand borrowed the band of cells whose
    median was a hundredth of a learner. Every month's P90 now stays within 10x the larger of the two."""
    example = make_example(sessions=40, seed=3)
    result = forecast(example.tables, example.settings)
    s = example.tables["Sessions"].merge(
        example.tables["Enrolments"].groupby("SessionId")["Attended"].sum().rename("A"), on="SessionId", how="left")
    past = s[(s["Status"] == "Delivered") & (s["StartDate"] < result.as_of)]
    busiest = past.groupby(pd.to_datetime(past["StartDate"]).dt.to_period("M"))["A"].sum().max()
    demand = example.tables["Demand"]
    approved = demand[demand["Status"] == "Approved"].groupby("Period")["Learners"].sum().max()
    bound = 10 * max(busiest, approved)
    assert 0 < busiest and bound < 1000
    months = result.monthly
    assert (months["LearnersP90"] <= bound).all(), months
    assert (months["LearnersP50"] <= max(busiest, approved) * 2).all(), months
    assert np.isfinite(months[["CostP10", "CostP50", "CostP90"]].to_numpy(float)).all()


def test_a_course_whose_learners_all_fall_at_one_end_of_its_history_gets_no_trend():
    """Learners only in the first month of two years: the log-link slope has no finite estimate (the likelihood rises
    as it runs to -inf); that course keeps a level only, and a course with learners throughout keeps its trend."""
    from ilt_xl.core.forecast import _fit
    months = np.arange(600, 624)
    history = pd.DataFrame({"course": ["once"] * 24 + ["steady"] * 24, "month": np.concatenate([months, months]),
                            "y": np.concatenate([[12.0] + [0.0] * 23, np.full(24, 8.0)])})
    model = _fit(history)
    assert list(model.courses) == ["once", "steady"]
    assert list(model.trend) == [False, True]
    assert np.isfinite(model.params).all() and np.abs(model.params).max() < 5
    assert np.sqrt(np.diag(model.cov)).max() < 5
