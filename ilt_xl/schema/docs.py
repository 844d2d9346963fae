"""The column reference of the README, generated from the schema."""
from __future__ import annotations

from ilt_xl.schema.types import Column, Schema


def _rule(column: Column) -> str:
    parts = []
    if column.calculated:
        parts.append("calculated")
    if column.required:
        parts.append("required")
    if column.unique:
        parts.append("unique")
    if column.references:
        parts.append(f"from {column.references}")
    if column.allowed and len(column.allowed) <= 7:
        parts.append("one of " + ", ".join(column.allowed))
    if column.minimum is not None:
        parts.append(f">= {column.minimum:g}")
    return "; ".join(parts)


def cell(text: str) -> str:
    """``text`` made safe for a Markdown table cell."""
    return text.replace("|", "\\|")


def column_reference(schema: Schema) -> str:
    """Markdown tables describing every setting and column."""
    lines = ["### Settings (named cells)", "", "| Name | Type | Default | Meaning |", "|---|---|---|---|"]
    for s in schema.settings:
        default = s.formula or ("" if s.default is None else str(s.default))
        lines.append(f"| `{s.name}` | {s.type.value} | {cell(default)} | {cell(s.description)} |")
    for table in schema.tables:
        lines += ["", f"### {table.name}", "", table.description]
        if table.written_by:
            lines += ["", f"Rows are written by `ilt-xl {table.written_by}`."]
        lines += ["", "| Column | Type | Rules | Meaning |", "|---|---|---|---|"]
        for c in table.columns:
            lines.append(f"| `{c.name}` | {c.type.value} | {cell(_rule(c))} | {cell(c.description)} |")
    return "\n".join(lines)
