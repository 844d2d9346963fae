"""The planner's look: fills, fonts, cell styles and page setup shared by the builder and the dashboard.

Input cells are unlocked and plain; calculated cells are locked and shaded, so that a user who
turns sheet protection on can still type every input but no formula. Headers are styled on the
cells as well as by the table style, because LibreOffice does not draw Excel table styles.
"""
from __future__ import annotations

from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.styles.differential import DifferentialStyle

TABLE_STYLE = "TableStyleMedium2"

CALCULATED_FILL = PatternFill("solid", fgColor="E7E6E6")
INPUT_PROTECTION = Protection(locked=False)
LOCKED = Protection(locked=True)

HEADER_FONT = Font(bold=True, color="FFFFFF")
INPUT_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
CALCULATED_HEADER_FILL = PatternFill("solid", fgColor="595959")
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
# Text one character in from the left, so that it never touches a right-aligned number beside it
# ("2023 SALES" read as one value); numbers keep Excel's right alignment.
TEXT_ALIGNMENT = Alignment(horizontal="left", indent=1)

TITLE_FONT = Font(bold=True, size=16, color="1F3864")
SECTION_FONT = Font(bold=True, size=12, color="1F3864")
LABEL_FONT = Font(bold=True)
NOTE_FONT = Font(italic=True, color="595959")

# Differential styles for conditional formats.
ALERT = DifferentialStyle(font=Font(bold=True, color="9C0006"), fill=PatternFill("solid", bgColor="FFC7CE"))
WARNING = DifferentialStyle(font=Font(color="9C5700"), fill=PatternFill("solid", bgColor="FFEB9C"))


def landscape(ws, fit_width: bool = False) -> None:
    """Print ``ws`` in landscape (on the printer's paper), optionally scaled to one page wide (as many
    pages down as it takes)."""
    ws.page_setup.orientation = "landscape"
    if fit_width:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0


def print_table(ws, key_columns: int = 1) -> None:
    """Print a table sheet ready to read on paper: landscape, one page wide, the header row and the
    first ``key_columns`` columns (the ids) repeated on every page, narrow margins, page numbers."""
    landscape(ws, fit_width=True)
    ws.print_title_rows = "1:1"
    if key_columns:
        ws.print_title_cols = f"A:{chr(ord('A') + key_columns - 1)}"
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top, ws.page_margins.bottom, ws.page_margins.footer = 0.6, 0.8, 0.3
    ws.oddFooter.center.text = "&A - page &P of &N"
