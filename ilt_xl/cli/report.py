"""``ilt-xl report [PATH]``: what a planner says, at a glance.

KPIs by year with the change on the year before, budget against actual, committed
and forecast, the sessions at risk and the conflicts, all computed by the core
from the workbook's input tables (no Excel needed). Without PATH it reports on
the example planner.

Exit codes: 0 reported, 1 the planner has errors (listed by ``ilt-xl check``),
2 the file is not a usable workbook.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table as RichTable

from ilt_xl.cli.app import EXIT_PROBLEMS, app, console, err_console, refuse_unusable

EXAMPLE = Path(__file__).resolve().parents[2] / "workbooks" / "ilt_planner_example.xlsx"

_KPI_FORMATS = {
    "CancellationRate": "{:.1%}", "AverageOccupancy": "{:.1%}", "InstructorUtilisation": "{:.1%}",
    "RoomUtilisation": "{:.1%}", "SessionsDelivered": "{:,.0f}", "SessionsCancelled": "{:,.0f}",
    "Learners": "{:,.0f}", "LearnerHours": "{:,.0f}",
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


def _change(ratio: float) -> str:
    return "" if pd.isna(ratio) else f"{ratio:+.1%}"


def _kpi_table(kpis: pd.DataFrame, currency: str) -> RichTable:
    years = sorted(kpis.Year.unique())
    table = RichTable(title=f"KPIs by year (money in {currency}; 'constant' at the previous year's rates)")
    table.add_column("KPI", no_wrap=True)
    for year in years:
        table.add_column(str(year), justify="right")
    table.add_column(f"{years[-1]} vs {years[-2]}" if len(years) > 1 else "change", justify="right")
    for kpi, rows in kpis.groupby("KPI", sort=False):
        by_year = rows.set_index("Year")
        table.add_row(_label(kpi), *(_number(by_year.Value.get(y), kpi) for y in years),
                      _change(by_year.ChangeRatio.get(years[-1])))
    return table


def _budget_table(budget: pd.DataFrame, currency: str) -> RichTable:
    figures = ["Budget", "Actual", "Committed", "Forecast", "Variance"]
    totals = budget.groupby("Year")[figures].sum(min_count=1)
    table = RichTable(title=f"Budget by year, all business units ({currency})")
    table.add_column("Year")
    for figure in figures:
        table.add_column(figure, justify="right")
    for year, row in totals.iterrows():
        table.add_row(str(year), *(_number(row[f]) for f in figures))
    return table


def _at_risk_table(sessions: pd.DataFrame) -> RichTable:
    at_risk = sessions[sessions.GoNoGo == "At risk"].sort_values("StartDate")
    table = RichTable(title=f"Sessions at risk ({len(at_risk)}): under their minimum close to the start")
    for column in ("SessionId", "CourseId", "StartDate", "Country", "Registered", "Capacity", "Status"):
        table.add_column(column)
    for _, row in at_risk.iterrows():
        table.add_row(row.SessionId, row.CourseId, f"{row.StartDate:%Y-%m-%d}", row.Country,
                      _number(row.Registered, "Learners"), _number(row.Capacity, "Learners"), row.Status)
    return table


def _conflict_table(conflicts: pd.DataFrame) -> RichTable:
    table = RichTable(title=f"Conflicts ({len(conflicts)})")
    for column in ("Kind", "Resource", "SessionA", "SessionB", "Detail"):
        table.add_column(column)
    for _, row in conflicts.iterrows():
        table.add_row(*(escape(str(row[c])) for c in ("Kind", "Resource", "SessionA", "SessionB", "Detail")))
    return table


@app.command()
def report(
    path: Path = typer.Argument(None, help="The planner workbook (.xlsx); the example planner when omitted."),
) -> None:
    """Report KPIs by year, budget against actual, sessions at risk and conflicts of a planner."""
    from ilt_xl.core.kpis import kpi_report
    from ilt_xl.core.plan import budget_table
    from ilt_xl.core.resources import conflicts
    from ilt_xl.core.sessions import session_table
    from ilt_xl.workbook.reader import read_planner
    from ilt_xl.xlsx import WorkbookError

    path = path or _example_path()
    try:
        planner = read_planner(path)
    except WorkbookError as exc:
        refuse_unusable(exc)
    if planner.errors:
        err_console.print(f"[bold red]{escape(str(path))} has {len(planner.errors)} errors;[/] "
                          f"run `ilt-xl check {escape(str(path))}` to list them.", highlight=False)
        raise typer.Exit(EXIT_PROBLEMS)
    tables, settings = planner.tables, planner.settings
    sessions = session_table(tables, settings)
    currency = str(settings.get("ReportingCurrency") or "EUR")
    as_of = settings.get("AsOfDate")
    console.print(f"[bold]{escape(str(path))}[/]: {len(sessions)} sessions, {len(tables['Enrolments'])} enrolment "
                  f"lines, as of {'today' if as_of is None else f'{as_of:%Y-%m-%d}'}", highlight=False)
    console.print(_kpi_table(kpi_report(tables, settings, sessions), currency))
    console.print(_budget_table(budget_table(tables, settings, sessions), currency))
    console.print(_at_risk_table(sessions))
    console.print(_conflict_table(conflicts(tables, settings, sessions)))
