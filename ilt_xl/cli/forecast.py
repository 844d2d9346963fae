"""``ilt-xl forecast PATH [--as-of DATE] [--horizon MONTHS] [-o OUT | --in-place] [--format table|json]``.

Forecasts learners, sessions and cost per month x course x business unit x country with
P10/P50/P90 (:mod:`ilt_xl.core.forecast`) and prints them: by course over the horizon and by
month (``table``), or every row (``json``). With ``-o OUT`` or ``--in-place`` it also writes
the Forecast and ForecastMonths tabs and Budget's ForecastP50/ForecastP90 (the headless twin
of the forecast macro).

``--as-of`` forecasts from an earlier date with only what was known then. When forecast
months are already over at the workbook's own AsOfDate, the command is a backtest: the
Demand tab is left out (its rows carry no date of entry), and what happened is compared with
the forecast: the APE of P50 per course over the months that are over, their MAPE over the
courses with two years of history or more, and the share of course x quarter cells whose
actual learners fell inside P10-P90.

Exit codes as in :mod:`ilt_xl.cli.app`: 1 when the planner has errors (nothing computed or
written), 2 for an unusable file or option, 3 when the output cannot be written.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table as RichTable

from ilt_xl.cli.app import (
    EXIT_BAD_INPUT, EXIT_CANNOT_WRITE, EXIT_PROBLEMS, app, console, err_console, reason_of, refuse_unusable,
)

JSON_KEYS = {
    "Period": "period", "CourseId": "course", "BusinessUnit": "business_unit", "Country": "country",
    "LearnersP10": "learners_p10", "LearnersP50": "learners_p50", "LearnersP90": "learners_p90",
    "SessionsP50": "sessions_p50", "CostP10": "cost_p10", "CostP50": "cost_p50", "CostP90": "cost_p90",
    "Currency": "currency", "Basis": "basis",
}


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        err_console.print(f"[bold red]--as-of {escape(text)!s} is not a date:[/] expected YYYY-MM-DD, e.g. 2025-06-15.",
                          highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT)


def _records(frame: pd.DataFrame, keys: dict[str, str]) -> list[dict]:
    out = frame.rename(columns=keys)
    out["period"] = pd.to_datetime(out["period"]).dt.strftime("%Y-%m-%d")
    records = out.astype(object).where(out.notna(), None).to_dict(orient="records")
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()} for r in records]


def _number(value: float, digits: int = 0) -> str:
    return "-" if value is None or pd.isna(value) else f"{value:,.{digits}f}"


def _course_table(result) -> RichTable:
    rows = result.rows
    course = rows["CourseId"].astype(str).to_numpy(object)
    learners = result.quantiles_of(course)
    cost = result.quantiles_of(course, "cost")
    # Sessions are planned per course and country, in whole sessions over the horizon.
    by_country = rows.groupby(["CourseId", "Country"])["SessionsP50"].sum()
    table = RichTable(title=f"By course, {result.months.size} months (learners attended; cost in {result.currency}; "
                            "sessions to plan at P50, per country of the learners, rounded up)")
    for name in ("Course", "Learners P10", "P50", "P90", "Sessions", "By country", f"Cost P50", "Cost P90"):
        table.add_column(name, justify="left" if name in ("Course", "By country") else "right")
    for key in learners.index:
        sessions = by_country.loc[key] if key in by_country.index.get_level_values(0) else pd.Series(dtype=float)
        whole = np.ceil(sessions.to_numpy() - 1e-9)
        split = " ".join(f"{c} {int(n)}" for c, n in zip(sessions.index, whole) if n > 0)
        table.add_row(escape(str(key)), *(_number(learners.at[key, q]) for q in ("P10", "P50", "P90")),
                      _number(whole.sum()), split, _number(cost.at[key, "P50"]), _number(cost.at[key, "P90"]))
    total = result.quantiles_of(np.full(len(rows), "all", dtype=object))
    total_cost = result.quantiles_of(np.full(len(rows), "all", dtype=object), "cost")
    if len(total):
        table.add_row("[bold]All courses[/]", *(_number(total.at["all", q]) for q in ("P10", "P50", "P90")), "", "",
                      _number(total_cost.at["all", "P50"]), _number(total_cost.at["all", "P90"]))
    return table


def _month_table(result) -> RichTable:
    table = RichTable(title=f"By month, all courses (the range of the total; cost in {result.currency})")
    for name in ("Month", "Learners P10", "P50", "P90", "Sessions P50", "Cost P10", "Cost P50", "Cost P90"):
        table.add_column(name, justify="left" if name == "Month" else "right")
    for _, m in result.monthly.iterrows():
        table.add_row(f"{m.Period:%Y-%m}", _number(m.LearnersP10), _number(m.LearnersP50), _number(m.LearnersP90),
                      _number(m.SessionsP50, 1), _number(m.CostP10), _number(m.CostP50), _number(m.CostP90))
    return table


def _backtest_table(test) -> RichTable:
    table = RichTable(title=f"Backtest: forecast against what happened, {test.first:%Y-%m} to {test.last:%Y-%m}")
    for name in ("Course", "History (months)", "Actual", "P50", "APE", "Quarters inside P10-P90"):
        table.add_column(name, justify="left" if name == "Course" else "right")
    inside = test.quarters.groupby("CourseId")["Inside"].agg(["sum", "size"])
    for _, c in test.courses.iterrows():
        ins = inside.loc[c.CourseId] if c.CourseId in inside.index else None
        table.add_row(escape(str(c.CourseId)), str(c.HistoryMonths), _number(c.Actual), _number(c.P50),
                      "-" if pd.isna(c.APE) else f"{c.APE:.0%}",
                      "-" if ins is None else f"{int(ins['sum'])}/{int(ins['size'])}")
    return table


def _backtest_json(test) -> dict:
    from ilt_xl.core.forecast import MAPE_HISTORY

    return {
        "first_month": f"{test.first:%Y-%m-%d}", "last_month": f"{test.last:%Y-%m-%d}",
        "mape": None if math.isnan(test.mape) else round(test.mape, 4), "mape_min_history_months": MAPE_HISTORY,
        "coverage_p10_p90": None if math.isnan(test.coverage) else round(test.coverage, 4),
        "courses": _plain(test.courses), "quarters": _plain(test.quarters),
    }


def _plain(frame: pd.DataFrame) -> list[dict]:
    records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in records]


@app.command()
def forecast(
    path: Path = typer.Argument(..., help="The planner workbook (.xlsx)."),
    as_of: str = typer.Option(None, "--as-of", help="Forecast from this date (YYYY-MM-DD) with only what was known then "
                                                     "(default: the planner's AsOfDate); earlier dates backtest."),
    horizon: int = typer.Option(None, "--horizon", min=1, max=120,
                                help="Months to forecast, from the month after the as-of date (default: to the end of the next fiscal year)."),
    output: Path = typer.Option(None, "--output", "-o", help="Write the Forecast tabs and Budget's projection to this copy."),
    in_place: bool = typer.Option(False, "--in-place", help="Write them into PATH itself."),
    force: bool = typer.Option(False, "--force", help="Replace an existing output file."),
    fmt: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Forecast learners, sessions and cost by month, course, business unit and country, with P10/P50/P90."""
    from ilt_xl.cli.check import print_problems
    from ilt_xl.cli.macros import output_target
    from ilt_xl.core.forecast import MAPE_HISTORY, backtest
    from ilt_xl.core.sessions import session_table, setting
    from ilt_xl.workbook.forecast_macro import forecast_frames
    from ilt_xl.workbook.package_editor import OutputError
    from ilt_xl.workbook.reader import read_planner
    from ilt_xl.workbook.sheet_writer import write_tables
    from ilt_xl.xlsx import WorkbookError

    if fmt not in ("table", "json"):
        err_console.print(f"[bold red]--format {escape(fmt)}:[/] expected table or json.", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    when = _date(as_of)
    target = output_target(path, output, in_place, force) if (output is not None or in_place) else None
    try:
        planner = read_planner(path)
    except WorkbookError as exc:
        refuse_unusable(exc)
    if any(p.is_error for p in planner.problems):
        print_problems(str(path), planner.problems, limit=0)
        err_console.print(f"[bold red]{escape(str(path))}: forecast refused, nothing computed:[/] correct the errors above first.",
                          highlight=False)
        raise typer.Exit(EXIT_PROBLEMS)
    tables, settings = planner.tables, planner.settings
    try:
        workbook_as_of = pd.Timestamp(setting(settings, "AsOfDate")).normalize()
        start = pd.Timestamp(when) if when is not None else workbook_as_of
        # Forecast months already over at the workbook's as-of date: a backtest.
        is_backtest = start.to_period("M") + 1 < workbook_as_of.to_period("M")
        result, frames = forecast_frames(tables, settings, as_of=start, horizon=horizon, use_demand=not is_backtest)
        test = backtest(result, session_table(tables, settings), workbook_as_of) if is_backtest else None
    except ValueError as exc:   # an as-of date or horizon the forecast refuses, said in words
        err_console.print(f"[bold red]Cannot forecast {escape(str(path))}:[/] {escape(reason_of(exc))}; nothing written.",
                          highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None

    if target is not None:
        try:
            write_tables(path, target, frames, created=list(frames))
        except WorkbookError as exc:
            refuse_unusable(exc)
        except OutputError as exc:
            err_console.print(f"[bold red]{escape(str(exc))}[/]", highlight=False)
            raise typer.Exit(EXIT_CANNOT_WRITE)

    if fmt == "json":
        print(json.dumps({
            "as_of": f"{result.as_of:%Y-%m-%d}", "currency": result.currency,
            "first_month": f"{pd.Timestamp(result.monthly['Period'].iloc[0]):%Y-%m-%d}",
            "last_month": f"{pd.Timestamp(result.monthly['Period'].iloc[-1]):%Y-%m-%d}",
            "demand_used": result.demand_used, "requested_learners_left_out": result.requested_learners,
            "rows": _records(result.rows, JSON_KEYS),
            "months": _records(result.monthly, {k: v for k, v in JSON_KEYS.items() if k in result.monthly.columns}),
            "backtest": None if test is None else _backtest_json(test),
        }, ensure_ascii=False))
        return
    demand = ("approved demand used" if result.demand_used else "Demand tab left out (a backtest uses only what was known)")
    console.print(f"[bold]{escape(str(path))}[/]: forecast as of {result.as_of:%Y-%m-%d}, "
                  f"{result.monthly['Period'].iloc[0]:%Y-%m} to {result.monthly['Period'].iloc[-1]:%Y-%m}; {demand}"
                  + (f"; {result.requested_learners:,.0f} requested (not approved) learners left out" if result.requested_learners else ""),
                  highlight=False)
    console.print(_course_table(result))
    console.print(_month_table(result))
    if test is not None:
        console.print(_backtest_table(test))
        # an as-of date before any history leaves nothing to measure: said so, never "nan%"
        mape = f"[bold]{test.mape:.1%}[/]" if not math.isnan(test.mape) else "none (no such course was delivered then)"
        coverage = f" ({test.coverage:.0%})" if len(test.quarters) else ""
        console.print(f"MAPE of P50 by course (courses with {MAPE_HISTORY}+ months of history): {mape}; "
                      f"actual inside P10-P90 in [bold]{test.quarters['Inside'].sum()} of {len(test.quarters)}[/] "
                      f"course x quarter cells{coverage}.", highlight=False)
    if target is not None:
        console.print(f"{escape(str(target))}: Forecast ({len(frames['Forecast'])} rows), ForecastMonths "
                      f"({len(frames['ForecastMonths'])} rows) and Budget's ForecastP50/P90 written", highlight=False)
