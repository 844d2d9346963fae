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
- RoomDayRate, InstructorDayRate and EquipmentDayRate are the day rate valid on
  StartDate (``ilt_xl.core.rates``: the Rates history, else the resource's own
  row), converted from its currency to the session's at FxDate; RoomCost,
  InstructorCost and EquipmentCost multiply them. VariableCostPerLearner and
  PricePerLearner convert from the course's (a session with its own CurrencyEntered),
  with the FX table's rates as FxRate below: ``#N/A`` where it has none.
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

from ilt_xl.core import cost_lines, costs, fx, rates
from ilt_xl.core import excel_errors as xe
from ilt_xl.core.rounding import minor_units, rounded
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


def _repository(tables: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame:
    """A repository table with every schema column (a frame built by hand may leave optional ones out, or the
    whole Equipment table): what is missing reads as blank, as an empty cell does."""
    columns = list(PLANNER.table(name).column_names)
    frame = tables.get(name)
    return pd.DataFrame(columns=columns) if frame is None else frame.reindex(columns=list(frame.columns) + [
        c for c in columns if c not in frame.columns])


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
    room, room_found = lookup(s["RoomId"], _repository(tables, "Rooms"), "RoomId", ["Capacity", "DayRate", "Currency"])
    instructor, instructor_found = lookup(s["InstructorId"], _repository(tables, "Instructors"), "InstructorId",
                                          ["DayRate", "Currency"])
    equipment, equipment_found = lookup(s["EquipmentId"], _repository(tables, "Equipment"), "EquipmentId",
                                        ["DayRate", "Currency"])
    na_course = _where(~course_found, xe.NA)

    # CurrencyEntered, else the course's (looked up only when none is entered).
    entered_currency = _text(s["CurrencyEntered"]) if "CurrencyEntered" in s else np.full(n, "", dtype=object)
    own = entered_currency != ""
    out["Currency"] = np.where(own, entered_currency, np.where(course_found, _text(course["Currency"]), xe.NA))
    err["Currency"] = np.where(own, None, na_course)
    # A closed session keeps the figures `ilt-xl close` stored (ilt_xl.core.periods), whatever it computes now.
    frozen_currency = _text(s["FrozenCurrency"]) if "FrozenCurrency" in s else np.full(n, "", dtype=object)
    out["Currency"], err["Currency"] = _frozen(frozen_currency != "", frozen_currency, out["Currency"], err["Currency"])

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

    # Resources are charged the day rate valid on the start (Rates, else their own table's), in its currency,
    # converted to the session's at FxDate, as the workbook does.
    out["FxDate"] = _fx_dates(s["StartDate"], settings)
    err["FxDate"] = none
    fx_table = _rate_table(tables.get("FX"))
    reporting = str(setting(settings, "ReportingCurrency"))
    out["FxRate"], err["FxRate"] = _to_session(np.full(n, "", dtype=object), out["Currency"], err["Currency"], out["FxDate"],
                                               fx_table, to=reporting)
    out["FxRate"], err["FxRate"] = _frozen_number(s, "FrozenFxRate", out["FxRate"], err["FxRate"])
    # The session's cost lines (SessionCosts), in its currency: a room, instructor or equipment line replaces the
    # derived figure below.
    lines = cost_lines.line_table(
        tables.get("SessionCosts"), pd.DataFrame({"SessionId": s["SessionId"], "Currency": out["Currency"],
                                                  "FxDate": out["FxDate"], "Learners": out["Learners"], "FxRate": out["FxRate"]}),
        pd.DataFrame({"Currency": err["Currency"], "FxRate": err["FxRate"]}, dtype=object), fx_table, reporting)
    line_sums = cost_lines.session_sums(lines, s["SessionId"])
    history = rates.rates_by_kind(s, tables)
    for column, key, found, repo in (
        ("RoomDayRate", "RoomId", room_found, room),
        ("InstructorDayRate", "InstructorId", instructor_found, instructor),
        ("EquipmentDayRate", "EquipmentId", equipment_found, equipment),
    ):
        used, booked = history[key], (~blank(s[key]) if key in s else np.zeros(n, dtype=bool))
        currency = np.where(used.from_history, used.currency, _text(repo["Currency"]))
        day_rate = np.where(used.from_history, np.nan_to_num(used.day_rate, nan=0.0), _zero_blank(repo["DayRate"]))
        factor, factor_error = _to_session(currency, out["Currency"], err["Currency"], out["FxDate"], fx_table)
        out[column] = np.where(booked, day_rate * factor, 0.0)
        err[column] = np.where(booked, _first_error(_where(~found & ~used.from_history, xe.NA), factor_error), None)
    for column, entered, day_rate in (("RoomCost", "RoomCostEntered", "RoomDayRate"),
                                      ("InstructorCost", "InstructorFeeEntered", "InstructorDayRate")):
        typed = _number(s[entered])
        derived = np.isnan(typed)
        out[column] = np.where(derived, out[day_rate] * out["Days"], typed)
        err[column] = np.where(derived, _first_error(err[day_rate], err["Days"]), None)
    units = np.nan_to_num(_number(s["EquipmentUnits"]), nan=0.0) if "EquipmentUnits" in s else np.zeros(n)
    out["EquipmentCost"] = units * out["EquipmentDayRate"] * out["Days"]
    err["EquipmentCost"] = _first_error(err["EquipmentDayRate"], err["Days"])

    for column, category in (("RoomCost", "room"), ("InstructorCost", "instructor"), ("EquipmentCost", "equipment")):
        entered = line_sums.counts[category] > 0
        out[column] = np.where(entered, line_sums.amounts[category], out[column])
        err[column] = np.where(entered, line_sums.errors[category], err[column])
    out["LinesCost"], err["LinesCost"] = line_sums.amounts[cost_lines.OTHER], line_sums.errors[cost_lines.OTHER]
    fee = cost_lines.CANCELLATION_FEE
    out["CancellationFee"], err["CancellationFee"] = line_sums.amounts[fee], line_sums.errors[fee]
    cancelled = np.char.lower(status.astype(str)) == "cancelled"
    out["FixedCost"] = np.where(cancelled, out["CancellationFee"], costs.fixed_cost(
        out["RoomCost"], out["InstructorCost"], out["EquipmentCost"], _number(s["OtherFixedCost"]), out["LinesCost"]))
    err["FixedCost"] = np.where(cancelled, err["CancellationFee"], _first_error(
        err["RoomCost"], err["InstructorCost"], err["EquipmentCost"], err["LinesCost"]))
    out["FixedCost"], err["FixedCost"] = _frozen_number(s, "FrozenFixedCost", out["FixedCost"], err["FixedCost"])

    # The course's money is in its currency: converted when the session has a currency of its own.
    course_factor, course_factor_error = _to_session(
        np.where(course_found, _text(course["Currency"]), ""), out["Currency"], err["Currency"], out["FxDate"], fx_table)
    course_money_error = _first_error(na_course, course_factor_error)
    out["VariableCostPerLearner"] = _zero_blank(course["VariableCostPerLearner"]) * course_factor
    err["VariableCostPerLearner"] = course_money_error
    out["VariableCost"] = np.where(cancelled, 0.0, costs.variable_cost(out["VariableCostPerLearner"], out["Registered"]))
    err["VariableCost"] = np.where(cancelled, None, err["VariableCostPerLearner"])
    out["VariableCost"], err["VariableCost"] = _frozen_number(s, "FrozenVariableCost", out["VariableCost"], err["VariableCost"])
    out["SessionCost"] = out["FixedCost"] + out["VariableCost"]
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

    out["PricePerLearner"] = _zero_blank(course["PricePerLearner"]) * course_factor
    err["PricePerLearner"] = course_money_error
    out["BreakEvenLearners"] = costs.break_even(out["FixedCost"], out["PricePerLearner"], out["VariableCostPerLearner"])
    # IF(price<=variable, NA(), ROUNDUP(fixed/…)): the comparison is evaluated first.
    err["BreakEvenLearners"] = _first_error(
        course_money_error, _where(out["PricePerLearner"] <= out["VariableCostPerLearner"], xe.NA), err["FixedCost"]
    )
    out["MinSessionCost"] = costs.min_session_cost(out["FixedCost"], out["VariableCostPerLearner"], out["BreakEvenLearners"])
    err["MinSessionCost"] = _first_error(err["FixedCost"], course_money_error, err["BreakEvenLearners"])
    out["MaxSessionCost"] = costs.max_session_cost(out["FixedCost"], out["VariableCostPerLearner"], out["Capacity"])
    err["MaxSessionCost"] = _first_error(err["FixedCost"], course_money_error, err["Capacity"])

    out["GoNoGo"], err["GoNoGo"] = _go_no_go(status, out["Registered"], course, course_found, s["StartDate"], settings)

    out["CostReporting"] = money(out["SessionCost"] * out["FxRate"], reporting)
    err["CostReporting"] = _first_error(err["SessionCost"], err["FxRate"])
    out["CostReporting"], err["CostReporting"] = _frozen_number(s, "FrozenCostReporting", out["CostReporting"],
                                                                err["CostReporting"])

    # The stages of the lines the session is charged: a cancelled one's fees, any other's other lines.
    for stage in cost_lines.STAGES:
        out["Lines" + stage] = np.where(cancelled, line_sums.amounts[stage + cost_lines.FEE_STAGE], line_sums.amounts[stage])
        err["Lines" + stage] = np.where(cancelled, line_sums.errors[stage + cost_lines.FEE_STAGE], line_sums.errors[stage])

    out["ConflictFlag"] = _conflict_flag(s["SessionId"], tables.get("Conflicts"))
    err["ConflictFlag"] = none

    errors = pd.DataFrame({c: err[c] for c in CALCULATED}, index=s.index, dtype=object)
    for name in CALCULATED:
        if name not in TEXT_COLUMNS + DATE_COLUMNS:
            out[name] = np.where(np.equal(errors[name].to_numpy(), None), out[name], np.nan).astype("float64")
    inputs = s.reindex(columns=[c.name for c in SESSIONS.input_columns])  # a frame made by hand may lack the stored figures
    values = pd.concat([inputs, pd.DataFrame({c: out[c] for c in CALCULATED}, index=s.index)], axis=1)
    values.index = errors.index = index
    return SessionTable(values, errors)


def session_table(tables: Mapping[str, pd.DataFrame], settings: Mapping[str, object]) -> pd.DataFrame:
    """The Sessions table with every calculated column (NaN or an error string where the workbook shows an error).

    Same as ``session_table_with_errors(tables, settings).values``.
    """
    return session_table_with_errors(tables, settings).values


def _frozen(stored: np.ndarray, frozen_values: np.ndarray, values: np.ndarray, errors: np.ndarray):
    """(values, errors) with the stored figure where ``stored``: IF([@Frozen…]<>"",[@Frozen…],…) shows no error."""
    return np.where(stored, frozen_values, values), np.where(stored, None, errors).astype(object)


def _frozen_number(s: pd.DataFrame, column: str, values: np.ndarray, errors: np.ndarray):
    """:func:`_frozen` of a stored numeric column of Sessions (absent or blank: open)."""
    if column not in s:
        return values, errors
    stored = _number(s[column])
    return _frozen(~np.isnan(stored), stored, values, errors)


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


def money(amounts: np.ndarray, currency: str) -> np.ndarray:
    """Amounts rounded to ``currency``'s minor unit, half away from zero as ROUND does (NaN stays NaN):
    the one rounding rule of every reported cost (Sessions[CostReporting], ledger, Budget, KPIs)."""
    amounts = np.asarray(amounts, dtype="float64")
    return np.where(np.isfinite(amounts), rounded(amounts, minor_units(currency)), np.nan)


def _text(values: pd.Series) -> np.ndarray:
    """A text column's cells, stripped, blanks as ""."""
    return values.astype(object).where(values.notna(), "").astype(str).str.strip().to_numpy(object)


def _fx_dates(start: pd.Series, settings: Mapping[str, object]) -> np.ndarray:
    """FxDate per session (datetime64[D]): StartDate, or BudgetRateDate under that policy; a blank one is serial 0."""
    if str(setting(settings, "FxDatePolicy")).strip().lower() == "budgetratedate":
        budget_date = settings.get("BudgetRateDate")
        day = _SERIAL_ZERO if budget_date is None or pd.isna(budget_date) else np.datetime64(pd.Timestamp(budget_date).date(), "D")
        return np.full(len(start), day)
    dates = start.to_numpy("datetime64[D]")
    return np.where(np.isnat(dates), _SERIAL_ZERO, dates)


def _rate_table(fx_table: pd.DataFrame | None) -> fx.RateTable | None:
    return fx.RateTable.from_frame(fx_table) if fx_table is not None and len(fx_table) else None


def _to_session(
    currency: np.ndarray, session_currency: np.ndarray, session_error: np.ndarray, dates: np.ndarray,
    table: fx.RateTable | None, to: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(units of the session's currency per 1 ``currency``, its error) at each FxDate, from the FX table alone, as
    the workbook's lookups: 1 where ``currency`` is blank or the session's own. With ``to``, the session's currency
    is converted to ``to`` instead (FxRate). The session currency's error wins; a missing rate is #N/A."""
    ok = np.equal(session_error, None)
    codes = np.char.upper(currency.astype(str))
    session = np.char.upper(np.where(ok, session_currency, "").astype(str))
    if to is None:
        frm, target = codes, session
        needed = ok & (codes != "") & (codes != session)
    else:
        frm, target = session, np.full(len(session), str(to).strip().upper())
        needed = ok & (session != target)
    rate = np.ones(len(currency))
    error = np.where(ok, None, session_error).astype(object)
    if needed.any():
        used = fx.rates(frm[needed], target[needed], dates[needed], table, ecb=False)
        rate[needed] = used.rate
        error[np.flatnonzero(needed)[~used.ok]] = xe.NA
    rate[~ok] = np.nan
    return rate, error


CONVERTED_FROM = ("Currency", "CourseId", "RoomId", "InstructorId", "EquipmentId")
"""What :func:`converted_currencies` returns the currencies of, in order: the session's own, its course's (when the
session has a currency of its own), its room's, instructor's and equipment's."""


def converted_currencies(tables: Mapping[str, pd.DataFrame]) -> list[np.ndarray]:
    """Per session, the currencies its costs are converted from (:data:`CONVERTED_FROM`), each an upper-case array
    aligned to Sessions ("" for none): the session's own (CurrencyEntered, else its course's; converted to the
    reporting currency), and, converted to the session's, its course's when it has a currency of its own (variable
    cost and price per learner) and those of the day rates of the room, instructor and equipment it is charged,
    valid on its start (Rates, else the resource's own; Sessions[RoomDayRate], [InstructorDayRate],
    [EquipmentDayRate])."""
    sessions = tables["Sessions"]

    def upper(values: pd.Series) -> np.ndarray:
        return np.char.upper(_text(values).astype(str)).astype(object)

    course, found = lookup(sessions["CourseId"], tables["Courses"], "CourseId", ["Currency"])
    entered = upper(sessions["CurrencyEntered"]) if "CurrencyEntered" in sessions else np.full(len(sessions), "", dtype=object)
    course_currency = np.where(found, upper(course["Currency"]), "")
    out = [np.where(entered != "", entered, course_currency), np.where(entered != "", course_currency, "")]
    history = rates.rates_by_kind(sessions, tables)
    for table, key in (("Rooms", "RoomId"), ("Instructors", "InstructorId"), ("Equipment", "EquipmentId")):
        priced, found = lookup(sessions[key], _repository(tables, table), key, ["Currency"])
        used = history[key]
        # The day-rate columns convert even where a cost is typed (they show the rate), so they need the rate too.
        charged = found | used.from_history
        currency = np.where(used.from_history, np.char.upper(used.currency.astype(str)).astype(object), upper(priced["Currency"]))
        out.append(np.where(charged, currency, ""))
    return out


def _conflict_flag(session_ids: pd.Series, conflicts: pd.DataFrame | None) -> np.ndarray:
    if conflicts is None or conflicts.empty:
        return np.full(len(session_ids), "", dtype=object)
    named = pd.concat([id_key(conflicts["SessionA"]), id_key(conflicts["SessionB"])]).dropna()
    flagged = id_key(session_ids).isin(set(named)).to_numpy()
    return np.where(flagged, CONFLICT, "").astype(object)


# Shared with ilt_xl.core.cost_lines, whose lines are converted as the sessions' resources are.
text_cells = _text
first_error = _first_error
convert_to_session = _to_session
SERIAL_ZERO = _SERIAL_ZERO
