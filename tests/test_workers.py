"""Steps run in worker processes (:mod:`ilt_xl.workers`): refresh, scenario and ``new --example``
give the same files, messages and exit codes whether a step runs in a worker or in the command's
own process; a worker's failures, its time limit and a stopped command are handled."""
from __future__ import annotations

import datetime as dt
import os
import pickle
import signal
import time
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

import broken_workbooks as bw
from ilt_xl import workers
from ilt_xl.cli.app import app
from ilt_xl.engine.recalc import recalculate
from ilt_xl.workbook.problems import PlannerHasErrors
from ilt_xl.workbook.refresh import refresh
from ilt_xl.xlsx import WorkbookError

EXAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "ilt_planner_example.xlsx"
TODAY = "2026-06-15"
runner = CliRunner(env={"COLUMNS": "200"})


def invoke(*args) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def in_workers(monkeypatch):
    """Every workbook counts as large: each step runs in a worker process."""
    monkeypatch.setattr(workers, "ISOLATE_ABOVE", 0)


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_the_example_is_small_enough_for_one_process_and_a_larger_one_is_not(tmp_path):
    assert not workers.worth_isolating(EXAMPLE)
    assert not workers.worth_isolating(tmp_path / "missing.xlsx") and not workers.worth_isolating(tmp_path)
    fifo = tmp_path / "fifo.xlsx"
    os.mkfifo(fifo)
    assert not workers.worth_isolating(fifo), "a FIFO is never opened (it would block)"


def test_refresh_in_workers_writes_the_same_bytes_as_in_one_process(tmp_path):
    day = dt.date.fromisoformat(TODAY)
    here = refresh(EXAMPLE, tmp_path / "here.xlsx", today=day, isolated=False)
    phases = []
    there = refresh(EXAMPLE, tmp_path / "there.xlsx", today=day, isolated=True, phase=phases.append)
    assert (tmp_path / "here.xlsx").read_bytes() == (tmp_path / "there.xlsx").read_bytes()
    assert here.tables == there.tables and here.problems == there.problems
    assert there.recalc.cells_computed == here.recalc.cells_computed > 30_000
    assert there.recalc.error_cells == here.recalc.error_cells and there.recalc.problems == here.recalc.problems
    # the workers' phases reach the progress display, in order
    assert phases[0] == f"Reading {EXAMPLE.name}" and "Refreshing Allocation" in phases
    assert phases[-3:] == ["Recalculating: loading", "Recalculating: computing", "Recalculating: writing"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here.xlsx", "there.xlsx"], "no staged copy left"


def test_scenario_in_workers_writes_the_same_files_and_report(tmp_path, monkeypatch):
    args = ["--fx", "USD=+10%", "--today", TODAY]
    here = invoke("scenario", EXAMPLE, "-o", tmp_path / "here", *args)
    monkeypatch.setattr(workers, "ISOLATE_ABOVE", 0)
    there = invoke("scenario", EXAMPLE, "-o", tmp_path / "there", *args)
    assert here[0] == there[0] == 0
    assert here[1].replace(str(tmp_path / "here"), "OUT") == there[1].replace(str(tmp_path / "there"), "OUT")
    assert files(tmp_path / "here") == files(tmp_path / "there")
    assert len(files(tmp_path / "here")) == 3     # baseline, what-if, diff report


@pytest.mark.parametrize("command", ["refresh", "scenario"])
def test_a_planner_with_errors_is_refused_alike_in_a_worker(command, tmp_path, monkeypatch):
    rows = bw.planner_rows()
    rows["Sessions"][1]["RoomId"] = "R9"
    plan = bw.write_planner(tmp_path / "p.xlsx", rows)
    extra = ["-o", tmp_path / "s", "--room-rate", "+5%"] if command == "scenario" else []
    here = invoke(command, plan, *extra)
    monkeypatch.setattr(workers, "ISOLATE_ABOVE", 0)
    there = invoke(command, plan, *extra)
    assert here == there and here[0] == 1
    assert f"{plan}: Sessions!J3: RoomId: error:" in there[1] and f"{command} refused, nothing written" in there[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.xlsx"]


@pytest.mark.parametrize("command", ["refresh", "scenario"])
def test_a_damaged_planner_is_refused_alike_in_a_worker(command, tmp_path, monkeypatch):
    plan = bw.replace_in_part(bw.write_planner(tmp_path / "p.xlsx"), bw.sheet_part("Sessions"), b"</sheetData>",
                              b"<row></sheetData>")
    extra = ["-o", tmp_path / "s", "--room-rate", "+5%"] if command == "scenario" else []
    here = invoke(command, plan, *extra)
    monkeypatch.setattr(workers, "ISOLATE_ABOVE", 0)
    there = invoke(command, plan, *extra)
    assert here == there and here[0] == 2 and f"Cannot use {plan}" in there[1]
    assert "Traceback" not in there[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.xlsx"]


def test_an_unknown_fx_currency_is_a_bad_option_in_a_worker_too(tmp_path, in_workers):
    code, output = invoke("scenario", EXAMPLE, "-o", tmp_path / "s", "--fx", "XYZ=+10%")
    assert code == 2 and "Bad scenario option: unknown currency XYZ" in " ".join(output.split())
    assert not (tmp_path / "s").exists()


def test_the_time_limit_applies_in_a_worker(tmp_path):
    here = recalculate(EXAMPLE, tmp_path / "here.xlsx", today=dt.date(2026, 6, 15), timeout=1e-9)
    there = workers.run(recalculate, EXAMPLE, tmp_path / "there.xlsx", today=dt.date(2026, 6, 15), timeout=1e-9,
                        isolated=True)
    assert there.kept_count == here.kept_count > 0 and there.kept_by_kind() == {"time limit": here.kept_count}
    assert (tmp_path / "here.xlsx").read_bytes() == (tmp_path / "there.xlsx").read_bytes()


def test_exceptions_come_back_from_a_worker_as_they_were_raised(tmp_path):
    for exc in (WorkbookError(tmp_path / "a.xlsx", "not a workbook"), PlannerHasErrors("refresh", [], "detail")):
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is type(exc) and str(back) == str(exc) and back.__dict__ == exc.__dict__
    with pytest.raises(WorkbookError) as raised:
        workers.run_isolated(recalculate, tmp_path / "missing.xlsx", tmp_path / "out.xlsx")
    assert raised.value.file == str(tmp_path / "missing.xlsx")
    with pytest.raises(FileNotFoundError):
        workers.run_isolated(Path.read_bytes, tmp_path / "missing")


def test_workers_are_spawned_where_there_is_no_forkserver(tmp_path, monkeypatch):
    """Windows has only ``spawn``: the same results and the same exceptions come back."""
    import multiprocessing

    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert workers._context().get_start_method() == "spawn"
    (tmp_path / "a").write_bytes(b"bytes")
    assert workers.run_isolated(Path.read_bytes, tmp_path / "a") == b"bytes"
    with pytest.raises(FileNotFoundError):
        workers.run_isolated(Path.read_bytes, tmp_path / "missing")


def test_a_worker_that_dies_is_reported_not_waited_for():
    with pytest.raises(workers.WorkerLost, match="ended without a result"):
        workers.run_isolated(os.abort)


def _sleep_after_writing_pid(path: Path) -> None:
    path.write_text(str(os.getpid()))
    time.sleep(60)


class _Stopped(Exception):
    pass


def test_a_stopped_command_ends_its_worker(tmp_path):
    def stop(signum, frame):
        raise _Stopped
    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(3)
    started = time.monotonic()
    try:
        with pytest.raises(_Stopped):
            workers.run_isolated(_sleep_after_writing_pid, tmp_path / "pid")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - started < 30, "the worker was not waited for"
    pid = int((tmp_path / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_new_example_built_in_workers_is_the_committed_example(tmp_path, monkeypatch):
    from ilt_xl.cli import new as new_command

    monkeypatch.setattr(new_command, "_BUILT_IN_A_WORKER_ABOVE", 0)
    monkeypatch.setattr(workers, "ISOLATE_ABOVE", 0)
    code, output = invoke("new", tmp_path / "there.xlsx", "--example")
    assert code == 0 and "(600 sessions, seed 2026)" in output
    with zipfile.ZipFile(EXAMPLE) as a, zipfile.ZipFile(tmp_path / "there.xlsx") as b:
        assert a.namelist() == b.namelist()
        assert all(a.read(n) == b.read(n) for n in a.namelist()), "every part the same (zip dates may differ)"


def test_apply_reads_the_planner_in_a_worker_and_writes_the_same_bytes(tmp_path, monkeypatch):
    """A large planner's apply stages its copy in one worker and recalculates it in another, as refresh
    does: the command's own process never reads the planner, so its tables are not held while the
    engine recalculates (at 200,000 sessions both in one process took 2,231 MB)."""
    from ilt_xl.workbook import proposals
    from ilt_xl.workbook.headless import run_macro

    proposed = tmp_path / "proposed.xlsx"
    assert run_macro("optimise", EXAMPLE, proposed).rows > 0
    here = invoke("apply", proposed, "-o", tmp_path / "here.xlsx", "--today", TODAY)

    def read_here(*args, **kwargs):
        raise AssertionError("the planner was read in the command's own process")

    monkeypatch.setattr(proposals, "read_valid", read_here)
    monkeypatch.setattr(workers, "ISOLATE_ABOVE", 0)
    there = invoke("apply", proposed, "-o", tmp_path / "there.xlsx", "--today", TODAY)
    assert here[0] == there[0] == 0 and "proposal(s) applied" in here[1]
    assert here[1].replace("here.xlsx", "OUT") == there[1].replace("there.xlsx", "OUT")
    assert (tmp_path / "here.xlsx").read_bytes() == (tmp_path / "there.xlsx").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here.xlsx", "proposed.xlsx", "there.xlsx"]
