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

from ilt_xl.workbook.date_styles import STYLES_PART
from ilt_xl.workbook.package_editor import (
    CT_TABLE, CT_WORKSHEET, REL_TABLE, REL_WORKSHEET, PackageEditor, TableLocation,
    free_part_name, insert_before_end, prefix_of,
)
from ilt_xl.xlsx import cell_address, column_letter
from ilt_xl.xlsx.namespaces import NS_DOC_REL, NS_MAIN

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


FREE, BOOKED, OVERBOOKED, LEAVE = "FFC6EFCE", "FFFFD966", "FFF8696B", "FF9BC2E6"
"""Availability's colours: green for a free week, amber for a fully booked one, red past it, blue for leave."""

def set_availability_colours(editor: PackageEditor, table: TableLocation, first_column: int, last_column: int,
                             last_row: int, *, full_week: float, over: float) -> None:
    """Colour Availability's week grid (``first_column``..``last_column``, rows 2..``last_row``), replacing the
    rules written here before (any conditional format whose range starts in the grid's first cell; others stay).

    In order, the first that holds wins (native rules, computed by Excel and LibreOffice as the cells change):
    a week with leave (the resource's Leave row has days there, and that Leave row itself) is blue; a blank week
    of an instructor or room is free (green); a booked week goes from green through amber at ``full_week`` days
    to red at ``over`` (a colour scale). Columns 1 and 2 hold Kind and Resource.
    """
    text = editor.text(table.sheet_part)
    x = prefix_of(text, "worksheet")           # the sheet's own prefix ("x:" as the Open XML SDK writes)
    start = cell_address(2, first_column)
    sqref = f"{start}:{column_letter(last_column)}{last_row}" if (last_row, last_column) != (2, first_column) else start
    text = re.sub(rf'<{x}conditionalFormatting sqref="{start}(?::[A-Z]+\d+)?">.*?</{x}conditionalFormatting>', "",
                  text, flags=re.S)
    first = priority = max([int(p) for p in re.findall(r'<(?:\w+:)?cfRule\b[^>]*\bpriority="(\d+)"', text)], default=0)
    cell, kinds, resources = start, f"$A$2:$A${last_row}", f"$B$2:$B${last_row}"
    week = f"{column_letter(first_column)}$2:{column_letter(first_column)}${last_row}"
    on_leave = f'COUNTIFS({kinds},"Leave",{resources},$B2,{week},">0")>0'
    free = f'AND($A2<>"Leave",{cell}="")'
    rules = []
    for formula, colour in ((on_leave, LEAVE), (free, FREE)) if editor.has(STYLES_PART) else ():
        priority += 1
        rules.append(f'<{x}cfRule type="expression" dxfId="{dxf_fill(editor, colour)}" priority="{priority}" '
                     f'stopIfTrue="1"><{x}formula>{escape(formula)}</{x}formula></{x}cfRule>')
    scale = (f'<{x}cfvo type="num" val="0"/><{x}cfvo type="num" val="{full_week:g}"/><{x}cfvo type="num" val="{over:g}"/>'
             f'<{x}color rgb="{FREE}"/><{x}color rgb="{BOOKED}"/><{x}color rgb="{OVERBOOKED}"/>')
    rules.append(f'<{x}cfRule type="colorScale" priority="{first + 3}"><{x}colorScale>{scale}</{x}colorScale></{x}cfRule>')
    rule = f'<{x}conditionalFormatting sqref="{sqref}">{"".join(rules)}</{x}conditionalFormatting>'
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


def dxf_fill(editor: PackageEditor, rgb: str) -> int:
    """Index of a differential style (what conditional formats apply) filling with ``rgb`` and nothing else:
    an existing one, else one appended to styles.xml (which changes only then)."""
    text = editor.text(STYLES_PART)
    x = prefix_of(text, "styleSheet")
    block = re.search(rf"<{x}dxfs\b[^>]*?(?:/>|>(.*?)</{x}dxfs>)", text, flags=re.S)
    dxfs = re.findall(rf"<{x}dxf\s*/>|<{x}dxf>.*?</{x}dxf>", block.group(1) or "", flags=re.S) if block else []
    for index, dxf in enumerate(dxfs):
        if f'rgb="{rgb}"' in dxf and "bgColor" in dxf and not re.search(rf"<{x}(?:font|numFmt|border)\b", dxf):
            return index
    dxfs.append(f'<{x}dxf><{x}fill><{x}patternFill patternType="solid"><{x}bgColor rgb="{rgb}"/></{x}patternFill>'
                f"</{x}fill></{x}dxf>")
    element = f'<{x}dxfs count="{len(dxfs)}">{"".join(dxfs)}</{x}dxfs>'
    if block:
        text = text[:block.start()] + element + text[block.end():]
    else:  # CT_Stylesheet order: dxfs come before these
        found = [m.start() for name in ("tableStyles", "colors", "extLst") if (m := re.search(rf"<{x}{name}\b", text))]
        at = min(found) if found else text.rindex(f"</{x}styleSheet>")
        text = text[:at] + element + text[at:]
    editor.write(STYLES_PART, text)
    return len(dxfs) - 1


def set_column_widths(editor: PackageEditor, table: TableLocation, widths: dict[int, float]) -> None:
    """Give the columns of ``table``'s sheet these widths (column number -> characters), replacing its ``<cols>``."""
    text = editor.text(table.sheet_part)
    x = prefix_of(text, "worksheet")
    cols = f"<{x}cols>" + "".join(f'<{x}col min="{c}" max="{c}" width="{w:g}" customWidth="1"/>'
                                  for c, w in sorted(widths.items())) + f"</{x}cols>"
    text = re.sub(rf"<{x}cols>.*?</{x}cols>|<{x}cols/>", "", text, count=1, flags=re.S)
    at = text.index(f"<{x}sheetData")  # CT_Worksheet: cols comes just before sheetData
    editor.write(table.sheet_part, text[:at] + cols + text[at:])
