"""Classic xlwings (Windows Excel): every ILT_* worksheet function and the planner's macros.

Set ``UDF MODULES`` to ``udfs.ilt_udfs`` (see ``udfs/xlwings.conf``) and click
*Import Functions* on the xlwings ribbon. The functions are generated from the
registry (:func:`udfs.wrappers.expose`): nothing here is per function.

The macros are ``@xw.sub`` functions, run from Excel with Alt+F8 (after
*Import Functions*) or from a button whose VBA is
``RunPython "import udfs.ilt_udfs as m; m.ilt_refresh_checklist()"``. Each one
runs the same logic as its headless twin (``ilt-xl checklist`` ...) on the
calling workbook.
"""
from __future__ import annotations

import xlwings as xw

from udfs import book_io
from udfs.wrappers import expose

FUNCTIONS = expose(globals(), xw.func, xw.arg, xw.ret)


def _run(name: str) -> None:
    book = xw.Book.caller()
    rows = book_io.run_in_book(book, name)
    book.app.status_bar = f"ilt-xl {name}: {rows} rows written"


@xw.sub
def ilt_refresh_checklist() -> None:
    """Build or refresh the Checklist tab, keeping statuses, done dates and notes."""
    _run("checklist")


@xw.sub
def ilt_build_allocation() -> None:
    """Build the Allocation ledger."""
    _run("allocate")


@xw.sub
def ilt_check_conflicts() -> None:
    """Fill the Conflicts tab."""
    _run("conflicts")


@xw.sub
def ilt_refresh_fx() -> None:
    """Write the ECB rates the sessions use into the FX tab, keeping manual rows."""
    _run("fx")


@xw.sub
def ilt_refresh_budget() -> None:
    """Refresh Actual, Committed and Forecast of the Budget tab."""
    _run("budget")


@xw.sub
def ilt_refresh_availability() -> None:
    """Refresh the Availability tab (instructors and rooms x ISO weeks)."""
    _run("availability")


@xw.sub
def ilt_optimise() -> None:
    """Propose instructors and rooms for the Planned sessions at the lowest cost (Proposals tab)."""
    _run("optimise")


@xw.sub
def ilt_merge_advice() -> None:
    """Propose merging under-filled Planned sessions into another of the same course (Proposals tab)."""
    _run("merge-advice")


@xw.sub
def ilt_apply_proposals() -> None:
    """Write the accepted proposals (Accept Yes) into Sessions and Enrolments, and refresh Conflicts."""
    book = xw.Book.caller()
    applied, skipped = book_io.apply_in_book(book)
    book.app.status_bar = f"ilt-xl apply: {applied} proposal(s) applied, {skipped} skipped"


@xw.sub
def ilt_forecast() -> None:
    """Forecast learners, sessions and cost with P10/P50/P90: the Forecast tabs and Budget's projection."""
    book = xw.Book.caller()
    rows = book_io.run_forecast_in_book(book)
    book.app.status_bar = f"ilt-xl forecast: {rows} rows written"


@xw.sub
def ilt_validate() -> None:
    """Write the problems of the saved workbook to the Problems sheet (save first: the file is read)."""
    from ilt_xl.workbook.macros import PROBLEMS, problem_rows
    from ilt_xl.workbook.reader import read_planner

    book = xw.Book.caller()
    rows = problem_rows(read_planner(book.fullname).problems)
    book_io.write_frame(book, PROBLEMS, rows, reshape=True)
    book.app.status_bar = f"ilt-xl validate: {len(rows)} problem(s) of the saved file"


@xw.sub
def ilt_refresh_holidays() -> None:
    """Write the public holidays of the sessions' countries and years into the Holidays tab, keeping rows you added."""
    _run("holidays")


@xw.sub
def ilt_close_periods() -> None:
    """Close the months through the month end typed in Settings' ClosedThrough: their sessions keep their costs, rates and FX."""
    book = xw.Book.caller()
    closing = book_io.close_in_book(book)
    book.app.status_bar = f"ilt-xl close: {closing.frozen} session(s) frozen through {closing.through:%Y-%m-%d}"
