"""Run a macro of :mod:`ilt_xl.workbook.macros` on a workbook open in Excel, through xlwings.

The macro logic is the headless twins' (same functions, same results); only
reading and writing differ: the planner's tables are read from the open
book's Excel tables and typed like the file reader types them
(:func:`ilt_xl.workbook.coerce.coerce`), and the result is written into the
table's data body, column by column, so calculated columns keep their formulas
(Excel extends them when the table is resized).

The same code serves classic xlwings (COM) and xlwings Lite, whose remote
engine (``xlwings.pro._xlremote``) imposes what this module does:

- values only: formulas cannot be read, so which columns are calculated comes
  from the schema (:attr:`ilt_xl.schema.types.Table.calculated_columns`);
- nothing is read back after a write (writes are queued actions, invisible to
  later reads in the same script), and a table created by the script gets its
  header and rows written in one block before the table is added (its header
  range is unknown until Excel reloads the book);
- a sheet-scoped name arrives as ``Sheet!Name``;
- text is written as if typed, so text Excel would turn into a number, date,
  boolean, error or formula is written behind an apostrophe (:func:`typed_safe`).
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ilt_xl.schema import PLANNER
from ilt_xl.workbook import macros
from ilt_xl.workbook.coerce import coerce, first_value


def find_table(book: Any, name: str) -> Any | None:
    """The Excel table ``name`` of ``book`` (case-insensitive), or None."""
    found = _table_and_sheet(book, name)
    return found[0] if found is not None else None


def _grid(table: Any) -> tuple[list[str], list[list[Any]]]:
    values = table.range.options(ndim=2, err_to_str=True).value
    header = [str(h) for h in values[0]]
    return header, values[1:]


def _named_range(book: Any, name: str) -> Any:
    """The cell named ``name``, book- or sheet-scoped (``Sheet!Name``); KeyError when absent."""
    for candidate in book.names:
        if candidate.name.rsplit("!", 1)[-1].casefold() == name.casefold():
            return candidate.refers_to_range
    raise KeyError(name)


def _named_value(book: Any, name: str) -> Any:
    """The value of the cell named ``name`` (:func:`_named_range`); KeyError when absent."""
    return _named_range(book, name).value


def read_tables(book: Any, problems: list | None = None,
                setting_cells: dict[str, tuple[str, str]] | None = None) -> tuple[dict[str, pd.DataFrame], dict[str, object]]:
    """(tables, settings) of the planner open in ``book``, typed as the file reader types them.

    Blank rows are dropped; a missing table is empty; a missing setting is absent
    (the core then uses its default). A cell of the wrong type (text in a date column, say) reads as
    blank, as in the file reader; with ``problems`` it is reported there as the file reader reports it
    (sheet, cell, what the column expects, why), and a wrong-typed setting likewise. ``setting_cells``
    receives each setting's (sheet, cell), which validation needs to report a setting's value.
    """
    from ilt_xl.workbook.problems import Location, wrong_type_problems

    tables: dict[str, pd.DataFrame] = {}
    for schema in PLANNER.tables:
        found = _table_and_sheet(book, schema.name)
        table, sheet = found if found is not None else (None, "")
        header, rows = _grid(table) if table is not None else ([], [])
        raw = np.array(rows, dtype=object).reshape(len(rows), len(header)) if rows else np.empty((0, len(header)), dtype=object)
        raw = _as_excel_holds(np.where(np.equal(raw, None), "", raw))
        position = {h.casefold(): i for i, h in enumerate(header)}
        inputs = [position[c.name.casefold()] for c in schema.input_columns if c.name.casefold() in position]
        keep = (raw[:, inputs] != "").any(axis=1) if inputs and len(raw) else np.zeros(len(raw), dtype=bool)
        raw = raw[keep]
        first_row = _first_row(table) if table is not None else 1
        excel_rows = first_row + 1 + np.flatnonzero(keep)      # Excel's row numbers, as the file reader's
        loc = Location(book.name, sheet, _letters(table, header, schema)) if table is not None else None
        columns = {}
        for c in schema.columns:
            cells = (raw[:, position[c.name.casefold()]] if c.name.casefold() in position
                     else np.full(len(raw), "", dtype=object))
            typed = coerce(cells, c.type)
            if problems is not None and loc is not None and not c.calculated:
                problems += wrong_type_problems(loc, c.name, c.type.value, excel_rows, cells, typed.wrong, typed.why)
            columns[c.name] = typed.values
        tables[schema.name] = pd.DataFrame(columns, index=pd.Index(excel_rows, dtype="int64", name="row"))
    settings: dict[str, object] = {}
    for setting in PLANNER.settings:
        try:
            cell = _named_range(book, setting.name)
            value = cell.value
        except (KeyError, ValueError):  # a missing name (or one that is not a cell): the core's default applies
            continue
        address = cell.address.replace("$", "").split("!")[-1]
        if setting_cells is not None:
            setting_cells[setting.name] = (cell.sheet.name, address)
        value = _as_excel_holds(np.array(["" if value is None else value], dtype=object))[0]
        typed = coerce(np.array([value], dtype=object), setting.type)
        if not typed.blank[0] and not typed.wrong[0]:
            settings[setting.name] = first_value(typed)     # as the file reader hands it to the core
        elif typed.wrong[0] and problems is not None:   # the default applies, as in the file reader, and is told
            problems += wrong_type_problems(Location(book.name, cell.sheet.name, {setting.name: address.rstrip("0123456789")}),
                                            setting.name, setting.type.value, np.array([int(cell.row)]),
                                            np.array([value], dtype=object), typed.wrong, typed.why)
    return tables, settings


_DAY_ZERO = dt.date(1899, 12, 30)


def _as_excel_holds(raw: np.ndarray) -> np.ndarray:
    """``raw`` with each time of day as a time: xlwings reads a cell formatted as a time (Excel's serial
    under 1) as a datetime on 1899-12-30, a day Excel cannot hold as a date, where the file reader sees
    a time; a time in a date column is then reported as one, and shown as the file reader shows it."""
    flat = raw.ravel()
    at = np.flatnonzero(_type_of(flat) == dt.datetime) if flat.size else []
    if not len(at):
        return raw
    flat = flat.copy()
    flat[at] = np.array([v.time() if v.date() == _DAY_ZERO else v for v in flat[at]] + [None], dtype=object)[:-1]
    return flat.reshape(raw.shape)


_type_of = np.frompyfunc(type, 1, 1)


def _table_and_sheet(book: Any, name: str) -> tuple[Any, str] | None:
    """The Excel table ``name`` of ``book`` (case-insensitive) and the name of its sheet, or None."""
    for sheet in book.sheets:
        for table in sheet.tables:
            if table.name.casefold() == name.casefold():
                return table, sheet.name
    return None


def _letters(table: Any, header: list[str], schema) -> dict[str, str]:
    """Column letter of each schema column the table has (its header may be in any order and case)."""
    from ilt_xl.xlsx.cells import column_letter

    first = table.range.column      # 1-based
    position = {h.casefold(): i for i, h in enumerate(header)}
    return {c.name: column_letter(first + position[c.name.casefold()]) for c in schema.columns
            if c.name.casefold() in position}


def _first_row(table: Any) -> int:
    """The Excel row number of ``table``'s header."""
    return int(re.match(r"\$?[A-Z]+\$?(\d+)", table.range.address.split("!")[-1]).group(1))


def refuse_errors(book: Any, name: str, tables: dict[str, pd.DataFrame], settings: dict[str, object],
                  read_problems: list | None = None, setting_cells: dict[str, tuple[str, str]] | None = None) -> None:
    """Raise :class:`~ilt_xl.workbook.headless.PlannerHasErrors` (nothing written), its message listing the
    first errors with their cells, when the planner's values have errors, as the command-line twin refuses
    them: a cell of the wrong type (``read_problems``, from :func:`read_tables`), a macro run on ids that differ
    only in case, an unknown currency or an end before a start would write rows that Excel's formulas read
    otherwise (SUMIFS counts S1 and s1 as one session); a setting's value is checked where ``setting_cells``
    locates it."""
    from ilt_xl.workbook.planner import Planner, TableLayout, attribute_name
    from ilt_xl.workbook.problems import PlannerHasErrors
    from ilt_xl.workbook.validate import validate

    layouts: dict[str, TableLayout] = {}
    for sheet in book.sheets:
        for table in sheet.tables:
            schema = next((t for t in PLANNER.tables if t.name.casefold() == table.name.casefold()), None)
            if schema is None or schema.name in layouts:
                continue
            ref = table.range.address.split("!")[-1].replace("$", "")
            layouts[schema.name] = TableLayout(sheet.name, ref, _letters(table, _grid(table)[0], schema))
    read_problems = list(read_problems or [])
    planner = Planner(path=Path(book.name), settings=settings, layouts=layouts, problems=read_problems,
                      setting_cells=dict(setting_cells or {}),
                      **{attribute_name(t): frame for t, frame in tables.items()})
    problems = read_problems + validate(planner)    # validate skips the cells already reported as the wrong type
    errors = [p for p in problems if p.is_error]
    if errors:
        shown = " | ".join(p.line() for p in errors[:5])     # as `ilt-xl check` prints them
        more = f" (and {len(errors) - 5} more: ilt-xl check lists them)" if len(errors) > 5 else ""
        raise PlannerHasErrors(name, problems, f"{shown}{more}")


def read_checked(book: Any, name: str) -> tuple[dict[str, pd.DataFrame], dict[str, object]]:
    """:func:`read_tables`, then :func:`refuse_errors` for macro ``name`` on what was read: a cell of the
    wrong type and every error ``ilt-xl check`` reports refuse the run, nothing written."""
    problems: list = []
    cells: dict[str, tuple[str, str]] = {}
    tables, settings = read_tables(book, problems, cells)
    refuse_errors(book, name, tables, settings, problems, cells)
    return tables, settings


# Text Excel would not keep as text when it is written as if typed: numbers, dates and times
# (they hold a digit), booleans, error literals (#...), formulas (=, +, -, @) and a leading apostrophe.
_TYPED_AS_SOMETHING_ELSE = re.compile(r"\d|^\s*[=+\-@#']|^\s*(true|false)\s*$", re.IGNORECASE)


def typed_safe(values: list[Any]) -> list[Any]:
    """``values`` with each text that Excel would convert written behind an apostrophe, so it stays text.

    An apostrophe before text is Excel's way of typing text literally: the cell's
    value is the text without it (``'00123`` holds the text ``00123``).
    """
    return ["'" + v if isinstance(v, str) and _TYPED_AS_SOMETHING_ELSE.search(v) else v for v in values]


def _cells(series: pd.Series) -> list[Any]:
    """One column as the values xlwings writes: missing values as None, text protected from conversion."""
    return typed_safe(series.astype(object).where(series.notna(), None).tolist())


def _calculated(table_name: str) -> set[str]:
    """The calculated columns of a planner table (casefolded): Excel keeps their formulas."""
    if table_name not in {t.name for t in PLANNER.tables}:
        return set()
    return {c.name.casefold() for c in PLANNER.table(table_name).calculated_columns}


def write_rows(table: Any, frame: pd.DataFrame, *, reshape: bool = False) -> None:
    """Resize the existing ``table`` to ``frame``'s rows and write its columns; calculated columns are left to Excel.

    Everything is read before the first write (a write is not visible to later reads in Lite).
    """
    header = table.header_row_range
    names = [str(c) for c in frame.columns] if reshape else [str(v) for v in header.options(ndim=1).value]
    computed = set() if reshape else _calculated(table.name)
    old_rows = table.range.rows.count - 1
    old_columns = header.columns.count
    rows = max(len(frame), 1)
    body = header.offset(1, 0)
    if reshape:  # the columns change: nothing of the old table may stay beside the new one
        header.resize(old_rows + 1, max(len(names), old_columns)).clear_contents()
        header.resize(1, len(names)).value = names
    elif old_rows > rows:
        body.offset(rows, 0).resize(old_rows - rows, len(names)).clear_contents()
    table.resize(header.resize(rows + 1, len(names)))
    by_name = {str(c).casefold(): c for c in frame.columns}
    for i, name in enumerate(names):
        column = by_name.get(name.casefold())
        if column is None or name.casefold() in computed:
            continue
        body.offset(0, i).resize(rows, 1).options(transpose=True).value = _cells(frame[column]) or [None]


def add_table(book: Any, name: str, frame: pd.DataFrame) -> None:
    """A new sheet ``name`` holding ``frame`` as the Excel table ``name``, header and rows written in one block.

    The table is added over cells already written: its header range is not known
    to xlwings Lite until Excel reloads the book, so nothing is written through it.
    """
    sheet = book.sheets.add(name, after=book.sheets[-1])
    rows = [[str(c) for c in frame.columns]]
    rows += [typed_safe(r) for r in frame.astype(object).where(frame.notna(), None).to_numpy().tolist()]
    if len(rows) == 1:
        rows.append([None] * frame.shape[1])  # an Excel table has at least one body row
    block = sheet.range("A1").resize(len(rows), frame.shape[1])
    block.value = rows
    sheet.tables.add(source=block, name=name, has_headers=True)


def run_in_book(book: Any, name: str) -> int:
    """Run macro ``name`` (``checklist``, ``allocate``, ...) on ``book``; returns the rows written."""
    tables, settings = read_checked(book, name)
    macro = macros.MACROS[name]
    rows = macro.rows(tables, settings)
    write_frame(book, macro.table, rows, reshape=macro.reshape)
    return len(rows)


def write_frame(book: Any, name: str, rows: pd.DataFrame, *, reshape: bool) -> None:
    """Write ``rows`` into table ``name`` of ``book``, adding the table on a new sheet when the book lacks it."""
    table = find_table(book, name)
    if table is None:
        add_table(book, name, rows)
    else:
        write_rows(table, rows, reshape=reshape)


def apply_in_book(book: Any) -> tuple[int, int]:
    """``ilt-xl apply`` on ``book``: the accepted Proposals rows into Sessions and Enrolments, Conflicts
    refreshed, each row's Outcome recorded; returns (applied, skipped)."""
    from ilt_xl.core.proposals import apply_proposals
    from ilt_xl.core.resources import conflicts

    tables, settings = read_checked(book, "apply")
    done = apply_proposals(tables, settings)
    after = {**tables, "Sessions": done.sessions, "Enrolments": done.enrolments}
    for name, frame in (("Sessions", done.sessions), ("Enrolments", done.enrolments),
                        ("Conflicts", conflicts(after, settings)), ("Proposals", done.proposals)):
        _write_inputs(book, name, frame)
    return done.applied, done.skipped


def _write_inputs(book: Any, name: str, frame: pd.DataFrame) -> None:
    """The input columns of planner table ``name`` from ``frame`` into the book's table (times of day as Excel
    holds them)."""
    frame = frame[[c.name for c in PLANNER.table(name).input_columns]].copy()
    for column in frame.columns[[pd.api.types.is_timedelta64_dtype(t) for t in frame.dtypes]]:
        frame[column] = frame[column] / pd.Timedelta(days=1)  # a time of day as Excel holds it: a fraction of a day
    write_frame(book, name, frame, reshape=False)


def close_in_book(book: Any, today: dt.date | None = None) -> Any:
    """``ilt-xl close --through D`` on ``book``, D being the month end typed in Settings' ClosedThrough: every
    session starting on or before D that is not frozen yet gets its figures of ``today`` (default: today) stored
    in Sessions' Frozen* columns and ClosedOn, and ClosedThrough is written back as that date
    (:func:`ilt_xl.workbook.closing.closed_tables`, the command's code path). Returns the
    :class:`~ilt_xl.core.periods.Closing`.

    The cell has been edited already, so the months closed before are told by the stored figures: a D before the
    month of the latest frozen session would reopen months, which is explicit and left to the command
    (``--reopen``); ValueError then, and for a blank cell, a date that is not a month end or a session to freeze
    showing an error; a planner with errors is refused as by the command (:func:`refuse_errors`). Nothing is
    written when it refuses.
    """
    from ilt_xl.core.periods import frozen_mask, month_end
    from ilt_xl.workbook.closing import closed_tables

    tables, settings = read_checked(book, "close")
    through = settings.get("ClosedThrough")
    if through is None:
        raise ValueError("Settings' ClosedThrough is blank: type the last day of the months to close there "
                         "(a month end, e.g. 2025-12-31), then run the macro again")
    through = pd.Timestamp(through).date()
    if not month_end(through):
        raise ValueError(f"Settings' ClosedThrough {through.isoformat()} is not a month end: periods close by whole "
                         "months (type the month's last day)")
    sessions = tables["Sessions"]
    frozen_starts = pd.to_datetime(sessions["StartDate"], errors="coerce")[frozen_mask(sessions)].dropna()
    closed = (frozen_starts.max() + pd.offsets.MonthEnd(0)).date() if len(frozen_starts) else None
    if closed is not None and through < closed:
        raise ValueError(f"sessions are frozen through {closed.isoformat()}: ClosedThrough {through.isoformat()} "
                         "would reopen the months after it; reopening is explicit: run `ilt-xl close PLAN.xlsx "
                         f"--through {through.isoformat()} --reopen` on the saved workbook")
    closing = closed_tables(tables, {**settings, "ClosedThrough": closed}, through, today or dt.date.today())
    _write_inputs(book, "Sessions", closing.sessions)
    _named_range(book, "ClosedThrough").value = dt.datetime.combine(through, dt.time())
    return closing


def run_forecast_in_book(book: Any) -> int:
    """Run the forecast on ``book`` (:func:`ilt_xl.workbook.forecast_macro.forecast_frames`) and write the
    Forecast and ForecastMonths tabs and Budget's projection; returns the Forecast rows written."""
    from ilt_xl.workbook.forecast_macro import forecast_frames

    tables, settings = read_checked(book, "forecast")
    _, frames = forecast_frames(tables, settings)
    for name, rows in frames.items():
        write_frame(book, name, rows, reshape=False)
    return len(frames["Forecast"])
