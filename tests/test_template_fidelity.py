"""LibreOffice as the independent oracle of the planner's native formulas, and the ilt-xl engine against both.

The template and the example are built fresh, recalculated in full by LibreOffice headless and by
the ilt-xl engine, and EVERY formula cell of every sheet is compared with the same quantity
computed here, row by row in plain Python/pandas from the input columns (Excel semantics: a blank
is 0 in arithmetic, errors propagate, IF evaluates one branch). Numbers must agree to 1e-9
relative; error values and texts must be identical. The engine's value of every formula cell must
equal LibreOffice's too.

No planner formula calls an ILT_* function: FX rates are looked up in the FX table (the manual
rate on or before the date wins, else the ECB row; computed here from the design's wording, not
from the workbook's key columns) and due dates are WORKDAY over the Holidays table (compared with
the core's calendar through ``ILT_DUEDATE``, which reads the holidays package itself). The
optional Tools sheet is the one place the add-in's functions appear: LibreOffice shows its note
there, the engine the registry's value.
"""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import openpyxl
import pandas as pd
import pytest

from libreoffice import recalculate_with_libreoffice, soffice_available

from ilt_xl.engine.recalc import recalculate
from ilt_xl.functions import REGISTRY
from ilt_xl.core.fx import ECB_ROW_SOURCE
from ilt_xl.schema import PLANNER
from ilt_xl.workbook import dashboard
from ilt_xl.workbook.builder import build_planner
from ilt_xl.workbook.example import make_example

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(not soffice_available(), reason="LibreOffice (soffice) is not installed"),
]

NA, DIV0 = "#N/A", "#DIV/0!"
TOOLS = "Tools"
CENTS = {"EUR": 2, "USD": 2, "GBP": 2, "JPY": 0}  # ISO 4217 minor units of the reporting currencies built here
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


class XlError(Exception):
    """An Excel error value raised while computing one cell."""


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def workbooks(tmp_path_factory):
    """Both planners, built and recalculated by LibreOffice and by the ilt-xl engine once per test session:
    name -> (openpyxl workbook of the built file, of LibreOffice's copy, of the engine's copy)."""
    src = tmp_path_factory.mktemp("fidelity_src")
    out = tmp_path_factory.mktemp("fidelity_lo")
    engine = tmp_path_factory.mktemp("fidelity_engine")
    built = {"template": build_planner(src / "template.xlsx"),
             "example": build_planner(src / "example.xlsx", make_example())}
    for name, path in built.items():
        recalculate(path, engine / path.name, today=dt.date.today())
    return {
        name: (openpyxl.load_workbook(path), openpyxl.load_workbook(recalculate_with_libreoffice(path, out), data_only=True),
               openpyxl.load_workbook(engine / path.name, data_only=True))
        for name, path in built.items()
    }


def test_no_planner_formula_calls_an_ilt_function(workbooks):
    """The planner computes without the add-in: ILT_ appears nowhere but on the optional Tools sheet
    (cells, table column formulas, defined names, validations and conditional formats)."""
    for built, _, _ in workbooks.values():
        found = [f"{ws.title}!{c.coordinate}" for ws in built.worksheets if ws.title != TOOLS
                 for c in formula_cells(ws) if "ILT_" in c.value.upper()]
        found += [f"{ws.title} table {t.name}" for ws in built.worksheets for t in ws.tables.values()
                  for col in t.tableColumns
                  if col.calculatedColumnFormula is not None and "ILT_" in col.calculatedColumnFormula.attr_text.upper()]
        found += [f"name {n}" for n, d in built.defined_names.items() if "ILT_" in str(d.attr_text).upper()]
        found += [f"{ws.title} validation {v.sqref}" for ws in built.worksheets for v in ws.data_validations.dataValidation
                  if "ILT_" in f"{v.formula1}{v.formula2}".upper()]
        found += [f"{ws.title} format {cf.sqref}" for ws in built.worksheets for cf in ws.conditional_formatting
                  for r in cf.rules if any("ILT_" in str(f).upper() for f in r.formula)]
        assert not found


def value_of(ws, lo):
    """The cell values LibreOffice computed for sheet ``ws``."""
    return lambda coordinate: lo[ws.title][coordinate].value


def fx_rates(wb) -> tuple[pd.DataFrame, list]:
    """The FX table as typed, and its usable rows (date serial, CURRENCY, per EUR, source, table order)."""
    fx = read_table(wb["FX"], "FX")
    usable = [(num(d), str(c).strip().upper(), float(p), src, i) for i, (d, c, p, src)
              in enumerate(zip(fx["Date"], fx["Currency"], fx["PerEUR"], fx["Source"]))
              if isinstance(d, dt.datetime) and not blank(c) and isinstance(p, (int, float)) and p > 0]
    return fx, usable


def per_eur(rates: list, currency, day: float) -> float:
    """design.md: a manual rate on or before the date wins, the latest such one (the first row of that
    date); otherwise the ECB row on or before it, the latest; EUR is 1; else #N/A."""
    currency = str(currency).strip().upper()
    if currency == "EUR":
        return 1.0
    for manual in (True, False):
        hits = [r for r in rates if r[1] == currency and (r[3] != ECB_ROW_SOURCE) == manual and r[0] <= day]
        if hits:
            latest = max(r[0] for r in hits)
            return next(r[2] for r in hits if r[0] == latest)
    raise XlError(NA)


def serial_date(serial: float) -> dt.datetime:
    return dt.datetime(1899, 12, 30) + dt.timedelta(days=serial)


def registry(name: str, *args):
    """A registry function called directly on one row; an Excel error it returns is raised."""
    value = REGISTRY[name](*args)
    value = value.item() if isinstance(value, np.ndarray) else value
    if isinstance(value, str) and value.startswith("#"):
        raise XlError(value)
    return value


def read_table(ws, name: str) -> pd.DataFrame:
    """An Excel table's cells (as written: values or formula text) as a DataFrame of objects."""
    table = ws.tables[name]
    rows = [list(r) for r in ws[table.ref]]
    return pd.DataFrame([[c.value for c in r] for r in rows[1:]], columns=[c.value for c in rows[0]], dtype=object)


def setting(wb, name: str):
    sheet, cell = next(iter(wb.defined_names[name].destinations))
    return wb[sheet][cell.replace("$", "")].value


# ----------------------------------------------------------------------------- Excel semantics


def num(v) -> float:
    """A value in arithmetic: blank is 0, an error propagates, a date is its serial."""
    if isinstance(v, str) and v.startswith("#"):
        raise XlError(v)
    if v is None or v == "":
        return 0.0
    if isinstance(v, dt.datetime):
        return (v - dt.datetime(1899, 12, 30)).days + (v - dt.datetime(v.year, v.month, v.day)).seconds / 86400
    if isinstance(v, dt.date):
        return float((v - dt.date(1899, 12, 30)).days)
    return float(v)


def blank(v) -> bool:
    return v is None or v == ""


def excel_round(value: float, digits: int) -> float:
    """ROUND: half away from zero, on the decimal the value shows (0.285 -> 0.29)."""
    scaled = round(abs(value) * 10 ** digits, 6)
    return math.copysign(math.floor(scaled + 0.5), value) / 10 ** digits


def div(a: float, b: float) -> float:
    if b == 0:
        raise XlError(DIV0)
    return a / b


def lookup(frame: pd.DataFrame, key_col: str, key, col: str):
    """INDEX(table[col], MATCH(key, table[key_col], 0)); a blank result reads as 0."""
    if blank(key):
        raise XlError(NA)
    hits = frame.index[frame[key_col] == key]
    if len(hits) == 0:
        raise XlError(NA)
    v = frame.at[hits[0], col]
    return 0 if blank(v) else v


def compute(funcs: dict) -> dict:
    """Evaluate named cell functions in order; each gets the results so far and may raise XlError."""
    out: dict = {}

    def get(name):
        v = out[name]
        if isinstance(v, str) and v.startswith("#"):
            raise XlError(v)
        return v

    for name, f in funcs.items():
        try:
            out[name] = f(get)
        except XlError as exc:
            out[name] = exc.args[0]
    return out


# ----------------------------------------------------------------------------- Sessions oracle


def expected_sessions(wb) -> list[dict]:
    courses = read_table(wb["Courses"], "Courses")
    rooms = read_table(wb["Rooms"], "Rooms")
    equipment = read_table(wb["Equipment"], "Equipment")
    instructors = read_table(wb["Instructors"], "Instructors")
    enrol = read_table(wb["Enrolments"], "Enrolments")
    conflicts = read_table(wb["Conflicts"], "Conflicts")
    rate_history = read_table(wb["Rates"], "Rates").to_dict("records")
    cost_lines = read_table(wb["SessionCosts"], "SessionCosts").to_dict("records")
    sessions = read_table(wb["Sessions"], "Sessions")
    as_of = setting(wb, "AsOfDate")
    as_of = dt.date.today() if as_of == "=TODAY()" else as_of
    lead = num(setting(wb, "GoNoGoLeadDays"))
    _, rates = fx_rates(wb)
    reporting = setting(wb, "ReportingCurrency")
    by_budget_date, budget_date = setting(wb, "FxDatePolicy") == "BudgetRateDate", setting(wb, "BudgetRateDate")

    def enrol_sum(col, sid):
        return sum(num(v) for k, v in zip(enrol["SessionId"], enrol[col]) if not blank(k) and k == sid)

    rows = []
    # Rows as dicts: pandas 3's iterrows infers a str row from text cells and turns None into NaN.
    for s in sessions.to_dict("records"):
        if blank(s["SessionId"]):  # an empty row: every calculated column is blank
            rows.append({c.name: "" for c in PLANNER.table("Sessions").calculated_columns} | {"_input": s})
            continue

        def course(col, s=s):
            return lambda g: lookup(courses, "CourseId", s["CourseId"], col)

        def to_session(g, currency):
            """Units of the session currency per 1 ``currency`` at FxDate (1 when blank or the same)."""
            if blank(currency) or str(currency).upper() == str(g("Currency")).upper():
                return 1.0
            return per_eur(rates, g("Currency"), g("FxDate")) / per_eur(rates, currency, g("FxDate"))

        def day_rate(kind, key, table, key_col, s=s):
            """design: the Rates row of the resource valid on the start date (the latest ValidFrom on or before
            it, the first such row), else the resource's own DayRate; in the session currency."""
            def f(g):
                if blank(s[key]):
                    return 0.0
                valid = [r for r in rate_history if r["ResourceType"] == kind and r["ResourceId"] == s[key]
                         and not blank(r["ValidFrom"]) and num(r["ValidFrom"]) <= num(s["StartDate"])]
                if valid:
                    latest = max(num(r["ValidFrom"]) for r in valid)
                    row = next(r for r in valid if num(r["ValidFrom"]) == latest)
                    return num(row["DayRate"]) * to_session(g, row["Currency"])
                return num(lookup(table, key_col, s[key], "DayRate")) * to_session(g, lookup(table, key_col, s[key], "Currency"))
            return f

        def lines(g, s=s):
            """The session's SessionCosts lines in its currency: (category, estimated, committed, actual, in force)."""
            out = []
            for line in cost_lines:
                if blank(line["SessionId"]) or line["SessionId"] != s["SessionId"]:
                    continue
                quantity = g("Learners") if str(line["Basis"]).lower() == "per learner" else 1.0
                rate = to_session(g, line["Currency"])
                stages = [num(line[k]) * quantity * rate for k in ("Estimated", "Committed", "Actual")]
                in_force = stages[2] if not blank(line["Actual"]) else stages[1] if not blank(line["Committed"]) else stages[0]
                out.append((str(line["Category"]).lower(), *stages, in_force))
            return out

        def from_lines(category, otherwise):
            """A line of ``category`` replaces the figure derived from the resource tables."""
            def f(g):
                entered = [line[-1] for line in lines(g) if line[0] == category]
                return sum(entered) if entered else otherwise(g)
            return f

        def rate_cost(entered, rate_column, s=s):
            return lambda g: num(s[entered]) if not blank(s[entered]) else g(rate_column) * g("Days")

        def stage_total(stage, s=s):
            fee = s["Status"] == "Cancelled"  # a cancelled session's stages are its fees'
            return lambda g: sum(line[stage] for line in lines(g) if (line[0] == "cancellation fee") == fee)

        def frozen(column, computed, s=s):
            return (lambda g: num(s[column])) if not blank(s[column]) else computed

        def capacity(g, s=s):
            if not blank(s["CapacityOverride"]):
                return num(s["CapacityOverride"])
            course_max = num(lookup(courses, "CourseId", s["CourseId"], "MaxLearners"))
            if blank(s["RoomId"]):
                return course_max
            return min(num(lookup(rooms, "RoomId", s["RoomId"], "Capacity")), course_max)

        def break_even(g):
            if g("PricePerLearner") <= g("VariableCostPerLearner"):
                raise XlError(NA)
            return math.ceil(g("FixedCost") / (g("PricePerLearner") - g("VariableCostPerLearner")))

        def go_no_go(g, s=s):
            if s["Status"] == "Cancelled":
                return "Cancelled"
            if s["Status"] == "Delivered":
                return "Delivered"
            if g("Registered") >= num(lookup(courses, "CourseId", s["CourseId"], "MinLearners")):
                return "Go"
            return "At risk" if num(s["StartDate"]) - num(as_of) <= lead else "Open"

        def conflict_flag(g, s=s):
            named = (conflicts["SessionA"] == s["SessionId"]).sum() + (conflicts["SessionB"] == s["SessionId"]).sum()
            return "Conflict" if not blank(s["SessionId"]) and named > 0 else ""

        rows.append(compute({
            "Currency": (lambda g, s=s: s["FrozenCurrency"]) if not blank(s["FrozenCurrency"]) else
            (lambda g, s=s: s["CurrencyEntered"]) if not blank(s["CurrencyEntered"]) else course("Currency"),
            "FxDate": lambda g, s=s: num(budget_date if by_budget_date else s["StartDate"]),
            "Days": lambda g, s=s: num(s["EndDate"]) - num(s["StartDate"]) + 1,
            "HoursPerDay": lambda g, f=course("HoursPerDay"): num(f(g)),
            "Registered": lambda g, s=s: enrol_sum("Registered", s["SessionId"]),
            "Attended": lambda g, s=s: enrol_sum("Attended", s["SessionId"]),
            "Learners": lambda g, s=s: g("Attended") if s["Status"] == "Delivered" else g("Registered"),
            "LearnerHours": lambda g: g("Learners") * g("Days") * g("HoursPerDay"),
            "Capacity": capacity,
            "RoomDayRate": day_rate("Room", "RoomId", rooms, "RoomId"),
            "InstructorDayRate": day_rate("Instructor", "InstructorId", instructors, "InstructorId"),
            "EquipmentDayRate": day_rate("Equipment", "EquipmentId", equipment, "EquipmentId"),
            "RoomCost": from_lines("room", rate_cost("RoomCostEntered", "RoomDayRate")),
            "InstructorCost": from_lines("instructor", rate_cost("InstructorFeeEntered", "InstructorDayRate")),
            "EquipmentCost": from_lines("equipment", lambda g, s=s: num(s["EquipmentUnits"]) * g("EquipmentDayRate") * g("Days")),
            "LinesCost": lambda g: sum(line[-1] for line in lines(g)
                                       if line[0] not in ("room", "instructor", "equipment", "cancellation fee")),
            "CancellationFee": lambda g: sum(line[-1] for line in lines(g) if line[0] == "cancellation fee"),
            "FixedCost": frozen("FrozenFixedCost", lambda g, s=s: g("CancellationFee") if s["Status"] == "Cancelled" else
                                g("RoomCost") + g("InstructorCost") + g("EquipmentCost") + num(s["OtherFixedCost"]) + g("LinesCost")),
            "VariableCostPerLearner": lambda g, f=course("VariableCostPerLearner"), c=course("Currency"):
                num(f(g)) * to_session(g, c(g)),
            "VariableCost": frozen("FrozenVariableCost", lambda g, s=s: 0.0 if s["Status"] == "Cancelled" else
                                   g("VariableCostPerLearner") * g("Registered")),
            "SessionCost": lambda g: g("FixedCost") + g("VariableCost"),
            "Occupancy": lambda g: div(g("Registered"), g("Capacity")),
            "CostPerLearner": lambda g: "" if g("Learners") == 0 else div(g("SessionCost"), g("Learners")),
            "CostPerLearnerHour": lambda g: "" if g("LearnerHours") == 0 else div(g("SessionCost"), g("LearnerHours")),
            "PricePerLearner": lambda g, f=course("PricePerLearner"), c=course("Currency"): num(f(g)) * to_session(g, c(g)),
            "BreakEvenLearners": break_even,
            "MinSessionCost": lambda g: g("FixedCost") + g("VariableCostPerLearner") * g("BreakEvenLearners"),
            "MaxSessionCost": lambda g: g("FixedCost") + g("VariableCostPerLearner") * g("Capacity"),
            "GoNoGo": go_no_go,
            "FxRate": frozen("FrozenFxRate", lambda g: 1.0 if str(g("Currency")).upper() == str(reporting).upper() else
                             per_eur(rates, reporting, g("FxDate")) / per_eur(rates, g("Currency"), g("FxDate"))),
            "CostReporting": frozen("FrozenCostReporting", lambda g: excel_round(g("SessionCost") * g("FxRate"), CENTS[reporting])),
            "LinesEstimated": stage_total(1),
            "LinesCommitted": stage_total(2),
            "LinesActual": stage_total(3),
            "ConflictFlag": conflict_flag,
        }) | {"_input": s})
    return rows


# ----------------------------------------------------------------------------- Dashboard oracle


def expected_dashboard(wb, sessions: list[dict]) -> dict[str, object]:
    """Expected value of every Dashboard formula cell, by coordinate, from the Sessions oracle."""
    ws = wb["Dashboard"]
    as_of = setting(wb, "AsOfDate")
    as_of = dt.date.today() if as_of == "=TODAY()" else as_of
    fsm = int(setting(wb, "FiscalYearStartMonth"))
    rc = setting(wb, "ReportingCurrency")
    budget = read_table(wb["Budget"], "Budget")
    units = read_table(wb["BusinessUnits"], "BusinessUnits")["BusinessUnit"].tolist()

    s = pd.DataFrame([{**{k: v for k, v in r.items() if k != "_input"},
                       "Status": r["_input"]["Status"], "Start": r["_input"]["StartDate"]} for r in sessions])
    s["StartNum"] = [num(v) if not blank(v) else 0.0 for v in s["Start"]]

    def month_start(year: int, month: int) -> dt.date:  # DATE(y, m, 1) with month overflow
        return dt.date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)

    current = as_of.year - (1 if as_of.month < fsm else 0)
    years = [current - 3, current - 2, current - 1, current]
    bounds = [(month_start(y, fsm), month_start(y + 1, fsm)) for y in years]

    def in_range(lo, hi):
        return (s["StartNum"] >= num(lo)) & (s["StartNum"] < num(hi))

    def total(col, mask):
        values = s.loc[mask, col]
        if any(isinstance(v, str) and v.startswith("#") for v in values):
            raise XlError(next(v for v in values if isinstance(v, str) and v.startswith("#")))
        return float(sum(num(v) for v in values))

    def average(col, mask):
        values = s.loc[mask, col].tolist()
        if not values or any(isinstance(v, str) for v in values):
            return ""  # IFERROR(AVERAGEIFS(...), "")
        return sum(values) / len(values)

    def edate(d: dt.date, months: int) -> dt.date:  # EDATE: the same day, clamped to the month's end
        y, m = divmod(d.month - 1 + months, 12)
        first = dt.date(d.year + y, m + 1, 1)
        last = (month_start(first.year, first.month + 1) - dt.timedelta(days=1)).day
        return first.replace(day=min(d.day, last))

    to_date = [edate(as_of, -12 * (len(years) - 1 - i)) for i in range(len(years))]
    delivered = s["Status"] == "Delivered"
    kpi: dict[str, list] = {}
    periods = [(lo, (s["StartNum"] >= num(lo)) & (s["StartNum"] <= num(end)), "") for (lo, _), end in zip(bounds, to_date)]
    periods += [(lo, in_range(lo, hi), " (full year)") for lo, hi in bounds[:-1]]
    for lo, y, suffix in periods:
        n_all, n_cancel = int(y.sum()), int((y & (s["Status"] == "Cancelled")).sum())
        learners, hours = total("Learners", y & delivered), total("LearnerHours", y & delivered)
        registered, attended = total("Registered", y & delivered), total("Attended", y & delivered)
        seats = total("Capacity", y & delivered)
        fees = y & (s["Status"] == "Cancelled") & np.array([not (isinstance(v, (int, float)) and v == 0) for v in s["CancellationFee"]], dtype=bool)
        try:  # pandas sum of the registry's conversions; SUMIFS shows the first error it meets
            cost = total("CostReporting", y & delivered) + total("CostReporting", fees)
            per_learner = "" if learners == 0 else cost / learners
            per_hour = "" if hours == 0 else cost / hours
        except XlError as exc:
            cost = per_learner = per_hour = exc.args[0]
        for key, value in {
            "Sessions delivered": int((y & delivered).sum()),
            "Sessions cancelled": n_cancel,
            "Sessions in the year (any status)": n_all,
            "Cancellation rate (cancelled / all)": "" if n_all == 0 else n_cancel / n_all,
            "Average occupancy of delivered sessions": average("Occupancy", y & delivered),
            "No-show rate (1 - attended / registered, delivered)": "" if registered == 0 else 1 - attended / registered,
            "Fill of delivered sessions (attended / seats)": "" if seats == 0 else attended / seats,
            "Learners (attended, delivered sessions)": learners,
            "Learner-hours (delivered sessions)": hours,
            f"Cost of delivered sessions and cancellation fees in {rc} (converted)": cost,
            f"Cost per learner in {rc}": per_learner,
            f"Cost per learner-hour in {rc}": per_hour,
        }.items():
            kpi.setdefault(key + suffix, []).append(value)
    rates = {"Cancellation rate (cancelled / all)", "Average occupancy of delivered sessions",
             "No-show rate (1 - attended / registered, delivered)", "Fill of delivered sessions (attended / seats)"}
    rates |= {r + " (full year)" for r in rates}

    def points(prev, cur):
        return "" if isinstance(prev, str) or isinstance(cur, str) else (cur - prev) * 100

    def yoy(prev, cur):
        if isinstance(prev, str) and prev.startswith("#"):
            return prev  # N() of an error is the error
        if prev == "" or prev == 0 or isinstance(cur, str):
            return ""
        return cur / prev - 1

    exp: dict[str, object] = {"B2": dt.datetime.combine(as_of, dt.time())}
    year_cols, yoy_cols = "BCDE", "FGH"
    rows = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)}
    for i, col in enumerate(year_cols):
        exp[f"{col}4"] = years[i]
        exp[f"{col}5"] = dt.datetime.combine(bounds[i][0], dt.time())
        exp[f"{col}6"] = dt.datetime.combine(bounds[i][1], dt.time())
        exp[f"{col}7"] = dt.datetime.combine(to_date[i], dt.time())
    for i, col in enumerate(yoy_cols):
        exp[f"{col}4"] = f"YoY {years[i + 1]}"

    def put_row(r, values, change=yoy):
        for col, v in zip(year_cols, values):
            exp[f"{col}{r}"] = v
        for col, prev, cur in zip(yoy_cols, values, values[1:]):
            exp[f"{col}{r}"] = change(prev, cur)

    # KPI rows: found by their label (a formula label's expected text is checked too).
    for r in range(1, ws.max_row + 1):
        label = ws.cell(r, 1).value
        text = label
        if isinstance(label, str) and label.startswith('="'):
            pieces = label.split('"')
            text = pieces[1] + rc + "".join(pieces[3::2])
            exp[f"A{r}"] = text
        if text in kpi:
            put_row(r, kpi[text], points if text in rates else yoy)

    # Delivered cost by currency: the rows under the block's heading until a blank row.
    r = next(r for v, r in rows.items() if isinstance(v, str) and v.startswith("Delivered session cost by currency")) + 1
    while ws.cell(r, 1).value:
        code = ws.cell(r, 1).value
        put_row(r, [total("SessionCost", in_range(lo, hi) & delivered & (s["Currency"] == code)) for lo, hi in bounds])
        r += 1

    # Occupancy by month of the current and previous fiscal year.
    r0 = rows["Month"]
    exp[f"D{r0}"], exp[f"E{r0}"] = f"FY {years[-2]}", f"FY {years[-1]}"
    not_cancelled = s["Status"] != "Cancelled"
    for i in range(12):
        r = r0 + 1 + i
        lo, hi = month_start(current, fsm + i), month_start(current, fsm + i + 1)
        exp[f"A{r}"] = MONTHS[lo.month - 1]
        exp[f"B{r}"], exp[f"C{r}"] = (dt.datetime.combine(d, dt.time()) for d in (lo, hi))
        exp[f"D{r}"] = average("Occupancy", not_cancelled & in_range(dt.date(lo.year - 1, lo.month, 1),
                                                                     dt.date(hi.year - 1, hi.month, 1)))
        exp[f"E{r}"] = average("Occupancy", not_cancelled & in_range(lo, hi))

    # Budget and cost by business unit, current fiscal year.
    r0 = rows["Business unit"]
    r = r0 + 1
    while r <= ws.max_row and isinstance(ws.cell(r, 1).value, str):
        i = r - r0 - 1
        unit = units[i] if i < len(units) and not blank(units[i]) else ""
        exp[f"A{r}"] = unit
        for col, field in zip("BCDE", ("Budget", "Actual", "Committed", "Forecast")):
            mask = (budget["Year"] == years[-1]) & (budget["BusinessUnit"] == unit)
            exp[f"{col}{r}"] = "" if unit == "" else float(sum(num(v) for v in budget.loc[mask, field]))
        r += 1

    # Forecast by month: the ForecastMonths rows, blank beyond them.
    months = read_table(wb["ForecastMonths"], "ForecastMonths")
    months = months[[not blank(v) for v in months["Period"]]].reset_index(drop=True)
    r0 = rows["Forecast month"]
    for i in range(dashboard.FORECAST_ROWS):
        r = r0 + 1 + i
        if i < len(months):
            m = months.iloc[i]
            exp[f"A{r}"] = m["Period"]
            exp[f"B{r}"], exp[f"D{r}"], exp[f"E{r}"] = m["LearnersP10"], m["LearnersP50"], m["LearnersP90"]
            exp[f"C{r}"] = m["LearnersP90"] - m["LearnersP10"]
        else:
            for col in "ABCDE":
                exp[f"{col}{r}"] = ""
    return exp


# ----------------------------------------------------------------------------- comparison


def same(expected, got) -> bool:
    if isinstance(expected, bool) or isinstance(got, bool):
        return expected is got
    if expected == "" or expected is None:
        return got is None or got == ""
    if isinstance(expected, str):
        return got == expected
    if isinstance(expected, dt.datetime):
        return got == expected
    if isinstance(got, dt.datetime):  # a date-formatted cell, expected as its serial
        got = num(got)
    if not isinstance(got, (int, float)):
        return False
    return math.isclose(float(expected), float(got), rel_tol=1e-9, abs_tol=1e-12)


def formula_cells(ws):
    return [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]


@pytest.mark.parametrize("name", ["template", "example"])
def test_sessions_formulas_match_independent_computation(workbooks, name):
    built, recalculated, engine = workbooks[name]
    ws = built["Sessions"]
    headers = [c.value for c in ws[1]]
    expected = expected_sessions(built)
    cells = formula_cells(ws)
    assert len(cells) == len(expected) * sum(1 for h in headers if h in expected[0])
    value = value_of(ws, recalculated)
    mismatches = []
    for cell in cells:
        column = headers[cell.column - 1]
        want = expected[cell.row - 2][column]
        got = value(cell.coordinate)
        if not same(want, got):
            mismatches.append(f"{cell.coordinate} {column}: LibreOffice {got!r}, expected {want!r}")
    assert not mismatches, f"{len(mismatches)} of {len(cells)} cells differ:\n" + "\n".join(mismatches[:20])


@pytest.mark.parametrize("name", ["template", "example"])
def test_dashboard_formulas_match_independent_computation(workbooks, name):
    built, recalculated, engine = workbooks[name]
    expected = expected_dashboard(built, expected_sessions(built))
    ws = built["Dashboard"]
    cells = formula_cells(ws)
    uncovered = [c.coordinate for c in cells if c.coordinate not in expected]
    assert not uncovered, f"Dashboard formula cells without an independent expectation: {uncovered}"
    value = value_of(ws, recalculated)
    mismatches = [
        f"{c.coordinate} {ws.cell(c.row, 1).value!r}: LibreOffice {value(c.coordinate)!r}, expected {expected[c.coordinate]!r}"
        for c in cells if not same(expected[c.coordinate], value(c.coordinate))
    ]
    assert not mismatches, f"{len(mismatches)} of {len(cells)} cells differ:\n" + "\n".join(mismatches[:20])


def test_example_exercises_errors_and_every_go_no_go_state(workbooks):
    """The comparison means something only if the example holds the interesting cases."""
    built, recalculated, _ = workbooks["example"]
    lo = recalculated["Sessions"]
    headers = [c.value for c in lo[1]]
    go = {lo.cell(r, headers.index("GoNoGo") + 1).value for r in range(2, lo.max_row + 1)}
    assert {"Go", "At risk", "Delivered", "Cancelled"} <= go
    flags = {lo.cell(r, headers.index("ConflictFlag") + 1).value for r in range(2, lo.max_row + 1)}
    assert "Conflict" in flags  # the Conflicts tab names the planted sessions
    learners = [lo.cell(r, headers.index("Learners") + 1).value for r in range(2, lo.max_row + 1)]
    cost_per_learner = [lo.cell(r, headers.index("CostPerLearner") + 1).value for r in range(2, lo.max_row + 1)]
    assert 0 in learners and DIV0 not in cost_per_learner  # sessions with no learners yet: blank, not #DIV/0!
    fx = [lo.cell(r, headers.index("FxRate") + 1).value for r in range(2, lo.max_row + 1)]
    assert {1} < set(fx) and NA not in fx  # converted sessions, none without a rate
    applies = [c.value for c in recalculated["FX"]["E"][1:]]
    assert {True, False} <= set(applies)  # a superseded ECB row is there
    occupancy = [lo.cell(r, headers.index("Occupancy") + 1).value for r in range(2, lo.max_row + 1)]
    assert any(isinstance(v, float) and v > 1 for v in occupancy)  # the planted over-capacity session


def column_cells(ws, table: str, column: str) -> list[str]:
    """Coordinates of ``column``'s cells in the data rows of ``table`` (on sheet ``ws``)."""
    from openpyxl.utils import get_column_letter
    letter = get_column_letter([c.value for c in ws[1]].index(column) + 1)
    return [f"{letter}{r}" for r in range(2, ws.max_row + 1)]


def expected_cost_tables(wb) -> dict[tuple[str, str], object]:
    """Rates keys, each SessionCosts line in its session's currency and the reporting one, the ledger's
    budget line and stages, and Budget's stage totals: from the Sessions oracle and the typed rows."""
    expected: dict[tuple[str, str], object] = {}
    by_id: dict = {}
    for row in expected_sessions(wb):
        by_id.setdefault(row["_input"]["SessionId"], row)  # MATCH(..., 0): the first row of an id
    reporting, fsm = setting(wb, "ReportingCurrency"), int(setting(wb, "FiscalYearStartMonth"))

    def session(sid, column):
        if blank(sid) or sid not in by_id:
            raise XlError(NA)
        v = by_id[sid][column]
        if isinstance(v, str) and v.startswith("#"):
            raise XlError(v)
        return v

    def put(sheet, table, frame, cells):
        for i, row in enumerate(frame.to_dict("records")):
            for column, value in compute(cells(row)).items():
                expected[(sheet, column_cells(wb[sheet], table, column)[i])] = value

    rates = read_table(wb["Rates"], "Rates")
    put("Rates", "Rates", rates, lambda r: {"LookupKey": lambda g: "" if blank(r["ResourceId"]) else
        f'{r["ResourceType"]}|{r["ResourceId"]}#' + str(sum(
            1 for t, i, v in zip(rates["ResourceType"], rates["ResourceId"], rates["ValidFrom"])
            if t == r["ResourceType"] and i == r["ResourceId"] and not blank(v) and num(v) <= num(r["ValidFrom"])))})

    _, fx = fx_rates(wb)  # read once for every line

    def line_cells(r):
        if blank(r["SessionId"]):
            return {c: (lambda g: "") for c in ("SessionCurrency", "FxDate", "Quantity", "Rate", "Stage", "EstimatedSession",
                                                "CommittedSession", "ActualSession", "AmountSession", "AmountReporting")}
        sid = r["SessionId"]

        def rate(g):
            if blank(r["Currency"]) or str(r["Currency"]).upper() == str(g("SessionCurrency")).upper():
                return 1.0
            return per_eur(fx, g("SessionCurrency"), g("FxDate")) / per_eur(fx, r["Currency"], g("FxDate"))
        return {
            "SessionCurrency": lambda g: session(sid, "Currency"),
            "FxDate": lambda g: session(sid, "FxDate"),
            "Quantity": lambda g: num(session(sid, "Learners")) if r["Basis"] == "per learner" else 1.0,
            "Rate": rate,
            "Stage": lambda g: "Actual" if not blank(r["Actual"]) else "Committed" if not blank(r["Committed"]) else "Estimated",
            "EstimatedSession": lambda g: num(r["Estimated"]) * g("Quantity") * g("Rate"),
            "CommittedSession": lambda g: num(r["Committed"]) * g("Quantity") * g("Rate"),
            "ActualSession": lambda g: num(r["Actual"]) * g("Quantity") * g("Rate"),
            "AmountSession": lambda g: g(g("Stage") + "Session"),
            "AmountReporting": lambda g: excel_round(g("AmountSession") * session(sid, "FxRate"), CENTS[reporting]),
        }
    put("SessionCosts", "SessionCosts", read_table(wb["SessionCosts"], "SessionCosts"), line_cells)

    budget = read_table(wb["Budget"], "Budget")
    ledger = read_table(wb["Allocation"], "Allocation")
    stages = ("LinesEstimated", "LinesCommitted", "LinesActual")

    def ledger_cells(r):
        sid = r["SessionId"]

        def year(g):
            start = serial_date(num(session(sid, "_input")["StartDate"]))
            return float(start.year - (1 if start.month < fsm else 0))

        def budget_country(g):
            rows = (budget["Year"] == g("Year")) & (budget["BusinessUnit"] == r["BusinessUnit"]) & (budget["Country"] == r["Country"])
            return r["Country"] if not blank(r["Country"]) and rows.any() else "(all)"
        cells = {"Year": year, "BudgetCountry": budget_country}
        for stage in stages:
            cells[stage] = lambda g, stage=stage: excel_round(num(r["Share"]) * session(sid, stage) * session(sid, "FxRate"),
                                                              CENTS[reporting])
        return cells

    ledger_values = []  # each ledger row's values, for Budget's SUMIFS
    for i, r in enumerate(ledger.to_dict("records")):
        values = {c: "" for c in ("Year", "BudgetCountry", *stages)} if blank(r["SessionId"]) else compute(ledger_cells(r))
        ledger_values.append(values | {"BusinessUnit": r["BusinessUnit"]})
        for column, value in values.items():
            expected[("Allocation", column_cells(wb["Allocation"], "Allocation", column)[i])] = value

    def stage_total(b, stage):
        if blank(b["Year"]):
            return ""
        country = "(all)" if blank(b["Country"]) else b["Country"]
        return float(sum(num(v[stage]) for v in ledger_values if v["Year"] == b["Year"] and
                         v["BusinessUnit"] == b["BusinessUnit"] and v["BudgetCountry"] == country))
    for i, b in enumerate(budget.to_dict("records")):
        for stage in stages:
            expected[("Budget", column_cells(wb["Budget"], "Budget", stage)[i])] = stage_total(b, stage)
    return expected


@pytest.mark.parametrize("name", ["template", "example"])
def test_remaining_formula_cells_match(workbooks, name):
    """Budget variance, FX keys, checklist countries, due dates and overdue flags, the Settings formulas,
    the Tools sheet: every other formula cell."""
    built, recalculated, engine = workbooks[name]
    as_of = setting(built, "AsOfDate")
    as_of = dt.date.today() if as_of == "=TODAY()" else as_of
    expected: dict[tuple[str, str], object] = {}
    budget = read_table(built["Budget"], "Budget")
    for ref, b in zip(column_cells(built["Budget"], "Budget", "Variance"), budget.to_dict("records")):
        expected[("Budget", ref)] = "" if blank(b["Year"]) else \
            num(b["Budget"]) - (num(b["Actual"]) + num(b["Committed"]) + num(b["Forecast"]))
    fx, rates = fx_rates(built)
    applying = {r[4] for r in rates if r[3] != ECB_ROW_SOURCE or
                not any(m[1] == r[1] and m[3] != ECB_ROW_SOURCE and m[0] <= r[0] for m in rates)}
    for i, (applies_ref, key_ref) in enumerate(zip(column_cells(built["FX"], "FX", "Applies"),
                                                   column_cells(built["FX"], "FX", "LookupKey"))):
        currency = fx["Currency"][i]
        if blank(currency):
            expected[("FX", applies_ref)] = expected[("FX", key_ref)] = ""
            continue
        expected[("FX", applies_ref)] = i in applying
        n = sum(1 for r in rates if r[4] in applying and r[1] == str(currency).upper() and r[0] <= num(fx["Date"][i]))
        expected[("FX", key_ref)] = f"{currency}#{n}" if i in applying else ""
    checklist = read_table(built["Checklist"], "Checklist")
    sessions = read_table(built["Sessions"], "Sessions")
    template = read_table(built["ChecklistTemplate"], "ChecklistTemplate")
    ws = built["Checklist"]
    for c, country_ref, due_ref, overdue_ref in zip(checklist.to_dict("records"), column_cells(ws, "Checklist", "Country"),
                                                         column_cells(ws, "Checklist", "DueDate"),
                                                         column_cells(ws, "Checklist", "Overdue")):
        if blank(c["SessionId"]):
            expected[("Checklist", country_ref)] = expected[("Checklist", due_ref)] = expected[("Checklist", overdue_ref)] = ""
            continue

        def due(g, c=c):  # the core's calendar (the holidays package), not the workbook's Holidays tab
            at_end = str(lookup(template, "TaskId", c["TaskId"], "Anchor")).lower() == "end"
            anchor = lookup(sessions, "SessionId", c["SessionId"], "EndDate" if at_end else "StartDate")
            offset = num(lookup(template, "TaskId", c["TaskId"], "OffsetWorkdays"))
            return registry("ILT_DUEDATE", num(anchor), offset, g("Country"))

        def overdue(g, c=c):
            if c["Status"] != "Open":  # the formula never looks at a closed task's due date
                return ""
            return "Overdue" if g("DueDate") < num(as_of) else ""

        row = compute({"Country": lambda g, c=c: lookup(sessions, "SessionId", c["SessionId"], "Country"),
                       "DueDate": due, "Overdue": overdue})
        expected[("Checklist", country_ref)] = row["Country"]
        expected[("Checklist", due_ref)] = serial_date(row["DueDate"]) if isinstance(row["DueDate"], float) else row["DueDate"]
        expected[("Checklist", overdue_ref)] = row["Overdue"]
    expected |= expected_cost_tables(built)
    if setting(built, "AsOfDate") == "=TODAY()":
        expected[("Settings", "B8")] = dt.datetime.combine(as_of, dt.time())
    cells = [(ws.title, c.coordinate) for ws in built.worksheets if ws.title not in ("Sessions", "Dashboard", TOOLS)
             for c in formula_cells(ws)]
    assert sorted(cells) == sorted(expected)
    mismatches = [f"{s}!{ref}: LibreOffice {recalculated[s][ref].value!r}, expected {expected[(s, ref)]!r}"
                  for s, ref in cells if not same(expected[(s, ref)], recalculated[s][ref].value)]
    if name == "example":  # the comparison means something: due dates, done and overdue tasks are there
        assert {"Overdue", ""} <= {expected[k] for k in expected if k[0] == "Checklist" and k[1].startswith("K")}
        assert {True, False} <= {expected[k] for k in expected if k[0] == "FX" and k[1].startswith("E")}
    assert not mismatches, "\n".join(mismatches)


# The Tools sheet's examples, computed by hand (2026-03-02 is a Monday).
TOOLS_RESULTS = {
    "ILT_ALLOCATE": 166.67, "ILT_AVAILABLE": "T2", "ILT_BREAKEVEN": 14, "ILT_CONFLICTS": "T1",
    "ILT_COSTPERLEARNER": 290, "ILT_DAYS": 5, "ILT_DUEDATE": dt.datetime(2026, 12, 28), "ILT_FX": 1000 / 1.08,
    "ILT_FXRATE": 1.08 / 0.86, "ILT_GONOGO": "At risk", "ILT_LEARNERHOURS": 168, "ILT_OCCUPANCY": 0.9,
    "ILT_SESSIONCOST": 5800, "ILT_UTILIZATION": 0.3, "ILT_WORKDAYS": 15,
}


@pytest.mark.parametrize("name", ["template", "example"])
def test_tools_sheet_shows_the_note_without_the_add_in_and_the_values_with_it(workbooks, name):
    """LibreOffice (no add-in) shows the note in every Result cell, never #NAME?; the engine, which has the
    functions, shows each example's hand-computed value."""
    from ilt_xl.workbook.tools_sheet import NEEDS_ADDIN

    built, recalculated, engine = workbooks[name]
    ws = built[TOOLS]
    cells = formula_cells(ws)
    functions = [ws.cell(c.row, 1).value.split("(")[0] for c in cells]
    assert sorted(functions) == sorted(REGISTRY) == sorted(TOOLS_RESULTS)
    assert [recalculated[TOOLS][c.coordinate].value for c in cells] == [NEEDS_ADDIN] * len(cells)
    wrong = [(f, engine[TOOLS][c.coordinate].value) for f, c in zip(functions, cells)
             if not same(TOOLS_RESULTS[f], engine[TOOLS][c.coordinate].value)]
    assert not wrong


@pytest.mark.parametrize("name", ["template", "example"])
def test_engine_equals_libreoffice_in_every_formula_cell(workbooks, name):
    """`ilt-xl recalc` and LibreOffice agree on every formula cell; no cell shows #NAME? in LibreOffice."""
    built, recalculated, engine = workbooks[name]
    every = [(ws.title, c.coordinate) for ws in built.worksheets for c in formula_cells(ws)]
    names = [f"{s}!{ref}" for s, ref in every if recalculated[s][ref].value == "#NAME?"]
    cells = [(s, ref) for s, ref in every if s != TOOLS]  # Tools: the add-in's (test above)
    differ = [f"{s}!{ref}: engine {engine[s][ref].value!r}, LibreOffice {recalculated[s][ref].value!r}"
              for s, ref in cells if not same(engine[s][ref].value, recalculated[s][ref].value)]
    print(f"{name}: {len(cells)} formula cells compared, {len(differ)} differ; {len(names)} #NAME? in {len(every)}")
    assert len(cells) > (100 if name == "template" else 10_000)
    assert not names and not differ, "\n".join((names + differ)[:20])
