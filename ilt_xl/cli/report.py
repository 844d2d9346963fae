"""``ilt-xl report [PATH]``: what a planner says, at a glance.

KPIs by fiscal year (earlier years in full, this year to the as-of date against the same
part of last year, rates changing in points), budget against actual, committed
and forecast, each budget line's cost lines estimated -> committed -> actual (Budget's Lines
columns), the sessions at risk and the conflicts, all computed by the core
from the workbook's input tables (no Excel needed). Without PATH it reports on
the example planner.

Exit codes: 0 reported, 1 the planner has errors (the rows they point at are left out of the
figures and listed; ``ilt-xl check`` lists every problem), 2 the file is not a usable workbook.
"""
from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import typer
from rich.markup import escape

from ilt_xl.cli.app import EXIT_PROBLEMS, app, console, reason_of, refuse_unusable
from ilt_xl.cli.check import problem_line
from ilt_xl.cli.output import FORMAT, Column, Format, examples, plural, print_json, print_table, records
from ilt_xl.cli.progress import QUIET, Steps

EXAMPLE = Path(__file__).resolve().parents[2] / "workbooks" / "ilt_planner_example.xlsx"

_KPI_FORMATS = {
    "CancellationRate": "{:.1%}", "AverageOccupancy": "{:.1%}", "InstructorUtilisation": "{:.1%}",
    "RoomUtilisation": "{:.1%}", "SessionsDelivered": "{:,.0f}", "SessionsCancelled": "{:,.0f}",
    "Learners": "{:,.0f}", "LearnerHours": "{:,.0f}", "NoShowRate": "{:.1%}", "Fill": "{:.1%}",
}


def _example_path() -> Path:
    """The committed example when running from a checkout, else a freshly built one."""
    if EXAMPLE.is_file():
        return EXAMPLE
    from ilt_xl.workbook.builder import write_planner_atomically
    from ilt_xl.workbook.example import make_example

    path = Path(tempfile.mkdtemp(prefix="ilt-xl-")) / EXAMPLE.name
    write_planner_atomically(path, make_example())
    return path


def _label(kpi: str) -> str:
    """``CostPerLearnerHour`` -> ``Cost per learner hour``."""
    words = re.findall(r"[A-Z][a-z]*", kpi)
    return " ".join([words[0]] + [w.lower() for w in words[1:]])


def _number(value: float, kpi: str = "") -> str:
    if pd.isna(value):
        return "-"
    return _KPI_FORMATS.get(kpi, "{:,.2f}").format(value)


def _change(kpi: str, change: float, ratio: float) -> str:
    """A rate moves in percentage points; any other KPI by its relative change."""
    from ilt_xl.core.kpis import RATES

    if kpi in RATES:
        return "" if pd.isna(change) else f"{change * 100:+.1f} pp"
    return "" if pd.isna(ratio) else f"{ratio:+.1%}"


def _kpi_section(full: pd.DataFrame, to_date: pd.DataFrame, currency: str, as_of: pd.Timestamp,
                 start_month: int) -> Section:
    """Earlier fiscal years in full, labelled so; then this year to the as-of date against the same
    part of last year, with the change (rates in points)."""
    from ilt_xl.core.fiscal_years import fiscal_year

    current = int(fiscal_year(np.array([as_of.to_datetime64()], dtype="datetime64[D]"), start_month)[0])
    full_years = [y for y in sorted(full.Year.unique()) if y < current]
    same = [current - 1, current]
    cutoff = {y: as_of - pd.DateOffset(years=current - y) for y in same}
    headers = [f"{y} full year" for y in full_years] + [f"{y} to {cutoff[y]:%Y-%m-%d}" for y in same]
    change = f"{current} vs {current - 1}, same period"
    full_v, to_date_v = (f.set_index(["KPI", "Year"]) for f in (full, to_date))
    rows = []
    for kpi in full.KPI.unique():
        values = [full_v.Value.get((kpi, y)) for y in full_years] + [to_date_v.Value.get((kpi, y)) for y in same]
        last = to_date_v.loc[(kpi, current)] if (kpi, current) in to_date_v.index else None
        rows.append([_label(kpi), *(_number(v, kpi) for v in values),
                     "" if last is None else _change(kpi, last.Change, last.ChangeRatio)])
    rows_json = records(pd.concat([full[full.Year.isin(full_years)].assign(Period="full year"),
                                  to_date[to_date.Year.isin(same)].assign(Period="to date")], ignore_index=True))
    return Section(f"KPIs by fiscal year: earlier years in full, {current} to {as_of:%Y-%m-%d} against the same "
                   f"part of {current - 1} (money in {currency}; 'constant' at the previous year's rates; "
                   "rates change in points)",
                   [Column("KPI")] + [Column(h, numeric=True) for h in headers] + [Column(change, numeric=True)],
                   rows, rows_json)


def _budget_section(budget: pd.DataFrame, currency: str) -> Section:
    figures = ["Budget", "Actual", "Committed", "Forecast", "Variance"]
    totals = budget.groupby("Year")[figures].sum(min_count=1)
    return Section(f"Budget by year, all business units ({currency})",
                   [Column("Year")] + [Column(f, numeric=True) for f in figures],
                   [[str(year), *(_number(row[f]) for f in figures)] for year, row in totals.iterrows()],
                   records(totals.reset_index()))


_STAGES = (("LinesEstimated", "Estimated"), ("LinesCommitted", "Committed"), ("LinesActual", "Actual"))


def _budget_lines_section(budget: pd.DataFrame, rows: int, currency: str) -> Section:
    """The cost lines' estimated -> committed -> actual amounts of each of the workbook's ``rows`` Budget rows,
    the figures of Budget's LinesEstimated/LinesCommitted/LinesActual cells (the Allocation tab's lines summed
    into the row, :func:`ilt_xl.core.cost_lines.budget_lines`); a whole-BU row shows its country as (all)."""
    from ilt_xl.core.sessions import money
    from ilt_xl.schema.planner import WHOLE_BU

    lines = budget.iloc[:rows][["Year", "BusinessUnit", "Country", *(c for c, _ in _STAGES)]]
    # sums of cents, shown as the cents they are (the cell's SUMIFS carries float noise: 611.9300000000001)
    lines = lines.assign(**{c: money(lines[c].to_numpy("float64"), currency) for c, _ in _STAGES})
    # a table for people leaves out the budget lines no cost line reaches (most years of a plan: a page of
    # zeros); JSON keeps every Budget row, as Budget's cells do
    shown = lines[(lines[[c for c, _ in _STAGES]] != 0).any(axis=1)]
    table = [[str(row.Year), str(row.BusinessUnit), str(row.Country) or WHOLE_BU,
              *(_number(getattr(row, column)) for column, _ in _STAGES)] for row in shown.itertuples()]
    empty = len(lines) - len(shown)
    return Section(f"Cost lines by budget line: estimated, committed (ordered), actual (invoiced), {currency} "
                   "(Budget's Lines columns: the Allocation tab's lines; `ilt-xl allocate` brings it up to date"
                   + (f"; {empty:,} budget line{'s' if empty != 1 else ''} without cost lines not shown)" if empty else ")"),
                   [Column("Year"), Column("BusinessUnit"), Column("Country")]
                   + [Column(label, numeric=True) for _, label in _STAGES], table, records(lines))


def _unallocated_section(unallocated: pd.DataFrame, currency: str) -> Section:
    rows = [[row.SessionId, row.CourseId, f"{row.StartDate:%Y-%m-%d}", _number(row.ForecastLearners, "Learners"),
             _number(row.Amount)] for row in unallocated.itertuples()]
    return Section(f"Forecast not allocated ({len(unallocated)} planned sessions; reserve seats in Enrolments), {currency}",
                   [Column("SessionId"), Column("CourseId"), Column("StartDate"), Column("ForecastLearners", numeric=True),
                    Column("Unallocated", numeric=True)], rows, records(unallocated))


_AT_RISK = ["SessionId", "CourseId", "StartDate", "Country", "Registered", "Capacity", "Status"]


def _at_risk_section(sessions: pd.DataFrame) -> Section:
    at_risk = sessions[sessions.GoNoGo == "At risk"].sort_values("StartDate")
    rows = [[row.SessionId, row.CourseId, f"{row.StartDate:%Y-%m-%d}", row.Country,
             _number(row.Registered, "Learners"), _number(row.Capacity, "Learners"), row.Status]
            for row in at_risk.itertuples()]
    return Section(f"Sessions at risk ({len(at_risk)}): under their minimum close to the start",
                   [Column(c, numeric=c in ("Registered", "Capacity")) for c in _AT_RISK], rows,
                   records(at_risk[_AT_RISK]))


_CONFLICT = ["Kind", "Resource", "SessionA", "SessionB", "Detail"]


def _conflict_section(conflicts: pd.DataFrame) -> Section:
    return Section(f"Conflicts ({len(conflicts)})", [Column(c) for c in _CONFLICT],
                   [[str(row[c]) for c in _CONFLICT] for _, row in conflicts.iterrows()],
                   records(conflicts[_CONFLICT]))


@dataclass
class Section:
    """One part of the report: a table for people and its rows for ``--format json``."""

    title: str
    columns: list[Column]
    rows: list[list[str]]
    records: list[dict]


def _without_rows_in_error(planner) -> tuple[dict[str, pd.DataFrame], list]:
    """The planner's tables less every row an error points at, and those errors.

    One bad cell must not hide the rest of the plan: its row is left out of the figures and
    listed under "Not reported", the rest is reported."""
    sheets = {layout.sheet: name for name, layout in planner.layouts.items()}
    tables = dict(planner.tables)
    dropped = []
    for p in planner.errors:
        table = sheets.get(p.sheet)
        if table is not None and p.row is not None and p.row in tables[table].index:
            tables[table] = tables[table].drop(index=p.row)
            dropped.append(p)
    return tables, [p for p in planner.errors if p not in dropped] + dropped


@app.command(epilog=examples(
    ("ilt-xl report", "the example planner"),
    ("ilt-xl report plan.xlsx > report.txt", "plain lines, nothing cut, for a file"),
    ("ilt-xl report plan.xlsx --format json | jq .kpis", "every figure, for machines"),
))
def report(
    path: Path = typer.Argument(None, help="The planner workbook (.xlsx); the example planner when omitted."),
    format: Format = FORMAT,
    quiet: bool = QUIET,
) -> None:
    """Report KPIs by year, budget against actual, cost line stages, sessions at risk and conflicts of a planner.

    A row with an error is left out of the figures and listed under "Not reported" (exit 1); the rest is reported.
    """
    from ilt_xl.core.kpis import kpi_report
    from ilt_xl.core.plan import budget_table, cost_ledgers, unallocated_forecast
    from ilt_xl.core.resources import conflicts
    from ilt_xl.core.sessions import session_table, setting
    from ilt_xl.workbook.reader import read_planner
    from ilt_xl.xlsx import WorkbookError

    path = path or _example_path()
    with Steps(quiet) as steps:
        steps.next(f"Reading {path.name}")
        try:
            planner = read_planner(path)
        except WorkbookError as exc:
            refuse_unusable(exc)
        tables, excluded = _without_rows_in_error(planner)
        settings = planner.settings
        steps.next("Computing sessions")
        sessions = session_table(tables, settings)
        currency = str(settings.get("ReportingCurrency") or "EUR")
        as_of_date = pd.Timestamp(setting(settings, "AsOfDate")).normalize()
        budget = cache(lambda: budget_table(tables, settings, sessions))  # once for both budget sections
        sections: dict[str, Section | str] = {}
        for key, what, make in (
            ("kpis", "KPIs", lambda: _kpi_section(kpi_report(tables, settings, sessions),
                                                  kpi_report(tables, settings, sessions, through=as_of_date), currency,
                                                  as_of_date, int(setting(settings, "FiscalYearStartMonth")))),
            ("budget", "budget", lambda: _budget_section(budget(), currency)),
            ("budget_lines", "cost lines by budget line",
             lambda: _budget_lines_section(budget(), len(tables["Budget"]), currency)),
            ("unallocated", "forecast not allocated", lambda: _unallocated_section(
                unallocated_forecast(cost_ledgers(tables, settings, sessions), sessions), currency)),
            ("at_risk", "sessions at risk", lambda: _at_risk_section(sessions)),
            ("conflicts", "conflicts", lambda: _conflict_section(conflicts(tables, settings, sessions))),
        ):
            steps.next(f"Computing {what}")
            try:
                sections[key] = make()
            except (ValueError, KeyError, TypeError) as exc:  # a setting or table the core cannot use
                sections[key] = f"{what} not reported: {reason_of(exc)}"
    as_of = settings.get("AsOfDate")
    if format is Format.json:
        print_json(console, {
            "file": str(path), "sessions": len(sessions), "enrolment_lines": len(tables["Enrolments"]),
            "as_of": None if as_of is None else f"{as_of:%Y-%m-%d}", "currency": currency,
            **{key: s.records if isinstance(s, Section) else {"not_reported": s} for key, s in sections.items()},
            "not_reported": [p.to_dict() for p in excluded],
        })
    else:
        console.print(f"[bold]{escape(str(path))}[/]: {plural(len(sessions), 'session')}, "
                      f"{plural(len(tables['Enrolments']), 'enrolment line')}, "
                      f"as of {'today' if as_of is None else f'{as_of:%Y-%m-%d}'}", highlight=False)
        for s in sections.values():
            console.print()
            if isinstance(s, Section):
                print_table(console, s.title, s.columns, s.rows)
            else:
                console.print(escape(s), highlight=False)
        if excluded:
            console.print()
            console.print(f"Not reported ({plural(len(excluded), 'error')}; the rows they point at are left out):",
                          highlight=False)
            console.print("\n".join(problem_line(str(path), p) for p in excluded), highlight=False, markup=False)
    if excluded:
        raise typer.Exit(EXIT_PROBLEMS)
