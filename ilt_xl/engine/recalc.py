"""Recalculate a workbook: the engine's entry point.

    report = recalculate("plan.xlsx", "plan.recalc.xlsx", values_only=False, today=date(2025, 1, 6))

Reads the workbook, evaluates every formula run in dependency order (vectorised where the run
allows it, cell by cell otherwise), then writes the cached values back into a copy of the file
(see :mod:`ilt_xl.engine.writeback`). Problems never raise out of here for bad formulas: they are
collected in the report with their cell, formula and reason.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ilt_xl.engine.evaluator import (Book, Ctx, EvalError, NotVectorisable, Val, collect_names, collect_refs, evaluate,
                                     implicit_intersection)
from ilt_xl.engine import functions_dispatch, operators  # noqa: F401  (they register their node kinds)
from ilt_xl.engine.formula_tree import parse_formula
from ilt_xl.engine.graph import AreaIndex, Run, build_runs, strongly_connected
from ilt_xl.engine.structured_refs import StructuredRefError, rewrite
from ilt_xl.engine.values import EMPTY, ERR, NUM, Block, E_NA, E_NAME, E_VALUE
from ilt_xl.engine.workbook_model import WorkbookModel, load_workbook_model
from ilt_xl.gc_pause import gc_paused
from ilt_xl.xlsx import column_letter


@dataclass
class Problem:
    """A formula the engine could not evaluate as written: where, what and why."""

    cell: str          # Sheet!A1 (first cell of the run)
    cells: int         # how many cells share the problem
    formula: str
    reason: str

    def __str__(self) -> str:
        more = f" (and {self.cells - 1} more cells of the column)" if self.cells > 1 else ""
        return f"{self.cell}{more}: ={self.formula}: {self.reason}"


_ERROR_MEANING = {
    "#DIV/0!": "division by zero",
    "#N/A": "value not available (a lookup found nothing, or NA())",
    "#VALUE!": "wrong type of argument or operand",
    "#NAME?": "unknown function or name",
    "#REF!": "reference to a cell that does not exist",
    "#NUM!": "invalid number (overflow, or no result)",
    "#NULL!": "empty intersection",
}


@dataclass
class ErrorCells:
    """Formula cells whose value is an Excel error, grouped by sheet, column and error."""

    sheet: str
    column: str
    error: str
    count: int
    first: str

    def __str__(self) -> str:
        more = f" (+{self.count - 1} in column {self.column})" if self.count > 1 else ""
        meaning = _ERROR_MEANING.get(self.error)
        return f"{self.first}{more}: {self.error}" + (f" ({meaning})" if meaning else "")


@dataclass
class RecalcReport:
    source: str
    output: str | None
    cells_computed: int = 0
    runs: int = 0
    runs_vectorised: int = 0
    problems: list[Problem] = field(default_factory=list)
    error_cells: list[ErrorCells] = field(default_factory=list)
    seconds_load: float = 0.0
    seconds_compute: float = 0.0
    seconds_write: float = 0.0

    @property
    def seconds(self) -> float:
        return self.seconds_load + self.seconds_compute + self.seconds_write

    @property
    def error_count(self) -> int:
        return sum(e.count for e in self.error_cells)


def _serial(day: dt.date) -> float:
    return float((day - dt.date(1899, 12, 30)).days)


def _prepare(run: Run, model: WorkbookModel, book: Book) -> None:
    """Rewrite structured references, parse, and list the areas the run reads."""
    anchor = int(run.rows[0])
    try:
        text = rewrite(run.text, model.tables, run.sheet.name, anchor, run.col)
        run.tree = parse_formula(text)
    except StructuredRefError as exc:
        run.problem = f"structured reference: {exc}"
        return
    except Exception as exc:  # formulas' parser raises its own error types
        run.problem = f"cannot parse the formula ({type(exc).__name__}: {exc})"
        return
    lo, hi = int(run.rows[0]) - anchor, int(run.rows[-1]) - anchor
    seen_names: set[str] = set()
    trees = [run.tree]
    while trees:
        tree = trees.pop()
        for ref in collect_refs(tree):
            sheet = book.sheets.get(ref.sheet.lower()) if ref.sheet else run.sheet
            if sheet is None:
                run.problem = f"reference to a sheet that does not exist: {ref.sheet!r}"
                return
            r0, r1 = ref.r0, ref.r1
            if ref.whole_cols:
                r0, r1 = 1, max(sheet.n_rows, 1)
            r0 = r0 + (lo if ref.rel0 else 0)
            r1 = r1 + (hi if ref.rel1 else 0)
            run.reads.append((sheet, max(r0, 1), ref.c0, max(r1, 1), ref.c1))
        for name in collect_names(tree):
            if name.upper() in seen_names:
                continue
            seen_names.add(name.upper())
            try:
                sub = book.name_tree(name, run.sheet)
            except Exception as exc:
                run.problem = f"defined name {name}: {exc}"
                return
            if sub is not None:
                trees.append(sub)


def _store(run: Run, rows: np.ndarray, val: Val) -> None:
    """Write a run's (or one cell's) result into the sheet grid. A formula's value is never empty:
    a result that is an empty cell (``=A1`` of a blank A1, ``{=B:B}``) is 0, as in Excel."""
    grid = run.sheet.grid
    if (val.block.kind == EMPTY).any():
        b = val.block
        empty = b.kind == EMPTY
        val = Val(Block(np.where(empty, NUM, b.kind).astype(np.int8), np.where(empty, 0.0, b.num), b._obj),
                  val.per_row, val.ref, val.cells)
    if run.array_area is not None:
        r0, c0, r1, c1 = run.array_area
        h, w = r1 - r0 + 1, c1 - c0 + 1
        b = val.block
        bh, bw = b.shape
        ri = np.arange(h)[:, None]
        ci = np.arange(w)[None, :]
        src_r = np.where(bh == 1, 0, ri)
        src_c = np.where(bw == 1, 0, ci)
        outside = ((bh != 1) & (ri >= bh)) | ((bw != 1) & (ci >= bw))
        src_r, src_c = np.minimum(src_r, bh - 1), np.minimum(src_c, bw - 1)
        src_r, src_c = np.broadcast_arrays(src_r, src_c)
        kind = b.kind[src_r, src_c].copy()
        obj = (b.obj[src_r, src_c] if b.obj is not None else np.empty((h, w), object)).copy()
        kind[outside], obj[outside] = ERR, E_NA
        sl = (slice(r0 - 1, r1), slice(c0 - 1, c1))
        grid.kind[sl], grid.num[sl], grid.obj[sl] = kind, b.num[src_r, src_c], obj
        return
    b = val.block
    n = len(rows)
    if val.per_row:
        pass
    elif b.shape == (1, 1):
        b = Block(np.broadcast_to(b.kind, (n, 1)), np.broadcast_to(b.num, (n, 1)),
                  np.broadcast_to(b.obj if b.obj is not None else np.empty((1, 1), object), (n, 1)))
    else:
        if n != 1:
            raise NotVectorisable("an array result for a run")
        b = implicit_intersection(val, int(rows[0]), run.col)
    # a run's rows are consecutive: a slice assigns much faster than an index array
    r = slice(int(rows[0]) - 1, int(rows[-1])) if rows[-1] - rows[0] == len(rows) - 1 else rows - 1
    c = run.col - 1
    grid.kind[r, c] = b.kind[:, 0]
    grid.num[r, c] = b.num[:, 0]
    grid.obj[r, c] = b.obj[:, 0] if b.obj is not None else None


def _evaluate_run(run: Run, book: Book, report: RecalcReport) -> None:
    if run.problem is not None:
        _fail(run, run.rows, run.problem, report, E_NAME)
        return
    anchor = int(run.rows[0])
    try:
        if len(run.rows) > 1:
            try:
                val = evaluate(run.tree, Ctx(book, run.sheet, run.rows, anchor, run.col))
                _store(run, run.rows, val)
                report.runs_vectorised += 1
                return
            except NotVectorisable:
                pass
        for r in run.rows:
            one = np.array([r])
            _store(run, one, evaluate(run.tree, Ctx(book, run.sheet, one, anchor, run.col)))
    except (EvalError, StructuredRefError) as exc:
        _fail(run, run.rows, str(exc), report, E_NAME)
    except RecursionError:
        _fail(run, run.rows, "formula nested too deeply", report, E_VALUE)
    except Exception as exc:  # an engine defect must still name the cell, never crash the batch
        _fail(run, run.rows, f"engine error {type(exc).__name__}: {exc}", report, E_VALUE)


def _fail(run: Run, rows, reason: str, report: RecalcReport, error) -> None:
    report.problems.append(Problem(f"{run.sheet.name}!{column_letter(run.col)}{int(rows[0])}", len(rows), run.text, reason))
    r0, c0, r1, c1 = run.area if run.array_area is not None else (int(rows[0]), run.col, int(rows[-1]), run.col)
    sl = (slice(r0 - 1, r1), slice(c0 - 1, c1))
    if run.array_area is None:
        sl = (np.asarray(rows) - 1, run.col - 1)
    run.sheet.grid.kind[sl] = ERR
    run.sheet.grid.obj[sl] = error


def _cell_areas(run: Run, row: int, book: Book) -> list[tuple]:
    """The areas one cell of ``run`` reads: (sheet index, r0, c0, r1, c1)."""
    anchor = int(run.rows[0])
    out = []
    trees, seen = [run.tree], set()
    while trees:
        tree = trees.pop()
        for ref in collect_refs(tree):
            sheet = book.sheets.get(ref.sheet.lower()) if ref.sheet else run.sheet
            r0 = ref.r0 + (row - anchor if ref.rel0 else 0)
            r1 = ref.r1 + (row - anchor if ref.rel1 else 0)
            if ref.whole_cols:
                r0, r1 = 1, sheet.n_rows
            out.append((sheet.index, min(r0, r1), ref.c0, max(r0, r1), ref.c1))
        for name in collect_names(tree):
            if name.upper() not in seen:
                seen.add(name.upper())
                sub = book.name_tree(name, run.sheet)
                if sub is not None:
                    trees.append(sub)
    return out


def _evaluate_cycle(comp: list[int], runs: list[Run], book: Book, report: RecalcReport) -> None:
    """Runs that depend on each other: evaluate cell by cell in cell-dependency order; cells on a
    cycle of cells are computed on demand (:mod:`ilt_xl.engine.cycle_eval`)."""
    from ilt_xl.engine.cell_order import TooComplex, order_cells
    from ilt_xl.engine.cycle_eval import OnDemand
    live = [rid for rid in comp if runs[rid].problem is None]
    for rid in comp:
        if runs[rid].problem is not None:
            _fail(runs[rid], runs[rid].rows, runs[rid].problem, report, E_NAME)
    cells = [(rid, int(r)) for rid in live for r in runs[rid].rows]
    coords = [(runs[rid].sheet.index, runs[rid].col, r) for rid, r in cells]
    try:
        order, circular = order_cells(coords, [_cell_areas(runs[rid], r, book) for rid, r in cells])
    except TooComplex as exc:
        for rid in live:
            _fail(runs[rid], runs[rid].rows, f"circular or row-by-row dependencies too complex to order ({exc})",
                  report, E_NA)
        return
    singles = [Run(runs[rid].sheet, runs[rid].col, np.array([r]), runs[rid].text, None, runs[rid].tree)
               for rid, r in cells]

    def compute(j: int) -> None:
        rid, r = cells[j]
        one = singles[j]
        try:
            _store(one, one.rows, evaluate(one.tree, Ctx(book, one.sheet, one.rows, int(runs[rid].rows[0]), one.col)))
        except Exception as exc:
            _fail(one, one.rows, f"{type(exc).__name__}: {exc}", report, E_VALUE)

    def value(j: int) -> float | None:
        grid, (_, c, r) = singles[j].sheet.grid, coords[j]
        return float(grid.num[r - 1, c - 1]) if grid.kind[r - 1, c - 1] == NUM else None

    book_cache, book.lookup_cache = book.lookup_cache, None   # ranges change while the group is evaluated
    demand = OnDemand(coords, compute)
    try:
        if circular:
            book.on_read = demand.on_read
        demand.run_all(order + [j for group in circular for j in group])
        if demand.circular and model_iteration(book) is not None:
            demand.iterate(*model_iteration(book), value)
        elif demand.circular:
            _report_circular(sorted(demand.circular), cells, singles, runs, report)
    finally:
        book.on_read = None
        book.lookup_cache = book_cache


def _report_circular(members: list[int], cells, singles: list[Run], runs: list[Run], report: RecalcReport) -> None:
    """Cells on a circle with iterative calculation off: 0, as Excel leaves them, and reported
    (Excel warns of them too), per run."""
    per_run: dict[int, list[int]] = {}
    for j in members:
        _store(singles[j], singles[j].rows, Val(Block.numbers([[0.0]])))
        per_run.setdefault(cells[j][0], []).append(j)
    for rid, js in per_run.items():
        names = ", ".join(f"{singles[j].sheet.name}!{column_letter(singles[j].col)}{cells[j][1]}" for j in js[:20])
        first = singles[js[0]]
        report.problems.append(Problem(f"{first.sheet.name}!{column_letter(first.col)}{cells[js[0]][1]}", len(js),
                                       runs[rid].text, f"circular reference: {names}" + (" ..." if len(js) > 20 else "")))


def model_iteration(book: Book) -> tuple[int, float] | None:
    return book.model.iteration


def _collect_errors(model: WorkbookModel, report: RecalcReport) -> None:
    """Group the formula cells holding error values by sheet, column and error (vectorised)."""
    for sheet in model.sheets:
        f = sheet.formulas
        if len(f.rows) == 0:
            continue
        bad = np.flatnonzero(sheet.grid.kind[f.rows - 1, f.cols - 1] == ERR)
        if len(bad) == 0:
            continue
        rows, cols = f.rows[bad], f.cols[bad]
        codes = pd.Series(sheet.grid.obj[rows - 1, cols - 1]).map(str)
        frame = pd.DataFrame({"col": cols, "code": codes, "row": rows})
        for (col, code), g in frame.groupby(["col", "code"], sort=True):
            letters = column_letter(int(col))
            report.error_cells.append(
                ErrorCells(sheet.name, letters, code, len(g), f"{sheet.name}!{letters}{int(g['row'].min())}"))


def compute(model: WorkbookModel, today: dt.date | None = None, report: RecalcReport | None = None,
            registry: dict | None = None) -> RecalcReport:
    """Evaluate every formula of ``model`` in place (its sheet grids receive the values)."""
    report = report or RecalcReport(model.path, None)
    today = today or dt.date.today()
    book = Book(model, _serial(today), registry=registry)
    runs = build_runs(model)
    for run in runs:        # the grids already span array areas (workbook_model._build_grid)
        _prepare(run, model, book)
    index = AreaIndex(runs)
    edges = [set() for _ in runs]
    for rid, run in enumerate(runs):
        for area in run.reads:
            edges[rid] |= index.writers(*area)
    components = strongly_connected(len(runs), edges)
    state = np.zeros(len(components), np.int8)      # 0 to do, 1 being evaluated, 2 done
    comp_of = np.empty(len(runs), np.int64)
    for k, comp in enumerate(components):
        comp_of[comp] = k

    def evaluate_component(k: int) -> None:
        state[k] = 1
        comp = components[k]
        if len(comp) == 1 and comp[0] not in edges[comp[0]]:
            _evaluate_run(runs[comp[0]], book, report)
        else:
            _evaluate_cycle(comp, runs, book, report)
        state[k] = 2

    def ensure_computed(sheet, r0: int, c0: int, r1: int, c1: int) -> None:
        # OFFSET/INDIRECT read areas the dependency graph could not know: compute them first
        for rid in index.writers(sheet, r0, c0, r1, c1):
            if state[comp_of[rid]] == 0:
                evaluate_component(int(comp_of[rid]))

    book.ensure_computed = ensure_computed
    for k in range(len(components)):
        if state[k] == 0:
            evaluate_component(k)
    report.runs = len(runs)
    report.cells_computed = int(sum(len(s.formulas.rows) for s in model.sheets))
    _collect_errors(model, report)
    return report


def default_output(path: str | Path) -> Path:
    """``plan.xlsx`` -> ``plan.recalc.xlsx`` next to it."""
    p = Path(path)
    return p.with_name(p.stem + ".recalc" + p.suffix)


def recalculate(path: str | Path, output: str | Path | None = None, *, values_only: bool = False,
                today: dt.date | None = None, registry: dict | None = None,
                phase: Callable[[str], None] | None = None) -> RecalcReport:
    """Recalculate the workbook at ``path`` and write the result to ``output``.

    ``output`` defaults to ``<stem>.recalc<suffix>`` next to the input; the input is only
    replaced when ``output`` is the same path (the CLI's ``--in-place``). ``values_only`` writes
    formulas replaced by their values. ``today`` fixes TODAY()/NOW() for reproducible results.
    Raises :class:`~ilt_xl.xlsx.WorkbookError` for unusable input and ``OSError``
    when the output cannot be written (nothing partial is left behind). ``phase``, when given,
    is told when loading, computing and writing start (the command line's progress display).
    """
    from ilt_xl.engine.writeback import write_values
    out = Path(output) if output is not None else default_output(path)
    report = RecalcReport(str(path), str(out))
    phase = phase or (lambda name: None)
    with gc_paused():
        t0 = time.perf_counter()
        phase("Loading")
        model = load_workbook_model(path)
        t1 = time.perf_counter()
        phase("Computing")
        compute(model, today, report, registry)
        t2 = time.perf_counter()
        phase("Writing")
        write_values(path, out, model, values_only=values_only)
        t3 = time.perf_counter()
    report.seconds_load, report.seconds_compute, report.seconds_write = t1 - t0, t2 - t1, t3 - t2
    return report
