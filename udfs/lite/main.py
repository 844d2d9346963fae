"""xlwings Lite: paste this file into the add-in's main.py (and requirements.txt next to it).

Every ILT_* worksheet function of the ilt-xl registry, generated (no wrapper per
function), and the planner's macros as Lite scripts. The function path imports
only pure-Python code plus numpy and pandas, as Pyodide requires.

Each script takes exactly one parameter annotated ``xw.Book``: xlwings injects the
workbook there (a script without it is refused).
"""
import xlwings as xw
from xlwings import arg, func, ret, script

from udfs import book_io
from udfs.wrappers import expose

FUNCTIONS = expose(globals(), func, arg, ret, lite=True)


@script
def ilt_refresh_checklist(book: xw.Book):
    """Build or refresh the Checklist tab, keeping statuses, done dates and notes."""
    book_io.run_in_book(book, "checklist")


@script
def ilt_build_allocation(book: xw.Book):
    """Build the Allocation ledger."""
    book_io.run_in_book(book, "allocate")


@script
def ilt_check_conflicts(book: xw.Book):
    """Fill the Conflicts tab."""
    book_io.run_in_book(book, "conflicts")


@script
def ilt_refresh_fx(book: xw.Book):
    """Write the ECB rates the sessions use into the FX tab, keeping manual rows."""
    book_io.run_in_book(book, "fx")


@script
def ilt_refresh_budget(book: xw.Book):
    """Refresh Actual, Committed and Forecast of the Budget tab."""
    book_io.run_in_book(book, "budget")


@script
def ilt_refresh_availability(book: xw.Book):
    """Refresh the Availability tab (instructors and rooms x ISO weeks)."""
    book_io.run_in_book(book, "availability")


@script
def ilt_optimise(book: xw.Book):
    """Propose instructors and rooms for the Planned sessions at the lowest cost (Proposals tab)."""
    book_io.run_in_book(book, "optimise")


@script
def ilt_merge_advice(book: xw.Book):
    """Propose merging under-filled Planned sessions into another of the same course (Proposals tab)."""
    book_io.run_in_book(book, "merge-advice")


@script
def ilt_apply_proposals(book: xw.Book):
    """Write the accepted proposals (Accept Yes) into Sessions and Enrolments, and refresh Conflicts."""
    book_io.apply_in_book(book)


@script
def ilt_refresh_holidays(book: xw.Book):
    """Write the public holidays of the sessions' countries and years into the Holidays tab, keeping rows you added."""
    book_io.run_in_book(book, "holidays")


@script
def ilt_forecast(book: xw.Book):
    """Forecast learners, sessions and cost with P10/P50/P90: the Forecast tabs and Budget's projection."""
    book_io.run_forecast_in_book(book)


@script
def ilt_close_periods(book: xw.Book):
    """Close the months through the month end typed in Settings' ClosedThrough: their sessions keep their costs, rates and FX."""
    book_io.close_in_book(book)
