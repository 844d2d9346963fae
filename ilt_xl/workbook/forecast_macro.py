"""The forecast macro: the Forecast and ForecastMonths tabs and Budget's projection, from the planner.

:func:`forecast_frames` computes the rows of the three tables the forecast writes
(:mod:`ilt_xl.core.forecast`); the headless twin (``ilt-xl forecast``, through
:func:`ilt_xl.workbook.sheet_writer.write_tables`) and the xlwings macro (``udfs``) both
write them, so a button in Excel and the command on a file do the same. Budget keeps every row and typed value: only ForecastP50 and ForecastP90
are replaced, and a fiscal year x business unit the forecast reaches without a budget row
gets one with Budget 0 (as the budget command adds unbudgeted cost).
"""
from __future__ import annotations

from typing import Mapping

import pandas as pd

from ilt_xl.core.forecast import Forecast, budget_projection, forecast
from ilt_xl.core.sessions import setting
from ilt_xl.schema import PLANNER

TABLES = ("Forecast", "ForecastMonths", "Budget")


def _inputs(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the table's input columns only (calculated ones are the workbook's)."""
    columns = [c.name for c in PLANNER.table(name).input_columns]
    return frame.reindex(columns=columns)


def forecast_frames(
    tables: Mapping[str, pd.DataFrame],
    settings: Mapping[str, object],
    *,
    as_of: object = None,
    horizon: int | None = None,
    use_demand: bool = True,
    sessions: pd.DataFrame | None = None,
) -> tuple[Forecast, dict[str, pd.DataFrame]]:
    """(the forecast, table name -> rows to write) for :data:`TABLES`; ``sessions`` is the Sessions
    table with calculated columns (computed when omitted)."""
    result = forecast(tables, settings, as_of=as_of, horizon=horizon, use_demand=use_demand, sessions=sessions)
    budget = _inputs("Budget", tables["Budget"].reset_index(drop=True))
    projection, extra = budget_projection(result, budget, int(setting(settings, "FiscalYearStartMonth")))
    budget = budget.assign(ForecastP50=projection["ForecastP50"].to_numpy(), ForecastP90=projection["ForecastP90"].to_numpy())
    if len(extra):
        budget = pd.concat([budget, _inputs("Budget", extra)], ignore_index=True)
    return result, {
        "Forecast": _inputs("Forecast", result.rows),
        "ForecastMonths": _inputs("ForecastMonths", result.monthly),
        "Budget": budget,
    }
