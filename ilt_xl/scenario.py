"""What-if copies of a planner: change inputs, regenerate the ledgers, recalculate, compare.

A scenario is a list of changes to the planner's input tables:

* ``fx``: ``("USD", 0.10)`` makes USD 10% stronger against EUR (one USD buys 10% more EUR, so
  USD costs weigh 10% more in EUR): every USD rate (units per EUR) is divided by 1.10; the ECB rates the
  sessions use are written into the FX table first (as the ``fx`` macro does), so the change
  reaches every conversion, not only the manual rows;
* ``cancel_below``: Planned and Confirmed sessions whose occupancy is below the threshold are
  Cancelled, and their learners (enrolment lines) move to a session of the same course and country
  starting within a fortnight that has the seats (:func:`ilt_xl.core.merge.plan_merges`, the merge
  advisor's pairing); learners with no such session are dropped with theirs;
* ``room_rate``: every room day rate moves by the given fraction (the Rooms rows and the rooms' rows of the
  Rates history).

Scenarios move only open periods: a closed session (``ilt_xl.core.periods``) keeps the figures frozen at
the close whatever the FX or room rates, and ``cancel_below`` cancels only sessions of open periods, so
the diff shows no change for closed years.

The Allocation ledger and the Budget's Actual/Committed/Forecast are then regenerated with the
planner's own macros, the tables are written into a copy with the package editor (other parts
unchanged), and the copy is recalculated by the engine. :func:`compare` reports cost per learner,
charges per business unit and budget variance against the baseline.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ilt_xl.atomic_write import staging_folder

ACTIVE = ("Planned", "Confirmed")


@dataclass(frozen=True)
class Scenario:
    """One what-if: a name (used in the file name) and its changes."""

    name: str
    fx: tuple[tuple[str, float], ...] = ()
    cancel_below: float | None = None
    room_rate: float | None = None


_PERCENT = re.compile(r"^([+-]?\d+(?:\.\d+)?)%$")


def parse_percent(text: str) -> float:
    """``'+10%'`` -> 0.10, ``'-5%'`` -> -0.05; raises ``ValueError`` with the expected form, and for a
    change below -100% (a price or rate cannot go below zero)."""
    m = _PERCENT.match(text.strip())
    if not m:
        raise ValueError(f"expected a percentage such as +10% or -5%, got {text!r}")
    change = float(m.group(1)) / 100.0
    if change < -1:
        raise ValueError(f"{text.strip()} would make it negative; give a change of -100% or more")
    return change


def parse_fx(text: str, known: set[str] | None = None) -> tuple[str, float]:
    """``'USD=+10%'`` -> ('USD', 0.10). ``known``: the currencies the planner can convert (others refused)."""
    if "=" not in text:
        raise ValueError(f"expected CURRENCY=+N% (e.g. USD=+10%), got {text!r}")
    ccy, pct = text.split("=", 1)
    ccy = ccy.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", ccy):
        raise ValueError(f"expected a 3-letter ISO currency code, got {ccy!r}")
    if ccy == "EUR":
        raise ValueError("EUR is the base every rate is quoted against; move the other currencies instead "
                         "(EUR 10% stronger is every other currency at -9.09%)")
    if known is not None and ccy not in known:
        raise ValueError(f"unknown currency {ccy} in --fx {text.strip()} (neither an ECB currency nor in the FX table)")
    change = parse_percent(pct)
    if change <= -1:
        raise ValueError(f"a currency cannot lose 100% or more of its value, got {pct.strip()!r}")
    return ccy, change


def check_fx_changes(changes: list[tuple[str, float]], given: list[str]) -> list[tuple[str, float]]:
    """``changes`` (parsed from ``given``), refused when one currency is moved twice: the combined
    copy would compound both moves, and the two copies' names could collide."""
    seen: dict[str, str] = {}
    for (code, _), text in zip(changes, given):
        if code in seen:
            raise ValueError(f"{code} is moved twice (--fx {seen[code]} and --fx {text.strip()}); give one change per currency")
        seen[code] = text.strip()
    return changes


def percent_label(change: float) -> str:
    """0.104 -> ``'+10.4%'``: a change as the copy's file name shows it (never rounded to another change)."""
    return f"{change * 100:+.10g}%"


def check_cancel_below(threshold: float) -> float:
    """The occupancy threshold of ``--cancel-below``: a fraction from 0 to 1 (0.5 = 50%)."""
    if not np.isfinite(threshold) or not 0.0 <= threshold <= 1.0:
        raise ValueError(f"--cancel-below takes an occupancy from 0 to 1 (0.5 = 50%), got {threshold!r}")
    return threshold


def describe_fx(code: str, change: float) -> str:
    """``("USD", 0.10)`` -> ``"USD 10% stronger against EUR"``: the direction, said in words."""
    return f"{code} {abs(change) * 100:.4g}% {'stronger' if change >= 0 else 'weaker'} against EUR"


def apply(scenario: Scenario, tables: dict[str, pd.DataFrame], settings) -> dict[str, pd.DataFrame]:
    """The input tables changed by ``scenario`` plus the regenerated Allocation and Budget rows."""
    from ilt_xl.core.sessions import session_table
    from ilt_xl.workbook import macros

    # Only the tables a change writes into are copied (``tables`` is the planner, staged again for the
    # next scenario): copying all 22 took 100 MB at 200,000 sessions.
    out = dict(tables)
    changed: dict[str, pd.DataFrame] = {}
    if scenario.fx:
        fx_table = macros.fx_rows(out, settings).copy()
        ccy = fx_table["Currency"].astype(str).str.strip().str.upper()
        for code, change in scenario.fx:
            hit = ccy == code
            # stronger: fewer units of it per EUR, so its amounts convert to more EUR
            fx_table.loc[hit, "PerEUR"] = pd.to_numeric(fx_table.loc[hit, "PerEUR"]) / (1.0 + change)
        out["FX"] = changed["FX"] = fx_table
    if scenario.room_rate is not None:
        out["Rooms"] = rooms = out["Rooms"].copy()
        rooms["DayRate"] = pd.to_numeric(rooms["DayRate"], errors="coerce") * (1.0 + scenario.room_rate)
        changed["Rooms"] = rooms
        history = out.get("Rates")
        if history is not None and len(history):
            room_rows = (history["ResourceType"].astype(str).str.strip().str.lower() == "room").to_numpy()
            moved = pd.to_numeric(history["DayRate"], errors="coerce") * np.where(room_rows, 1.0 + scenario.room_rate, 1.0)
            out["Rates"] = changed["Rates"] = history.assign(DayRate=moved.to_numpy())
    if scenario.cancel_below is not None:
        from ilt_xl.core.merge import DEFAULT_WITHIN_DAYS, plan_merges
        from ilt_xl.core.periods import open_mask

        out["Sessions"] = sessions = out["Sessions"].copy()
        computed = session_table(out, settings)
        occupancy = pd.to_numeric(computed["Occupancy"], errors="coerce").to_numpy()
        active = sessions["Status"].isin(ACTIVE).to_numpy() & open_mask(sessions, settings)
        low = active & (np.nan_to_num(occupancy, nan=0.0) < scenario.cancel_below)
        moves = plan_merges(computed, low, active & ~low, DEFAULT_WITHIN_DAYS)
        if len(moves):
            ids = computed["SessionId"].astype(str).to_numpy(object)
            target_of = dict(zip(pd.Series(ids[moves["source"].to_numpy()]).str.lower(), ids[moves["target"].to_numpy()]))
            out["Enrolments"] = enrolments = out["Enrolments"].copy()
            key = enrolments["SessionId"].astype(str).str.lower()
            moving = key.isin(list(target_of)).to_numpy()
            enrolments.loc[moving, "SessionId"] = key[moving].map(target_of).to_numpy(object)
            changed["Enrolments"] = enrolments
        sessions.loc[low, "Status"] = "Cancelled"
        changed["Sessions"] = sessions
    changed["Allocation"] = macros.allocation_rows(out, settings)
    changed["Budget"] = macros.budget_rows(out, settings)
    return changed


def input_columns(table: str) -> list[str]:
    from ilt_xl.schema import PLANNER
    return [c.name for c in PLANNER.table(table).input_columns]


def write_scenario(source: Path, target: Path, scenario: Scenario, today: dt.date | None = None, planner=None):
    """Write ``scenario`` applied to the planner ``source`` to ``target``, recalculated; returns the report.

    ``planner`` is ``source`` already read (:func:`~ilt_xl.workbook.reader.read_planner`), to read it once
    for several scenarios."""
    from ilt_xl.engine.recalc import recalculate

    with staging_folder(target) as tmp:
        staged = Path(tmp) / target.name
        _write_changes(source, staged, scenario, planner)
        # The changed tables and the package are let go by now: the recalculation has the memory.
        return recalculate(staged, target, today=today)


class BadOption(ValueError):
    """A scenario option the planner itself refuses (``--fx`` of a currency it cannot convert)."""


def stage_valid(source: Path, folder: Path, scenarios: list[Scenario], fx_given: list[str]) -> list[Path]:
    """Read the planner ``source`` once and :func:`stage` ``scenarios`` from it into ``folder``.

    Raises :class:`~ilt_xl.workbook.problems.PlannerHasErrors` (nothing staged) when the planner has
    errors: what-ifs of a wrong plan mislead; :class:`BadOption` when one of ``fx_given`` (the
    ``--fx`` options) names a currency the planner cannot convert."""
    from ilt_xl.workbook.problems import PlannerHasErrors
    from ilt_xl.workbook.reader import read_planner
    from ilt_xl.workbook.validate import known_currencies

    planner = read_planner(source)
    if any(p.is_error for p in planner.problems):
        raise PlannerHasErrors("scenario", planner.problems)
    known = known_currencies(planner)
    for text in fx_given:
        try:
            parse_fx(text, known)
        except ValueError as exc:
            raise BadOption(str(exc)) from None
    return stage(source, folder, scenarios, planner)


def recalculate_staged(staged: Path, target: Path, today: dt.date | None, source: Path) -> tuple[object, pd.DataFrame]:
    """Recalculate the ``staged`` copy of ``source`` into ``target``: (the engine's report, :func:`figures`
    of ``target``)."""
    from ilt_xl.engine.recalc import recalculate
    from ilt_xl.workers import run, worth_isolating
    from ilt_xl.xlsx.errors import named_as

    # The figures read the recalculated copy as a planner: in a worker of their own too, so that
    # neither the engine's model nor the tables read stay in memory beside the other.
    isolated = worth_isolating(staged)
    with named_as(source, staged):
        report = run(recalculate, staged, target, today=today, isolated=isolated)
    return report, run(figures, target, isolated=isolated)


def stage(source: Path, folder: Path, scenarios: list[Scenario], planner) -> list[Path]:
    """Each of ``scenarios`` applied to the planner ``source`` (read: ``planner``), written into ``folder``
    without recalculating, in order: the planner can then be let go before the recalculations."""
    staged = []
    for number, scenario in enumerate(scenarios):
        staged.append(folder / f"{number}{source.suffix}")
        _write_changes(source, staged[-1], scenario, planner)
    return staged


def _write_changes(source: Path, staged: Path, scenario: Scenario, planner=None) -> None:
    from ilt_xl.workbook.package_editor import PackageEditor
    from ilt_xl.workbook.reader import read_planner
    from ilt_xl.workbook.sheet_writer import replace_table_rows

    planner = planner or read_planner(source, validate=False)
    changed = apply(scenario, dict(planner.tables), planner.settings)
    editor = PackageEditor(source)
    for table, rows in changed.items():
        cols = [c for c in input_columns(table) if c in rows.columns]
        replace_table_rows(editor, table, rows[cols].reset_index(drop=True))
    editor.save(staged)


@dataclass
class Comparison:
    """Figures of the baseline and a scenario, and their differences."""

    scenario: str
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)   # Figure, Key, Baseline, WhatIf, Change


def figures(path: Path) -> pd.DataFrame:
    """(Figure, Key, Value) rows of a recalculated planner: cost per learner, BU charges, variance."""
    from ilt_xl.workbook.reader import read_planner
    p = read_planner(path, validate=False)
    t = p.tables
    s = t["Sessions"]
    live = s["Status"].astype(str) != "Cancelled"
    cost = pd.to_numeric(s.loc[live, "SessionCost"], errors="coerce")
    learners = pd.to_numeric(s.loc[live, "Learners"], errors="coerce")
    ok = cost.notna() & learners.notna()
    total_learners = float(learners[ok].sum())
    rows = [("Cost per learner", "all active sessions",
             float(cost[ok].sum()) / total_learners if total_learners else np.nan),
            ("Sessions", "active", float(live.sum())),
            ("Learners", "registered in active sessions", float(pd.to_numeric(s.loc[live, "Registered"], errors="coerce").sum()))]
    alloc = t["Allocation"]
    if len(alloc):
        by_bu = pd.to_numeric(alloc["AmountReporting"], errors="coerce").groupby(alloc["BusinessUnit"].astype(str)).sum()
        rows += [("BU charge", bu, float(v)) for bu, v in by_bu.items()]
        # The ledger keeps cancelled sessions' lines; what a business unit pays for sessions that run:
        status = pd.Series(s["Status"].astype(str).to_numpy(), index=s["SessionId"].astype(str).str.lower())
        runs = (alloc["SessionId"].astype(str).str.lower().map(status[~status.index.duplicated()]) != "Cancelled").to_numpy()
        running = pd.to_numeric(alloc["AmountReporting"], errors="coerce")[runs].groupby(alloc["BusinessUnit"].astype(str)[runs]).sum()
        rows += [("BU cost of active sessions", bu, float(v)) for bu, v in running.items()]
    budget = t["Budget"]
    if len(budget):
        variance = pd.to_numeric(budget["Variance"], errors="coerce")
        keys = budget["Year"].astype(str) + " " + budget["BusinessUnit"].astype(str)
        rows += [("Budget variance", k, float(v)) for k, v in zip(keys, variance)]
    return pd.DataFrame(rows, columns=["Figure", "Key", "Value"])


def compare(baseline: pd.DataFrame, scenario: pd.DataFrame, name: str) -> Comparison:
    """Rows that changed between two :func:`figures` frames (absent keys count as 0)."""
    merged = baseline.merge(scenario, on=["Figure", "Key"], how="outer", suffixes=("Baseline", "WhatIf"))
    merged = merged.rename(columns={"ValueBaseline": "Baseline", "ValueWhatIf": "WhatIf"})
    merged[["Baseline", "WhatIf"]] = merged[["Baseline", "WhatIf"]].fillna(0.0)
    merged["Change"] = merged["WhatIf"] - merged["Baseline"]
    moved = ~np.isclose(merged["Baseline"], merged["WhatIf"], rtol=1e-12, atol=1e-9, equal_nan=True)
    return Comparison(name, merged[moved].reset_index(drop=True))
