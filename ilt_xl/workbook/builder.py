"""Write the planner workbook from the schema: Settings, one Excel table per sheet, Dashboard.

Everything the workbook holds comes from :data:`ilt_xl.schema.PLANNER`: table and column names,
number formats, widths, header comments, drop-downs and the calculated columns' formulas, which
are written as native Excel formulas with long-form structured references in every row and as
the table column's ``calculatedColumnFormula`` (so Excel extends them to new rows).

openpyxl writes the frame of each table sheet (header, one styled template row, table,
validations, formats) in write-only mode; :mod:`ilt_xl.workbook.sheet_rows` then puts the data
rows in place of the template row, which keeps a 20,000-session example quick.
"""
from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.formatting.rule import Rule
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table as ExcelTable
from openpyxl.worksheet.table import TableColumn, TableFormula, TableStyleInfo

from ilt_xl.atomic_write import atomic_target
from ilt_xl.schema import CURRENCIES, PLANNER, Column, ColumnType, Setting, Table
from ilt_xl.workbook import styles
from ilt_xl.workbook.dashboard import write_dashboard
from ilt_xl.workbook.macros import AVAILABILITY, AVAILABILITY_KEYS, PROBLEM_COLUMNS, PROBLEMS
from ilt_xl.workbook.new_sheet import TABLE_STYLE as COMMAND_TABLE_STYLE
from ilt_xl.workbook.sheet_rows import fill_tables
from ilt_xl.workbook.tools_sheet import write_tools_sheet
from ilt_xl.workbook.xlwings_conf import add_xlwings_conf_sheet

SETTINGS_SHEET = "Settings"

# Conditional formats: (table, column) -> (operator, formula, style).
CONDITIONAL_FORMATS = {
    ("Sessions", "GoNoGo"): ("equal", '"At risk"', styles.ALERT),
    ("Sessions", "Occupancy"): ("greaterThan", "1", styles.ALERT),
    ("Sessions", "ConflictFlag"): ("equal", '"Conflict"', styles.WARNING),
    ("Checklist", "Overdue"): ("equal", '"Overdue"', styles.ALERT),
    ("Budget", "Variance"): ("lessThan", "0", styles.WARNING),
}


# Sheets the availability and validate commands fill, present from the start so that a command
# only rewrites them (ilt_xl.workbook.new_sheet adds them to older planners): (name, columns, frozen columns).
COMMAND_SHEETS = (
    (AVAILABILITY, tuple(AVAILABILITY_KEYS), len(AVAILABILITY_KEYS)),
    (PROBLEMS, tuple(PROBLEM_COLUMNS), 0),
)


def list_name(reference: str) -> str:
    """The defined name a drop-down of ids uses: ``"Courses.CourseId"`` -> ``"CourseIdList"``.

    The name refers to the key column by structured reference, so the list grows with the
    table; Excel does not accept a structured reference directly as a validation source.
    """
    return reference.split(".")[1] + "List"


def build_planner(path: str | Path, data: object = None, *, as_of: dt.date | None = None) -> Path:
    """Write the planner workbook to ``path`` and return the path.

    ``data`` is ``None`` (an empty template), a mapping of table name to DataFrame, or an
    object with a ``tables`` mapping and optionally a ``settings`` mapping (setting name to
    value), such as :class:`ilt_xl.workbook.example.Example`. A DataFrame holds the table's
    input columns by their schema names; columns it lacks are left blank, calculated columns
    are ignored (the workbook computes them), and a column the schema does not know raises
    ``ValueError``. ``as_of`` freezes the AsOfDate setting (the template uses ``=TODAY()``).
    """
    tables, settings = _normalise(data)
    if as_of is not None:
        settings["AsOfDate"] = as_of
    wb = Workbook(write_only=True)
    _write_settings(wb, settings)
    for table in PLANNER.tables:
        _write_table(wb, table, tables.get(table.name))
    for reference in sorted({c.references for t in PLANNER.tables for c in t.columns if c.references}):
        table_name, column = reference.split(".")
        wb.defined_names[list_name(reference)] = DefinedName(
            list_name(reference), attr_text=f"{table_name}[{column}]"
        )
    for name, columns, frozen in COMMAND_SHEETS:
        _write_command_sheet(wb, name, columns, frozen)
    currencies = _dashboard_currencies(tables, settings)
    n_units = len(tables["BusinessUnits"]) if "BusinessUnits" in tables else 0
    write_dashboard(wb, currencies=currencies, business_unit_rows=max(8, n_units))
    write_tools_sheet(wb)
    add_xlwings_conf_sheet(wb).sheet_state = "hidden"  # technical: classic xlwings reads it hidden too
    wb.active = wb.sheetnames.index("Dashboard")       # a planner opens on its summary
    path = Path(path)
    wb.save(path)
    try:
        fill_tables(path, {name: (PLANNER.table(name), frame) for name, frame in tables.items() if len(frame)})
    except BaseException:
        path.unlink(missing_ok=True)  # never leave a workbook without its rows
        raise
    return path


def write_planner_atomically(path: str | Path, data: object = None, *, as_of: dt.date | None = None) -> Path:
    """Like :func:`build_planner`, but through a temporary file moved into place, so a reader
    never sees a half-written workbook."""
    with atomic_target(path) as temp:
        build_planner(temp, data, as_of=as_of)
    return Path(path)


# ----------------------------------------------------------------------------- input


def _normalise(data: object) -> tuple[dict[str, pd.DataFrame], dict[str, object]]:
    if data is None:
        return {}, {}
    if isinstance(data, Mapping):
        tables, settings = dict(data), {}
    else:
        tables = dict(getattr(data, "tables"))
        # A setting read back blank (None) keeps its default or formula.
        settings = {k: v for k, v in (getattr(data, "settings", None) or {}).items() if v is not None}
    unknown = sorted(set(tables) - set(PLANNER.table_names))
    if unknown:
        raise ValueError(f"the planner has no table(s) {', '.join(unknown)}")
    for name, frame in tables.items():
        extra = [c for c in frame.columns if c not in PLANNER.table(name).column_names]
        if extra:
            raise ValueError(f"table {name} has no column(s) {', '.join(map(str, extra))}")
    unknown_settings = sorted(set(settings) - {s.name for s in PLANNER.settings})
    if unknown_settings:
        raise ValueError(f"the planner has no setting(s) {', '.join(unknown_settings)}")
    return tables, settings


# ----------------------------------------------------------------------------- settings


def _write_settings(wb: Workbook, overrides: dict[str, object]) -> None:
    ws = wb.create_sheet(SETTINGS_SHEET)
    ws.sheet_properties.tabColor = "1F3864"
    for letter, width in zip("ABC", (24, 16, 90)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    styles.landscape(ws, fit_width=True)
    header = []
    for text in ("Setting", "Value", "Description"):
        cell = WriteOnlyCell(ws, text)
        cell.font, cell.fill = styles.HEADER_FONT, styles.INPUT_HEADER_FILL
        header.append(cell)
    ws.append(header)
    for row, setting in enumerate(PLANNER.settings, start=2):
        value = WriteOnlyCell(ws, _setting_value(setting, overrides))
        value.number_format = _setting_format(setting)
        value.protection = styles.INPUT_PROTECTION
        label = WriteOnlyCell(ws, setting.name)
        label.font = styles.LABEL_FONT
        ws.append([label, value, setting.description])
        wb.defined_names[setting.name] = DefinedName(setting.name, attr_text=f"{SETTINGS_SHEET}!$B${row}")
        validation = _setting_validation(setting)
        if validation is not None:
            validation.add(f"B{row}")
            ws.data_validations.append(validation)


def _setting_value(setting: Setting, overrides: dict[str, object]) -> object:
    if setting.name in overrides:
        value = overrides[setting.name]
        return value.date() if isinstance(value, pd.Timestamp) else value
    return setting.formula if setting.formula else setting.default


def _setting_format(setting: Setting) -> str:
    return Column(setting.name, setting.type, setting.description).format


def _setting_validation(setting: Setting) -> DataValidation | None:
    if setting.allowed:
        return _list_validation(setting.allowed)
    if setting.type is ColumnType.CURRENCY:
        return _list_validation(CURRENCIES, strict=False)
    if setting.name == "FiscalYearStartMonth":
        return DataValidation("whole", operator="between", formula1="1", formula2="12",
                              showErrorMessage=True, error="A month number, 1 to 12.")
    if setting.type is ColumnType.INT:
        return DataValidation("whole", operator="greaterThanOrEqual", formula1="0",
                              showErrorMessage=True, error="A whole number, 0 or more.")
    return None


# ----------------------------------------------------------------------------- tables


def _write_table(wb: Workbook, table: Table, frame: pd.DataFrame | None) -> None:
    ws = wb.create_sheet(table.name)
    if table.tab_color:
        ws.sheet_properties.tabColor = table.tab_color
    rows = max(len(frame), 1) if frame is not None else 1  # an empty table keeps one empty row
    last_row = rows + 1
    for index, column in enumerate(table.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = _width(column)
    ws.freeze_panes = "B2" if table.name == "Sessions" else "A2"
    styles.print_table(ws)
    ws.append([_header_cell(ws, column) for column in table.columns])
    # One styled template row; sheet_rows.fill_tables puts the data rows in its place.
    ws.append([_body_cell(ws, table, column) for column in table.columns])

    ref = f"A1:{get_column_letter(len(table.columns))}{last_row}"
    excel_table = ExcelTable(
        displayName=table.name, name=table.name, ref=ref,
        autoFilter=AutoFilter(ref=ref),
        tableStyleInfo=TableStyleInfo(name=styles.TABLE_STYLE, showRowStripes=True),
    )
    for index, column in enumerate(table.columns, start=1):
        formula = TableFormula(attr_text=table.formula_of(column.name)[1:]) if column.calculated else None
        excel_table.tableColumns.append(TableColumn(id=index, name=column.name, calculatedColumnFormula=formula))
    with warnings.catch_warnings():
        # openpyxl warns that write-only tables need their columns set by hand, as done above.
        warnings.simplefilter("ignore", UserWarning)
        ws.add_table(excel_table)
    _add_validations(ws, table, last_row)
    _add_conditional_formats(ws, table, last_row)


def _write_command_sheet(wb: Workbook, name: str, columns: tuple[str, ...], frozen_columns: int) -> None:
    """An empty table of ``columns`` with one blank row, as :func:`ilt_xl.workbook.new_sheet.add_table_sheet` makes it."""
    ws = wb.create_sheet(name)
    ws.freeze_panes = f"{get_column_letter(frozen_columns + 1)}2"
    styles.print_table(ws, key_columns=max(frozen_columns, 1))
    ws.append(list(columns))
    ws.append([])
    ref = f"A1:{get_column_letter(len(columns))}2"
    excel_table = ExcelTable(displayName=name, name=name, ref=ref, autoFilter=AutoFilter(ref=ref),
                             tableStyleInfo=TableStyleInfo(name=COMMAND_TABLE_STYLE, showRowStripes=True))
    for index, column in enumerate(columns, start=1):
        excel_table.tableColumns.append(TableColumn(id=index, name=column))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ws.add_table(excel_table)


def _width(column: Column) -> int:
    """The schema's width; a column of listed values needs only its longest value's width."""
    if column.allowed and column.width is None and column.type is not ColumnType.CURRENCY:
        return max(len(column.name), *(len(v) for v in column.allowed)) + 3
    return column.display_width


def _header_cell(ws, column: Column) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, column.name)
    cell.alignment = styles.HEADER_ALIGNMENT
    cell.font = styles.HEADER_FONT
    cell.fill = styles.CALCULATED_HEADER_FILL if column.calculated else styles.INPUT_HEADER_FILL
    kind = "Calculated" if column.calculated else ("Required" if column.required else "Optional")
    comment = Comment(f"{kind}. {column.description}", "ilt-xl")
    comment.width, comment.height = 260, 90
    cell.comment = comment
    return cell


def _body_cell(ws, table: Table, column: Column) -> WriteOnlyCell:
    """The styled cell reused for every row of ``column``; a calculated column holds its formula."""
    cell = WriteOnlyCell(ws, table.formula_of(column.name) if column.calculated else None)
    cell.number_format = column.format
    if not column.type.is_numeric and column.type not in (ColumnType.DATE, ColumnType.TIME, ColumnType.BOOL):
        cell.alignment = styles.TEXT_ALIGNMENT
    if column.calculated:
        cell.fill = styles.CALCULATED_FILL
        cell.protection = styles.LOCKED
    else:
        cell.protection = styles.INPUT_PROTECTION
    return cell


def _list_validation(values: tuple[str, ...], strict: bool = True) -> DataValidation:
    validation = DataValidation("list", formula1='"' + ",".join(values) + '"', allow_blank=True,
                                showErrorMessage=True)
    _set_error(validation, "Pick a value from the list.", strict)
    return validation


def _set_error(validation: DataValidation, message: str, strict: bool) -> None:
    validation.error = message
    # A warning lets a currency that only manual FX rows know through.
    validation.errorStyle = "stop" if strict else "warning"


def _column_validation(column: Column) -> DataValidation | None:
    if column.calculated:
        return None
    if column.references:
        validation = DataValidation("list", formula1=list_name(column.references), allow_blank=True,
                                    showErrorMessage=True)
        _set_error(validation, f"Pick an id of {column.referenced_table}.", strict=True)
        return validation
    if column.allowed:
        return _list_validation(column.allowed, strict=column.type is not ColumnType.CURRENCY)
    if column.type is ColumnType.CURRENCY:
        return _list_validation(CURRENCIES, strict=False)
    if column.type is ColumnType.DATE:
        validation = DataValidation("date", operator="greaterThan", formula1="1", allow_blank=True,
                                    showErrorMessage=True)
        _set_error(validation, "A date.", strict=True)
        return validation
    if column.type.is_numeric and column.minimum is not None:
        kind = "whole" if column.type is ColumnType.INT else "decimal"
        validation = DataValidation(kind, operator="greaterThanOrEqual", formula1=f"{column.minimum:g}",
                                    allow_blank=True, showErrorMessage=True)
        _set_error(validation, f"A {'whole ' if kind == 'whole' else ''}number, {column.minimum:g} or more.", strict=True)
        return validation
    return None


def _add_validations(ws, table: Table, last_row: int) -> None:
    for index, column in enumerate(table.columns, start=1):
        validation = _column_validation(column)
        if validation is not None:
            letter = get_column_letter(index)
            validation.add(f"{letter}2:{letter}{last_row}")
            ws.data_validations.append(validation)


def _add_conditional_formats(ws, table: Table, last_row: int) -> None:
    for index, column in enumerate(table.columns, start=1):
        spec = CONDITIONAL_FORMATS.get((table.name, column.name))
        if spec is not None:
            operator, formula, style = spec
            letter = get_column_letter(index)
            rule = Rule(type="cellIs", operator=operator, formula=[formula], dxf=style)
            ws.conditional_formatting.add(f"{letter}2:{letter}{last_row}", rule)


def _dashboard_currencies(tables: dict[str, pd.DataFrame], settings: dict[str, object]) -> list[str]:
    """Currencies the dashboard lists: the reporting currency first, then the courses' (at least four rows)."""
    reporting = str(settings.get("ReportingCurrency", PLANNER.setting("ReportingCurrency").default))
    found = []
    if "Courses" in tables and "Currency" in tables["Courses"].columns:
        found = [str(c) for c in tables["Courses"]["Currency"].dropna().unique() if str(c)]
    ordered = [reporting] + sorted(set(found) - {reporting})
    for fallback in ("EUR", "USD", "GBP", "CHF"):
        if len(ordered) >= 4:
            break
        if fallback not in ordered:
            ordered.append(fallback)
    return ordered
