"""A workbook too large to read is refused in words that say so, not as a zip bomb."""
from __future__ import annotations

from pathlib import Path

import pytest

from ilt_xl.workbook.reader import read_planner
from ilt_xl.xlsx import WorkbookError, safezip

EXAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "ilt_planner_example.xlsx"


def test_a_part_over_the_limit_that_compresses_as_xml_is_too_large_not_a_bomb(monkeypatch):
    monkeypatch.setattr(safezip, "MAX_PART_BYTES", 200_000)     # the example's Sessions sheet is larger
    with pytest.raises(WorkbookError) as refused:
        read_planner(EXAMPLE)
    assert "too large" in refused.value.reason and "zip bomb" not in refused.value.reason
    assert "xl/worksheets/" in refused.value.reason


def test_new_example_too_large_for_the_engine_exits_2_without_a_traceback(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from ilt_xl.cli.app import app

    monkeypatch.setattr(safezip, "MAX_PART_BYTES", 200_000)
    target = tmp_path / "big.xlsx"
    result = CliRunner().invoke(app, ["new", str(target), "--example", "--sessions", "300", "-q"])
    assert result.exit_code == 2, result.output     # an uncaught exception would exit 1
    assert "too large" in result.output and "Traceback" not in result.output
    assert not target.exists() and list(tmp_path.iterdir()) == [], "nothing written, nothing left behind"
