"""The committed workbooks are exactly what the code builds today.

Regenerate them with:
    ilt-xl new workbooks/ilt_planner.xlsx --force
    ilt-xl new workbooks/ilt_planner_example.xlsx --example --force
The builder pins the package timestamps, so an unchanged build gives identical bytes; when the
bytes differ, the content (cells and formulas, number formats, tables, names, validations,
conditional formats, charts) must still be the same, and the first differences are listed.
"""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from typer.testing import CliRunner

from ilt_xl.cli import app
from ilt_xl.workbook.builder import build_planner

WORKBOOKS = Path(__file__).resolve().parent.parent / "workbooks"
REGENERATE = "regenerate with: ilt-xl new workbooks/ilt_planner.xlsx --force; " \
             "ilt-xl new workbooks/ilt_planner_example.xlsx --example --force"


def content(path: Path) -> dict[str, object]:
    """Everything a user sees or Excel checks, as comparable plain data, by (sheet, aspect)."""
    wb = openpyxl.load_workbook(path)
    out: dict[str, object] = {
        ("workbook", "sheets"): wb.sheetnames,
        ("workbook", "names"): sorted((n, d.attr_text) for n, d in wb.defined_names.items()),
    }
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None or c.has_style:
                    cells[c.coordinate] = (c.value, c.number_format, c.protection.locked)
        out[(ws.title, "cells")] = cells
        out[(ws.title, "tables")] = sorted(
            (t.name, t.ref, [(col.name, col.calculatedColumnFormula.attr_text if col.calculatedColumnFormula else None)
                             for col in t.tableColumns]) for t in ws.tables.values())
        out[(ws.title, "validations")] = sorted(
            (str(v.sqref), v.type, v.formula1, v.formula2, v.errorStyle) for v in ws.data_validations.dataValidation)
        out[(ws.title, "conditional formats")] = sorted(
            (str(cf.sqref), r.type, r.operator, tuple(r.formula)) for cf in ws.conditional_formatting for r in cf.rules)
        out[(ws.title, "view")] = (ws.freeze_panes, sorted((k, d.width) for k, d in ws.column_dimensions.items()))
        out[(ws.title, "charts")] = len(ws._charts)
    return out


def differences(expected: dict, got: dict, limit: int = 15) -> list[str]:
    found = []
    for key in expected.keys() | got.keys():
        a, b = expected.get(key), got.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            for cell in sorted(a.keys() | b.keys()):
                if a.get(cell) != b.get(cell):
                    found.append(f"{key[0]}!{cell}: code builds {a.get(cell)!r}, committed has {b.get(cell)!r}")
        else:
            found.append(f"{key}: code builds {a!r}, committed has {b!r}")
        if len(found) >= limit:
            break
    return found[:limit]


@pytest.mark.parametrize("name, data", [
    ("ilt_planner.xlsx", None),
    ("ilt_planner_example.xlsx", "example"),
])
def test_committed_workbook_is_up_to_date(tmp_path, name, data):
    committed = WORKBOOKS / name
    assert committed.exists(), f"{committed} is missing; {REGENERATE}"
    fresh = tmp_path / name
    result = CliRunner().invoke(app, ["new", str(fresh)] + (["--example"] if data == "example" else []))
    assert result.exit_code == 0, result.output
    if fresh.read_bytes() == committed.read_bytes():
        return
    diff = differences(content(fresh), content(committed))
    assert not diff, f"{name} is out of date with the code; {REGENERATE}\n" + "\n".join(diff)


def test_comparison_notices_a_changed_formula(tmp_path):
    """The content comparison must be able to fail."""
    path = build_planner(tmp_path / "a.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["Sessions"]["V2"] = "=1"
    wb.save(tmp_path / "b.xlsx")
    assert any("Sessions!V2" in d for d in differences(content(path), content(tmp_path / "b.xlsx")))
