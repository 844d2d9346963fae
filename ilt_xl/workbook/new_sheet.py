"""Add a worksheet holding one empty Excel table to a package being edited.

The Availability and Problems tabs are written by commands; a planner made
before they existed lacks them, so the command adds the sheet (at the end of the
workbook) with a table of the given columns and one blank data row. The rows
are then written by :func:`ilt_xl.workbook.sheet_writer.replace_table_rows`.
Parts changed: ``workbook.xml``, its relationships and ``[Content_Types].xml``;
parts added: the sheet, its relationships and the table.
"""
from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

from ilt_xl.workbook.package_editor import (
    CT_TABLE, CT_WORKSHEET, NS_DOC_REL, NS_MAIN, REL_TABLE, REL_WORKSHEET, PackageEditor, TableLocation,
    free_part_name, insert_before_end, prefix_of,
)
from ilt_xl.xlsx import cell_address, column_letter

TABLE_STYLE = "TableStyleMedium2"


def add_table_sheet(editor: PackageEditor, sheet: str, columns: list[str], *, frozen_columns: int = 0,
                    lists: dict[str, tuple[str, ...]] | None = None) -> TableLocation:
    """Append sheet ``sheet`` with an Excel table of the same name and ``columns``; returns where it is.

    The header row is frozen (and the first ``frozen_columns`` columns). ``lists`` gives columns a
    drop-down of allowed values (data validation on the data row, which grows with the rows written).
    Raises ``ValueError`` when a sheet of that name exists.
    """
    if sheet.casefold() in {s.casefold() for s in editor.sheets()}:
        raise ValueError(f"sheet {sheet} already exists")
    sheet_part = free_part_name(editor, "xl/worksheets", "sheet")
    table_part = free_part_name(editor, "xl/tables", "table")
    ref = f"A1:{cell_address(2, len(columns))}"
    header = "".join(
        f'<c r="{cell_address(1, i + 1)}" t="inlineStr"><is><t>{escape(name)}</t></is></c>' for i, name in enumerate(columns))
    pane = ""
    if frozen_columns:
        pane = (f'<pane xSplit="{frozen_columns}" ySplit="1" topLeftCell="{cell_address(2, frozen_columns + 1)}" '
                'activePane="bottomRight" state="frozen"/>')
    else:
        pane = '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    editor.write(sheet_part, (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_DOC_REL}"><dimension ref="{ref}"/>'
        f'<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        f'<sheetData><row r="1">{header}</row><row r="2"/></sheetData>{_list_validations(columns, lists or {})}'
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        '<tableParts count="1"><tablePart r:id="rId1"/></tableParts></worksheet>'))
    editor.add_relationship(sheet_part, REL_TABLE, table_part)
    table_columns = "".join(f'<tableColumn id="{i + 1}" name={quoteattr(name)}/>' for i, name in enumerate(columns))
    editor.write(table_part, (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<table xmlns="{NS_MAIN}" id="{_free_table_id(editor)}" name={quoteattr(sheet)} displayName={quoteattr(sheet)} '
        f'ref="{ref}" headerRowCount="1"><autoFilter ref="{ref}"/>'
        f'<tableColumns count="{len(columns)}">{table_columns}</tableColumns>'
        f'<tableStyleInfo name="{TABLE_STYLE}" showFirstColumn="0" showLastColumn="0" showRowStripes="1" '
        'showColumnStripes="0"/></table>'))
    editor.add_content_type(sheet_part, CT_WORKSHEET)
    editor.add_content_type(table_part, CT_TABLE)
    rel_id = editor.add_relationship(editor.workbook_part, REL_WORKSHEET, sheet_part)
    workbook = editor.text(editor.workbook_part)
    sheet_ids = [int(v) for v in re.findall(r'<(?:\w+:)?sheet\b[^>]*\bsheetId="(\d+)"', workbook)]
    element = (f'<{prefix_of(workbook, "sheets")}sheet name={quoteattr(sheet)} sheetId="{max(sheet_ids, default=0) + 1}" '
               f'r:id="{rel_id}" xmlns:r="{NS_DOC_REL}"/>')
    editor.write(editor.workbook_part, insert_before_end(workbook, "sheets", element))
    location = TableLocation(sheet, sheet, sheet_part, table_part)
    editor.register(sheet, sheet_part, location)
    return location


def _list_validations(columns: list[str], lists: dict[str, tuple[str, ...]]) -> str:
    rules = "".join(
        f'<dataValidation type="list" allowBlank="1" showErrorMessage="1" sqref="{cell_address(2, columns.index(name) + 1)}">'
        f'<formula1>{escape(chr(34) + ",".join(values) + chr(34))}</formula1></dataValidation>'
        for name, values in lists.items() if name in columns)
    return f'<dataValidations count="{rules.count("<dataValidation ")}">{rules}</dataValidations>' if rules else ""


def _free_table_id(editor: PackageEditor) -> int:
    """Table ids are unique across the workbook: one more than the largest."""
    ids = [int(m) for name in editor.names if name.startswith("xl/tables/")
           for m in re.findall(r'<(?:\w+:)?table\b[^>]*?\sid="(\d+)"', editor.text(name))[:1]]
    return max(ids, default=0) + 1


FREE, BOOKED, OVERBOOKED = "FFC6EFCE", "FFFFD966", "FFF8696B"
"""Availability's colours: green for a free week, amber for a fully booked one, red past it."""


def set_color_scale(editor: PackageEditor, table: TableLocation, first_column: int, last_column: int,
                    first_row: int, last_row: int, *, low: float = 0, high: float = 5,
                    over: float | None = None) -> None:
    """Make ``table``'s sheet show a colour scale over the given block (replacing an earlier one).

    Values at or below ``low`` are green (free), at ``high`` amber (booked), at or above ``over``
    red (over-booked); without ``over``, white at ``low`` to red at ``high``. Only a
    colour-scale rule written here before (any colour scale on that sheet whose
    range starts in the block's first cell) is replaced; other rules stay.
    """
    text = editor.text(table.sheet_part)
    x = prefix_of(text, "worksheet")           # the sheet's own prefix ("x:" as the Open XML SDK writes)
    start = cell_address(first_row, first_column)
    sqref = start if (first_row, first_column) == (last_row, last_column) else f"{start}:{column_letter(last_column)}{last_row}"
    text = re.sub(rf'<{x}conditionalFormatting sqref="{start}(?::[A-Z]+\d+)?">(?:(?!</{x}conditionalFormatting>).)*?'
                  rf"<{x}colorScale>.*?</{x}conditionalFormatting>", "", text, flags=re.S)
    priorities = [int(p) for p in re.findall(r'<(?:\w+:)?cfRule\b[^>]*\bpriority="(\d+)"', text)]
    if over is None:
        scale = (f'<{x}cfvo type="num" val="{low:g}"/><{x}cfvo type="num" val="{high:g}"/>'
                 f'<{x}color rgb="FFFFFFFF"/><{x}color rgb="FFF8696B"/>')
    else:
        scale = (f'<{x}cfvo type="num" val="{low:g}"/><{x}cfvo type="num" val="{high:g}"/>'
                 f'<{x}cfvo type="num" val="{over:g}"/>'
                 f'<{x}color rgb="{FREE}"/><{x}color rgb="{BOOKED}"/><{x}color rgb="{OVERBOOKED}"/>')
    rule = (f'<{x}conditionalFormatting sqref="{sqref}"><{x}cfRule type="colorScale" '
            f'priority="{max(priorities, default=0) + 1}"><{x}colorScale>{scale}</{x}colorScale></{x}cfRule>'
            f"</{x}conditionalFormatting>")
    # CT_Worksheet order: conditionalFormatting comes after these and before the elements below.
    following = ("dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter",
                 "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags",
                 "drawing", "legacyDrawing", "legacyDrawingHF", "picture", "oleObjects", "controls",
                 "webPublishItems", "tableParts", "extLst")
    earlier = list(re.finditer(rf"</{x}conditionalFormatting>", text))
    if earlier:
        at = earlier[-1].end()
    else:
        found = [m.start() for name in following if (m := re.search(rf"<{x}{name}\b", text))]
        at = min(found) if found else text.rindex(f"</{x}worksheet>")
    editor.write(table.sheet_part, text[:at] + rule + text[at:])


def set_column_widths(editor: PackageEditor, table: TableLocation, widths: dict[int, float]) -> None:
    """Give the columns of ``table``'s sheet these widths (column number -> characters), replacing its ``<cols>``."""
    text = editor.text(table.sheet_part)
    x = prefix_of(text, "worksheet")
    cols = f"<{x}cols>" + "".join(f'<{x}col min="{c}" max="{c}" width="{w:g}" customWidth="1"/>'
                                  for c, w in sorted(widths.items())) + f"</{x}cols>"
    text = re.sub(rf"<{x}cols>.*?</{x}cols>|<{x}cols/>", "", text, count=1, flags=re.S)
    at = text.index(f"<{x}sheetData")  # CT_Worksheet: cols comes just before sheetData
    editor.write(table.sheet_part, text[:at] + cols + text[at:])
