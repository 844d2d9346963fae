"""Check the values of a read planner: every rule of the schema, plus the cross-table rules.

All checks run on whole columns (pandas/numpy masks); only flagged rows become
:class:`Problem` records. :func:`validate` never stops at the first problem.

Column rules come from the schema: ``required``, ``allowed``, ``references``,
``unique``, ``minimum``, and the code formats of currency (3 capital letters)
and country (ISO 3166 alpha-2: 2 capital letters) columns. Currency columns
accept the schema's list plus any currency quoted in the FX table.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ilt_xl.core import fx
from ilt_xl.csv_export import FORMULA_START
from ilt_xl.core.allocation import UNALLOCATED
from ilt_xl.core.sessions import id_key
from ilt_xl.schema import CURRENCIES, PLANNER, Column, ColumnType, Table
from ilt_xl.workbook.cost_line_rules import cost_line_rules
from ilt_xl.workbook.planner import Planner, attribute_name
from ilt_xl.workbook.problems import (
    ERROR, WARNING, Location, Problem, invisible_characters, problems_from_mask, visible,
)

_CODE_PATTERNS = {ColumnType.CURRENCY: (r"[A-Z]{3}", "a 3-letter ISO 4217 currency code such as EUR"),
                  ColumnType.COUNTRY: (r"[A-Z]{2}", "a 2-letter ISO 3166 country code such as DE")}


def validate(planner: Planner) -> list[Problem]:
    """Every value problem of ``planner`` (structure and types are checked by the reader)."""
    currencies = known_currencies(planner)
    already = _wrong_type_rows(planner)
    out: list[Problem] = []
    for table in PLANNER.tables:
        if table.name not in planner.layouts:
            continue
        frame = getattr(planner, attribute_name(table.name))
        loc = planner.layouts[table.name].location(str(planner.path))
        for column in table.input_columns:
            if column.name in loc.column_letters:
                out += _column_problems(planner, table, column, frame, loc, currencies,
                                        already.get((loc.sheet, column.name), ()))
    out += _not_above(planner, "Courses", "MinLearners", "MaxLearners")
    out += _session_rules(planner)
    out += _conversion_rules(planner, currencies)
    out += _not_above(planner, "Enrolments", "Attended", "Registered", WARNING)
    out += _fx_rules(planner)
    out += _not_above(planner, "Unavailability", "From", "To")
    out += _unavailability_resources(planner)
    out += _rate_history_rules(planner)
    out += _closed_period_rules(planner)
    out += cost_line_rules(planner)
    out += _budget_hierarchy_rules(planner)
    out += _holiday_rules(planner)
    out += _setting_problems(planner, currencies)
    out += _time_zone_rules(planner)
    return out


def _time_zone_rules(planner: Planner) -> list[Problem]:
    """A room's TimeZone must be an IANA zone name, or its calendars fall back to the country's zone."""
    from zoneinfo import available_timezones

    located = _located(planner, "Rooms")
    if located is None or "TimeZone" not in located[1].column_letters:
        return []
    rooms, loc = located
    zones = rooms["TimeZone"].astype(object).where(rooms["TimeZone"].notna(), "").astype(str).str.strip()
    bad = ((zones != "") & ~zones.isin(available_timezones())).to_numpy()
    return problems_from_mask(loc, bad, rooms.index.to_numpy(), "TimeZone", zones.to_numpy(object),
                              "an IANA time zone such as Europe/Berlin or America/Chicago",
                              lambda v: f"{v!r} is not a time zone; calendars use the country's", WARNING)


def ordered(problems: list[Problem]) -> list[Problem]:
    """``problems`` errors first, then by sheet, Excel row and column: the order every listing uses
    (``ilt-xl check``, the macro twins' refusals, the Problems sheet)."""
    return sorted(problems, key=lambda p: (not p.is_error, p.sheet or "", p.row or 0, p.column or ""))


def _row_of(cell: str) -> int:
    """``'B5'`` -> 5 (not :func:`ilt_xl.xlsx.parse_cell`: the ilt_xl.xlsx package needs calamine, which
    xlwings Lite, where the macros validate too, does not have)."""
    return int(re.sub(r"\D", "", cell))


def known_currencies(planner: Planner) -> set[str]:
    """The schema's currencies plus those quoted in the planner's FX table."""
    quoted = planner.fx["Currency"] if "Currency" in planner.fx else pd.Series([], dtype=object)
    return set(CURRENCIES) | {c for c in pd.unique(quoted) if isinstance(c, str) and c}


def _blank(series: pd.Series, column: Column) -> np.ndarray:
    if column.type in (ColumnType.TEXT, ColumnType.ID, ColumnType.CURRENCY, ColumnType.COUNTRY):
        return (series == "").to_numpy()
    return series.isna().to_numpy()


def _wrong_type_rows(planner: Planner) -> dict[tuple[str, str], list[int]]:
    """(sheet, column) -> Excel rows whose cell the reader already reported as the wrong type."""
    out: dict[tuple[str, str], list[int]] = {}
    for p in planner.problems:
        if p.row is not None and p.column is not None:
            out.setdefault((p.sheet, p.column), []).append(p.row)
    return out


def _column_problems(planner: Planner, table: Table, column: Column, frame: pd.DataFrame,
                     loc: Location, currencies: set[str], wrong_rows) -> list[Problem]:
    series = frame[column.name]
    rows = frame.index.to_numpy()
    # A wrong-type cell reads as blank; it is reported once, as the wrong type, not also as missing.
    blank = _blank(series, column) & ~np.isin(rows, np.asarray(wrong_rows, dtype="int64"))
    out: list[Problem] = []

    def add(mask, expected, message, severity=ERROR, values=series):
        out.extend(problems_from_mask(loc, mask, rows, column.name, values, expected, message, severity))

    if column.required:
        add(blank, f"{column.name} filled in",
            f"{column.name} is required in {table.name}")
    filled = ~blank
    if column.allowed:
        allowed = set(column.allowed) | (currencies if column.type is ColumnType.CURRENCY else set())
        shown = ", ".join(column.allowed) if len(column.allowed) <= 8 else f"one of the {len(allowed)} known codes"
        add(filled & ~series.isin(allowed).to_numpy(), shown,
            lambda v: f"{v!r} is not an allowed {column.name}" + (
                " (add its rates to the FX table to use it)" if column.type is ColumnType.CURRENCY else ""))
    elif column.type in _CODE_PATTERNS:
        pattern, expected = _CODE_PATTERNS[column.type]
        codes = pd.unique(series[filled])        # few distinct codes: match each once
        bad = [c for c in codes if not re.fullmatch(pattern, c)]
        add(filled & series.isin(bad).to_numpy(), expected,
            lambda v: f"{v!r} is not a valid {column.name} code")
    if column.references:
        keys = _keys(planner, column)
        if keys is not None:   # matched as Excel's MATCH and the core match: ignoring case
            add(filled & ~id_key(series).isin(set(id_key(keys))).to_numpy(),
                f"an existing {column.referenced_column} of {column.referenced_table}",
                lambda v: f"{column.name} {_shown(v)} is not in {column.referenced_table}")
    if column.unique:
        # Excel's lookups (MATCH, SUMIFS, COUNTIF) take S00001 and s00001 for one id.
        key = id_key(series)
        dup = filled & key.duplicated(keep="first").to_numpy()
        if dup.any():
            first_rows = pd.Series(rows[filled & ~dup], index=key[filled & ~dup].to_numpy())
            first_values = pd.Series(series[filled & ~dup].to_numpy(), index=first_rows.index)

            def duplicate(v: object) -> str:
                k = str(v).lower()
                same = "" if first_values.get(k) == v else f" as {_shown(first_values.get(k))}; Excel compares ids ignoring case"
                return f"duplicate {column.name} {_shown(v)} (first used in row {first_rows.get(k, '?')}{same})"
            add(dup, f"a {column.name} used once", duplicate)
    if column.type is ColumnType.ID and (column.unique or column.references):
        out += _id_hygiene(series, filled, rows, column, loc)
    if column.minimum is not None:
        numbers = series.to_numpy(dtype="float64", na_value=np.nan)
        add(filled & (numbers < column.minimum), f"a value of at least {column.minimum:g}",
            f"{column.name} is below {column.minimum:g}")
    return out


def _shown(value: object) -> str:
    """A value quoted for a message, invisible characters spelled out (``'I001\\u200b'``)."""
    return f"'{visible(value)}'" if isinstance(value, str) else repr(value)


def _id_hygiene(series: pd.Series, filled: np.ndarray, rows: np.ndarray, column: Column, loc: Location) -> list[Problem]:
    """Warnings on ids that look like another id but are not: leading or trailing spaces and invisible
    characters (Excel's lookups count them, so 'S1 ' finds nothing under 'S1'), and ids a spreadsheet
    would take for a formula when they are exported to CSV (OWASP CSV injection)."""
    distinct = pd.unique(series[filled])
    spaced = [v for v in distinct if v != v.strip(" ")]
    hidden = [v for v in distinct if invisible_characters(v)]
    criteria = [v for v in distinct if criteria_reading(v)]
    formula = [v for v in distinct if v.startswith(FORMULA_START) and v not in criteria]
    out = problems_from_mask(
        loc, filled & series.isin(spaced).to_numpy(), rows, column.name, series, "an id without spaces around it",
        lambda v: f"{column.name} {_shown(v)} has a space before or after it; Excel's lookups count it, so it does not "
                  f"match {_shown(v.strip(' '))}", WARNING)
    out += problems_from_mask(
        loc, filled & series.isin(hidden).to_numpy(), rows, column.name, series, "an id of visible characters only",
        lambda v: f"{column.name} {_shown(v)} holds invisible characters "
                  f"({', '.join(sorted({f'U+{ord(c):04X}' for c in invisible_characters(v)}))}); it looks like "
                  f"{_shown(''.join(c for c in v if c not in invisible_characters(v)))} but does not match it", WARNING)
    out += problems_from_mask(
        loc, filled & series.isin(criteria).to_numpy(), rows, column.name, series,
        "an id without * ? ~ and not beginning with = < >",
        lambda v: f"{column.name} {_shown(v)} is read by Excel's SUMIFS, COUNTIFS and MATCH as {criteria_reading(v)}, "
                  "so the planner's totals and lookups for it come out wrong (in Excel too); rename it", ERROR)
    out += problems_from_mask(
        loc, filled & series.isin(formula).to_numpy(), rows, column.name, series,
        "an id not beginning with = + - @ or a tab",
        lambda v: f"{column.name} {_shown(v)} begins like a formula; exported to CSV it could run as one in a spreadsheet "
                  "(exports escape it with a leading ')", WARNING)
    return out


def criteria_reading(text: str) -> str:
    """What Excel's criteria functions (SUMIFS, COUNTIFS, COUNTIF) and MATCH make of the text ``text`` given
    as the value to find: "" when it matches only itself (ignoring case), else how they read it. The
    planner's formulas pass ids as criteria, so an id read as a pattern or a comparison sums other rows."""
    if text[:1] in ("=", "<", ">"):
        return f"a comparison ({text[:2] if text[:2] in ('<=', '>=', '<>') else text[:1]} ...)"
    wild = sorted({c for c in text if c in "*?~"})
    return f"a wildcard pattern ({' '.join(wild)})" if wild else ""


def _keys(planner: Planner, column: Column) -> pd.Series | None:
    table, key = column.referenced_table, column.referenced_column
    layout = planner.layouts.get(table)
    if layout is None or key not in layout.column_letters:
        return None  # the missing table or column is reported already; do not flag every row
    keys = getattr(planner, attribute_name(table))[key]
    keys = keys[keys != ""]
    if (table, key) == ("BusinessUnits", "BusinessUnit"):
        # The ledger and the budget macro file unallocated cost under this pseudo-unit.
        keys = pd.concat([keys, pd.Series([UNALLOCATED], dtype=object)], ignore_index=True)
    return keys


def _located(planner: Planner, table: str) -> tuple[pd.DataFrame, Location] | None:
    layout = planner.layouts.get(table)
    if layout is None:
        return None
    return getattr(planner, attribute_name(table)), layout.location(str(planner.path))


def _not_above(planner: Planner, table: str, low: str, high: str, severity: str = ERROR) -> list[Problem]:
    """A problem on each row of ``table`` whose ``low`` column exceeds its ``high`` column."""
    found = _located(planner, table)
    if found is None:
        return []
    frame, loc = found
    lo, hi = (frame[c].to_numpy(dtype="float64", na_value=np.nan) for c in (low, high))
    return problems_from_mask(
        loc, lo > hi, frame.index.to_numpy(), low, frame[low],
        f"{low} no greater than {high}", lambda v: f"{low} {v} is above {high}", severity)


def _session_rules(planner: Planner) -> list[Problem]:
    found = _located(planner, "Sessions")
    if found is None:
        return []
    sessions, loc = found
    rows = sessions.index.to_numpy()
    out = problems_from_mask(
        loc, (sessions["EndDate"] < sessions["StartDate"]).to_numpy(), rows, "EndDate",
        sessions["EndDate"], "an EndDate on or after the StartDate", "EndDate is before StartDate")
    both = sessions["StartTime"].notna() & sessions["EndTime"].notna()
    out += problems_from_mask(
        loc, (both & (sessions["EndTime"] <= sessions["StartTime"])).to_numpy(), rows, "EndTime",
        sessions["EndTime"], "an EndTime after the StartTime", "EndTime is not after StartTime")
    return out


def _conversion_rules(planner: Planner, currencies: set[str]) -> list[Problem]:
    """A warning per session and conversion the planner cannot make as design.md says, at the date the
    FxDatePolicy gives (its StartDate column is named): the session's currency to the reporting currency, and
    the currency of each room, instructor or equipment whose day rate it is charged to the session's currency.

    - no rate at all: no manual row (FX table) nor ECB rate on or before the date;
    - the FX table lacks the rate: the workbook's formulas read the FX table alone, so where a manual
      row does not decide, the table needs the ECB row the fx command writes; without it the session
      shows #N/A, or converts at an older row of the table.

    Currencies or dates missing or unknown are left out: that is reported where they are typed."""
    from ilt_xl.core.sessions import CONVERTED_FROM, converted_currencies

    found = _located(planner, "Sessions")
    reporting = planner.settings.get("ReportingCurrency")
    if found is None or not isinstance(reporting, str) or reporting not in currencies:
        return []
    sessions, loc = found
    budget_date = planner.settings.get("BudgetRateDate")
    by_budget_date = planner.settings.get("FxDatePolicy") == "BudgetRateDate" and budget_date is not None
    dates = (pd.Series(pd.Timestamp(budget_date), index=sessions.index) if by_budget_date
             else pd.to_datetime(sessions["StartDate"], errors="coerce"))
    table = planner.fx if len(planner.fx) else None
    manual = planner.fx[planner.fx["Source"] != fx.ECB_ROW_SOURCE] if table is not None else None
    manual = manual if manual is not None and len(manual) else None
    when = "BudgetRateDate" if by_budget_date else "StartDate"
    ids = sessions["SessionId"].to_numpy(object).astype(str)
    legs = converted_currencies(planner.tables)
    own = legs[0]
    out: list[Problem] = []
    for what, codes in zip(CONVERTED_FROM, legs):
        target = np.full(len(sessions), reporting, dtype=object) if what == "Currency" else own
        checked = (pd.Series(codes).isin(currencies) & pd.Series(target).isin(currencies)).to_numpy() & dates.notna().to_numpy()
        checked &= codes != target
        if not checked.any():
            continue
        days = dates[checked].to_numpy("datetime64[D]")
        wanted = fx.rates(codes[checked], target[checked], days, manual)
        shown = fx.rates(codes[checked], target[checked], days, table, ecb=False)
        failed, lacking = np.zeros(len(sessions), dtype=bool), np.zeros(len(sessions), dtype=bool)
        failed[checked] = ~wanted.ok
        lacking[checked] = wanted.ok & ~(shown.ok & np.isclose(shown.rate, wanted.rate, rtol=1e-12, atol=0))
        cost = np.full(len(sessions), "", dtype=object)
        priced = {"Currency": "the cost of session ", "CourseId": "the prices of course "}.get(what, "the day rate of ")
        cost[:] = (priced + ids + " (" + codes.astype(str) + ")" if what == "Currency" else
                   priced + sessions[what].astype(str).to_numpy(object) + " (" + codes.astype(str) + ") of session " + ids)
        reasons = np.full(len(sessions), "", dtype=object)
        reasons[checked] = np.where(wanted.ok, "", wanted.reason.astype(str))
        messages = np.full(len(sessions), "", dtype=object)
        messages[failed] = (cost[failed] + " cannot be converted to " + target[failed].astype(str) + " at its " + when
                            + ": " + reasons[failed].astype(str))
        shown_as = np.full(len(sessions), "", dtype=object)
        shown_as[checked] = np.where(shown.ok, "converts at an older row of the FX tab", "shows #N/A")
        messages[lacking] = (cost[lacking] + " " + shown_as[lacking].astype(str) + ": the FX tab lacks the ECB rate of its "
                             + when + " (`ilt-xl fx` adds it)")
        out += problems_from_mask(loc, failed | lacking, sessions.index.to_numpy(), "StartDate", sessions["StartDate"],
                                  f"an FX rate in the FX tab on or before the {when}", messages, WARNING)
    return out


def _budget_hierarchy_rules(planner: Planner) -> list[Problem]:
    """A warning on each whole-BU Budget row (blank Country) whose year and business unit also have country rows:
    a business unit's budget is one row or country rows. The budget command counts each cost once (the whole-BU
    row takes only the countries without a row of their own), but the row's Budget is then read as the rest of the
    business unit, which is rarely what was meant."""
    found = _located(planner, "Budget")
    if found is None:
        return []
    budget, loc = found
    bu = id_key(budget["BusinessUnit"].astype(object).where(budget["BusinessUnit"].notna(), ""))
    country = budget["Country"].astype(object).where(budget["Country"].notna(), "").astype(str).str.strip()
    whole = (country == "").to_numpy()
    year = budget["Year"].astype(object).astype(str)
    key = year + "|" + bu.astype(str)
    with_countries = set(key[~whole])
    mixed = whole & key.isin(with_countries).to_numpy()
    countries = country[~whole].groupby(key[~whole]).agg(lambda c: ", ".join(sorted(set(c))))
    messages = pd.Series("", index=budget.index, dtype=object)
    messages[mixed] = ("business unit " + budget["BusinessUnit"][mixed].astype(str) + " has both a whole-BU row and "
                       "country rows (" + key[mixed].map(countries).astype(str) + ") in " + year[mixed]
                       + ": this row counts only its other countries, so nothing is counted twice; keep one kind")
    return problems_from_mask(loc, mixed, budget.index.to_numpy(), "Country", budget["Country"],
                              "one budget row per business unit and year, or one per country, not both",
                              messages, WARNING)


def _holiday_rules(planner: Planner) -> list[Problem]:
    """Warnings where the checklist's native due dates would go wrong: a Holidays row out of country order
    (each country's block is found with MATCH(…,1), which needs the rows sorted by country), and a session
    whose country has no Holidays rows (its due dates show #N/A). `ilt-xl holidays` fixes both."""
    found = _located(planner, "Holidays")
    if found is None:
        return []
    holidays, loc = found
    codes = holidays["Country"].astype(str).str.strip().str.upper().to_numpy(object)
    unsorted = np.zeros(len(codes), dtype=bool)
    unsorted[1:] = codes[1:] < codes[:-1]
    previous = np.concatenate([[""], codes[:-1]]).astype(object)
    out = problems_from_mask(
        loc, unsorted, holidays.index.to_numpy(), "Country", holidays["Country"], "rows sorted by country",
        "Holidays are not sorted by country here (" + codes.astype(str) + " after " + previous.astype(str)
        + "): due dates read each country's block of rows; `ilt-xl holidays` sorts them", WARNING)
    sessions = _located(planner, "Sessions")
    if sessions is None or not len(planner.checklist):
        return out
    frame, s_loc = sessions
    countries = frame["Country"].astype(str)
    pattern, _ = _CODE_PATTERNS[ColumnType.COUNTRY]   # a code typed wrong is reported where it is typed
    with_checklist = frame["SessionId"].astype(str).str.lower().isin(set(planner.checklist["SessionId"].astype(str).str.lower()))
    missing = (countries.str.fullmatch(pattern) & ~countries.isin(set(codes)) & with_checklist).to_numpy()
    return out + problems_from_mask(
        s_loc, missing, frame.index.to_numpy(), "Country", frame["Country"], "a country with rows in the Holidays tab",
        "the Holidays tab has no rows for " + countries.to_numpy(object).astype(str)
        + ": this session's checklist due dates show #N/A (`ilt-xl holidays` adds its holidays)", WARNING)


def _lookup(keys: pd.Series, table: pd.DataFrame, key: str, value: str) -> pd.Series:
    """``table[value]`` for each of ``keys`` (``""`` where the key is blank or unknown)."""
    mapping = table.drop_duplicates(key).set_index(key)[value]
    found = keys.map(mapping).astype(object)  # object first: filling a float column with "" is refused by pandas 4
    return found.where(found.notna(), "")


def _unavailability_resources(planner: Planner) -> list[Problem]:
    """An error per Unavailability row whose Resource is neither an InstructorId nor a RoomId
    (compared case-insensitively, as the conflicts and the optimiser match ids)."""
    found = _located(planner, "Unavailability")
    if found is None:
        return []
    leave, loc = found
    known = set(planner.instructors["InstructorId"].astype(str).str.lower()) | set(planner.rooms["RoomId"].astype(str).str.lower())
    resource = leave["Resource"].astype(str)
    unknown = ((resource != "") & ~resource.str.lower().isin(known)).to_numpy()
    return problems_from_mask(loc, unknown, leave.index.to_numpy(), "Resource", leave["Resource"],
                              "an InstructorId of Instructors or a RoomId of Rooms",
                              lambda v: f"Resource {v!r} is neither an instructor nor a room")


def _rate_history_rules(planner: Planner) -> list[Problem]:
    """Rates rows: an error per row whose ResourceId is not in the table its ResourceType names, and a warning per
    row sharing its resource and ValidFrom with an earlier row (the sessions use the earlier row only)."""
    from ilt_xl.core.rates import RESOURCES

    found = _located(planner, "Rates")
    if found is None or not len(found[0]):
        return []
    rates, loc = found
    kind = rates["ResourceType"].astype(str).str.strip().str.lower()
    resource = id_key(rates["ResourceId"].astype(str))
    unknown = np.zeros(len(rates), dtype=bool)
    for name, table, key in RESOURCES:
        ids = set(id_key(planner.tables[table][key].astype(str)))
        unknown |= ((kind == name.lower()) & (rates["ResourceId"].astype(str) != "") & ~resource.isin(ids)).to_numpy()
    out = problems_from_mask(loc, unknown, rates.index.to_numpy(), "ResourceId", rates["ResourceId"],
                             "an id of the table its ResourceType names (Instructors, Rooms or Equipment)",
                             lambda v: f"ResourceId {v!r} is not in the table its ResourceType names")
    dated = pd.to_datetime(rates["ValidFrom"], errors="coerce")
    twice = (pd.DataFrame({"k": kind, "r": resource, "d": dated}).duplicated(keep="first") & dated.notna()).to_numpy()
    return out + problems_from_mask(loc, twice, rates.index.to_numpy(), "ValidFrom", rates["ValidFrom"],
                                    "one row per resource and ValidFrom",
                                    "an earlier row sets the same resource's rate from the same date: sessions use "
                                    "that one, and this row is ignored", WARNING)


def _closed_period_rules(planner: Planner) -> list[Problem]:
    """Warnings about closed periods (``ilt_xl.core.periods``):

    - each figure of a closed session that, computed now, differs from the one frozen at the close: an edit
      after the close (a day rate, the Rates or FX tab, a repository row, the session itself) that would change
      a closed figure; the frozen figure is kept;
    - a session starting on or before ClosedThrough without frozen figures (added to a closed period, or
      closed in a planner predating the close): its figures still move;
    - a frozen session starting after ClosedThrough (the setting moved back by hand): it stays closed until
      ``ilt-xl close --reopen``."""
    from ilt_xl.core import periods

    found = _located(planner, "Sessions")
    if found is None or not len(found[0]):
        return []
    sessions, loc = found
    out: list[Problem] = []
    letters = loc.column_letters
    for d in periods.drift(planner.tables, planner.settings):
        stored = next(k for k, v in periods.FROZEN.items() if v == d.column)
        closed_on = sessions.at[d.row, periods.CLOSED_ON]
        when = f" on {pd.Timestamp(closed_on).date().isoformat()}" if pd.notna(closed_on) else ""
        places = 6 if d.column == "FxRate" else 2

        def shown(v: object) -> str:
            return f"{v:,.{places}f}" if isinstance(v, (int, float, np.number)) else _shown(v)
        numbers = all(isinstance(v, (int, float, np.number)) for v in (d.now, d.frozen))
        change = f" ({d.now - d.frozen:+,.{places}f})" if numbers else ""
        out.append(Problem(loc.file, loc.sheet, int(d.row), stored, f"{letters.get(stored, '')}{d.row}" if stored in letters else None,
                           d.frozen, f"{d.column} as frozen", WARNING,
                           f"closed session {d.session_id} (frozen{when}): {d.column} computes {shown(d.now)}{change} now "
                           f"instead of the frozen {shown(d.frozen)}: an input it depends on was edited after the close "
                           "(a day rate, the Rates or FX tab, a repository row or the session); the frozen figure is kept"))
    through = planner.settings.get("ClosedThrough")
    frozen = periods.frozen_mask(sessions)
    start = pd.to_datetime(sessions["StartDate"], errors="coerce")
    if through is not None and not pd.isna(through):
        day = pd.Timestamp(through).date().isoformat()
        inside = (start <= pd.Timestamp(through)).to_numpy()
        out += problems_from_mask(loc, inside & ~frozen, sessions.index.to_numpy(), "StartDate", sessions["StartDate"],
                                  f"a start after ClosedThrough ({day}), or frozen figures",
                                  f"the session starts in a closed period (ClosedThrough {day}) but has no frozen "
                                  f"figures, so its cost still moves: `ilt-xl close PATH --through {day}` freezes it",
                                  WARNING)
    else:
        day, inside = None, np.zeros(len(sessions), dtype=bool)
    after = frozen & ~inside & start.notna().to_numpy()
    out += problems_from_mask(loc, after, sessions.index.to_numpy(), "StartDate", sessions["StartDate"],
                              "a start on or before ClosedThrough",
                              f"the session is frozen but starts after ClosedThrough ({day or 'blank'}): it stays "
                              "closed until `ilt-xl close PATH --through DATE --reopen` reopens it", WARNING)
    return out


def _fx_rules(planner: Planner) -> list[Problem]:
    found = _located(planner, "FX")
    if found is None:
        return []
    fx, loc = found
    rate = fx["PerEUR"].to_numpy(dtype="float64")
    return problems_from_mask(loc, rate == 0, fx.index.to_numpy(), "PerEUR", fx["PerEUR"],
                              "a rate above 0", "a rate of 0 units per EUR cannot convert anything")


def _setting_problems(planner: Planner, currencies: set[str]) -> list[Problem]:
    out: list[Problem] = []
    for setting in PLANNER.settings:
        if setting.name not in planner.setting_cells:
            continue  # a missing named cell is reported by the reader
        sheet, cell = planner.setting_cells[setting.name]
        value = planner.settings.get(setting.name)

        def add(expected: str, message: str) -> None:
            out.append(Problem(str(planner.path), sheet, _row_of(cell),
                               setting.name, cell, value, expected, ERROR, message))

        if value is None:
            continue
        if setting.type is ColumnType.CURRENCY and value not in currencies:
            add("a known currency code such as EUR",
                f"{setting.name} {value!r} is not a known currency (add its rates to the FX table to use it)")
        elif setting.allowed and value not in setting.allowed:
            add(", ".join(setting.allowed), f"{value!r} is not an allowed {setting.name}")
        low, high = setting.minimum, setting.maximum
        if isinstance(value, int) and ((low is not None and value < low) or (high is not None and value > high)):
            shown = f"from {low} to {high}" if high is not None else f"at least {low}"
            add(f"a whole number {shown}", f"{setting.name} {value} is out of range")
    if (planner.settings.get("FxDatePolicy") == "BudgetRateDate" and planner.settings.get("BudgetRateDate") is None
            and "BudgetRateDate" in planner.setting_cells):
        sheet, cell = planner.setting_cells["BudgetRateDate"]
        out.append(Problem(str(planner.path), sheet, _row_of(cell), "BudgetRateDate",
                           cell, None, "a date", ERROR, "FxDatePolicy is BudgetRateDate, so BudgetRateDate is required"))
    return out
