"""Worksheet functions for session arithmetic: ILT_DAYS, ILT_LEARNERHOURS,
ILT_OCCUPANCY, ILT_SESSIONCOST, ILT_COSTPERLEARNER, ILT_BREAKEVEN, ILT_GONOGO.

Thin adapters over ``ilt_xl.core.costs``: they decide which Excel error an
undefined result shows.
"""
from __future__ import annotations

import numpy as np

from ilt_xl.core import costs
from ilt_xl.core import excel_errors as xe
from ilt_xl.core.serial_dates import datetime64_to_serial, serial_to_datetime64
from ilt_xl.functions.arguments import errors_where
from ilt_xl.functions.registry import Arg, worksheet_function

CATEGORY = "costs"


@worksheet_function(
    "ILT_DAYS",
    category=CATEGORY,
    description="Calendar days from start to end inclusive (a session's Days); end before start gives #VALUE!.",
    args=[Arg("start", "date", "first day"), Arg("end", "date", "last day")],
    returns="number",
)
def ilt_days(start: np.ndarray, end: np.ndarray):
    days = costs.calendar_days(serial_to_datetime64(start), serial_to_datetime64(end))
    return days, errors_where((np.isnan(days), xe.VALUE))


@worksheet_function(
    "ILT_LEARNERHOURS",
    category=CATEGORY,
    description="Learners x days x hours per day; a negative input gives #VALUE!.",
    args=[
        Arg("learners", "number", "registered (or attended, once delivered) learners"),
        Arg("days", "number", "session days"),
        Arg("hours_per_day", "number", "training hours per day"),
    ],
    returns="number",
)
def ilt_learnerhours(learners: np.ndarray, days: np.ndarray, hours_per_day: np.ndarray):
    hours = costs.learner_hours(learners, days, hours_per_day)
    return hours, errors_where((np.isnan(hours), xe.VALUE))


@worksheet_function(
    "ILT_OCCUPANCY",
    category=CATEGORY,
    description="Registered / capacity; capacity 0 gives #DIV/0!, a negative input #VALUE!.",
    args=[Arg("registered", "number", "registered learners"), Arg("capacity", "number", "session capacity")],
    returns="number",
)
def ilt_occupancy(registered: np.ndarray, capacity: np.ndarray):
    fill = costs.occupancy(registered, capacity)
    return fill, errors_where(((registered < 0) | (capacity < 0), xe.VALUE), (capacity == 0, xe.DIV0))


@worksheet_function(
    "ILT_SESSIONCOST",
    category=CATEGORY,
    description="Fixed + variable per learner x learners; negative learners give #VALUE!.",
    args=[
        Arg("fixed", "number", "fixed cost of the session"),
        Arg("variable_per_learner", "number", "variable cost per learner"),
        Arg("learners", "number", "learners"),
    ],
    returns="number",
)
def ilt_sessioncost(fixed: np.ndarray, variable_per_learner: np.ndarray, learners: np.ndarray):
    cost = costs.session_cost(fixed, variable_per_learner, learners)
    return cost, errors_where((np.isnan(cost), xe.VALUE))


@worksheet_function(
    "ILT_COSTPERLEARNER",
    category=CATEGORY,
    description="(Fixed + variable x learners) / learners; 0 learners give #DIV/0!, negative #VALUE!.",
    args=[
        Arg("fixed", "number", "fixed cost of the session"),
        Arg("variable_per_learner", "number", "variable cost per learner"),
        Arg("learners", "number", "learners (attended once delivered)"),
    ],
    returns="number",
)
def ilt_costperlearner(fixed: np.ndarray, variable_per_learner: np.ndarray, learners: np.ndarray):
    total = costs.session_cost(fixed, variable_per_learner, learners)
    per = costs.cost_per_learner(total, learners)
    return per, errors_where((learners < 0, xe.VALUE), (learners == 0, xe.DIV0))


@worksheet_function(
    "ILT_BREAKEVEN",
    category=CATEGORY,
    description="ceil(fixed / (price - variable)) learners; price <= variable gives #N/A, negative fixed #VALUE!.",
    args=[
        Arg("fixed", "number", "fixed cost of the session"),
        Arg("price_per_learner", "number", "internal price charged per learner"),
        Arg("variable_per_learner", "number", "variable cost per learner"),
    ],
    returns="number",
)
def ilt_breakeven(fixed: np.ndarray, price_per_learner: np.ndarray, variable_per_learner: np.ndarray):
    needed = costs.break_even(fixed, price_per_learner, variable_per_learner)
    return needed, errors_where((fixed < 0, xe.VALUE), (price_per_learner <= variable_per_learner, xe.NA))


@worksheet_function(
    "ILT_GONOGO",
    category=CATEGORY,
    description='"Cancelled", "Delivered", "Go", "At risk" or "Open" (design.md §2); an unknown status gives #VALUE!.',
    args=[
        Arg("status", "text", "Planned, Confirmed, Delivered or Cancelled"),
        Arg("registered", "number", "registered learners"),
        Arg("minimum", "number", "the course's minimum learners"),
        Arg("start", "date", "session start date"),
        Arg("today", "date", "the as-of date; today when omitted", default=None),
        Arg("lead_days", "number", "days before start when a short session is at risk", default=14),
    ],
    returns="text",
)
def ilt_gonogo(status, registered, minimum, start, today, lead_days):
    today = np.where(np.isnan(today), datetime64_to_serial(np.array([np.datetime64("today", "D")]))[0], today)
    label = costs.go_no_go(status, registered, minimum, serial_to_datetime64(start), serial_to_datetime64(today), lead_days)
    return label, errors_where((label == None, xe.VALUE))  # noqa: E711 (element-wise)
