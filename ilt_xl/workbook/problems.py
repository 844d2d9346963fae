"""A located problem found in a planner workbook, and how column masks become problems.

Checks work on whole columns and produce boolean masks; :func:`problems_from_mask`
turns only the flagged rows into :class:`Problem` records, so clean data costs no
Python loop.
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np
import pandas as pd

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One problem, located as precisely as it can be.

    ``row`` is the Excel row number and ``cell`` the A1 address (both None for a
    problem with a whole sheet, table or column); ``value`` is what the cell holds,
    ``expected`` what it should hold; ``severity`` is ``"error"`` or ``"warning"``.
    """

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    cell: str | None
    value: object
    expected: str
    severity: str
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def line(self) -> str:
        """This problem on one line, as compilers print theirs (``ilt-xl check`` prefixes the file):
        ``Sheet!Cell: Column: severity: problem; value: V (expected E)``. The value is named only when
        the message does not already quote it."""
        place = self.sheet or ""
        if self.cell:
            place = f"{place}!{self.cell}"
        elif self.row:
            place = f"{place} row {self.row}"
        parts = [place] + ([self.column] if self.column else []) + [self.severity]
        text = self.message
        if self.value is not None:
            shown = display_value(self.value)
            if shown not in text:
                text = f"{text}; value: {shown}"
        # one line, and ids that differ by an invisible character tell apart (rule 2 of issue 14)
        return visible(": ".join(part for part in parts if part) + f": {text} (expected {self.expected})")

    def to_dict(self) -> dict:
        """A JSON-ready dict: the value becomes text unless it is a finite number or bool."""
        out = asdict(self)
        out["value"] = json_value(self.value)
        return out


def json_value(value: object) -> object:
    """``value`` as JSON can hold it: finite numbers and bools as such, blanks as None, else text."""
    if value is None or value is pd.NaT or value is pd.NA or (isinstance(value, str) and value == ""):
        return None
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return None  # a blank number cell
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else str(value)
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    return str(value)


def display_value(value: object) -> str:
    """``value`` as a short text for a table cell."""
    shown = json_value(value)
    if shown is None:
        return "(blank)"
    text = visible(str(shown))
    return text if len(text) <= 60 else text[:57] + "..."


_INVISIBLE = re.compile(r"[^\S ]|[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
                        r"\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\uffff]")


def invisible_characters(text: str) -> list[str]:
    """The characters of ``text`` a reader cannot see or tell apart from a space: controls, line
    breaks, tabs, no-break and other odd spaces, zero-width and direction marks, the BOM."""
    return [ch for ch in text if _INVISIBLE.match(ch) or not (ch.isprintable() or ch == " ")]


def visible(text: str) -> str:
    """``text`` with every invisible character spelled as a Python escape (``'I001\\u200b'``),
    so a message shows why two ids that look alike differ."""
    if text.isprintable() and not _INVISIBLE.search(text):
        return text
    return "".join(ch.encode("unicode_escape").decode("ascii") if ch in invisible_characters(ch) else ch for ch in text)


@dataclass(frozen=True)
class Location:
    """Where a table's rows and columns sit: the sheet, each column's letter, each row's Excel number."""

    file: str
    sheet: str
    column_letters: dict[str, str]


def problems_from_mask(
    loc: Location,
    mask: np.ndarray | pd.Series,
    rows: np.ndarray,
    column: str,
    values: np.ndarray | pd.Series,
    expected: str,
    message: Callable[[object], str] | str | np.ndarray | pd.Series,
    severity: str = ERROR,
) -> list[Problem]:
    """One :class:`Problem` per True in ``mask``.

    ``rows`` are the Excel row numbers aligned with ``mask``; ``values`` the values
    reported; ``message`` is a text, a function of the offending value, or an array
    of texts aligned with ``mask``.
    """
    flagged = np.flatnonzero(np.asarray(mask, dtype=bool))
    if not flagged.size:
        return []
    values = np.asarray(values, dtype=object)
    letter = loc.column_letters.get(column)
    texts = np.asarray(message, dtype=object) if isinstance(message, (np.ndarray, pd.Series)) else None
    out = []
    for i in flagged:
        row = int(rows[i])
        value = values[i]
        if texts is not None:
            text = texts[i]
        else:
            text = message(value) if callable(message) else message
        out.append(Problem(
            file=loc.file, sheet=loc.sheet, row=row, column=column,
            cell=f"{letter}{row}" if letter else None, value=value, expected=expected, severity=severity,
            message=text,
        ))
    return out


# What a cell of each column type should hold, as the problems say it.
EXPECTED = {
    "int": "a whole number",
    "number": "a number",
    "money": "an amount (a number)",
    "percent": "a percentage (a number)",
    "date": "a date",
    "time": "a time of day",
    "bool": "TRUE or FALSE",
    "text": "text",
    "id": "an id",
    "currency": "a currency code",
    "country": "a country code",
}


def wrong_type_problems(loc: Location, column: str, kind: str, rows: np.ndarray, raw: np.ndarray,
                        wrong: np.ndarray, why: np.ndarray) -> list[Problem]:
    """An error per cell of ``column`` (of type ``kind``, a ``ColumnType`` value) holding a value of
    another type, as :func:`ilt_xl.workbook.coerce.coerce` flags them (``wrong``, ``why``): the one
    report of the file reader and of the open-book reader (xlwings, classic and Lite), so both name
    the cell and what it should hold; the cell then reads as blank and is not reported again as missing."""
    if not wrong.any():
        return []
    out: list[Problem] = []
    for reason in np.unique(why[np.flatnonzero(wrong)]):
        out += problems_from_mask(loc, wrong & (why == reason), rows, column, raw, EXPECTED[kind], reason)
    return out


class PlannerHasErrors(Exception):
    """The planner has errors, so the macro refused to run; ``problems`` are the reader's, located."""

    def __init__(self, macro: str, problems: list, detail: str = "") -> None:
        self.macro, self.problems, self.detail = macro, problems, detail
        errors = sum(p.is_error for p in problems)
        super().__init__(f"{macro} refused, nothing written: the planner has {errors} error{'' if errors == 1 else 's'}"
                         + (f": {detail}" if detail else ""))

    def __reduce__(self):   # rebuilt with its problems when it comes back from a worker process
        return type(self), (self.macro, self.problems, self.detail)
