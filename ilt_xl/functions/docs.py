"""The worksheet-function reference of the README, generated from the registry."""
from __future__ import annotations

from collections.abc import Mapping

from ilt_xl.functions.registry import FunctionSpec
from ilt_xl.schema.docs import cell


def function_reference(specs: Mapping[str, FunctionSpec]) -> str:
    """A Markdown table of every ILT_* function: signature, category, what it returns."""
    lines = ["| Function | Category | Returns |", "|---|---|---|"]
    for name in sorted(specs):
        spec = specs[name]
        lines.append(f"| `{cell(spec.signature_text())}` | {spec.category} | {cell(spec.description)} |")
    return "\n".join(lines)
