"""The ``xlwings.conf`` settings the planner needs for classic xlwings, as a sheet or a file.

Classic xlwings reads its settings from a sheet named ``xlwings.conf`` in the
workbook (key in column A, value in column B, no header), which overrides the
user's ``~/.xlwings/xlwings.conf`` file (lines ``"KEY","VALUE"``). The planner
only needs ``UDF MODULES``; everything else (interpreter, PYTHONPATH) stays the
user's choice. ``udfs/xlwings.conf`` holds the same lines as a file.
"""
from __future__ import annotations

SHEET = "xlwings.conf"
SETTINGS: tuple[tuple[str, str], ...] = (("UDF MODULES", "udfs.ilt_udfs"),)


def add_xlwings_conf_sheet(workbook) -> object:
    """Append the ``xlwings.conf`` sheet to an openpyxl ``workbook`` (write-only or not); returns it."""
    sheet = workbook.create_sheet(SHEET)
    for key, value in SETTINGS:
        sheet.append([key, value])
    return sheet


def conf_file_text() -> str:
    """The same settings as lines of an ``xlwings.conf`` file."""
    return "".join(f'"{key}","{value}"\n' for key, value in SETTINGS)
