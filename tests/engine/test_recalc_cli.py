"""``ilt-xl recalc`` and ``ilt-xl batch`` from the command line (exit codes, outputs, summaries)."""
from __future__ import annotations

import hashlib

import openpyxl
import pytest
from typer.testing import CliRunner

from ilt_xl.cli import app

runner = CliRunner()


def _book(path, factor=2):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["A2"] = factor, "=A1*10"
    wb.save(path)


def test_recalc_writes_the_default_copy_and_never_the_input(tmp_path):
    src = tmp_path / "plan.xlsx"
    _book(src)
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    # 80 columns, as a pipe has: the summary is still one line, whatever the temporary path's length
    res = runner.invoke(app, ["recalc", str(src), "--today", "2025-01-02"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    out = tmp_path / "plan.recalc.xlsx"
    assert openpyxl.load_workbook(out, data_only=True).active["A2"].value == 20
    assert hashlib.sha256(src.read_bytes()).hexdigest() == digest
    [summary] = res.output.splitlines()
    assert f"{src} -> {out}: 1 cell computed, 0 kept as cached; 1 formula cell in 1 run" in summary


def test_recalc_refuses_to_overwrite_the_input_without_in_place(tmp_path):
    src = tmp_path / "plan.xlsx"
    _book(src)
    res = runner.invoke(app, ["recalc", str(src), "-o", str(src)])
    assert res.exit_code == 3
    res = runner.invoke(app, ["recalc", str(src), "--in-place"])
    assert res.exit_code == 0
    assert openpyxl.load_workbook(src, data_only=True).active["A2"].value == 20


def test_recalc_reports_error_cells_and_bad_input(tmp_path):
    src = tmp_path / "err.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "=1/0"
    wb.save(src)
    res = runner.invoke(app, ["recalc", str(src)])
    assert res.exit_code == 0, res.output          # an error value is a result: listed, not a failure
    assert "Sheet!A1" in res.output and "#DIV/0!" in res.output
    res = runner.invoke(app, ["recalc", str(src), "--strict", "--force"])
    assert res.exit_code == 1
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    res = runner.invoke(app, ["recalc", str(bad)])
    assert res.exit_code == 2
    assert not (tmp_path / "bad.recalc.xlsx").exists()
    res = runner.invoke(app, ["recalc", str(src), "--today", "yesterday"])
    assert res.exit_code == 2


def _batch_inputs(tmp_path):
    folder = tmp_path / "plans"
    folder.mkdir()
    for i in range(3):
        _book(folder / f"p{i}.xlsx", factor=i + 1)
    (folder / "broken.xlsx").write_bytes(b"garbage")
    return folder


def test_batch_skips_a_corrupt_workbook_and_does_the_rest(tmp_path):
    folder = _batch_inputs(tmp_path)
    out = tmp_path / "out"
    res = runner.invoke(app, ["batch", str(folder / "*.xlsx"), "--out", str(out), "--workers", "2"])
    assert res.exit_code == 1, res.output
    assert "broken.xlsx" in res.output and "3 of 4 workbooks recalculated" in res.output
    for i in range(3):
        assert openpyxl.load_workbook(out / f"p{i}.xlsx", data_only=True).active["A2"].value == (i + 1) * 10
    assert not (out / "broken.xlsx").exists()


@pytest.mark.slow
def test_batch_on_a_dask_local_cluster(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    folder = _batch_inputs(tmp_path)
    out = tmp_path / "out"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        res = runner.invoke(app, ["batch", str(folder / "*.xlsx"), "--out", str(out), "--scheduler", cluster.scheduler_address])
    assert res.exit_code == 1, res.output
    assert "3 of 4 workbooks recalculated" in res.output
    assert openpyxl.load_workbook(out / "p2.xlsx", data_only=True).active["A2"].value == 30


def test_an_unforeseen_engine_failure_is_one_message_and_no_output(tmp_path, monkeypatch):
    import ilt_xl.engine.recalc as engine

    def broken(*args, **kwargs):
        raise ValueError("could not broadcast input array from shape (14,) into shape (13,)")

    monkeypatch.setattr(engine, "recalculate", broken)
    src = tmp_path / "plan.xlsx"
    _book(src)
    res = runner.invoke(app, ["recalc", str(src)])
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert res.exit_code == 2
    assert "unexpected failure" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "plan.recalc.xlsx").exists()
