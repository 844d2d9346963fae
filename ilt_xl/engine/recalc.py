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

from ilt_xl.engine.circular_keep import CircularCells
from ilt_xl.engine.evaluator import (Book, Ctx, EvalError, NotVectorisable, Val, collect_names, evaluate,
                                     implicit_intersection)
from ilt_xl.engine import functions_dispatch, operators  # noqa: F401  (they register their node kinds)
from ilt_xl.engine.common_subtrees import subtree_counts
from ilt_xl.engine.compute_share import Share, plan, random_free
from ilt_xl.engine.external_links import is_external, shown
from ilt_xl.engine.formula_tree import parse_formula
from ilt_xl.engine.legacy_intersection import plain_formula_tree
from ilt_xl.engine.three_d_refs import expand as expand_3d, qualified_names
from ilt_xl.engine.function_args import value_refs
from ilt_xl.engine.graph import AreaIndex, Run, build_runs, strongly_connected
from ilt_xl.engine.heap import give_back_free_memory
from ilt_xl.engine.run_limits import DEFAULT_TIMEOUT, Clock, TimeLimit, deeper_recursion, tree_depth
from ilt_xl.engine.structured_refs import ExternalLinkError, StructuredRefError, rewrite
from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM, STR, Block, E_NA
from ilt_xl.engine.workbook_model import WorkbookModel, formula_positions, load_cached_values, load_workbook_model
from ilt_xl.gc_pause import gc_paused
from ilt_xl.xlsx import column_letter


EXCERPT = 60   # characters of a formula shown in a message


def excerpt(formula: str) -> str:
    """The formula, or its first characters and its length when it is long (never a whole page)."""
    if len(formula) <= EXCERPT:
        return formula
    return f"{formula[:EXCERPT]}... ({len(formula):,} characters)"


@dataclass
class Problem:
    """Formula cells the engine could not evaluate: where, what and why. They keep the value
    Excel cached (cells that depend on them read it), so the output is never worse than the input.

    ``kind`` groups the reasons in summaries: ``unknown function SEQUENCE``, ``external link``,
    ``time limit``, ``formula too deep``, ``unsupported construct``, ``circular reference`` (with
    iterative calculation off Excel leaves a circle, and the cells reading it, uncomputed)."""

    cell: str          # Sheet!A1 (first cell of the run)
    cells: int         # how many cells share the problem
    formula: str
    reason: str
    kind: str = "unsupported construct"

    def __str__(self) -> str:
        more = f" (and {self.cells - 1} more cells of the column)" if self.cells > 1 else ""
        return f"{self.cell}{more}: ={excerpt(self.formula)}: {self.reason}"

    def as_dict(self) -> dict:
        return {"cell": self.cell, "cells": self.cells, "formula": excerpt(self.formula), "kind": self.kind,
                "reason": self.reason}


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
    problems: list[Problem] = field(default_factory=list)     # cells kept as cached, and why
    error_cells: list[ErrorCells] = field(default_factory=list)
    formula_cells: int = 0
    # (sheet, rows, cols) of the cells kept as cached, marked in the model when computing ends
    kept_at: list[tuple] = field(default_factory=list, repr=False)
    seconds_load: float = 0.0
    seconds_compute: float = 0.0
    seconds_write: float = 0.0

    @property
    def seconds(self) -> float:
        return self.seconds_load + self.seconds_compute + self.seconds_write

    @property
    def error_count(self) -> int:
        return sum(e.count for e in self.error_cells)

    @property
    def kept_count(self) -> int:
        """Formula cells that keep the value Excel cached."""
        return sum(p.cells for p in self.problems)

    def kept_by_kind(self) -> dict[str, int]:
        """Cells kept as cached per reason kind, most cells first."""
        out: dict[str, int] = {}
        for p in self.problems:
            out[p.kind] = out.get(p.kind, 0) + p.cells
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))



def _serial(day: dt.date, date1904: bool = False) -> float:
    """``day`` as a serial of the workbook's date system."""
    return float((day - (dt.date(1904, 1, 1) if date1904 else dt.date(1899, 12, 30))).days)


# Excel's own limits: a longer or deeper formula cannot come from Excel, and refusing it up front
# keeps the parser and the evaluator from spending minutes (or the stack) on it
MAX_FORMULA_CHARS = 8192
MAX_DEPTH = 2000


def _prepare(run: Run, model: WorkbookModel, book: Book) -> None:
    """Rewrite structured references, parse, and list the areas the run reads."""
    anchor = int(run.rows[0])
    if len(run.text) > MAX_FORMULA_CHARS:
        run.problem = ("formula too long", f"{len(run.text):,} characters, over Excel's limit of "
                                           f"{MAX_FORMULA_CHARS:,}")
        return
    try:
        text = qualified_names(run.text, book.sheet_order, book.name_definition)
        resolved = book.facts.setdefault("structured refs", {})      # each reference's A1 text, for every run
        text = expand_3d(rewrite(text, model.tables, run.sheet.name, anchor, run.col, resolved), book.sheet_order)
        # a plain formula intersects a range where a function takes one value (legacy_intersection)
        run.tree = parse_formula(text) if run.array_area is not None else plain_formula_tree(text)
    except ExternalLinkError as exc:
        run.problem = ("external link", str(exc))
        return
    except StructuredRefError as exc:
        run.problem = ("structured reference", str(exc))
        return
    except Exception as exc:  # formulas' parser raises its own error types
        run.problem = ("cannot parse", f"cannot parse the formula ({type(exc).__name__}: {str(exc)[:200]})")
        return
    depth = tree_depth(run.tree)
    if depth > MAX_DEPTH:
        run.problem = ("formula too deep", f"nested {depth:,} levels deep (the engine evaluates up to {MAX_DEPTH})")
        return
    # runs of one formula text share its tree (parse_formula's cache): find its repeats once
    key = ("repeated subtrees", id(run.tree))
    if key not in book.facts:
        book.facts[key] = (run.tree, *subtree_counts(run.tree))     # the tree held: its id stays its own
    run.repeats, run.calls = book.facts[key][1:]
    lo, hi = int(run.rows[0]) - anchor, int(run.rows[-1]) - anchor
    seen_names: set[str] = set()
    trees = [run.tree]
    while trees:
        tree = trees.pop()
        for ref in value_refs(tree):
            sheet = book.find_sheet(ref.sheet) if ref.sheet else run.sheet
            if sheet is None and is_external(ref.sheet):
                run.problem = ("external link", f"{shown(ref.sheet)}: a link to another workbook whose cells this "
                                                "workbook did not store (external link)")
                return
            if sheet is None:
                run.problem = ("missing sheet", f"reference to a sheet that does not exist: {ref.sheet!r}")
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
                sub = book.name_tree(name, run.sheet, anchor, run.col)
            except ExternalLinkError as exc:
                run.problem = ("external link", f"defined name {name}: {exc}")
                return
            except Exception as exc:
                run.problem = ("defined name", f"defined name {name}: {str(exc)[:200]}")
                return
            if sub is not None:
                trees.append(sub)


def _area_shape(run: Run) -> tuple[int, int] | None:
    """(rows, cols) of an array formula's area, else None."""
    if run.array_area is None:
        return None
    r0, c0, r1, c1 = run.array_area
    return r1 - r0 + 1, c1 - c0 + 1


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


def _evaluate_run(run: Run, book: Book, report: RecalcReport, clock: Clock) -> None:
    if run.problem is not None:
        _keep(run, run.rows, *run.problem, report)
        return
    anchor = int(run.rows[0])
    book.undefined_called = None        # set by a call of a function nothing defines (_store_checked)
    if len(run.rows) > 1:
        try:
            with clock.armed():
                val = evaluate(run.tree, Ctx(book, run.sheet, run.rows, anchor, run.col, area=_area_shape(run),
                                             repeats=run.repeats, memo={}))
            _store_checked(run, run.rows, val, book, report)
            report.runs_vectorised += 1
            return
        except NotVectorisable:
            pass
        except (Exception, TimeLimit) as exc:
            if _keep_failed(run, run.rows, exc, report):
                return
    for i, r in enumerate(run.rows):
        if clock.over():
            _keep(run, run.rows[i:], *clock.reason(), report)
            return
        one = np.array([r])
        book.undefined_called = None
        try:
            with clock.armed():
                val = evaluate(run.tree, Ctx(book, run.sheet, one, anchor, run.col, area=_area_shape(run),
                                             repeats=run.repeats, memo={}))
            _store_checked(run, one, val, book, report)
        except (Exception, TimeLimit) as exc:
            _keep_failed(run, one, EvalError(str(exc)) if isinstance(exc, NotVectorisable) else exc, report)


def _store_checked(run: Run, rows: np.ndarray, val: Val, book: Book, report: RecalcReport) -> None:
    """:func:`_store`; then, if the cells called a function nothing defines (Excel's #NAME?: see
    :mod:`ilt_xl.engine.undefined_functions`), keep those whose file holds another value than the
    one computed: a workbook saved without the macros that computed them is not made worse."""
    name, book.undefined_called = book.undefined_called, None
    _store(run, rows, val)
    if name is None:
        return
    rows = np.atleast_1d(np.asarray(rows, dtype=np.int64))
    kind = f"unknown function {name}"
    reason = (f"unknown function {name}: neither Excel's nor defined in this workbook, which holds no macros "
              f"(Excel shows #NAME?), but the file holds another value")
    if run.array_area is not None:          # an area's cells are written together: all or none
        _keep(run, rows, kind, reason, report)
        return
    grid, r, c = run.sheet.grid, rows - 1, run.col - 1
    computed = Block(grid.kind[r, c].copy(), grid.num[r, c].copy(), grid.obj[r, c].copy())
    load_cached_values(run.sheet, formula_positions(run.sheet.formulas, rows, run.col))
    differ = ~_same_cells(computed, Block(grid.kind[r, c], grid.num[r, c], grid.obj[r, c]))
    if differ.any():
        _keep(run, rows[differ], kind, reason, report)


def _same_cells(a: Block, b: Block) -> np.ndarray:
    """Per cell of two equally shaped blocks: the same type and value."""
    same = a.kind == b.kind
    by_text = same & np.isin(a.kind, (STR, ERR))
    same[by_text] = [str(x) == str(y) for x, y in zip(a.obj[by_text], b.obj[by_text])]
    by_number = same & ~by_text & np.isin(a.kind, (NUM, BOOL))
    same[by_number] = a.num[by_number] == b.num[by_number]
    return same


def _keep_failed(run: Run, rows, exc: BaseException, report: RecalcReport) -> bool:
    """Keep ``rows`` of ``run`` as cached for the failure ``exc`` (and say so); False for
    :class:`NotVectorisable`, which only means "evaluate cell by cell"."""
    if isinstance(exc, NotVectorisable):
        return False
    if isinstance(exc, TimeLimit):
        _keep(run, rows, *exc.args, report)
    elif isinstance(exc, EvalError):
        _keep(run, rows, exc.kind, str(exc), report)
    elif isinstance(exc, StructuredRefError):
        _keep(run, rows, "structured reference", str(exc), report)
    elif isinstance(exc, RecursionError):
        _keep(run, rows, "formula too deep", "nested too deeply (defined names or formulas within each other)", report)
    else:   # an engine defect must still name the cell, never crash the batch nor write a wrong value
        _keep(run, rows, "engine error", f"engine error {type(exc).__name__}: {str(exc)[:200]}", report)
    return True


def _keep(run: Run, rows, kind: str, reason: str, report: RecalcReport) -> None:
    """Cells the engine cannot evaluate keep the value Excel cached: recorded, the grid untouched."""
    rows = np.atleast_1d(np.asarray(rows, dtype=np.int64))
    if len(rows) == 0:
        return
    if len(rows) > 1 and (np.diff(rows) != 1).any():       # a problem names consecutive cells
        for part in np.split(rows, np.flatnonzero(np.diff(rows) != 1) + 1):
            _keep(run, part, kind, reason, report)
        return
    load_cached_values(run.sheet, formula_positions(run.sheet.formulas, rows, run.col))
    if run.array_area is not None:      # the area's other cells written with <f/> are formula cells too
        f, (r0, c0, r1, c1) = run.sheet.formulas, run.array_area
        load_cached_values(run.sheet, np.flatnonzero((f.rows >= r0) & (f.rows <= r1) & (f.cols >= c0) & (f.cols <= c1)))
    add_kept(report, Problem(f"{run.sheet.name}!{column_letter(run.col)}{int(rows[0])}", len(rows), run.text, reason,
                             kind), (run.sheet, rows, np.full(len(rows), run.col, np.int64)))


def add_kept(report: RecalcReport, problem: Problem, at: tuple) -> None:
    """Add an entry (``at``: sheet, rows, columns) to ``report``; the next cells of a column failing
    alike join the last entry instead. Adding a report's entries to another one by one gives what
    adding their cells one by one would have (the report of a second core's share of the runs)."""
    sheet, rows, cols = at
    if report.problems:
        last, (last_sheet, last_rows, last_cols) = report.problems[-1], report.kept_at[-1]
        if (last_sheet is sheet and last_cols[0] == cols[0] and last.kind == problem.kind
                and last.reason == problem.reason and last.formula == problem.formula
                and int(last_rows[-1]) + 1 == int(rows[0])):
            last.cells += problem.cells
            report.kept_at[-1] = (sheet, np.concatenate([last_rows, rows]), np.full(last.cells, cols[0], np.int64))
            return
    report.problems.append(problem)
    report.kept_at.append(at)


def _cell_areas(run: Run, row: int, book: Book) -> list[tuple]:
    """The areas one cell of ``run`` reads: (sheet index, r0, c0, r1, c1)."""
    anchor = int(run.rows[0])
    out = []
    trees, seen = [run.tree], set()
    while trees:
        tree = trees.pop()
        for ref in value_refs(tree):
            sheet = book.find_sheet(ref.sheet) if ref.sheet else run.sheet
            r0 = ref.r0 + (row - anchor if ref.rel0 else 0)
            r1 = ref.r1 + (row - anchor if ref.rel1 else 0)
            if ref.whole_cols:
                r0, r1 = 1, sheet.n_rows
            out.append((sheet.index, min(r0, r1), ref.c0, max(r0, r1), ref.c1))
        for name in collect_names(tree):
            if name.upper() not in seen:
                seen.add(name.upper())
                sub = book.name_tree(name, run.sheet, anchor, run.col)
                if sub is not None:
                    trees.append(sub)
    return out


def _evaluate_cycle(comp: list[int], runs: list[Run], book: Book, report: RecalcReport, clock: Clock,
                    circular: CircularCells, on_demand: bool = False) -> None:
    """Runs that depend on each other: evaluate cell by cell in cell-dependency order; cells on a
    cycle of cells are computed on demand (:mod:`ilt_xl.engine.cycle_eval`), every cell with
    ``on_demand`` (runs found to read each other only when they ran: OFFSET, ``A1:INDEX(..)``)."""
    from ilt_xl.engine.cell_order import TooComplex, order_cells
    from ilt_xl.engine.cycle_eval import OnDemand
    live = [rid for rid in comp if runs[rid].problem is None]
    for rid in live:        # a circle starts from the values Excel cached, as iterative calculation does
        load_cached_values(runs[rid].sheet, formula_positions(runs[rid].sheet.formulas, runs[rid].rows, runs[rid].col))
    for rid in comp:
        if runs[rid].problem is not None:
            _keep(runs[rid], runs[rid].rows, *runs[rid].problem, report)
    cells = [(rid, int(r)) for rid in live for r in runs[rid].rows]
    coords = [(runs[rid].sheet.index, runs[rid].col, r) for rid, r in cells]
    areas = [_cell_areas(runs[rid], r, book) for rid, r in cells]
    arrays = {j: runs[rid].array_area for j, (rid, _) in enumerate(cells) if runs[rid].array_area is not None}
    saved = {}      # array formulas' areas before they are computed, to give back if one is on a circle
    for j, (r0, c0, r1, c1) in arrays.items():
        area = runs[cells[j][0]].sheet.grid.take(slice(r0 - 1, r1), slice(c0 - 1, c1))
        saved[cells[j][0]] = Block(area.kind.copy(), area.num.copy(), area.obj.copy())
    try:
        order, cycles = order_cells(coords, areas, arrays)
    except TooComplex as exc:
        for rid in live:
            _keep(runs[rid], runs[rid].rows, "circular reference",
                  f"circular or row-by-row dependencies too complex to order ({exc})", report)
        return
    singles = [Run(runs[rid].sheet, runs[rid].col, np.array([r]), runs[rid].text, runs[rid].array_area, runs[rid].tree)
               for rid, r in cells]

    def compute(j: int) -> None:
        rid, r = cells[j]
        one = singles[j]
        if clock.over():
            _keep(one, one.rows, *clock.reason(), report)
            return
        book.undefined_called = None
        try:
            with clock.armed():
                val = evaluate(one.tree, Ctx(book, one.sheet, one.rows, int(runs[rid].rows[0]), one.col,
                                             area=_area_shape(one)))
            _store_checked(one, one.rows, val, book, report)
        except (Exception, TimeLimit) as exc:
            _keep_failed(one, one.rows, EvalError(str(exc)) if isinstance(exc, NotVectorisable) else exc, report)

    def value(j: int) -> float | None:
        grid, (_, c, r) = singles[j].sheet.grid, coords[j]
        return float(grid.num[r - 1, c - 1]) if grid.kind[r - 1, c - 1] == NUM else None

    book_cache, book.lookup_cache = book.lookup_cache, None   # ranges change while the group is evaluated
    demand = OnDemand(coords, compute, arrays)
    outer = book.on_read
    try:
        if cycles or on_demand:
            book.on_read = demand.on_read
        demand.run_all(order + [j for group in cycles for j in group])
        if demand.circular and model_iteration(book) is not None:
            demand.iterate(*model_iteration(book), value)
        elif demand.circular or circular:
            _keep_circles(demand, cells, singles, areas, runs, report, circular, saved)
    finally:
        book.on_read = outer
        book.lookup_cache = book_cache


def _keep_circles(demand, cells: list[tuple[int, int]], singles: list[Run], areas: list[list[tuple]],
                  runs: list[Run], report: RecalcReport, circular: CircularCells, saved: dict[int, Block]) -> None:
    """Iterative calculation off: the cells of the group on a circle, and those reading them (or
    reading cells kept so before), keep the values Excel cached, as Excel leaves them uncomputed."""
    def name(j: int) -> str:
        return f"{singles[j].sheet.name}!{column_letter(singles[j].col)}{cells[j][1]}"

    why: dict[int, str] = {j: "" for j in demand.circular}     # cell -> the kept cell it reads ("" on a circle)
    changed = True
    while changed:          # the cells of the group reading a kept cell, in the order they were computed
        changed = False
        for j in demand.done:
            if j in why:
                continue
            src = next((name(k) for k in demand.cells_read(j) if k in why and k != j), None)
            src = src or circular.first_inside(areas[j])
            if src is not None:
                why[j], changed = src, True
    per_run: dict[tuple[int, bool], list[int]] = {}
    for j in sorted(why):
        per_run.setdefault((cells[j][0], why[j] == ""), []).append(j)
    for (rid, on_circle), js in per_run.items():
        if on_circle:
            names = ", ".join(name(j) for j in js[:20])
            reason = f"circular reference: {names}" + (" ..." if len(js) > 20 else "")
        else:
            reason = _reads_kept(why[js[0]])
        _keep_uncomputed(runs[rid], np.array([cells[j][1] for j in js], np.int64), reason, report, circular,
                         saved.get(rid))


def _evaluate_after_circles(run: Run, book: Book, report: RecalcReport, clock: Clock,
                            circular: CircularCells) -> None:
    """Evaluate ``run``, but keep its cells that read a cell left uncomputed by a circle (Excel
    leaves them uncomputed too). A run partly kept is evaluated first, then its kept rows take
    back their cached values; a run wholly kept is not evaluated (an array formula's area keeps
    all its cells)."""
    hits = []
    if circular and run.problem is None and circular.first_inside([(s.index, *a) for s, *a in run.reads]):
        hits = [(r, circular.first_inside(_cell_areas(run, r, book))) for r in run.rows.tolist()]
        hits = [(r, src) for r, src in hits if src is not None]
    if len(hits) < len(run.rows):
        _evaluate_run(run, book, report, clock)
    if hits:
        _keep_uncomputed(run, np.array([r for r, _ in hits], np.int64), _reads_kept(hits[0][1]), report, circular)


def _reads_kept(cell: str) -> str:
    return f"circular reference: reads {cell}, which Excel leaves uncomputed"


def _keep_uncomputed(run: Run, rows: np.ndarray, reason: str, report: RecalcReport, circular: CircularCells,
                     saved: Block | None = None) -> None:
    """Cells a circle leaves uncomputed: what the engine computed for them is dropped, they keep the
    value Excel cached (nothing when there is none), and their readers will be kept too. ``saved``:
    an array formula's area as it was before it was computed (its cells without <f/> hold values)."""
    grid = run.sheet.grid
    if run.array_area is not None:
        r0, c0, r1, c1 = run.array_area
        if saved is not None:
            sl = (slice(r0 - 1, r1), slice(c0 - 1, c1))
            grid.kind[sl], grid.num[sl], grid.obj[sl] = saved.kind, saved.num, saved.obj
        cells = [(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]
    else:
        cells = [(r, run.col) for r in rows.tolist()]
        grid.kind[rows - 1, run.col - 1], grid.num[rows - 1, run.col - 1], grid.obj[rows - 1, run.col - 1] = EMPTY, 0.0, None
    for r, c in cells:
        circular.add(run.sheet, r, c)
    _keep(run, rows, "circular reference", reason, report)


def model_iteration(book: Book) -> tuple[int, float] | None:
    return book.model.iteration


def _collect_errors(model: WorkbookModel, report: RecalcReport) -> None:
    """Group the formula cells holding error values by sheet, column and error (vectorised)."""
    for sheet in model.sheets:
        f = sheet.formulas
        if len(f.rows) == 0:
            continue
        err = sheet.grid.kind[f.rows - 1, f.cols - 1] == ERR
        bad = np.flatnonzero(err if f.kept is None else err & ~f.kept)    # a kept cell's error is Excel's
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
            registry: dict | None = None, timeout: float | None = DEFAULT_TIMEOUT) -> RecalcReport:
    """Evaluate every formula of ``model`` in place (its sheet grids receive the values).

    Cells that cannot be evaluated (unknown function, external link, circular reference, over
    ``timeout`` seconds ...) keep the value Excel cached and are listed in ``report.problems``;
    ``sheet.formulas.kept`` marks them for write-back."""
    report = report or RecalcReport(model.path, None)
    today = today or dt.date.today()
    clock = Clock(timeout)
    book = Book(model, _serial(today, model.date1904), registry=registry)
    runs = build_runs(model)
    # numpy's overflow and invalid-value warnings are no message for the user: the inf or nan a
    # function gives becomes Excel's error value in the cell (#NUM!, #DIV/0!) where it is stored
    with clock.alarm(), deeper_recursion(), np.errstate(all="ignore"):
        for run in runs:        # the grids already span array areas (workbook_model._build_grid)
            if clock.over():
                run.problem = clock.reason()
                continue
            _prepare(run, model, book)
        index = AreaIndex(runs)
        edges = [set() for _ in runs]
        for rid, run in enumerate(runs):
            for area in run.reads:
                edges[rid] |= index.writers(*area)
        components = strongly_connected(len(runs), edges)
        order = _Order(components, runs, edges, index, book, report, clock)
        book.ensure_computed = order.ensure_computed
        # a second core evaluates a share of the components once this process has done the head
        head, theirs = plan(components, runs, edges, order.comp_of, random_free(book))
        try:
            for k in range(len(components)):
                if k == head and theirs:
                    order.share = _share(order, [j for j in theirs if order.state[j] == 0], model)
                if order.state[k] == 0:
                    order.evaluate(k)
        finally:
            if order.share is not None:
                order.share.close()
    report.runs = len(runs)
    report.formula_cells = int(sum(len(s.formulas.rows) for s in model.sheets))
    _mark_kept(model, report)
    report.cells_computed = report.formula_cells - report.kept_count
    _collect_errors(model, report)
    return report


def _share(order: _Order, theirs: list[int], model: WorkbookModel) -> Share | None:
    """A helper evaluating the components ``theirs`` (compute_share), None when there is none to
    be had (no temporary file, no process to spare: all here)."""
    try:
        return Share(order, theirs, lambda: RecalcReport(model.path, None)) if theirs else None
    except OSError:
        return None


class _RuntimeCycle(BaseException):
    """A formula read, when it ran, cells of a component still being evaluated (OFFSET(B1,0,0,2)
    in B2; a column reading its own rows through ``A1:INDEX(..)``): the components from that one
    to the reader are evaluated again together, cell by cell on demand. A BaseException, so that
    code catching a function's errors does not turn it into an error value."""

    def __init__(self, target: int):
        super().__init__(target)
        self.target = target
        self.between: list[int] = []        # the components interrupted on the way


class _Order:
    """Evaluates the components of the dependency graph, dependencies first (Tarjan's order), and
    those a formula reads when it runs (``ensure_computed``) on demand, before it reads them.

    A component computed on demand may come before its turn: its own dependencies are computed
    first. One found to be still under evaluation closes a circle the graph could not see; the
    components on it are evaluated again as one group, cell by cell on demand
    (:func:`_evaluate_cycle`), where only the cells really read count."""

    def __init__(self, components: list[list[int]], runs: list[Run], edges: list[set[int]], index: AreaIndex,
                 book: Book, report: RecalcReport, clock: Clock):
        self.components, self.runs, self.edges = components, runs, edges
        self.book, self.report, self.clock = book, report, clock
        self.state = np.zeros(len(components), np.int8)      # 0 to do, 1 being evaluated, 2 done
        self.comp_of = np.empty(len(runs), np.int64)
        for k, comp in enumerate(components):
            self.comp_of[comp] = k
        self.index = index
        self.grouped: set[int] = set()      # components evaluated cell by cell on demand right now
        self.on_demand: set[int] = set()    # components found to read their own cells when they run
        self.circular = CircularCells()     # cells left uncomputed by a circle (iterative calculation off)
        self.share: Share | None = None     # components a second core evaluates (compute_share)

    def ensure_computed(self, sheet, r0: int, c0: int, r1: int, c1: int) -> None:
        for rid in self.index.writers(sheet, r0, c0, r1, c1):
            k = int(self.comp_of[rid])
            if self.state[k] == 0:
                self.evaluate(k, early=True)
            elif self.state[k] == 1 and k not in self.grouped:
                raise _RuntimeCycle(k)       # k is being evaluated, but not cell by cell on demand

    def _dependencies(self, ks: list[int]) -> set[int]:
        return {int(self.comp_of[w]) for k in ks for rid in self.components[k] for w in self.edges[rid]} - set(ks)

    def evaluate(self, k: int, early: bool = False) -> None:
        """Evaluate component ``k``; ``early``: before its turn (its dependencies may not be done)."""
        if self.share is not None and self.share.holds(k):
            self.share.receive_through(k)
            if k in self.share.ready:       # its turn: its cells are in, its report entries go in now
                entries, vectorised = self.share.ready.pop(k)
                for problem, at in entries:
                    add_kept(self.report, problem, at)
                self.report.runs_vectorised += vectorised
                self.state[k] = 2
                return
        group = [k]
        while True:
            self.state[group] = 1
            mark = len(self.report.problems), len(self.report.kept_at)
            try:
                if early or len(group) > 1:
                    for d in sorted(self._dependencies(group)):
                        if self.state[d] == 0:
                            self.evaluate(d, early=True)
                        elif self.state[d] == 1 and d not in self.grouped:
                            raise _RuntimeCycle(d)
                self._run(group)
                self.state[group] = 2
                return
            except _RuntimeCycle as exc:
                # what the interrupted evaluation reported is dropped: it is evaluated again
                del self.report.problems[mark[0]:], self.report.kept_at[mark[1]:]
                self.state[group] = 0
                if exc.target not in group:
                    exc.between.extend(group)
                    raise
                group = sorted(set(group) | set(exc.between))
                self.on_demand.update(group)

    def _run(self, group: list[int]) -> None:
        comp = self.components[group[0]] if len(group) == 1 else [rid for k in group for rid in self.components[k]]
        on_demand = group[0] in self.on_demand
        if len(comp) == 1 and comp[0] not in self.edges[comp[0]] and not on_demand:
            _evaluate_after_circles(self.runs[comp[0]], self.book, self.report, self.clock, self.circular)
            return
        if on_demand:
            self.grouped.update(group)
        try:
            _evaluate_cycle(comp, self.runs, self.book, self.report, self.clock, self.circular, on_demand)
        finally:
            self.grouped.difference_update(group)


def _mark_kept(model: WorkbookModel, report: RecalcReport) -> None:
    """``formulas.kept`` of every sheet from the cells the report lists as kept."""
    by_sheet: dict[int, list] = {}
    for sheet, rows, cols in report.kept_at:
        by_sheet.setdefault(sheet.index, []).append(rows * (1 << 15) + cols)
    for sheet in model.sheets:
        f = sheet.formulas
        codes = by_sheet.get(sheet.index)
        f.kept = None if codes is None else np.isin(f.rows * (1 << 15) + f.cols, np.concatenate(codes))


def default_output(path: str | Path) -> Path:
    """``plan.xlsx`` -> ``plan.recalc.xlsx`` next to it."""
    p = Path(path)
    return p.with_name(p.stem + ".recalc" + p.suffix)


def recalculate(path: str | Path, output: str | Path | None = None, *, values_only: bool = False,
                today: dt.date | None = None, registry: dict | None = None,
                timeout: float | None = DEFAULT_TIMEOUT, phase: Callable[[str], None] | None = None) -> RecalcReport:
    """Recalculate the workbook at ``path`` and write the result to ``output``.

    ``output`` defaults to ``<stem>.recalc<suffix>`` next to the input; the input is only
    replaced when ``output`` is the same path (the CLI's ``--in-place``). ``values_only`` writes
    formulas replaced by their values. ``today`` fixes TODAY()/NOW() for reproducible results.
    Evaluation stops after ``timeout`` seconds (None: no limit): the cells not evaluated by then
    keep their cached values and are listed as kept ("time limit").
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
        compute(model, today, report, registry, timeout)
        give_back_free_memory()     # the computation's temporaries, before write-back adds its own
        t2 = time.perf_counter()
        phase("Writing")
        write_values(path, out, model, values_only=values_only)
        t3 = time.perf_counter()
    report.seconds_load, report.seconds_compute, report.seconds_write = t1 - t0, t2 - t1, t3 - t2
    return report
