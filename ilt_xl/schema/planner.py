"""The planner workbook, declared once: every setting, table and column.

Formulas use the short ``[@Column]`` form for this-row references; the builder
writes them in the long form Excel stores (see :meth:`Table.formula_of`). They use
only functions that both Excel 2010+ and LibreOffice 7.4 know, and no ILT_* function:
the planner computes in any Excel or LibreOffice, with or without the add-in.

Two lookups need care:

- FX: the FX table holds manual rows and the ECB rows the fx command writes.
  ``FX[Applies]`` is FALSE for an ECB row dated on or after a manual row of its
  currency (the manual rate wins) and for a row without a usable rate;
  ``FX[LookupKey]`` numbers the applying rows of a currency by date
  ("USD#3": the third). A rate on a date is then the row whose key is the
  currency and the count of applying rows of that currency on or before the
  date: exact MATCHes and COUNTIFS, so the table needs no sorting.
- Holidays: WORKDAY takes the block of the session country's rows,
  ``INDEX(Holidays[Date],MATCH(c,…,0)):INDEX(Holidays[Date],MATCH(c,…,1))``, so
  the Holidays table is kept sorted by country (the holidays command sorts it).
"""
from __future__ import annotations

from ilt_xl.core.fx import ECB_ROW_SOURCE
from ilt_xl.core.rounding import MINOR_UNITS
from ilt_xl.schema.types import Column, ColumnType as T, Schema, Setting, Table

STATUSES = ("Planned", "Confirmed", "Delivered", "Cancelled")
ALLOCATION_KEYS = ("headcount", "attended", "equal", "learner_hours")
FX_DATE_POLICIES = ("SessionStart", "BudgetRateDate")
PHASES = ("Before", "During", "After")
ANCHORS = ("Start", "End")
TASK_STATUSES = ("Open", "Done", "Cancelled")
DEMAND_STATUSES = ("Requested", "Approved")
FORECAST_BASES = ("Model", "Demand")
INSTRUCTOR_KINDS = ("Internal", "External")
GO_NO_GO = ("Go", "At risk", "Open", "Delivered", "Cancelled")
CONFLICT_KINDS = (
    "Instructor double-booked",
    "Room double-booked",
    "Equipment over quantity",
    "Skill mismatch",
    "Over capacity",
    "Capacity above room",
    "Instructor over available days",
    "Leave clash",
)
ACCEPT = ("Yes", "No")
PROPOSAL_KINDS = ("Assign", "Merge")
PROPOSAL_OUTCOMES = ("Proposed", "Applied", "Skipped", "Infeasible")
COST_CATEGORIES = ("room", "instructor", "equipment", "travel", "catering", "materials", "venue", "cancellation fee", "other")
DERIVED_CATEGORIES = ("room", "instructor", "equipment")
"""Categories whose lines replace the cost Sessions derives from the resource tables."""
CANCELLATION_FEE = "cancellation fee"
WHOLE_BU = "(all)"
"""Allocation[BudgetCountry] of a line counted in its business unit's whole-BU Budget row."""
COST_BASES = ("fixed", "per learner")
UNALLOCATED = "(unallocated)"

# ECB reference currencies (those the bundled ECB history quotes today) and EUR.
# Manual FX rows may add others; the validator accepts those too.
CURRENCIES = (
    "EUR", "USD", "GBP", "CHF", "JPY", "AUD", "CAD", "CNY", "CZK", "DKK", "HKD",
    "HUF", "IDR", "ILS", "INR", "ISK", "KRW", "MXN", "MYR", "NOK", "NZD", "PHP",
    "PLN", "RON", "SEK", "SGD", "THB", "TRY", "ZAR", "BRL", "BGN",
)


def _lookup(table: str, column: str, key: str, key_column: str) -> str:
    return f"INDEX({table}[{column}],MATCH([@{key}],{table}[{key_column}],0))"


def _course(column: str) -> str:
    return _lookup("Courses", column, "CourseId", "CourseId")


def _session(column: str) -> str:
    return _lookup("Sessions", column, "SessionId", "SessionId")


def _task(column: str) -> str:
    return _lookup("ChecklistTemplate", column, "TaskId", "TaskId")


def _per_eur(currency: str) -> str:
    """Units of ``currency`` per 1 EUR at the row's FxDate, from the FX table (#N/A when it has none)."""
    applying_on_or_before = f'COUNTIFS(FX[Currency],{currency},FX[Date],"<="&[@FxDate],FX[Applies],TRUE)'
    return f'IF({currency}="EUR",1,INDEX(FX[PerEUR],MATCH({currency}&"#"&{applying_on_or_before},FX[LookupKey],0)))'


def _to_session_currency(currency: str, session: str = "[@Currency]") -> str:
    """Units of the session's currency (``session``) per 1 ``currency`` at the row's FxDate (1 when the same or
    blank)."""
    return f'IF(OR({currency}="",{currency}={session}),1,{_per_eur(session)}/{_per_eur(currency)})'


RESOURCE_TYPES = ("Instructor", "Room", "Equipment")
"""Rates[ResourceType]: whose day rate a rate-history row sets (the table of the same name, plural)."""


def _rate_row(kind: str, key: str) -> str:
    """The key of the Rates row valid on the session's start for its ``kind`` resource (``Rates[LookupKey]``):
    the n-th row of the resource by ValidFrom, n the count of its rows valid from on or before the start."""
    valid = f'COUNTIFS(Rates[ResourceType],"{kind}",Rates[ResourceId],[@{key}],Rates[ValidFrom],"<="&[@StartDate])'
    return f'"{kind}|"&[@{key}]&"#"&{valid}', valid


def _effective_day_rate(kind: str, table: str, key: str) -> str:
    """The ``kind`` resource's day rate valid on the session's start, converted to the session's currency: the
    latest Rates row valid from on or before the start, else the resource table's own DayRate (and Currency)."""
    row_key, valid = _rate_row(kind, key)
    row = f"MATCH({row_key},Rates[LookupKey],0)"
    history = f"INDEX(Rates[DayRate],{row})*" + _to_session_currency(f"INDEX(Rates[Currency],{row})")
    own = _lookup(table, "DayRate", key, key) + "*" + _to_session_currency(_lookup(table, "Currency", key, key))
    return f'=IF([@{key}]="",0,IF({valid}>0,{history},{own}))'


def _course_money(column: str) -> str:
    """An amount of the session's course, converted from the course currency to the session's (a session with
    its own CurrencyEntered)."""
    return _course(column) + "*" + _to_session_currency(_course("Currency"))


def _frozen_or(stored: str, formula: str) -> str:
    """``formula`` (with its "="), unless the session is closed: then the figure the close command stored in
    ``stored`` (``ilt_xl.core.periods``), so later edits of rates, FX or repository rows change no closed figure."""
    return f'=IF([@{stored}]<>"",[@{stored}],{formula[1:]})'


def _lines(category: str | None = None, count: bool = False) -> str:
    """SUMIFS (or COUNTIFS) of the session's SessionCosts lines in force, in its currency: of one ``category``, or,
    without one, of every category that neither replaces a derived cost nor is a cancellation fee."""
    if category is not None:
        criteria = f'SessionCosts[Category],"{category}"'
    else:
        criteria = ",".join(f'SessionCosts[Category],"<>{c}"' for c in (*DERIVED_CATEGORIES, CANCELLATION_FEE))
    if count:
        return f"COUNTIFS(SessionCosts[SessionId],[@SessionId],{criteria})"
    return f"SUMIFS(SessionCosts[AmountSession],SessionCosts[SessionId],[@SessionId],{criteria})"


def _charged_lines(column: str) -> str:
    """SUMIFS of a SessionCosts ``column`` over the lines the session is charged: a cancelled session's cancellation
    fees, any other session's other lines."""
    lines = f"SUMIFS(SessionCosts[{column}],SessionCosts[SessionId],[@SessionId],SessionCosts[Category],"
    return f'IF([@Status]="Cancelled",{lines}"{CANCELLATION_FEE}"),{lines}"<>{CANCELLATION_FEE}"))'


def _line_or_derived(category: str, derived: str) -> str:
    """The session's lines of ``category`` when it has any, else the ``derived`` figure."""
    return f"IF({_lines(category, count=True)}>0,{_lines(category)},{derived})"


def _decimals(currency: str) -> str:
    """The decimals of ``currency``'s minor unit (ISO 4217: JPY 0, KWD 3, most 2), as ROUND takes them."""
    by_units = {u: sorted(c for c, n in MINOR_UNITS.items() if n == u) for u in sorted(set(MINOR_UNITS.values()))}
    formula = "2"
    for units, codes in by_units.items():
        listed = ",".join(f'"{c}"' for c in codes)
        formula = f"IF(ISNUMBER(MATCH({currency},{{{listed}}},0)),{units},{formula})"
    return formula


def _holidays_of(country: str) -> str:
    """The block of ``country``'s rows of Holidays[Date] (the table is sorted by country); #N/A when it has none."""
    return (f"INDEX(Holidays[Date],MATCH({country},Holidays[Country],0))"
            f":INDEX(Holidays[Date],MATCH({country},Holidays[Country],1))")


SETTINGS = (
    Setting("ReportingCurrency", T.CURRENCY, "EUR", "Currency that totals, budgets and KPIs are reported in."),
    Setting(
        "FxDatePolicy", T.TEXT, "SessionStart",
        "Which date converts a session's costs: its start date, or the fixed BudgetRateDate.",
        allowed=FX_DATE_POLICIES,
    ),
    Setting("BudgetRateDate", T.DATE, None, "Rate date used when FxDatePolicy is BudgetRateDate."),
    Setting(
        "AllocationMethod", T.TEXT, "headcount",
        "Default key that splits a session's fixed cost over its enrolment lines.",
        allowed=ALLOCATION_KEYS,
    ),
    Setting("GoNoGoLeadDays", T.INT, 14, "A session under its minimum this many days or fewer before its start is At risk.", minimum=0),
    Setting("FiscalYearStartMonth", T.INT, 1, "Month (1-12) in which the fiscal year starts.", minimum=1, maximum=12),
    Setting(
        "AsOfDate", T.DATE, None,
        "The planner's 'today' for go/no-go and overdue tasks. Type a date to freeze it; the template uses TODAY().",
        formula="=TODAY()",
    ),
    Setting("TargetFill", T.PERCENT, 0.8, "Share of a session's capacity the forecast plans to fill when it counts the sessions needed.",
            minimum=0.05, maximum=1),
    Setting("DefaultAvailableDays", T.INT, 220, "Training days a year an instructor is available when the Instructors row leaves it blank.",
            minimum=0, maximum=366),
    Setting("ChecklistHorizonDays", T.INT, 30, "Checklist refreshes create tasks for sessions not yet delivered or "
            "delivered (or cancelled) within this many days before AsOfDate; older ones get none.", minimum=0),
    Setting("ClosedThrough", T.DATE, None,
            "Last day of the closed periods (a month end): sessions starting on or before it keep the figures "
            "`ilt-xl close` froze (Sessions' Frozen columns). Moved by that command; moving it back reopens "
            "months only with `ilt-xl close --reopen`.", optional=True),
    Setting("DefaultTravelCost", T.MONEY, 500,
            "Travel cost of one session, in the reporting currency, when the instructor's home country is not the "
            "session's and the TravelCosts table has no row for the session's country.", minimum=0, optional=True),
)

COURSES = Table(
    "Courses",
    "The catalogue: what is taught, for how long, to how many, at what price and cost.",
    (
        Column("CourseId", T.ID, "Unique course code.", required=True, unique=True),
        Column("Title", T.TEXT, "Course title.", required=True, width=34),
        Column("Skill", T.TEXT, "Skill an instructor needs to teach it.", required=True),
        Column("DurationDays", T.INT, "Standard length in days.", required=True, minimum=1),
        Column("HoursPerDay", T.NUMBER, "Teaching hours per day.", required=True, minimum=0),
        Column("MinLearners", T.INT, "Fewest learners for the session to go ahead.", required=True, minimum=0),
        Column("MaxLearners", T.INT, "Most learners the course allows.", required=True, minimum=0),
        Column("PricePerLearner", T.MONEY, "Internal price charged per learner (chargeback), in the course currency.", minimum=0),
        Column("VariableCostPerLearner", T.MONEY, "Materials, catering and other cost per learner, in the course currency.", required=True, minimum=0),
        Column("Currency", T.CURRENCY, "Currency of the course and of every session of it.", required=True, allowed=CURRENCIES),
    ),
    tab_color="4472C4",
)

INSTRUCTORS = Table(
    "Instructors",
    "Internal and external trainers.",
    (
        Column("InstructorId", T.ID, "Unique instructor code.", required=True, unique=True),
        Column("Name", T.TEXT, "Full name.", required=True),
        Column("Kind", T.TEXT, "Internal staff or external contractor.", required=True, allowed=INSTRUCTOR_KINDS),
        Column("Skills", T.TEXT, "Skills taught, comma-separated.", required=True, width=30),
        Column("DayRate", T.MONEY, "Fee per training day, in the instructor's currency.", required=True, minimum=0),
        Column("Currency", T.CURRENCY, "Currency of the day rate.", required=True, allowed=CURRENCIES),
        Column("HomeCountry", T.COUNTRY, "ISO 3166 country code where the instructor is based."),
        Column("AvailableDaysPerYear", T.INT, "Training days a year available; blank uses DefaultAvailableDays.", minimum=0),
    ),
    tab_color="4472C4",
)

ROOMS = Table(
    "Rooms",
    "Training rooms and venues.",
    (
        Column("RoomId", T.ID, "Unique room code.", required=True, unique=True),
        Column("Name", T.TEXT, "Room name.", required=True),
        Column("Site", T.TEXT, "Site or building.", required=True),
        Column("Country", T.COUNTRY, "ISO 3166 country code of the site.", required=True),
        Column("Capacity", T.INT, "Seats.", required=True, minimum=0),
        Column("DayRate", T.MONEY, "Cost per day booked, in the room's currency.", required=True, minimum=0),
        Column("Currency", T.CURRENCY, "Currency of the day rate.", required=True, allowed=CURRENCIES),
        Column("TimeZone", T.TEXT, "IANA time zone of the site, such as America/Chicago, for calendars; "
               "needed only where the country has several zones (US, CA, AU...).", width=20),
    ),
    tab_color="4472C4",
)

EQUIPMENT = Table(
    "Equipment",
    "Bookable equipment pools (laptops, simulators, VR kits).",
    (
        Column("EquipmentId", T.ID, "Unique equipment code.", required=True, unique=True),
        Column("Type", T.TEXT, "What it is.", required=True),
        Column("Quantity", T.INT, "Units in the pool.", required=True, minimum=0),
        Column("DayRate", T.MONEY, "Cost per unit and day.", minimum=0),
        Column("Currency", T.CURRENCY, "Currency of the day rate; blank: the session's.", allowed=CURRENCIES),
    ),
    tab_color="4472C4",
)

BUSINESS_UNITS = Table(
    "BusinessUnits",
    "Business units that send learners and are charged for them.",
    (
        Column("BusinessUnit", T.ID, "Unique business-unit code.", required=True, unique=True),
        Column("Name", T.TEXT, "Business-unit name.", required=True),
        Column("CostCentre", T.TEXT, "Cost centre charged."),
    ),
    tab_color="4472C4",
)

UNAVAILABILITY = Table(
    "Unavailability",
    "Days an instructor is on leave (or a room is closed): no session may use the resource then.",
    (
        Column("Resource", T.ID, "InstructorId or RoomId concerned.", required=True),
        Column("From", T.DATE, "First day unavailable.", required=True),
        Column("To", T.DATE, "Last day unavailable (same as From for one day).", required=True),
        Column("Reason", T.TEXT, "Leave, training, sick leave, maintenance, ...", width=30),
    ),
    tab_color="4472C4",
    added_later=True,
)

TRAVEL_COSTS = Table(
    "TravelCosts",
    "Travel cost of one session for an instructor who comes from another country, per session country.",
    (
        Column("Country", T.COUNTRY, "ISO 3166 country code of the session.", required=True, unique=True),
        Column("Cost", T.MONEY, "Travel and lodging per session, in the row's currency.", required=True, minimum=0),
        Column("Currency", T.CURRENCY, "Currency of the cost.", required=True, allowed=CURRENCIES),
    ),
    tab_color="4472C4",
    added_later=True,
)

RATES = Table(
    "Rates",
    "Day-rate history of instructors, rooms and equipment: a session is charged the rate valid on its start date "
    "(the latest row of its resource valid from on or before it); a resource with no row valid yet keeps its own "
    "table's DayRate. The rows need no order.",
    (
        Column("ResourceType", T.TEXT, "Instructor, Room or Equipment.", required=True, allowed=RESOURCE_TYPES),
        Column("ResourceId", T.ID, "InstructorId, RoomId or EquipmentId whose rate changes.", required=True),
        Column("ValidFrom", T.DATE, "First start date the rate applies to.", required=True),
        Column("DayRate", T.MONEY, "Day rate (equipment: per unit) from that date, in the row's currency.",
               required=True, minimum=0),
        Column("Currency", T.CURRENCY, "Currency of the day rate.", required=True, allowed=CURRENCIES),
        Column("Notes", T.TEXT, "Why the rate changed (contract renewal, new price list, ...).", width=30),
        Column("LookupKey", T.TEXT, "Type|Id#n: this row is the resource's n-th by ValidFrom; what the Sessions "
               "day-rate columns look up.",
               formula='=[@ResourceType]&"|"&[@ResourceId]&"#"&COUNTIFS(Rates[ResourceType],[@ResourceType],'
               'Rates[ResourceId],[@ResourceId],Rates[ValidFrom],"<="&[@ValidFrom])'),
    ),
    tab_color="4472C4",
    row_key="ResourceId",
    added_later=True,
)

SESSIONS = Table(
    "Sessions",
    "One row per delivery of a course: the building block of the plan.",
    (
        Column("SessionId", T.ID, "Unique session code.", required=True, unique=True),
        Column("CourseId", T.ID, "Course taught.", required=True, references="Courses.CourseId"),
        Column("Status", T.TEXT, "Planned, Confirmed, Delivered or Cancelled.", required=True, allowed=STATUSES),
        Column("StartDate", T.DATE, "First day.", required=True),
        Column("EndDate", T.DATE, "Last day (same as StartDate for one day).", required=True),
        Column("StartTime", T.TIME, "Daily start time; blank for an all-day session."),
        Column("EndTime", T.TIME, "Daily end time; blank for an all-day session."),
        Column("Country", T.COUNTRY, "ISO 3166 country code where it runs (holidays, reporting).", required=True),
        Column("Site", T.TEXT, "Site or venue."),
        Column("RoomId", T.ID, "Room booked; blank for an external venue.", references="Rooms.RoomId"),
        Column("InstructorId", T.ID, "Instructor booked.", references="Instructors.InstructorId"),
        Column("EquipmentId", T.ID, "Equipment pool booked, if any.", references="Equipment.EquipmentId"),
        Column("EquipmentUnits", T.INT, "Units of the equipment booked.", minimum=0),
        Column("ForecastLearners", T.INT, "Expected headcount while learners are not yet registered.", minimum=0),
        Column("CapacityOverride", T.INT, "Seats if different from the room and course limits.", minimum=0),
        Column("RoomCostEntered", T.MONEY, "Room cost if known, in the session currency; blank uses the room's day "
               "rate x days, converted.", minimum=0),
        Column("InstructorFeeEntered", T.MONEY, "Instructor fee if known, in the session currency; blank uses the "
               "day rate x days, converted.", minimum=0),
        Column("OtherFixedCost", T.MONEY, "Travel, venue package and other fixed cost, in the session currency.", minimum=0),
        Column("AllocationKey", T.TEXT, "Allocation key for this session; blank uses the AllocationMethod setting.", allowed=ALLOCATION_KEYS),
        Column("CurrencyEntered", T.CURRENCY, "Currency of the session's money (the costs entered here included) "
               "if not its course's; blank uses the course's.", allowed=CURRENCIES),
        Column("Notes", T.TEXT, "Free text.", width=30),
        # Written by `ilt-xl close` (ilt_xl.core.periods): a closed session's figures as they were when closed.
        Column("ClosedOn", T.DATE, "Day the session's figures were frozen by `ilt-xl close` (blank: open)."),
        Column("FrozenCurrency", T.CURRENCY, "Currency when closed (written by `ilt-xl close`)."),
        Column("FrozenFixedCost", T.MONEY, "Fixed cost when closed, in FrozenCurrency (written by `ilt-xl close`)."),
        Column("FrozenVariableCost", T.MONEY, "Variable cost when closed (written by `ilt-xl close`)."),
        Column("FrozenFxRate", T.NUMBER, "FX rate to the reporting currency when closed (written by `ilt-xl close`).",
               number_format="0.000000"),
        Column("FrozenCostReporting", T.MONEY, "Cost in the reporting currency when closed (written by `ilt-xl close`)."),
        # Calculated columns.
        Column("Currency", T.CURRENCY, "Currency of the session's money: CurrencyEntered, else the course's "
               "(FrozenCurrency once closed).",
               formula=_frozen_or("FrozenCurrency", '=IF([@CurrencyEntered]<>"",[@CurrencyEntered],' + _course("Currency") + ")")),
        Column("Days", T.INT, "Calendar days from start to end inclusive.", formula="=[@EndDate]-[@StartDate]+1"),
        Column("HoursPerDay", T.NUMBER, "The course's teaching hours per day.", formula="=" + _course("HoursPerDay")),
        Column("Registered", T.INT, "Learners registered (sum of the enrolment lines).",
               formula="=SUMIFS(Enrolments[Registered],Enrolments[SessionId],[@SessionId])"),
        Column("Attended", T.INT, "Learners who attended (sum of the enrolment lines).",
               formula="=SUMIFS(Enrolments[Attended],Enrolments[SessionId],[@SessionId])"),
        Column("Learners", T.INT, "Attended once delivered, registered before.",
               formula='=IF([@Status]="Delivered",[@Attended],[@Registered])'),
        Column("LearnerHours", T.NUMBER, "Learners x days x hours per day.", formula="=[@Learners]*[@Days]*[@HoursPerDay]"),
        Column("Capacity", T.INT, "Seats: the override, else the smaller of room capacity and course maximum.",
               formula='=IF([@CapacityOverride]<>"",[@CapacityOverride],IF([@RoomId]="",' + _course("MaxLearners")
               + ",MIN(" + _lookup("Rooms", "Capacity", "RoomId", "RoomId") + "," + _course("MaxLearners") + ")))"),
        Column("RoomDayRate", T.MONEY, "The room's day rate valid on StartDate (the latest Rates row of the room "
               "valid from on or before it, else the Rooms row's), converted from its currency to the session's at "
               "FxDate (FX table); 0 without a room.", formula=_effective_day_rate("Room", "Rooms", "RoomId")),
        Column("InstructorDayRate", T.MONEY, "The instructor's day rate valid on StartDate (Rates, else the "
               "Instructors row), in the session currency, as RoomDayRate.",
               formula=_effective_day_rate("Instructor", "Instructors", "InstructorId")),
        Column("EquipmentDayRate", T.MONEY, "The equipment pool's day rate per unit valid on StartDate (Rates, else "
               "the Equipment row, whose blank currency is the session's), in the session currency, as RoomDayRate.",
               formula=_effective_day_rate("Equipment", "Equipment", "EquipmentId")),
        Column("RoomCost", T.MONEY, "A room line's amount, else the room cost entered, else RoomDayRate x days.",
               formula="=" + _line_or_derived("room", 'IF([@RoomCostEntered]<>"",[@RoomCostEntered],[@RoomDayRate]*[@Days])')),
        Column("InstructorCost", T.MONEY, "An instructor line's amount, else the fee entered, else InstructorDayRate x days.",
               formula="=" + _line_or_derived("instructor", 'IF([@InstructorFeeEntered]<>"",[@InstructorFeeEntered],'
                                              "[@InstructorDayRate]*[@Days])")),
        Column("EquipmentCost", T.MONEY, "An equipment line's amount, else units x EquipmentDayRate x days.",
               formula="=" + _line_or_derived("equipment", "[@EquipmentUnits]*[@EquipmentDayRate]*[@Days]")),
        Column("LinesCost", T.MONEY, "The session's SessionCosts lines other than room, instructor, equipment and "
               "cancellation fee (travel, catering, materials, venue, other), each in force, in the session currency.",
               formula="=" + _lines()),
        Column("CancellationFee", T.MONEY, "The session's cancellation-fee lines in force, in the session currency: "
               "all a cancelled session is charged.", formula="=" + _lines(CANCELLATION_FEE)),
        Column("FixedCost", T.MONEY, "Room + instructor + equipment + other fixed cost + cost lines; a cancelled "
               "session's cancellation fee only (FrozenFixedCost once closed).",
               formula=_frozen_or("FrozenFixedCost", '=IF([@Status]="Cancelled",[@CancellationFee],'
                                  "[@RoomCost]+[@InstructorCost]+[@EquipmentCost]+[@OtherFixedCost]+[@LinesCost])")),
        Column("VariableCostPerLearner", T.MONEY, "The course's variable cost per learner, converted to the session "
               "currency at FxDate when the session has its own.",
               formula="=" + _course_money("VariableCostPerLearner")),
        Column("VariableCost", T.MONEY, "Variable cost per learner x registered; 0 for a cancelled session "
               "(FrozenVariableCost once closed).",
               formula=_frozen_or("FrozenVariableCost", '=IF([@Status]="Cancelled",0,[@VariableCostPerLearner]*[@Registered])')),
        Column("SessionCost", T.MONEY, "Fixed + variable cost.", formula="=[@FixedCost]+[@VariableCost]"),
        Column("Occupancy", T.PERCENT, "Fill rate: registered / capacity.", formula="=[@Registered]/[@Capacity]"),
        Column("CostPerLearner", T.MONEY, "Session cost / learners; blank while there are none.",
               formula='=IF([@Learners]=0,"",[@SessionCost]/[@Learners])'),
        Column("CostPerLearnerHour", T.MONEY, "Session cost / learner-hours; blank while there are none.",
               formula='=IF([@LearnerHours]=0,"",[@SessionCost]/[@LearnerHours])'),
        Column("PricePerLearner", T.MONEY, "The course's internal price per learner, in the session currency (as "
               "VariableCostPerLearner).", formula="=" + _course_money("PricePerLearner")),
        Column("BreakEvenLearners", T.INT, "Learners whose price covers the fixed cost; #N/A when the price does not exceed the variable cost.",
               formula="=IF([@PricePerLearner]<=[@VariableCostPerLearner],NA(),"
               "ROUNDUP([@FixedCost]/([@PricePerLearner]-[@VariableCostPerLearner]),0))"),
        Column("MinSessionCost", T.MONEY, "Fixed + variable x break-even learners.",
               formula="=[@FixedCost]+[@VariableCostPerLearner]*[@BreakEvenLearners]"),
        Column("MaxSessionCost", T.MONEY, "Fixed + variable x capacity.",
               formula="=[@FixedCost]+[@VariableCostPerLearner]*[@Capacity]"),
        Column("GoNoGo", T.TEXT, "Go, At risk, Open, Delivered or Cancelled.",
               formula='=IF([@Status]="Cancelled","Cancelled",IF([@Status]="Delivered","Delivered",'
               'IF([@Registered]>=' + _course("MinLearners") + ',"Go",'
               'IF([@StartDate]-AsOfDate<=GoNoGoLeadDays,"At risk","Open"))))'),
        Column("FxDate", T.DATE, "Date the session's cost is converted at: its start, or BudgetRateDate under that FxDatePolicy.",
               formula='=IF(FxDatePolicy="BudgetRateDate",BudgetRateDate,[@StartDate])'),
        Column("FxRate", T.NUMBER,
               "Units of the reporting currency per 1 session currency at FxDate, from the FX table: the latest manual "
               "rate on or before it, else the latest ECB row; cross rates through EUR. #N/A when the table has no rate "
               "(run the fx command). FrozenFxRate once closed.",
               formula=_frozen_or("FrozenFxRate", "=IF([@Currency]=ReportingCurrency,1," + _per_eur("ReportingCurrency")
                                  + "/" + _per_eur("[@Currency]") + ")"), number_format="0.000000"),
        Column("CostReporting", T.MONEY, "Session cost in the reporting currency: SessionCost x FxRate, rounded to "
               "the currency's minor unit (cents), as the Allocation ledger and Budget count it (FrozenCostReporting "
               "once closed).",
               formula=_frozen_or("FrozenCostReporting", "=ROUND([@SessionCost]*[@FxRate]," + _decimals("ReportingCurrency") + ")")),
        Column("LinesEstimated", T.MONEY, "Estimated amounts of the SessionCosts lines the session is charged (a "
               "cancelled one: its cancellation fees; any other: its other lines), in its currency.",
               formula="=" + _charged_lines("EstimatedSession")),
        Column("LinesCommitted", T.MONEY, "Committed (ordered) amounts of the same lines, in the session currency.",
               formula="=" + _charged_lines("CommittedSession")),
        Column("LinesActual", T.MONEY, "Actual (invoiced) amounts of the same lines, in the session currency.",
               formula="=" + _charged_lines("ActualSession")),
        Column("ConflictFlag", T.TEXT, "'Conflict' when the Conflicts tab names the session.",
               formula='=IF(COUNTIF(Conflicts[SessionA],[@SessionId])+COUNTIF(Conflicts[SessionB],[@SessionId])>0,"Conflict","")'),
    ),
    tab_color="70AD47",
    row_key="SessionId",
)

ENROLMENTS = Table(
    "Enrolments",
    "Headcount per session, business unit and country (registered, attended, or seats reserved before names "
    "exist); a learner id when one is known.",
    (
        Column("SessionId", T.ID, "Session.", required=True, references="Sessions.SessionId"),
        Column("BusinessUnit", T.ID, "Business unit sending the learners.", required=True, references="BusinessUnits.BusinessUnit"),
        Column("Country", T.COUNTRY, "ISO 3166 country code of the learners.", required=True),
        Column("Registered", T.INT, "Learners registered.", required=True, minimum=0),
        Column("Attended", T.INT, "Learners who attended (after delivery).", minimum=0),
        Column("LearnerId", T.TEXT, "Learner id, when the line is one known learner."),
        Column("Reserved", T.INT, "Seats reserved for the business unit (and country) before learners have names: a "
               "planned session's forecast is charged by the larger of reserved and registered.", minimum=0),
    ),
    tab_color="70AD47",
)

def _stage(column: str) -> str:
    """A line's ``column`` amount (Estimated, Committed or Actual) x quantity, in the session currency."""
    return f"=[@{column}]*[@Quantity]*[@Rate]"


SESSION_COSTS = Table(
    "SessionCosts",
    "Cost lines of sessions, each in its own currency: estimated, then committed (purchase order), then actual "
    "(invoice). A room, instructor or equipment line replaces the cost derived from the resource tables; a "
    "cancelled session is charged its cancellation-fee lines only.",
    (
        Column("SessionId", T.ID, "Session charged.", required=True, references="Sessions.SessionId"),
        Column("Category", T.TEXT, "What the cost is for.", required=True, allowed=COST_CATEGORIES, width=16),
        Column("Basis", T.TEXT, "fixed (the amount once) or per learner (x the session's learners: attended once "
               "delivered, registered before).", required=True, allowed=COST_BASES),
        Column("Supplier", T.TEXT, "Who is paid."),
        Column("Currency", T.CURRENCY, "Currency of the line's amounts.", required=True, allowed=CURRENCIES),
        Column("Estimated", T.MONEY, "Estimated amount, in the line's currency.", minimum=0),
        Column("Committed", T.MONEY, "Amount ordered (purchase order), in the line's currency.", minimum=0),
        Column("PONumber", T.TEXT, "Purchase order number."),
        Column("Actual", T.MONEY, "Amount invoiced, in the line's currency.", minimum=0),
        Column("InvoiceNumber", T.TEXT, "Supplier's invoice number."),
        Column("InvoiceDate", T.DATE, "Date of the invoice."),
        # Calculated columns.
        Column("SessionCurrency", T.CURRENCY, "The session's currency.", formula="=" + _session("Currency")),
        Column("FxDate", T.DATE, "The session's FxDate: the date the line is converted at.",
               formula="=" + _session("FxDate")),
        Column("Quantity", T.NUMBER, "1 for a fixed line, the session's learners for a per-learner line.",
               formula='=IF([@Basis]="per learner",' + _session("Learners") + ",1)"),
        Column("Rate", T.NUMBER, "Units of the session currency per 1 unit of the line's at FxDate, from the FX table "
               "(as the resource day rates are converted); #N/A when it has no rate.",
               formula="=" + _to_session_currency("[@Currency]", "[@SessionCurrency]"), number_format="0.000000"),
        Column("Stage", T.TEXT, "Actual when invoiced, else Committed when ordered, else Estimated: the amount in force.",
               formula='=IF([@Actual]<>"","Actual",IF([@Committed]<>"","Committed","Estimated"))'),
        Column("EstimatedSession", T.MONEY, "Estimated x quantity, in the session currency.", formula=_stage("Estimated")),
        Column("CommittedSession", T.MONEY, "Committed x quantity, in the session currency.", formula=_stage("Committed")),
        Column("ActualSession", T.MONEY, "Actual x quantity, in the session currency.", formula=_stage("Actual")),
        Column("AmountSession", T.MONEY, "The amount in force (actual, else committed, else estimated) x quantity, "
               "in the session currency: what the session is charged.",
               formula='=IF([@Stage]="Actual",[@ActualSession],IF([@Stage]="Committed",[@CommittedSession],'
               "[@EstimatedSession]))"),
        Column("AmountReporting", T.MONEY, "AmountSession in the reporting currency at the session's FxRate, rounded "
               "to the cent.",
               formula="=ROUND([@AmountSession]*" + _session("FxRate") + "," + _decimals("ReportingCurrency") + ")"),
    ),
    tab_color="70AD47",
    row_key="SessionId",
    added_later=True,
)

_ECB_ROW = f'"{ECB_ROW_SOURCE}"'
FX = Table(
    "FX",
    "Dated FX rates the planner converts at: the ECB reference rates the fx command writes (Source "
    f"'{ECB_ROW_SOURCE}') and your manual rows (any other Source), which win over ECB rows "
    "on and after their date.",
    (
        Column("Date", T.DATE, "Date from which the rate applies (an ECB row: the day the ECB published it).", required=True),
        Column("Currency", T.CURRENCY, "Currency quoted.", required=True),
        Column("PerEUR", T.NUMBER, "Units of the currency per 1 EUR.", required=True, minimum=0, number_format="0.0000"),
        Column("Source", T.TEXT, "Where the rate comes from (treasury, budget rate, ...; the fx command's ECB rows say so).",
               required=True, width=30),
        Column("Applies", T.BOOL,
               "FALSE for an ECB row dated on or after a manual rate of its currency (the manual rate wins), "
               "and for a row without a date or a positive rate.",
               formula=f'=AND(ISNUMBER([@Date]),ISNUMBER([@PerEUR]),[@PerEUR]>0,OR([@Source]<>{_ECB_ROW},'
               f'COUNTIFS(FX[Currency],[@Currency],FX[Date],"<="&[@Date],FX[Source],"<>"&{_ECB_ROW},FX[PerEUR],">0")=0))'),
        Column("LookupKey", T.TEXT,
               "Currency#n: this row is the n-th applying rate of its currency by date; what the Sessions FxRate looks up.",
               formula='=IF([@Applies],[@Currency]&"#"&COUNTIFS(FX[Currency],[@Currency],FX[Date],"<="&[@Date],FX[Applies],TRUE),"")'),
    ),
    tab_color="FFC000",
    row_key="Currency",
)

HOLIDAYS = Table(
    "Holidays",
    "Public holidays of the sessions' countries, sorted by country then date (the checklist's due dates "
    "take each country's block of rows); written by the holidays command, which keeps rows you add.",
    (
        Column("Country", T.COUNTRY, "ISO 3166 country code (optionally with a subdivision, DE-BY).", required=True),
        Column("Date", T.DATE, "The holiday.", required=True),
        Column("Name", T.TEXT, "What it is (from the holidays package, or your own).", width=34),
    ),
    written_by="holidays",
    tab_color="FFC000",
    added_later=True,
)

CHECKLIST_TEMPLATE = Table(
    "ChecklistTemplate",
    "Logistics tasks every session needs, with when they are due and who owns them.",
    (
        Column("TaskId", T.ID, "Unique task code.", required=True, unique=True),
        Column("Task", T.TEXT, "What to do.", required=True, width=36),
        Column("Phase", T.TEXT, "Before, During or After the session.", required=True, allowed=PHASES),
        Column("Anchor", T.TEXT, "Counted from the session's Start or End.", required=True, allowed=ANCHORS),
        Column("OffsetWorkdays", T.INT, "Working days from the anchor (negative = before).", required=True),
        Column("OwnerTeam", T.TEXT, "Team that owns the task.", required=True),
        Column("AppliesTo", T.TEXT, "Comma-separated course ids; blank = all courses."),
    ),
    tab_color="FFC000",
)

CHECKLIST = Table(
    "Checklist",
    "One row per session and task, written by the checklist command; status, done date and notes are yours to edit.",
    (
        Column("SessionId", T.ID, "Session.", required=True, references="Sessions.SessionId"),
        Column("TaskId", T.ID, "Task of the template.", required=True, references="ChecklistTemplate.TaskId"),
        Column("Task", T.TEXT, "What to do.", width=36),
        Column("Phase", T.TEXT, "Before, During or After.", allowed=PHASES),
        Column("OwnerTeam", T.TEXT, "Team that owns the task."),
        Column("Country", T.COUNTRY, "The session's country: its holidays (Holidays tab) are not working days.",
               formula="=" + _session("Country")),
        Column("DueDate", T.DATE,
               "Due date: WORKDAY from the session's start or end, in its country's working days (#N/A when the "
               "Holidays tab lacks the country: run the holidays command).",
               formula="=WORKDAY(IF(" + _task("Anchor") + '="End",' + _session("EndDate") + "," + _session("StartDate")
               + ")," + _task("OffsetWorkdays") + "," + _holidays_of("[@Country]") + ")"),
        Column("Status", T.TEXT, "Open, Done or Cancelled.", required=True, allowed=TASK_STATUSES),
        Column("DoneDate", T.DATE, "When it was done."),
        Column("Notes", T.TEXT, "Free text.", width=30),
        Column("Overdue", T.TEXT, "'Overdue' when open and due before AsOfDate.",
               formula='=IF([@Status]<>"Open","",IF([@DueDate]<AsOfDate,"Overdue",""))'),
    ),
    written_by="checklist",
    tab_color="FFC000",
    row_key="SessionId",
)

ALLOCATION = Table(
    "Allocation",
    "The allocation ledger: each session's cost split over its enrolment lines, written by the allocate command.",
    (
        Column("SessionId", T.ID, "Session.", required=True),
        Column("BusinessUnit", T.ID, "Business unit charged; (unallocated) when the session has no enrolment lines."),
        Column("Country", T.COUNTRY, "Country of the learners."),
        Column("Key", T.TEXT, "Allocation key used.", allowed=ALLOCATION_KEYS),
        Column("Share", T.PERCENT, "Share of the fixed cost.", number_format="0.00%"),
        Column("FixedAmount", T.MONEY, "Share of the fixed cost, in the session currency."),
        Column("VariableAmount", T.MONEY, "Variable cost of the line's own learners, in the session currency."),
        Column("Amount", T.MONEY, "Fixed + variable amount, in the session currency."),
        Column("Currency", T.CURRENCY, "Session currency."),
        Column("RateDate", T.DATE, "Date of the FX rate used."),
        Column("Rate", T.NUMBER, "Units of reporting currency per unit of session currency.", number_format="0.000000"),
        Column("RateSource", T.TEXT, "Where the rate comes from (ECB, or a manual FX row's source)."),
        Column("AmountReporting", T.MONEY, "Amount in the reporting currency."),
        # Calculated columns: the line's share of its session's cost lines, by stage, for Budget.
        Column("Year", T.INT, "Fiscal year of the session (of its StartDate, FiscalYearStartMonth).",
               formula="=YEAR(" + _session("StartDate") + ")-IF(MONTH(" + _session("StartDate")
               + ")<FiscalYearStartMonth,1,0)"),
        Column("BudgetCountry", T.TEXT, f"The Budget row the line counts in: its Country when the year and business "
               f"unit have a row of that country, else {WHOLE_BU} (the whole-BU row).",
               formula='=IF(AND([@Country]<>"",COUNTIFS(Budget[Year],[@Year],Budget[BusinessUnit],[@BusinessUnit],'
               f'Budget[Country],[@Country])>0),[@Country],"{WHOLE_BU}")'),
        *(Column(f"Lines{stage}", T.MONEY, f"Share x the session's Lines{stage}, in the reporting currency at its "
                 "FxRate, rounded to the cent.",
                 formula=f"=ROUND([@Share]*{_session('Lines' + stage)}*{_session('FxRate')},"
                 + _decimals("ReportingCurrency") + ")")
          for stage in ("Estimated", "Committed", "Actual")),
    ),
    written_by="allocate",
    tab_color="A5A5A5",
    row_key="SessionId",
)

BUDGET = Table(
    "Budget",
    "Budget per year, business unit and country in the reporting currency, against actual, committed and forecast.",
    (
        Column("Year", T.INT, "Fiscal year.", required=True),
        Column("BusinessUnit", T.ID, "Business unit.", required=True, references="BusinessUnits.BusinessUnit"),
        Column("Country", T.COUNTRY, "Country; blank for the whole business unit."),
        Column("Budget", T.MONEY, "Budget, in the reporting currency.", required=True, minimum=0),
        Column("Actual", T.MONEY, "Allocated cost of delivered sessions and cancelled sessions' cancellation fees "
               "(written by the budget command)."),
        Column("Committed", T.MONEY, "Allocated cost of confirmed sessions (written by the budget command)."),
        Column("Forecast", T.MONEY, "Cost of planned sessions at forecast headcount (written by the budget command)."),
        Column("Variance", T.MONEY, "Budget - (actual + committed + forecast).",
               formula="=[@Budget]-([@Actual]+[@Committed]+[@Forecast])"),
        *(Column(f"Lines{stage}", T.MONEY, f"{label} of the cost lines allocated to the row (the Allocation "
                 "ledger's lines of its year, business unit and country; a whole-BU row: the countries without a row "
                 "of their own), reporting currency.",
                 formula=f"=SUMIFS(Allocation[Lines{stage}],Allocation[Year],[@Year],Allocation[BusinessUnit],"
                 f'[@BusinessUnit],Allocation[BudgetCountry],IF([@Country]="","{WHOLE_BU}",[@Country]))')
          for stage, label in (("Estimated", "Estimated amounts"), ("Committed", "Committed (ordered) amounts"),
                               ("Actual", "Actual (invoiced) amounts"))),
        Column("ForecastP50", T.MONEY, "Projected cost of the learners the forecast command expects in the year's "
               "forecast months (median; written by the forecast command). An alternative to Forecast, not added to it."),
        Column("ForecastP90", T.MONEY, "The same projection's 90th percentile: 9 in 10 chances the cost stays below it "
               "(written by the forecast command)."),
    ),
    tab_color="A5A5A5",
    row_key="Year",
)

DEMAND = Table(
    "Demand",
    "Training requests gathered before sessions exist: learners needed per month, course, business unit and country.",
    (
        Column("Period", T.DATE, "Month the learners are needed in (its first day; any day counts for its month).", required=True),
        Column("CourseId", T.ID, "Course requested.", required=True, references="Courses.CourseId"),
        Column("BusinessUnit", T.ID, "Business unit asking.", required=True, references="BusinessUnits.BusinessUnit"),
        Column("Country", T.COUNTRY, "ISO 3166 country code of the learners.", required=True),
        Column("Learners", T.INT, "Learners needed.", required=True, minimum=0),
        Column("Status", T.TEXT, "Requested, or Approved (only approved demand enters the forecast).",
               required=True, allowed=DEMAND_STATUSES),
        Column("Source", T.TEXT, "Where the request comes from (skills survey, BU plan, regulation, ...).", width=30),
    ),
    tab_color="70AD47",
    added_later=True,
)

_BAND = "P10, P50 and P90: 1 in 10 chances below, the median, 1 in 10 chances above"

FORECAST = Table(
    "Forecast",
    "Learners, sessions and cost expected per month, course, business unit and country, with their range "
    f"({_BAND}); written by the forecast command.",
    (
        Column("Period", T.DATE, "First day of the month."),
        Column("CourseId", T.ID, "Course."),
        Column("BusinessUnit", T.ID, "Business unit of the learners."),
        Column("Country", T.COUNTRY, "Country of the learners."),
        Column("LearnersP10", T.NUMBER, "Learners (attended), 10th percentile.", number_format="0.0"),
        Column("LearnersP50", T.NUMBER, "Learners (attended), median.", number_format="0.0"),
        Column("LearnersP90", T.NUMBER, "Learners (attended), 90th percentile.", number_format="0.0"),
        Column("SessionsP50", T.NUMBER, "Sessions to plan for the median learners: registrations (learners raised by the "
               "no-show rate) / (capacity x TargetFill), raised by the cancellation rate.", number_format="0.00"),
        Column("CostP10", T.MONEY, "Cost in the reporting currency at P10 learners: the sessions that run x the course's "
               "usual fixed cost + variable cost x registrations."),
        Column("CostP50", T.MONEY, "Cost at P50 learners, reporting currency."),
        Column("CostP90", T.MONEY, "Cost at P90 learners, reporting currency."),
        Column("Currency", T.CURRENCY, "Reporting currency of the cost."),
        Column("Basis", T.TEXT, "Model (trend and seasonality of delivered sessions) or Demand (approved requests).",
               allowed=FORECAST_BASES),
    ),
    written_by="forecast",
    tab_color="7030A0",
    added_later=True,
)

FORECAST_MONTHS = Table(
    "ForecastMonths",
    f"The forecast's monthly totals over every course and business unit ({_BAND} of the total itself, "
    "not sums of the rows' percentiles); written by the forecast command, charted on the Dashboard.",
    (
        Column("Period", T.DATE, "First day of the month."),
        Column("LearnersP10", T.NUMBER, "Learners, 10th percentile.", number_format="0.0"),
        Column("LearnersP50", T.NUMBER, "Learners, median.", number_format="0.0"),
        Column("LearnersP90", T.NUMBER, "Learners, 90th percentile.", number_format="0.0"),
        Column("SessionsP50", T.NUMBER, "Sessions to plan for the median learners.", number_format="0.0"),
        Column("CostP10", T.MONEY, "Cost, 10th percentile, reporting currency."),
        Column("CostP50", T.MONEY, "Cost, median."),
        Column("CostP90", T.MONEY, "Cost, 90th percentile."),
        Column("Currency", T.CURRENCY, "Reporting currency."),
    ),
    written_by="forecast",
    tab_color="7030A0",
    added_later=True,
)

CONFLICTS = Table(
    "Conflicts",
    "Double bookings, skill mismatches and capacity problems, written by the conflicts command.",
    (
        Column("Kind", T.TEXT, "What is wrong.", allowed=CONFLICT_KINDS, width=28),
        Column("Resource", T.ID, "Instructor, room or equipment concerned."),
        Column("SessionA", T.ID, "First session."),
        Column("SessionB", T.ID, "Second session, for a double booking."),
        Column("FirstDay", T.DATE, "First day of the clash."),
        Column("LastDay", T.DATE, "Last day of the clash."),
        Column("Days", T.INT, "Days in clash."),
        Column("Detail", T.TEXT, "Explanation.", width=52),
    ),
    written_by="conflicts",
    tab_color="C00000",
)

PROPOSALS = Table(
    "Proposals",
    "Changes proposed by the optimise and merge-advice commands; `ilt-xl apply` writes the accepted ones into Sessions "
    "and Enrolments. Costs are in the reporting currency.",
    (
        Column("Kind", T.TEXT, "Assign (instructor, room, date) or Merge (learners moved to another session).",
               allowed=PROPOSAL_KINDS),
        Column("SessionId", T.ID, "Session concerned."),
        Column("CurrentInstructor", T.ID, "Instructor booked now."),
        Column("ProposedInstructor", T.ID, "Instructor proposed."),
        Column("CurrentRoom", T.ID, "Room booked now (blank: external venue)."),
        Column("ProposedRoom", T.ID, "Room proposed."),
        Column("CurrentStart", T.DATE, "Start date now."),
        Column("ProposedStart", T.DATE, "Start date proposed (the session keeps its length)."),
        Column("MergeInto", T.ID, "For a merge: the session that takes the learners (this one is then cancelled)."),
        Column("LearnersMoved", T.INT, "For a merge: registered learners moved."),
        Column("CostBefore", T.MONEY, "Cost the proposal changes, now: instructor fee, room, travel (merge: the fixed cost)."),
        Column("CostAfter", T.MONEY, "The same cost once the proposal is applied."),
        Column("Saving", T.MONEY, "CostBefore - CostAfter."),
        Column("Rule", T.TEXT, "What decided the proposal.", width=44),
        Column("Accept", T.TEXT, "Yes to apply the row with `ilt-xl apply`, No to leave the session as it is.",
               allowed=ACCEPT),
        Column("Outcome", T.TEXT, "Proposed, Applied, Skipped (the reason in Rule), or Infeasible (nobody can staff it: the reason in Rule).", allowed=PROPOSAL_OUTCOMES),
    ),
    written_by="optimise",
    tab_color="7030A0",
    added_later=True,
)

PLANNER = Schema(
    settings=SETTINGS,
    tables=(
        COURSES, INSTRUCTORS, ROOMS, EQUIPMENT, BUSINESS_UNITS, SESSIONS, ENROLMENTS, SESSION_COSTS, FX, HOLIDAYS,
        CHECKLIST_TEMPLATE, CHECKLIST, ALLOCATION, BUDGET, CONFLICTS, DEMAND, FORECAST, FORECAST_MONTHS,
        UNAVAILABILITY, TRAVEL_COSTS, RATES, PROPOSALS,
    ),
)
"""The planner schema. Sheets come in this order, after Settings and before Dashboard."""
