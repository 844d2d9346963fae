"""The building blocks of the planner schema: column types, columns, tables, settings.

A schema object says everything one place needs to know about a column, so the
template builder, the reader/validator and the docs never restate it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum


class ColumnType(Enum):
    """What a column holds, and so how it is formatted, read and checked."""

    TEXT = "text"
    ID = "id"
    INT = "int"
    NUMBER = "number"
    MONEY = "money"
    PERCENT = "percent"
    DATE = "date"
    TIME = "time"
    CURRENCY = "currency"
    COUNTRY = "country"
    BOOL = "bool"

    @property
    def is_numeric(self) -> bool:
        return self in (ColumnType.INT, ColumnType.NUMBER, ColumnType.MONEY, ColumnType.PERCENT)


NUMBER_FORMATS = {
    ColumnType.INT: "0",
    ColumnType.NUMBER: "0.00",
    ColumnType.MONEY: "#,##0.00",
    ColumnType.PERCENT: "0.0%",
    ColumnType.DATE: "yyyy-mm-dd",
    ColumnType.TIME: "hh:mm",
}

DEFAULT_WIDTHS = {
    ColumnType.TEXT: 24,
    ColumnType.ID: 12,
    ColumnType.DATE: 12,
    ColumnType.TIME: 8,
    ColumnType.CURRENCY: 10,
    ColumnType.COUNTRY: 9,
    ColumnType.MONEY: 14,
}

_THIS_ROW = re.compile(r"\[@(\[[^\]]+\]|[^\[\]]+)\]")


@dataclass(frozen=True)
class Column:
    """One column of a planner table.

    ``references`` names the key column another table's values must come from
    (``"Courses.CourseId"``). ``formula`` makes the column calculated; it is
    written in the short form (``[@Registered]``) and expanded to the long form
    Excel stores by :meth:`Table.formula_of`.
    """

    name: str
    type: ColumnType
    description: str
    required: bool = False
    allowed: tuple[str, ...] = ()
    references: str | None = None
    unique: bool = False
    minimum: float | None = None
    formula: str | None = None
    number_format: str | None = None
    width: int | None = None

    @property
    def calculated(self) -> bool:
        return self.formula is not None

    @property
    def format(self) -> str:
        return self.number_format or NUMBER_FORMATS.get(self.type, "General")

    @property
    def display_width(self) -> int:
        return self.width or max(DEFAULT_WIDTHS.get(self.type, 12), len(self.name) + 3)

    @property
    def referenced_table(self) -> str | None:
        return self.references.split(".")[0] if self.references else None

    @property
    def referenced_column(self) -> str | None:
        return self.references.split(".")[1] if self.references else None


@dataclass(frozen=True)
class Table:
    """A planner sheet holding one Excel table of the same name.

    ``written_by`` names the command that fills the table (its rows are not typed
    by hand); ``None`` means users type the rows. A row whose ``row_key`` cell is
    blank is an empty row: every calculated column shows a blank there, not an
    error (:meth:`formula_of` wraps the formulas).
    """

    name: str
    description: str
    columns: tuple[Column, ...]
    written_by: str | None = None
    tab_color: str | None = None
    row_key: str | None = None
    added_later: bool = False
    """A table planners made before it existed lack: reading them only warns, and reads it empty."""

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name} declares a column twice")
        if self.row_key is not None and self.row_key not in names:
            raise ValueError(f"table {self.name} has no row key column {self.row_key}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def input_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.calculated)

    @property
    def calculated_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.calculated)

    @property
    def key(self) -> Column | None:
        return next((c for c in self.columns if c.unique), None)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name}")

    def formula_of(self, name: str) -> str:
        """The column's formula in the long form Excel stores in files:
        ``[@X]`` becomes ``Table[[#This Row],[X]]``; wrapped in ``IF(key="","",…)``
        when the table has a ``row_key``."""
        formula = self.column(name).formula
        if formula is None:
            raise ValueError(f"{self.name}.{name} is not calculated")
        if self.row_key is not None:
            formula = f'=IF([@{self.row_key}]="","",{formula[1:]})'
        return _THIS_ROW.sub(lambda m: f"{self.name}[[#This Row],[{m.group(1).strip('[]')}]]", formula)


@dataclass(frozen=True)
class Setting:
    """A named cell on the Settings sheet. ``formula`` overrides ``default``; an ``optional``
    setting came after the first planners, which read it as its default (with a warning)."""

    name: str
    type: ColumnType
    default: object
    description: str
    allowed: tuple[str, ...] = ()
    formula: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    optional: bool = False


@dataclass(frozen=True)
class Schema:
    """The whole planner: settings and tables, in sheet order."""

    settings: tuple[Setting, ...]
    tables: tuple[Table, ...] = field(default_factory=tuple)

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(f"the planner has no table {name}")

    def setting(self, name: str) -> Setting:
        for s in self.settings:
            if s.name == name:
                return s
        raise KeyError(f"the planner has no setting {name}")

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tables)
