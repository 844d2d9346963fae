"""Safe, low-level access to an .xlsx package: refuse unusable or hostile files with one clear
:class:`WorkbookError`, list sheets, defined names and Excel tables, and read cell values fast.

    with open_xlsx(path) as pkg:
        pkg.sheets, pkg.defined_names, pkg.tables
        grid = read_sheet_values(pkg, "Sessions", last_row=pkg.table("Sessions").ref.last_row)
"""
from ilt_xl.xlsx.cells import CellRange, cell_address, column_index, column_letter, parse_cell, split_sheet_reference
from ilt_xl.xlsx.errors import WorkbookError
from ilt_xl.xlsx.package import (
    DefinedName, SheetInfo, TableColumn, TableInfo, XlsxPackage, not_regular_reason, open_xlsx,
)
from ilt_xl.xlsx.values import SheetValues, read_sheet_values

__all__ = [
    "CellRange", "DefinedName", "SheetInfo", "SheetValues", "TableColumn", "TableInfo", "WorkbookError",
    "XlsxPackage", "cell_address", "column_index", "column_letter", "not_regular_reason", "open_xlsx", "parse_cell",
    "read_sheet_values", "split_sheet_reference",
]
