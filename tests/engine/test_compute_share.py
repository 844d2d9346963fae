"""Runs evaluated by a helper process (ilt_xl/engine/compute_share.py) give the grids, the report and
the output one process gives: the helper is only ever a speed-up."""
from __future__ import annotations

import datetime as dt
import os
import time
from types import SimpleNamespace

import numpy as np
import pytest
from handmade import write_xlsx

from ilt_xl.engine import compute_share, second_core
from ilt_xl.engine.common_subtrees import subtree_counts
from ilt_xl.engine.formula_tree import parse_formula
from ilt_xl.engine.recalc import Problem, RecalcReport, add_kept, compute, recalculate
from ilt_xl.engine.workbook_model import load_workbook_model

ROWS = 30


def _sheet(tag: int, reading_random: bool = False) -> str:
    """Per row: a number; a run reading it; FOOBAR (nothing defines it, the file holds another
    value: kept, reported while the runs are evaluated); a run reading the kept cells; a run
    with RAND; totals over whole columns and criteria; ``reading_random``: OFFSET reading the RAND
    run's cells when it runs."""
    out = []
    for r in range(1, ROWS + 1):
        index = f'<c r="H{r}"><f>OFFSET(E$1,{ROWS}-ROW(),0)</f><v>0</v></c>' if reading_random else ""
        out.append(f'<row r="{r}"><c r="A{r}"><v>{r * tag}</v></c>'
                   f'<c r="B{r}"><f>A{r}*2</f><v>0</v></c>'
                   f'<c r="C{r}"><f>FOOBAR(A{r})</f><v>{r}</v></c>'
                   f'<c r="D{r}"><f>C{r}+B{r}</f><v>0</v></c>'
                   f'<c r="E{r}"><f>A{r}+RAND()*0</f><v>0</v></c>'
                   f'<c r="F{r}"><f>SUM(B:B)+E{r}</f><v>0</v></c>'
                   f'<c r="G{r}"><f>SUMIF(A$1:A${ROWS},"&gt;"&amp;A{r},D$1:D${ROWS})</f><v>0</v></c>{index}</row>')
    return "".join(out)


SHEETS = {f"S{k}": _sheet(k) for k in range(1, 4)}


@pytest.fixture
def forced(monkeypatch):
    """``forced(there)``: a helper whatever the workbook's size and the machine's load, a
    component's cost there ``there`` times its cost here (0: the helper takes every component it
    may); gives the list of (job, result) the helper sent, the result None where not delivered."""
    sent = []
    original = second_core.HelperScan.results

    def results(self, wait):
        for position, got in original(self, wait):
            sent.append((position, got))
            yield position, got

    def force(there: float):
        monkeypatch.setattr(second_core.HelperScan, "results", results)
        monkeypatch.setenv("ILT_XL_COMPUTE_SHARE", "1")
        monkeypatch.setattr(compute_share, "_THERE", there)
        monkeypatch.setattr(compute_share, "_FORK", 0.0)
        return sent
    return force


def _signature(report: RecalcReport) -> tuple:
    return ([p.as_dict() for p in report.problems], [(s.name, r.tolist(), c.tolist()) for s, r, c in report.kept_at],
            report.runs, report.runs_vectorised, report.cells_computed, report.formula_cells,
            [str(e) for e in report.error_cells])


def _recalc(path, out) -> RecalcReport:
    np.random.seed(3)       # RAND draws in the serial order, with or without a helper
    return recalculate(path, out, today=dt.date(2026, 11, 30))


def _alone(tmp_path, sheets) -> tuple:
    path = write_xlsx(tmp_path / "t.xlsx", sheets)
    report = _recalc(path, tmp_path / "alone.xlsx")
    assert report.kept_count == 3 * ROWS
    return path, _signature(report), (tmp_path / "alone.xlsx").read_bytes()


@pytest.fixture
def alone(tmp_path):
    return _alone(tmp_path, SHEETS)


def _same_as_alone(tmp_path, alone) -> None:
    path, report, output = alone
    helped = _recalc(path, tmp_path / "helped.xlsx")
    assert _signature(helped) == report
    assert (tmp_path / "helped.xlsx").read_bytes() == output


@pytest.mark.parametrize("there", [0.0, 1.0, 3.0])
def test_runs_from_the_helper_give_the_report_and_output_of_one_process(tmp_path, alone, forced, there):
    sent = forced(there)
    _same_as_alone(tmp_path, alone)
    assert sent and all(got is not None for _, got in sent)


def test_cells_kept_in_the_helper_are_reported_where_one_process_reports_them(tmp_path, alone, forced):
    sent = forced(0.0)
    _same_as_alone(tmp_path, alone)
    entries = [p.cell for _, got in sent for component in got for p, _ in component[2]]
    assert entries == ["S1!C1", "S2!C1", "S3!C1"]       # FOOBAR's columns, kept in the helper


def test_random_functions_stay_here_and_a_read_of_them_when_it_runs_stops_the_helper(tmp_path, forced, monkeypatch):
    import ilt_xl.engine.recalc as recalc
    alone = _alone(tmp_path, {f"S{k}": _sheet(k, reading_random=True) for k in range(1, 4)})
    sent = forced(0.0)
    taken = []
    original = compute_share.plan

    def spy(components, runs, *args):
        head, theirs = original(components, runs, *args)
        taken.extend(runs[components[k][0]].text for k in theirs)
        return head, theirs
    monkeypatch.setattr(recalc, "plan", spy)
    _same_as_alone(tmp_path, alone)
    assert taken and not any("RAND" in text for text in taken)
    assert any(text.startswith("OFFSET(E") for text in taken)     # reads E (RAND) when it runs: not there
    assert sent[-1][1] is None


class _Unreadable:
    """Pickles in the helper, cannot be unpickled here."""

    def __reduce__(self):
        return (_refuse, ())


def _refuse():
    raise ValueError("garbage")


@pytest.mark.parametrize("how", ["dies", "garbage", "fails"])
def test_what_the_helper_does_not_deliver_is_computed_here(tmp_path, alone, forced, monkeypatch, how):
    sent = forced(0.0)
    here = os.getpid()
    step = compute_share._Helper.step
    calls = []

    def broken(self, job):
        calls.append(job)
        if os.getpid() != here and len(calls) == 3:
            if how == "dies":
                os._exit(3)         # killed in the middle of its work
            if how == "garbage":
                return _Unreadable()
            raise MemoryError
        return step(self, job)
    monkeypatch.setattr(compute_share._Helper, "step", broken)
    _same_as_alone(tmp_path, alone)
    # a helper that died sends nothing more; one that failed or sent garbage: that job not delivered
    assert [got is not None for _, got in sent] == ([True, True] if how == "dies" else [True, True, False])


def test_compute_alone_and_helped_fill_the_grids_alike(tmp_path, forced):
    path = write_xlsx(tmp_path / "t.xlsx", SHEETS)
    models = []
    for there in (None, 1.0):
        if there is not None:
            forced(there)
        model = load_workbook_model(path)
        np.random.seed(5)
        compute(model, dt.date(2026, 11, 30))
        models.append(model)
    for x, y in zip(*(m.sheets for m in models)):
        assert np.array_equal(x.grid.kind, y.grid.kind) and np.array_equal(x.grid.num, y.grid.num)
        assert [repr(v) for v in x.grid.obj.ravel()] == [repr(v) for v in y.grid.obj.ravel()]
        assert np.array_equal(x.formulas.kept, y.formulas.kept)


def _runs(*texts, rows=1000):
    return [SimpleNamespace(rows=np.arange(1, rows + 1), text=t, calls=subtree_counts(parse_formula(t))[1], array_area=None,
                            problem=None) for t in texts]


def _plan(runs, edges, components, random_free=lambda run: True):
    comp_of = np.empty(len(runs), np.int64)
    for k, comp in enumerate(components):
        comp_of[comp] = k
    return compute_share.plan(components, runs, edges, comp_of, random_free)


def test_the_helpers_share_is_closed_under_its_dependencies(monkeypatch):
    monkeypatch.setenv("ILT_XL_COMPUTE_SHARE", "1")
    monkeypatch.setattr(compute_share, "_THERE", 0.0)     # the helper takes every component it may
    monkeypatch.setattr(compute_share, "_FORK", 0.0)
    # 0 <- 1 <- 2; 3 random, 4 reads it; 5 and 6 read each other (a circle); 7 cannot be evaluated
    runs = _runs("A1", "B1+1", "C1+1", "RAND()", "E1*2", "G1", "F1", "ZZ(1)", "SUM(A:A)+" + "1" * 50)
    runs[7].problem = ("unknown function", "ZZ")
    edges = [set(), {0}, {1}, set(), {3}, {6}, {5}, set(), {0, 2}]
    components = [[0], [1], [2], [3], [4], [5, 6], [7], [8]]
    head, theirs = _plan(runs, edges, components, lambda run: "RAND" not in run.text)
    assert (head, theirs) == (0, [0, 1, 2, 7])
    for k in theirs:
        assert all(d < head or d in theirs for rid in components[k] for d in edges[rid])


def test_a_head_that_feeds_the_rest_is_done_here_before_the_fork(monkeypatch):
    """One long run read by all the others: a helper forked before it could take none of them."""
    monkeypatch.setattr(compute_share, "_LEAST_COST", 0)
    monkeypatch.setattr(compute_share, "cores", lambda: 2)
    monkeypatch.setattr(compute_share, "idle_core", lambda: True)
    runs = _runs("SUM(A1)+SUM(A2)+SUM(A3)+SUM(A4)", *[f"B1+{k}+{k}+{k}+{k}" for k in range(6)])
    edges = [set()] + [{0} for _ in range(6)]
    head, theirs = _plan(runs, edges, [[k] for k in range(7)])
    assert head == 1 and 0 < len(theirs) < 6
    monkeypatch.setattr(compute_share, "_MOST_HEAD", 0.1)      # no head tried: nothing to gain
    assert _plan(runs, edges, [[k] for k in range(7)]) == (0, [])


def test_no_helper_on_one_core_in_a_full_pool_on_a_busy_machine_or_for_small_work(monkeypatch, tmp_path):
    runs = _runs(*[f"{c}1*2+1" for c in "ABC"], rows=1_000_000)
    args = (runs, [set(), set(), set()], [[0], [1], [2]])
    monkeypatch.setattr(compute_share, "cores", lambda: 2)
    monkeypatch.setattr(compute_share, "idle_core", lambda: True)
    assert _plan(*args) == (0, [2])
    monkeypatch.setenv("ILT_XL_COMPUTE_SHARE", "0")
    assert _plan(*args) == (0, [])
    monkeypatch.delenv("ILT_XL_COMPUTE_SHARE")
    monkeypatch.setattr(compute_share, "idle_core", lambda: False)
    assert _plan(*args) == (0, [])
    monkeypatch.setenv("ILT_XL_COMPUTE_SHARE", "1")     # asked for: even so
    assert _plan(*args) == (0, [2])
    monkeypatch.delenv("ILT_XL_COMPUTE_SHARE")
    monkeypatch.setattr(compute_share, "idle_core", lambda: True)
    monkeypatch.setattr(compute_share, "cores", second_core.cores)
    monkeypatch.setattr(second_core, "_workers", 2 * (os.cpu_count() or 1))   # batch: one worker per core
    assert _plan(*args) == (0, [])
    monkeypatch.setattr(second_core, "_workers", 1)
    monkeypatch.setattr(compute_share, "cores", lambda: 2)
    assert _plan(_runs("A1*2", "B1*2", "C1*2", rows=20), *args[1:]) == (0, [])


def test_report_entries_added_one_by_one_join_as_their_cells_do():
    sheet = SimpleNamespace(name="S")

    def entry(r0, r1, col=3, reason="r"):
        rows = np.arange(r0, r1 + 1)
        return Problem(f"S!C{r0}", len(rows), "F()", reason, "k"), (sheet, rows, np.full(len(rows), col))
    cells, entries = RecalcReport("a", None), RecalcReport("a", None)
    for r in list(range(1, 9)) + [11, 12]:
        add_kept(cells, *entry(r, r))
    add_kept(cells, *entry(13, 13, reason="other"))
    for r0, r1 in [(1, 3), (4, 4), (5, 8), (11, 12)]:
        add_kept(entries, *entry(r0, r1))
    add_kept(entries, *entry(13, 13, reason="other"))
    assert [(p.cell, p.cells, p.reason) for p in entries.problems] == [("S!C1", 8, "r"), ("S!C11", 2, "r"),
                                                                         ("S!C13", 1, "other")]
    assert [p.as_dict() for p in entries.problems] == [p.as_dict() for p in cells.problems]
    assert [r.tolist() for _, r, _ in entries.kept_at] == [r.tolist() for _, r, _ in cells.kept_at]


@pytest.mark.parametrize("loadavg, idle", [(b"4.10 3.90 2.80 1/106 2411\n", True), (b"4.10 3.90 2.80 2/106 2411\n", False),
                                           (b"0.10 0.20 0.30 7/106 2411\n", False), (b"garbled", True)])
def test_a_core_is_idle_when_fewer_tasks_run_than_there_are_cores(monkeypatch, tmp_path, loadavg, idle):
    fake = tmp_path / "loadavg"
    fake.write_bytes(loadavg)
    monkeypatch.setattr(compute_share, "cores", lambda: 2)
    monkeypatch.setattr(compute_share, "_LOADAVG", str(fake))
    assert compute_share.idle_core() is idle


def test_the_time_limit_stops_a_runaway_cell_in_the_helper(tmp_path, forced, monkeypatch):
    import ilt_xl.engine.builtins.formulas_bridge as bridge

    def runaway(*args):         # stops by itself long after the time limit, if nothing stops it
        end = time.monotonic() + 60
        while time.monotonic() < end:
            pass
        return 0
    monkeypatch.setattr(bridge, "_formulas_function", lambda name: runaway if name == "HANG" else None)
    src = write_xlsx(tmp_path / "in.xlsx", {"S": '<row r="1"><c r="A1"><f>HANG(1)</f><v>1</v></c>'
                                                  '<c r="B1"><f>A1+1</f><v>0</v></c></row>'})
    sent = forced(0.0)
    report = recalculate(src, tmp_path / "out.xlsx", timeout=1)
    assert len(sent) == 2 and all(got is not None for _, got in sent)
    assert {p.cell: p.kind for p in report.problems} == {"S!A1": "time limit", "S!B1": "time limit"}
