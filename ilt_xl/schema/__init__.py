"""The one schema of the planner workbook: settings, tables, columns and formulas."""
from ilt_xl.schema.planner import (
    ALLOCATION_KEYS,
    CONFLICT_KINDS,
    CURRENCIES,
    PLANNER,
    STATUSES,
    TASK_STATUSES,
    UNALLOCATED,
)
from ilt_xl.schema.types import Column, ColumnType, Schema, Setting, Table

__all__ = [
    "ALLOCATION_KEYS", "CONFLICT_KINDS", "CURRENCIES", "PLANNER", "STATUSES", "TASK_STATUSES",
    "UNALLOCATED", "Column", "ColumnType", "Schema", "Setting", "Table",
]
