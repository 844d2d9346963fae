"""The Sessions table's calculated columns, computed from the planner's input tables.

:func:`session_table` reproduces, column for column, the formulas that
``ilt_xl.schema.planner.SESSIONS`` declares (and the workbook evaluates), with
merges and group sums instead of per-cell lookups, so a plan of 20,000 sessions
is computed in a fraction of a second. The arithmetic itself is
``ilt_xl.core.costs``.

Errors. A numeric column holds NaN where the workbook shows an Excel error; a
text column (Currency, GoNoGo) holds the error string itself.
:func:`session_table_with_errors` also returns, for every calculated column, the
error string of each cell (``None`` where the cell is a value), propagated the
way Excel does (the first erroneous operand, left to right, wins):

- ``#N/A``: the session's CourseId, RoomId or InstructorId is not in its table
  (MATCH fails) and the formula needs it, and BreakEvenLearners (with
  MinSessionCost) when the price does not exceed the variable cost (``NA()``);
- ``#DIV/0!``: Occupancy with capacity 0 (CostPerLearner with 0 learners and
  CostPerLearnerHour with 0 learner-hours are blank: NaN with no error);
- ``#VALUE!``: Days when EndDate is before StartDate or a date is missing. The
  workbook computes a meaningless non-positive Days there instead; validation
  rejects such rows, and the core refuses to cost them.
- FxRate shows Currency's error, else ``#N/A`` where the FX table has no rate
  converting the session's currency to ReportingCurrency on FxDate (the FX
  table alone, as the workbook's lookups see it, with
  :meth:`ilt_xl.core.fx.RateTable.from_frame`'s precedence: the latest manual
  row, else the latest ECB row, on or before the date). FxDate is the
  StartDate, or BudgetRateDate when FxDatePolicy is BudgetRateDate; a blank one
  is serial 0 (1899-12-30), before every rate. CostReporting is SessionCost x
  FxRate, the first error of the two winning.

Excel semantics kept on purpose: id lookups, SUMIFS and COUNTIF match ids
case-insensitively and the first matching repository row wins; status tests are
case-insensitive; a blank repository cell reads as 0; a Status other than
Cancelled or Delivered is treated like Planned by GoNoGo. Ids containing the
wildcards ``*``, ``?`` or ``~`` are not supported (SUMIFS would treat them as
patterns).

Inputs: ``tables`` maps table names to DataFrames with the schema's column names
(Sessions input columns, Courses, Rooms, Instructors, Enrolments, and optionally
Conflicts for ConflictFlag, FX for CostReporting); dates are datetime64, blank cells NaN/NaT or "".
``settings`` maps setting names to values; a missing or ``None`` setting takes
the template's value (its default; today for AsOfDate).
"""
from __future__ import annotations

from typing import Mapping, NamedTuple

import numpy as np
import pandas as pd

from ilt_xl.core import costs, fx
from ilt_xl.core import excel_errors as xe
from ilt_xl.schema.planner import PLANNER, SESSIONS

CALCULATED = tuple(c.name for c in SESSIONS.calculated_columns)
"""The calculated columns of Sessions, in schema order."""

TEXT_COLUMNS = ("Currency", "GoNoGo", "ConflictFlag")
"""Calculated columns holding text."""

DATE_COLUMNS = ("FxDate",)
"""Calculated columns holding dates (datetime64); every other calculated column is numeric."""

CONFLICT = "Conflict"


class SessionTable(NamedTuple):
    """The Sessions table with its calculated columns, and the Excel error of each calculated cell.

    ``values`` has the input columns followed by the calculated ones (schema
    order) and the input table's index (the reader's Excel row numbers);
    ``errors`` has the calculated columns only, same index, holding an Excel
    error string or ``None``.
    """

    values: pd.DataFrame
    errors: pd.DataFrame


def setting(settings: Mapping[str, object], name: str) -> object:
    """The value of setting ``name``; when missing or blank, the template's (today for AsOfDate)."""
    value = settings.get(name)
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        if name == "AsOfDate":
            return pd.Timestamp.today().normalize()
        return PLANNER.setting(name).default
    return value


def blank(values: pd.Series) -> np.ndarray:
    """True where a cell is empty: NaN/None or the empty string (Excel's ``=""``)."""
    return (values.isna() | (values.astype(str) == "")).to_numpy()


def id_text_key(value: object) -> str:
    """One id as a lookup key, compared as Excel compares text: ignoring case by each character's
    lower case (``lower()``, not ``casefold()``: Excel keeps ``Weiß`` and ``WEISS`` apart), spaces and
    invisible characters counted."""
    return str(value).lower()


def id_key(values: pd.Series) -> pd.Series:
    """Ids as lookup keys: Excel's MATCH, SUMIFS and COUNTIF compare text case-insensitively.

    Blank (NaN/None) stays NaN. Each distinct id is lowered once.
    """
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    lowered = np.array([id_text_key(u) for u in uniques] + [np.nan], dtype=object)
    return pd.Series(lowered[codes], index=values.index)


def lookup(keys: pd.Series, table: pd.DataFrame, key_column: str, columns: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """INDEX/MATCH(…, 0) for many keys at once: (the looked-up columns aligned to ``keys``, found mask).

    Matching is case-insensitive and the first matching row wins, as in Excel.
    """
    index = table.assign(_key=id_key(table[key_column])).drop_duplicates("_key").set_index("_key")
    key = id_key(keys)
    found = key.isin(index.index).to_numpy() & ~blank(keys)
    looked = index[columns].reindex(key.to_numpy())
    looked.index = keys.index
    return looked, found


def sum_by_key(keys: pd.Series, table: pd.DataFrame, key_column: str, value_column: str) -> np.ndarray:
    """SUMIFS(table[value], table[key], key) for many keys: blanks and non-numbers count 0."""
    values = pd.to_numeric(table[value_column], errors="coerce").fillna(0.0)
    sums = values.groupby(id_key(table[key_column]).to_numpy()).sum()
    return id_key(keys).map(sums).fillna(0.0).to_numpy(dtype="float64")


def _number(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")


def _zero_blank(values: pd.Series) -> np.ndarray:
    """A looked-up number; a blank repository cell reads as 0 in a formula."""
    return np.nan_to_num(_number(values), nan=0.0)


def _first_error(*errors: np.ndarray) -> np.ndarray:
    """Per cell, the first of ``errors`` that is not ``None`` (Excel's left-to-right propagation)."""
    out = errors[-1].copy()
    for err in reversed(errors[:-1]):
        out = np.where(np.equal(err, None), out, err)
    return out


def _where(mask: np.ndarray, code: str) -> np.ndarray:
    return np.where(mask, code, None).astype(object)


def session_table_with_errors(tables: Mapping[str, pd.DataFrame], settings: Mapping[str, object]) -> SessionTable:
    """The Sessions table with every calculated column, and each calculated cell's Excel error.

    See the module docstring for inputs, errors and the Excel semantics kept.
    """
    index = tables["Sessions"].index
    s = tables["Sessions"].reset_index(drop=True)
    n = len(s)
    none = np.full(n, None, dtype=object)
    out: dict[str, np.ndarray] = {}
    err: dict[str, np.ndarray] = {}

    course, course_found = lookup(
        s["CourseId"], tables["Courses"], "CourseId",
        ["Currency", "HoursPerDay", "MaxLearners", "MinLearners", "VariableCostPerLearner", "PricePerLearner"],
    )
    room, room_found = lookup(s["RoomId"], tables["Rooms"], "RoomId", ["Capacity", "DayRate"])
    instructor, instructor_found = lookup(s["InstructorId"], tables["Instructors"], "InstructorId", ["DayRate"])
    na_course = _where(~course_found, xe.NA)

    currency = course["Currency"].astype(object).where(course["Currency"].notna(), "").to_numpy()
    out["Currency"] = np.where(course_found, currency, xe.NA)
    err["Currency"] = na_course

    out["Days"] = costs.calendar_days(s["StartDate"].to_numpy("datetime64[D]"), s["EndDate"].to_numpy("datetime64[D]"))
    err["Days"] = _where(np.isnan(out["Days"]), xe.VALUE)

    out["HoursPerDay"] = _zero_blank(course["HoursPerDay"])
    err["HoursPerDay"] = na_course

    enrolments = tables["Enrolments"]
    out["Registered"] = sum_by_key(s["SessionId"], enrolments, "SessionId", "Registered")
    out["Attended"] = sum_by_key(s["SessionId"], enrolments, "SessionId", "Attended")
    err["Registered"] = err["Attended"] = none

    status = s["Status"].astype(object).where(s["Status"].notna(), "").astype(str).to_numpy()
    out["Learners"] = costs.learners(status, out["Registered"], out["Attended"])
    err["Learners"] = none

    out["LearnerHours"] = costs.learner_hours(out["Learners"], out["Days"], out["HoursPerDay"])
    err["LearnerHours"] = _first_error(err["Days"], err["HoursPerDay"])

    override = _number(s["CapacityOverride"])
    no_room = blank(s["RoomId"])
    # MIN skips a blank cell it is handed by INDEX; a lone blank reads as 0.
    room_capacity = np.where(no_room, np.nan, _number(room["Capacity"]))
    out["Capacity"] = np.nan_to_num(costs.capacity(override, room_capacity, _number(course["MaxLearners"])), nan=0.0)
    capacity_lookup = _first_error(_where(~no_room & ~room_found, xe.NA), na_course)
    err["Capacity"] = np.where(np.isnan(override), capacity_lookup, None)

    room_entered = _number(s["RoomCostEntered"])
    out["RoomCost"] = costs.day_rate_cost(room_entered, np.where(no_room, np.nan, _zero_blank(room["DayRate"])), out["Days"])
    err["RoomCost"] = np.where(
        np.isnan(room_entered) & ~no_room, _first_error(_where(~room_found, xe.NA), err["Days"]), None
    )

    fee_entered = _number(s["InstructorFeeEntered"])
    no_instructor = blank(s["InstructorId"])
    out["InstructorCost"] = costs.day_rate_cost(
        fee_entered, np.where(no_instructor, np.nan, _zero_blank(instructor["DayRate"])), out["Days"]
    )
    err["InstructorCost"] = np.where(
        np.isnan(fee_entered) & ~no_instructor,
        _first_error(_where(~instructor_found, xe.NA), err["Days"]),
        None,
    )

    out["FixedCost"] = costs.fixed_cost(out["RoomCost"], out["InstructorCost"], _number(s["OtherFixedCost"]))
    err["FixedCost"] = _first_error(err["RoomCost"], err["InstructorCost"])

    out["VariableCostPerLearner"] = _zero_blank(course["VariableCostPerLearner"])
    err["VariableCostPerLearner"] = na_course
    out["VariableCost"] = costs.variable_cost(out["VariableCostPerLearner"], out["Registered"])
    err["VariableCost"] = na_course
    out["SessionCost"] = costs.session_cost(out["FixedCost"], out["VariableCostPerLearner"], out["Registered"])
    err["SessionCost"] = _first_error(err["FixedCost"], err["VariableCost"])

    out["Occupancy"] = costs.occupancy(out["Registered"], out["Capacity"])
    err["Occupancy"] = _first_error(err["Capacity"], _where(out["Capacity"] == 0, xe.DIV0))
    # IF(learners=0,"",cost/learners): blank (NaN, no error) while there are none.
    no_learners = out["Learners"] == 0
    out["CostPerLearner"] = np.where(no_learners, np.nan, costs.cost_per_learner(out["SessionCost"], np.where(no_learners, 1, out["Learners"])))
    err["CostPerLearner"] = np.where(no_learners, None, err["SessionCost"])
    no_hours = (out["LearnerHours"] == 0) & np.equal(err["LearnerHours"], None)
    out["CostPerLearnerHour"] = np.where(
        no_hours, np.nan, costs.cost_per_learner_hour(out["SessionCost"], np.where(no_hours, 1, out["LearnerHours"])))
    err["CostPerLearnerHour"] = np.where(no_hours, None, _first_error(err["LearnerHours"], err["SessionCost"]))

    out["PricePerLearner"] = _zero_blank(course["PricePerLearner"])
    err["PricePerLearner"] = na_course
    out["BreakEvenLearners"] = costs.break_even(out["FixedCost"], out["PricePerLearner"], out["VariableCostPerLearner"])
    # IF(price<=variable, NA(), ROUNDUP(fixed/…)): the comparison is evaluated first.
    err["BreakEvenLearners"] = _first_error(
        na_course, _where(out["PricePerLearner"] <= out["VariableCostPerLearner"], xe.NA), err["FixedCost"]
    )
    out["MinSessionCost"] = costs.min_session_cost(out["FixedCost"], out["VariableCostPerLearner"], out["BreakEvenLearners"])
    err["MinSessionCost"] = _first_error(err["FixedCost"], na_course, err["BreakEvenLearners"])
    out["MaxSessionCost"] = costs.max_session_cost(out["FixedCost"], out["VariableCostPerLearner"], out["Capacity"])
    err["MaxSessionCost"] = _first_error(err["FixedCost"], na_course, err["Capacity"])

    out["GoNoGo"], err["GoNoGo"] = _go_no_go(status, out["Registered"], course, course_found, s["StartDate"], settings)

    out["FxDate"], out["FxRate"], err["FxRate"] = _fx_rate(out["Currency"], err["Currency"], s["StartDate"], tables.get("FX"), settings)
    err["FxDate"] = none
    out["CostReporting"] = out["SessionCost"] * out["FxRate"]
    err["CostReporting"] = _first_error(err["SessionCost"], err["FxRate"])

    out["ConflictFlag"] = _conflict_flag(s["SessionId"], tables.get("Conflicts"))
    err["ConflictFlag"] = none

    errors = pd.DataFrame({c: err[c] for c in CALCULATED}, index=s.index, dtype=object)
    for name in CALCULATED:
        if name not in TEXT_COLUMNS + DATE_COLUMNS:
            out[name] = np.where(np.equal(errors[name].to_numpy(), None), out[name], np.nan).astype("float64")
    inputs = s[[c.name for c in SESSIONS.input_columns]]
    values = pd.concat([inputs, pd.DataFrame({c: out[c] for c in CALCULATED}, index=s.index)], axis=1)
    values.index = errors.index = index
    return SessionTable(values, errors)


def session_table(tables: Mapping[str, pd.DataFrame], settings: Mapping[str, object]) -> pd.DataFrame:
    """The Sessions table with every calculated column (NaN or an error string where the workbook shows an error).

    Same as ``session_table_with_errors(tables, settings).values``.
    """
    return session_table_with_errors(tables, settings).values


def _go_no_go(
    status: np.ndarray,
    registered: np.ndarray,
    course: pd.DataFrame,
    course_found: np.ndarray,
    start: pd.Series,
    settings: Mapping[str, object],
) -> tuple[np.ndarray, np.ndarray]:
    status_lc = np.char.lower(status.astype(str))
    settled = np.isin(status_lc, ("cancelled", "delivered"))
    # The formula treats every other status (even a typo) as active.
    formula_status = np.where(settled, status_lc, "planned")
    as_of = np.datetime64(pd.Timestamp(setting(settings, "AsOfDate")).date(), "D")
    label = costs.go_no_go(
        formula_status,
        registered,
        _zero_blank(course["MinLearners"]),
        start.to_numpy("datetime64[D]"),
        as_of,
        float(setting(settings, "GoNoGoLeadDays")),
    ).astype(object)
    # MinLearners is looked up only once the status is neither Cancelled nor Delivered.
    missing = ~settled & ~course_found
    label[missing] = xe.NA
    # A missing start date counts as serial 0 in the workbook: far in the past, so At risk when short.
    no_start = ~settled & course_found & np.equal(label, None)
    short = registered < _zero_blank(course["MinLearners"])
    label[no_start] = np.where(short, costs.AT_RISK, costs.GO)[no_start]
    return label, np.where(missing, xe.NA, None).astype(object)


_SERIAL_ZERO = np.datetime64("1899-12-30", "D")


def _fx_rate(
    currency: np.ndarray, currency_error: np.ndarray, start: pd.Series, fx_table: pd.DataFrame | None,
    settings: Mapping[str, object],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(FxDate as datetime64[D], FxRate, FxRate's error) per session: the workbook's FX lookups on the FX table."""
    if str(setting(settings, "FxDatePolicy")).strip().lower() == "budgetratedate":
        budget_date = settings.get("BudgetRateDate")
        day = _SERIAL_ZERO if budget_date is None or pd.isna(budget_date) else np.datetime64(pd.Timestamp(budget_date).date(), "D")
        dates = np.full(len(start), day)
    else:
        dates = start.to_numpy("datetime64[D]")
        dates = np.where(np.isnat(dates), _SERIAL_ZERO, dates)
    ok = np.equal(currency_error, None)
    table = fx.RateTable.from_frame(fx_table) if fx_table is not None and len(fx_table) else None
    used = fx.rates(np.where(ok, currency, "")[ok], str(setting(settings, "ReportingCurrency")), dates[ok], table, ecb=False)
    rate = np.full(len(start), np.nan)
    rate[ok] = used.rate
    error = currency_error.copy()
    error[np.flatnonzero(ok)[~used.ok]] = xe.NA
    return dates, rate, error


def _conflict_flag(session_ids: pd.Series, conflicts: pd.DataFrame | None) -> np.ndarray:
    if conflicts is None or conflicts.empty:
        return np.full(len(session_ids), "", dtype=object)
    named = pd.concat([id_key(conflicts["SessionA"]), id_key(conflicts["SessionB"])]).dropna()
    flagged = id_key(session_ids).isin(set(named)).to_numpy()
    return np.where(flagged, CONFLICT, "").astype(object)
