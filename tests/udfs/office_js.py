"""The workbook payload xlwings Lite's Office.js client sends, built from a saved .xlsx, and
the effect of the actions xlwings sends back, applied to a grid of cells.

Payload (what ``getBookData`` in the add-in gathers, the shape ``xw.Book(json=...)``
reads; see xlwings' ``js/xlwings.ts``, which gathers the same for Office Scripts):

- ``client: "Office.js"`` (xlwings then skips its version check), ``version``, ``book``
  (name, active sheet, selection);
- ``names``: every name that refers to a range, with ``sheet_index`` and the address without
  the sheet; sheet-scoped ones carry ``scope_sheet_name``/``scope_sheet_index`` and
  ``book_scope: false``;
- ``sheets``: name, the values of A1 to the last used cell (cached values of formula cells,
  ``""`` for blanks, error values as their text, and cells formatted as dates or times as
  ISO strings ``YYYY-MM-DDTHH:MM:SS.000Z``), tables (addresses of the whole table, header
  row and data body) and pictures.

Values come from the cached values Excel (or ``ilt-xl recalc``) stored in the file.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter, range_boundaries

EPOCH = dt.datetime(1899, 12, 30)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.time):
        value = dt.datetime.combine(EPOCH.date(), value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00.000Z"
    if isinstance(value, dt.timedelta):
        return value / dt.timedelta(days=1)
    return value


def _address(min_col: int, min_row: int, max_col: int, max_row: int) -> str:
    first = f"{get_column_letter(min_col)}{min_row}"
    last = f"{get_column_letter(max_col)}{max_row}"
    return first if first == last else f"{first}:{last}"


def _table_api(table) -> dict:
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    totals = bool(table.totalsRowCount)
    body_last = max_row - 1 if totals else max_row
    return {
        "name": table.name,
        "range_address": _address(min_col, min_row, max_col, max_row),
        "header_row_range_address": _address(min_col, min_row, max_col, min_row),
        "data_body_range_address": _address(min_col, min_row + 1, max_col, body_last),
        "total_row_range_address": _address(min_col, max_row, max_col, max_row) if totals else None,
        "show_headers": True,
        "show_totals": totals,
        "table_style": table.tableStyleInfo.name if table.tableStyleInfo is not None else "",
        "show_autofilter": True,
    }


def payload(path: Path, *, sheet_scoped: tuple[str, ...] = ()) -> dict:
    """The Office.js payload of the workbook saved at ``path``.

    Names in ``sheet_scoped`` are sent as names scoped to their own sheet instead of the
    workbook (a planner whose settings were defined on the Settings sheet).
    """
    values_book = openpyxl.load_workbook(path, data_only=True)
    formula_book = openpyxl.load_workbook(path)  # table definitions are only read in this mode
    sheets, index = [], {}
    for i, ws in enumerate(values_book.worksheets):
        index[ws.title] = i
        rows = [[_cell(v) for v in row] for row in ws.iter_rows(min_row=1, max_row=max(ws.max_row, 1),
                                                                   max_col=max(ws.max_column, 1), values_only=True)]
        tables = [_table_api(t) for t in formula_book[ws.title].tables.values()]
        sheets.append({"name": ws.title, "values": rows or [[""]], "pictures": [], "tables": tables})
    table_of = {t["name"].casefold(): (i, t) for i, s in enumerate(sheets) for t in s["tables"]}
    names = []
    for name, defined in values_book.defined_names.items():
        target = _name_target(defined.attr_text, sheets, table_of)
        if target is None:
            continue  # not a range (a constant or a formula): Office.js leaves it out
        sheet, address = target
        scoped = name in sheet_scoped
        names.append({"name": name, "sheet_index": index[sheet], "address": address,
                      "scope_sheet_name": sheet if scoped else None,
                      "scope_sheet_index": index[sheet] if scoped else None, "book_scope": not scoped})
    return {"client": "Office.js", "version": "office-js-client", "book": {
        "name": path.name, "active_sheet_index": 0, "selection": "A1"}, "names": names, "sheets": sheets}


def _name_target(text: str, sheets: list[dict], table_of: dict) -> tuple[str, str] | None:
    """(sheet, address) of a name's range, ``Sheet!$B$2`` or ``Table[Column]``; None for anything else."""
    plain = re.fullmatch(r"'?([^'!]+)'?!\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?", text)
    if plain:
        sheet, c1, r1, c2, r2 = plain.groups()
        return sheet, f"{c1}{r1}" + (f":{c2}{r2}" if c2 else "")
    structured = re.fullmatch(r"(\w+)\[([^\]]+)\]", text)
    if not structured or structured.group(1).casefold() not in table_of:
        return None
    i, table = table_of[structured.group(1).casefold()]
    min_col, min_row, max_col, max_row = range_boundaries(table["data_body_range_address"])
    header = [str(v) for v in sheets[i]["values"][min_row - 2][min_col - 1:max_col]]
    if structured.group(2) not in header:
        return None
    col = min_col + header.index(structured.group(2))
    return sheets[i]["name"], _address(col, min_row, col, max_row)
