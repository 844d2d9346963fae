"""The planner as read from a workbook: one typed DataFrame per table, the settings, the problems.

Each DataFrame has exactly the schema's columns, in schema order, typed as
:mod:`ilt_xl.workbook.coerce` says. Its index, named ``row``, is the Excel row
number of each line, so any subset of rows can still be located in the file.
Rows whose input cells are all blank (the empty row an empty Excel table keeps)
are left out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ilt_xl.schema import PLANNER
from ilt_xl.workbook.problems import Location, Problem


def attribute_name(table: str) -> str:
    """The :class:`Planner` attribute of a schema table: ``BusinessUnits`` -> ``business_units``, ``FX`` -> ``fx``."""
    out = ""
    for i, ch in enumerate(table):
        if ch.isupper() and i and not table[i - 1].isupper():
            out += "_"
        out += ch.lower()
    return out


@dataclass(frozen=True)
class TableLayout:
    """Where a table was found: its sheet, A1 range and the letter of each schema column present."""

    sheet: str
    ref: str
    column_letters: dict[str, str]

    def location(self, file: str) -> Location:
        return Location(file, self.sheet, self.column_letters)


@dataclass
class Planner:
    """A planner workbook read by :func:`ilt_xl.read_planner`.

    One DataFrame attribute per schema table (``courses``, ``sessions``, ``fx``, ...),
    also reachable by table name through :attr:`tables`. ``settings`` maps each
    setting to its typed value (``str``, ``int``, ``pandas.Timestamp`` or ``None``
    when blank, e.g. ``AsOfDate`` whose ``=TODAY()`` has no cached value).
    ``layouts`` says where each table was found (absent when the table is missing),
    ``setting_cells`` maps a setting to its ``(sheet, cell)``.
    """

    path: Path
    courses: pd.DataFrame
    instructors: pd.DataFrame
    rooms: pd.DataFrame
    equipment: pd.DataFrame
    business_units: pd.DataFrame
    sessions: pd.DataFrame
    enrolments: pd.DataFrame
    session_costs: pd.DataFrame
    fx: pd.DataFrame
    holidays: pd.DataFrame
    checklist_template: pd.DataFrame
    checklist: pd.DataFrame
    allocation: pd.DataFrame
    budget: pd.DataFrame
    conflicts: pd.DataFrame
    demand: pd.DataFrame
    forecast: pd.DataFrame
    forecast_months: pd.DataFrame
    unavailability: pd.DataFrame
    travel_costs: pd.DataFrame
    rates: pd.DataFrame
    proposals: pd.DataFrame
    settings: dict[str, object]
    problems: list[Problem] = field(default_factory=list)
    layouts: dict[str, TableLayout] = field(default_factory=dict)
    setting_cells: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Schema table name -> DataFrame, in sheet order."""
        return {name: getattr(self, attribute_name(name)) for name in PLANNER.table_names}

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def ok(self) -> bool:
        """True when no problem is an error (warnings allowed)."""
        return not self.errors
