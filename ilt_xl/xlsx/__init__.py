"""Safe, low-level access to an .xlsx package: refuse unusable or hostile files with one clear
:class:`WorkbookError`, list sheets, defined names and Excel tables, and read cell values fast.

    with open_xlsx(path) as pkg:
        pkg.sheets, pkg.defined_names, pkg.tables
        grid = read_sheet_values(pkg, "Sessions", last_row=pkg.table("Sessions").ref.last_row)
"""
import importlib

from ilt_xl.xlsx.cells import CellRange, cell_address, column_index, column_letter, parse_cell, split_sheet_reference
from ilt_xl.xlsx.errors import WorkbookError

# The package and value readers need python-calamine, which xlwings Lite does not have: they load on first use,
# so Lite code can import the pure modules (ilt_xl.xlsx.cells) without it.
_LAZY = {
    **dict.fromkeys(("DefinedName", "SheetInfo", "TableColumn", "TableInfo", "XlsxPackage", "not_regular_reason",
                     "open_xlsx"), "ilt_xl.xlsx.package"),
    **dict.fromkeys(("SheetValues", "read_sheet_values"), "ilt_xl.xlsx.values"),
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CellRange", "DefinedName", "SheetInfo", "SheetValues", "TableColumn", "TableInfo", "WorkbookError",
    "XlsxPackage", "cell_address", "column_index", "column_letter", "not_regular_reason", "open_xlsx", "parse_cell",
    "read_sheet_values", "split_sheet_reference",
]
