"""A command whose table would be too large to rewrite within 2 GB refuses before writing anything
(issue 14, item 15), with exit 2 and a message naming the table, the cell count and the limit."""
from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from ilt_xl.cli.app import app
from ilt_xl.workbook import headless

EXAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "ilt_planner_example.xlsx"


def test_a_table_over_the_cell_limit_is_refused_before_any_output(tmp_path, monkeypatch):
    plan = tmp_path / "plan.xlsx"
    shutil.copyfile(EXAMPLE, plan)
    before = plan.read_bytes()
    monkeypatch.setattr(headless, "MAX_WRITTEN_CELLS", 1_000)
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(app, ["allocate", str(plan), "-o", str(out)])
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert "table Allocation" in message and "over the 1,000 cells" in message and "nothing was written" in message
    assert not out.exists() and plan.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.xlsx"]    # no temporary file left


def test_the_same_table_under_the_limit_is_written(tmp_path):
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(app, ["allocate", str(EXAMPLE), "-o", str(out)])
    assert result.exit_code in (0, 1), result.output
    assert out.exists()
