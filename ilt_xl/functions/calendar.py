"""Worksheet functions for working days: ILT_WORKDAYS and ILT_DUEDATE."""
from __future__ import annotations

import numpy as np

from ilt_xl.core import calendar
from ilt_xl.core import excel_errors as xe
from ilt_xl.core.serial_dates import datetime64_to_serial, serial_to_datetime64
from ilt_xl.functions.arguments import errors_where
from ilt_xl.functions.registry import Arg, worksheet_function

CATEGORY = "calendar"
_COUNTRY = Arg("country", "text", "ISO 3166 country code (e.g. DE, FR, NA; DE-BY for a subdivision); no holidays if blank", default="")


def _unknown(reasons: np.ndarray) -> np.ndarray:
    return ~np.equal(reasons, None)


@worksheet_function(
    "ILT_WORKDAYS",
    category=CATEGORY,
    description=(
        "Working days from start to end inclusive (Mon-Fri minus the country's public holidays), like "
        "NETWORKDAYS; negative when end is before start; an unknown country gives #N/A."
    ),
    args=[Arg("start", "date", "first day"), Arg("end", "date", "last day"), _COUNTRY],
    returns="number",
)
def ilt_workdays(start: np.ndarray, end: np.ndarray, country: np.ndarray):
    days, reasons = calendar.working_days(serial_to_datetime64(start), serial_to_datetime64(end), country)
    return days, errors_where((_unknown(reasons), xe.NA))


@worksheet_function(
    "ILT_DUEDATE",
    category=CATEGORY,
    description=(
        "Like WORKDAY(anchor, offset_workdays, holidays of country): offset 0 returns the anchor; "
        "an unknown country gives #N/A."
    ),
    args=[
        Arg("anchor", "date", "the date counted from (a session's start or end)"),
        Arg("offset_workdays", "number", "working days after (positive) or before (negative) the anchor"),
        _COUNTRY,
    ],
    returns="date",
)
def ilt_duedate(anchor: np.ndarray, offset_workdays: np.ndarray, country: np.ndarray):
    due, reasons = calendar.workday(serial_to_datetime64(anchor), offset_workdays, country)
    return datetime64_to_serial(due), errors_where((_unknown(reasons), xe.NA))
