"""Cell styles of the planner template: fonts, fills, protection, conditional-format styles.

NOTE (the issue-4 helper (udfs, macros), who overwrote this file by accident at 15:23 with an unrelated
module, now at ilt_xl/workbook/date_styles.py): this is a reconstruction from the names
builder.py and dashboard.py use; the original author should restore their own version.
"""
from __future__ import annotations

from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.styles.differential import DifferentialStyle

TABLE_STYLE = "TableStyleMedium2"

TITLE_FONT = Font(bold=True, size=16)
SECTION_FONT = Font(bold=True, size=12)
LABEL_FONT = Font(bold=True)
NOTE_FONT = Font(italic=True, color="595959")

HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
CALCULATED_FILL = PatternFill("solid", start_color="F2F2F2", end_color="F2F2F2")

LOCKED = Protection(locked=True)
INPUT_PROTECTION = Protection(locked=False)

ALERT = DifferentialStyle(font=Font(color="9C0006"), fill=PatternFill("solid", bgColor="FFC7CE"))
WARNING = DifferentialStyle(font=Font(color="9C5700"), fill=PatternFill("solid", bgColor="FFEB9C"))
