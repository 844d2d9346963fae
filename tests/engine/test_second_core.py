"""Sheets scanned by a helper process (ilt_xl/engine/second_core.py) give the model, the output and
the errors the load in one process gives: the helper is only ever a speed-up."""
from __future__ import annotations

import datetime as dt
import os

import numpy as np
import pytest
from handmade import write_xlsx

from ilt_xl.engine import second_core, workbook_model
from ilt_xl.engine.recalc import recalculate
from ilt_xl.engine.values import ERRORS
from ilt_xl.engine.workbook_model import load_workbook_model
from ilt_xl.xlsx import WorkbookError


def _rows(tag: int, rows: int = 40) -> str:
    """Text, numbers, a shared formula, a formula of its own and an error value per row, a hidden row."""
    out = []
    for r in range(1, rows + 1):
        f = f'<f t="shared" ref="C1:C{rows}" si="0">B1*{tag}</f>' if r == 1 else '<f t="shared" si="0"/>'
        hidden = ' hidden="1"' if r == 7 else ""
        out.append(f'<row r="{r}"{hidden}><c r="A{r}" t="inlineStr"><is><t>s{tag}-{r % 3}</t></is></c>'
                   f'<c r="B{r}"><v>{r}.25</v></c><c r="C{r}">{f}<v>0</v></c>'
                   f'<c r="D{r}" t="str"><f>A{r}&amp;"!"</f><v>x</v></c><c r="E{r}" t="e"><v>#N/A</v></c></row>')
    return "".join(out)


SHEETS = {f"S{k}": _rows(k, 20 + 15 * k) for k in range(1, 6)}
DAMAGE = '<row r="99"><c r="A99"><v>1</v></c></rw>'


@pytest.fixture
def helper_takes(monkeypatch):
    """``helper_takes([1, 3])``: the helper scans those worksheets (positions), whatever their size,
    and this process claims none of them (it does the others after the helper's); gives the list of
    whether each result the load took from the helper was delivered."""
    taken = []
    original = second_core.HelperScan.results

    def results(self, wait):
        for k, cells in original(self, wait):
            taken.append(cells is not None)
            yield k, cells

    monkeypatch.setattr(second_core.HelperScan, "results", results)

    def take(positions):
        monkeypatch.setattr(workbook_model, "claim_order", lambda sizes: [k for k in positions if k < len(sizes)])
        monkeypatch.setattr(second_core.HelperScan, "claim", lambda self: None)
        return taken
    return take


def _same_model(a, b) -> None:
    assert [s.name for s in a.sheets] == [s.name for s in b.sheets]
    for x, y in zip(a.sheets, b.sheets):
        assert (x.part, x.index, x.part_crc, x.filter_mode) == (y.part, y.index, y.part_crc, y.filter_mode)
        assert x.hidden_rows.tolist() == y.hidden_rows.tolist()
        assert np.array_equal(x.grid.kind, y.grid.kind) and np.array_equal(x.grid.num, y.grid.num)
        assert x.grid.obj.tolist() == y.grid.obj.tolist()
        assert x.formulas.rows.tolist() == y.formulas.rows.tolist() and x.formulas.cols.tolist() == y.formulas.cols.tolist()
        assert list(x.formulas.texts) == list(y.formulas.texts)
        assert [bytes(b) for b in x.pieces.before.chunks] == [bytes(b) for b in y.pieces.before.chunks]


def test_sheets_from_the_helper_give_the_model_and_the_output_of_one_process(tmp_path, helper_takes):
    path = write_xlsx(tmp_path / "t.xlsx", SHEETS)
    alone = load_workbook_model(path)
    recalculate(path, tmp_path / "alone.xlsx", today=dt.date(2026, 11, 30))
    taken = helper_takes([1, 3, 4])
    helped = load_workbook_model(path)
    assert taken == [True, True, True]
    _same_model(alone, helped)
    # the engine's error values are its own objects, not copies (they are compared by identity)
    assert helped.sheets[1].grid.obj[0, 4] is ERRORS["#N/A"]
    recalculate(path, tmp_path / "helped.xlsx", today=dt.date(2026, 11, 30))
    assert (tmp_path / "helped.xlsx").read_bytes() == (tmp_path / "alone.xlsx").read_bytes()


@pytest.mark.parametrize("damaged, helper", [
    (["S2"], [1]),              # in the helper's share
    (["S2"], [2, 3]),           # in this process's share
    (["S2", "S4"], [3]),        # the earlier in this process, a later one in the helper's
    (["S2", "S4"], [1]),        # the earlier in the helper's share
    (["S1", "S5"], [0, 4]),     # both in the helper's
])
def test_a_damaged_sheet_is_refused_as_in_one_process(tmp_path, helper_takes, damaged, helper):
    sheets = {name: rows + (DAMAGE if name in damaged else "") for name, rows in SHEETS.items()}
    path = write_xlsx(tmp_path / "t.xlsx", sheets)
    with pytest.raises(WorkbookError) as alone:
        load_workbook_model(path)
    assert f"sheet {damaged[0]} " in str(alone.value)
    helper_takes(helper)
    with pytest.raises(WorkbookError) as helped:
        load_workbook_model(path)
    assert str(helped.value) == str(alone.value)


def test_a_helper_that_dies_leaves_its_sheets_to_this_process(tmp_path, helper_takes, monkeypatch):
    path = write_xlsx(tmp_path / "t.xlsx", SHEETS)
    alone = load_workbook_model(path)
    here = os.getpid()
    scan = workbook_model._scan

    def dying(pkg, name, part, budget):
        if os.getpid() != here and name == "S4":
            os._exit(3)         # killed in the middle of its work
        return scan(pkg, name, part, budget)

    monkeypatch.setattr(workbook_model, "_scan", dying)
    taken = helper_takes([1, 3, 4])
    _same_model(alone, load_workbook_model(path))
    assert taken == [True]          # S2 delivered; S4 (where it died) and S5 scanned here


def test_no_helper_on_one_core_in_a_full_pool_or_for_small_sheets(monkeypatch):
    big = [40 << 20, 30 << 20, 20 << 20, 5 << 20]
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert second_core.claim_order(big) == [0, 1, 2, 3]
    assert second_core.claim_order([5 << 20, 30 << 20, 20 << 20]) == [1, 2, 0]      # the largest first
    assert second_core.claim_order([1 << 20, 2 << 20]) == []
    assert second_core.claim_order([1 << 16] * 1025) == []        # a queue that might not fit in a pipe
    assert len(second_core.claim_order([1 << 16] * 1024)) == 1024
    monkeypatch.setattr(second_core, "_workers", 2)     # batch: one worker per core
    assert second_core.cores() == 1 and second_core.claim_order(big) == []
    monkeypatch.setattr(second_core, "_workers", 1)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert second_core.claim_order(big) == []


def test_a_pool_worker_takes_its_share_of_the_cores():
    """batch's pool of one worker per core leaves no core for a helper; refresh's one worker may use them all."""
    from ilt_xl.workers import result_of, worker_pool
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    for workers in (1, 2):
        with worker_pool(workers) as pool:
            assert result_of(pool.submit(second_core.cores)) == max(1, usable // workers)


def test_no_temporary_file_means_no_helper_not_a_failure(tmp_path, helper_takes, monkeypatch):
    path = write_xlsx(tmp_path / "t.xlsx", SHEETS)
    alone = load_workbook_model(path)

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(second_core.tempfile, "mkstemp", full)
    taken = helper_takes([1, 3, 4])
    _same_model(alone, load_workbook_model(path))
    assert taken == []


def test_each_job_of_the_queue_is_taken_by_one_side():
    """The helper takes the queue's first job; this process, which waits until the helper has
    started on it, takes all the others: no job is done twice or lost."""
    started, started_to = os.pipe()
    gate, gate_to = os.pipe()

    def scan(job):
        os.write(started_to, b"s")
        os.read(gate, 1)
        return job * 10

    helper = second_core.HelperScan(list(range(5)), [3, 1, 0, 4, 2], scan, lambda: None)
    with helper:
        assert os.read(started, 1) == b"s"
        mine = []
        while (k := helper.claim()) is not None:
            mine.append(k)
        os.write(gate_to, b"g" * 5)
        theirs = list(helper.results(wait=True))
    for fd in (started, started_to, gate, gate_to):
        os.close(fd)
    assert theirs == [(3, 30)] and mine == [1, 0, 4, 2]


@pytest.mark.parametrize("damaged", [["S2"], ["S4"], ["S1", "S5"], ["S3", "S4"]])
def test_both_sides_taking_from_the_queue_give_the_serial_model_and_errors(tmp_path, monkeypatch, damaged):
    path = write_xlsx(tmp_path / "t.xlsx", SHEETS)
    alone = load_workbook_model(path)
    sheets = {name: rows + (DAMAGE if name in damaged else "") for name, rows in SHEETS.items()}
    bad = write_xlsx(tmp_path / "bad.xlsx", sheets)
    with pytest.raises(WorkbookError) as serial:
        load_workbook_model(bad)
    monkeypatch.setattr(workbook_model, "claim_order", lambda sizes: sorted(range(len(sizes)), key=lambda k: -sizes[k]))
    _same_model(alone, load_workbook_model(path))
    with pytest.raises(WorkbookError) as helped:
        load_workbook_model(bad)
    assert str(helped.value) == str(serial.value)


@pytest.fixture
def every_size_helped(monkeypatch):
    """A helper for any workbook, however small (the queue the largest part first)."""
    monkeypatch.setattr(workbook_model, "claim_order", lambda sizes: sorted(range(len(sizes)), key=lambda k: -sizes[k]))
    forks = []
    init = second_core.HelperScan.__init__

    def counted(self, *args, **kwargs):
        forks.append(os.getpid())
        init(self, *args, **kwargs)

    monkeypatch.setattr(second_core.HelperScan, "__init__", counted)
    yield forks
    second_core.take_ahead(None)        # none left for the next test


def test_a_helper_started_ahead_is_taken_up_by_the_load_of_its_file(tmp_path, every_size_helped):
    path = write_xlsx(tmp_path / "t.xlsx", SHEETS)
    alone = load_workbook_model(path)
    every_size_helped.clear()
    workbook_model.scan_ahead(path)
    assert len(every_size_helped) == 1
    _same_model(alone, load_workbook_model(path))
    assert len(every_size_helped) == 1 and second_core.take_ahead(None) is None     # taken, no second fork


def test_a_helper_started_ahead_for_another_file_or_a_changed_one_is_ended(tmp_path, every_size_helped):
    path = write_xlsx(tmp_path / "t.xlsx", SHEETS)
    other = write_xlsx(tmp_path / "o.xlsx", {name: _rows(7, 30) for name in SHEETS})
    alone = load_workbook_model(other)
    every_size_helped.clear()
    workbook_model.scan_ahead(path)
    ahead = second_core._ahead[1]
    _same_model(alone, load_workbook_model(other))
    assert ahead.pid is None            # ended and waited for
    workbook_model.scan_ahead(path)
    write_xlsx(path, {name: _rows(7, 30) for name in SHEETS})       # rewritten in between: another file
    _same_model(alone, load_workbook_model(path))
    assert len(every_size_helped) == 4  # two ahead, and each load forked its own


def test_the_helper_refuses_a_path_that_now_names_another_file(tmp_path):
    from ilt_xl.xlsx import open_xlsx
    path = write_xlsx(tmp_path / "t.xlsx", SHEETS)
    with open_xlsx(path) as pkg:
        identity = workbook_model._identity(pkg)
        workbook_model._reopen_same(pkg, identity)      # the same file: fine
        os.replace(write_xlsx(tmp_path / "new.xlsx", SHEETS), path)
        with pytest.raises(OSError):
            workbook_model._reopen_same(pkg, identity)
        pkg.zip.zip.fp.close()


def test_the_command_line_starts_the_helper_ahead_only_for_recalc_of_a_path_given_first(monkeypatch):
    import ilt_xl.cli
    asked = []
    monkeypatch.setattr(workbook_model, "scan_ahead", asked.append)
    ilt_xl.cli._scan_ahead(["recalc", "in.xlsx", "-o", "out.xlsx", "--force"])
    for args in (["recalc", "-o", "out.xlsx", "in.xlsx"], ["recalc", "in.xlsx", "--in-place"], ["check", "in.xlsx"], ["recalc"]):
        ilt_xl.cli._scan_ahead(args)
    assert asked == ["in.xlsx"]
