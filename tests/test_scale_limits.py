"""A command whose table cannot fit a worksheet refuses before writing anything (issue 14, item
15), with exit 2 and a message naming the table and the limit; below it, the table is streamed
into the sheet (no cell-count limit: 200,000 sessions' Allocation, 6.4 million cells, is written
within 2 GB, see benchmarks/scale.md)."""
from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from ilt_xl.cli.app import app
from ilt_xl.workbook import sheet_writer

EXAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "ilt_planner_example.xlsx"


def test_a_table_past_the_last_row_is_refused_before_any_output(tmp_path, monkeypatch):
    plan = tmp_path / "plan.xlsx"
    shutil.copyfile(EXAMPLE, plan)
    before = plan.read_bytes()
    # Excel's 1,048,576 rows, lowered so that the example's Allocation is past them
    monkeypatch.setattr(sheet_writer, "MAX_ROWS", 1_000)
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(app, ["allocate", str(plan), "-o", str(out)])
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert "table Allocation" in message and "past a worksheet's 1,000 rows" in message
    assert "nothing was written" in message
    assert not out.exists() and plan.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.xlsx"]    # no temporary file left


def test_the_same_table_within_the_sheet_is_written(tmp_path):
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(app, ["allocate", str(EXAMPLE), "-o", str(out)])
    assert result.exit_code in (0, 1), result.output
    assert out.exists()
