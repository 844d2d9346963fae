"""Solve a large 0-1 assignment model block by block, with a proven bound on how far the plan is from optimal.

The optimiser's model (:mod:`ilt_xl.core.optimise`) is mostly local: an instructor or a room
is only contested by sessions whose dates overlap, so its rows (one option per session, one
session a day per resource, equipment per day) link few variables. Only the *coupling*
rows, an instructor's available days per year, span the whole horizon. Dropping them splits
the model into independent blocks (connected components of the variables the local rows
link); a month or two of sessions each on the 20,000-session example.

:func:`solve_by_blocks`:

1. **Bound**: the LP relaxation of the whole model (HiGHS). Its optimum is a lower bound on
   every plan's cost, and its duals price each coupling row (a day of a scarce instructor).
   Should the LP run out of time, the bound is the sum of each block's LP without the coupling
   rows (a relaxation too), and nothing is priced.
2. **Plan**: the blocks are solved as MILPs one after the other, each minimising its cost plus
   the LP's price of what it takes from the coupling rows, within what the blocks before it
   left of those rows. Every block's plan is feasible, so their union is: a plan always exists
   (a block whose MILP finds nothing in its share of the time takes the caller's greedy plan).
3. **Gap**: (cost of the plan - bound) / cost of the plan, as HiGHS reports a MIP gap. With no
   coupling row binding, each block solved to its gap is the whole model solved to it.

Contract of the model: rows are equalities or ``<=`` rows (lower bound -inf); coupling rows
are ``<=`` rows with nonnegative coefficients (so what is left of them is their bound less what
earlier blocks use); ``slack`` variables above 0.5 mark a block's plan as leaving something
undone (a session unstaffed), which a block then tries to avoid by borrowing from later blocks.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse.csgraph import connected_components

# Shares of the time limit: the LP bound may take the first 40%; the blocks' first plans are made by 55% (a block
# left with too little time takes its greedy plan); improving them stops at 60%: a margin for the rest of the command
# (writing the Proposals) on a busy machine.
_LP_SHARE = 0.4
_FIRST_PASS_UNTIL = 0.55
_DESCENT_UNTIL = 0.6
_PASSES = 3
# A block MILP given less time than this is not started: its greedy plan is taken.
_MIN_SECONDS = 0.3


@dataclass
class Model:
    """min c x  s.t.  lb <= a x <= ub, 0 <= x <= upper, x integer where ``integrality`` is 1."""

    c: np.ndarray
    a: sparse.csr_matrix
    lb: np.ndarray
    ub: np.ndarray
    integrality: np.ndarray
    upper: np.ndarray


@dataclass
class Solution:
    """A plan (``x``), its cost, the proven lower bound and the relative gap between them."""

    x: np.ndarray
    objective: float
    bound: float
    gap: float
    blocks: int
    bound_from: str          # "LP relaxation" or "block LPs without the coupling rows"


def blocks_of(a: sparse.csr_matrix, local: np.ndarray) -> np.ndarray:
    """Block label of each variable: the connected components of the variables the ``local`` rows link."""
    n_var = a.shape[1]
    part = a[np.flatnonzero(local)].tocoo()
    # Bipartite graph: variables 0..n_var-1, rows after them; a variable joins each local row it appears in.
    graph = sparse.coo_matrix((np.ones(part.nnz), (part.col, n_var + part.row)),
                              shape=(n_var + part.shape[0],) * 2)
    _, labels = connected_components(graph, directed=False)
    return labels[:n_var]


def _lp(m: Model, rows: np.ndarray, cols: np.ndarray, time_limit: float):
    """LP relaxation of the sub-model on ``rows`` x ``cols``: its optimum, the duals of its rows and its x (or Nones)."""
    a = m.a[rows][:, cols]
    eq = m.lb[rows] == m.ub[rows]
    res = linprog(m.c[cols], A_ub=a[~eq], b_ub=m.ub[rows][~eq], A_eq=a[eq], b_eq=m.ub[rows][eq],
                  bounds=np.column_stack([np.zeros(len(cols)), m.upper[cols]]), method="highs",
                  options={"time_limit": max(float(time_limit), 0.1), "presolve": True})
    if res.status != 0:
        return None, None, None
    duals = np.zeros(len(rows))
    duals[~eq] = -res.ineqlin.marginals   # >= 0: what one more unit of the row would save
    return float(res.fun), duals, res.x


def solve_by_blocks(m: Model, coupling: np.ndarray, slack: np.ndarray, time_limit: float, gap: float,
                    greedy: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Solution:
    """The plan and bound described in the module docstring, within ``time_limit`` seconds (about).

    ``greedy(cols, row_ub)``: a feasible plan of the block ``cols`` (its values) within the row bounds ``row_ub``,
    for a block whose MILP finds no plan in its share of the time.
    """
    started = time.perf_counter()
    n_var = len(m.c)
    label = blocks_of(m.a, ~coupling)
    order = np.argsort(label, kind="stable")
    bounds_at = np.flatnonzero(np.diff(label[order])) + 1
    groups = sorted((np.sort(g) for g in np.split(order, bounds_at)), key=lambda g: g[0])
    csc = m.a.tocsc()
    coupling_rows = np.flatnonzero(coupling)

    bound, duals, relaxed = _lp(m, np.arange(m.a.shape[0]), np.arange(n_var), time_limit * _LP_SHARE)
    bound_from = "LP relaxation"
    price = np.zeros(n_var)
    coupling_a = m.a[coupling_rows].tocsc()
    # What the LP's plan takes from each coupling row, per block: a block may not eat into what later blocks took.
    reserved = np.zeros((len(groups), len(coupling_rows)))
    if duals is not None:
        price = coupling_a.T @ duals[coupling_rows]
        for k, cols in enumerate(groups):
            reserved[k] = coupling_a[:, cols] @ relaxed[cols]
        reserved = np.floor(np.cumsum(reserved[::-1], axis=0)[::-1] - reserved + 1e-9)   # blocks after k
    else:
        bound, bound_from = 0.0, "block LPs without the coupling rows"

    x = np.zeros(n_var)
    left = m.ub[coupling_rows].astype("float64").copy()
    local_rows, vars_left = [], n_var
    for k, cols in enumerate(groups):
        rows = np.unique(csc[:, cols].tocoo().row)
        local_rows.append(rows[~coupling[rows]])
        if duals is None:
            block_bound, _, _ = _lp(m, local_rows[k], cols, 1.0)
            bound += block_bound if block_bound is not None else float(np.minimum(m.c[cols], 0).sum())
        share = (time_limit * _FIRST_PASS_UNTIL - (time.perf_counter() - started)) * len(cols) / vars_left
        vars_left -= len(cols)
        for limit in (left - reserved[k], left):   # the second: borrow from later blocks to staff every session
            row_ub = m.ub.astype("float64").copy()
            row_ub[coupling_rows] = limit
            x[cols] = _block_plan(m, local_rows[k], cols, coupling_a[:, cols], limit, price[cols], share, gap,
                                  fallback=lambda: greedy(cols, row_ub))
            if not (x[np.intersect1d(cols, slack)] > 0.5).any():
                break
        left -= coupling_a[:, cols] @ x[cols]

    # Block coordinate descent: each block again, at its true cost, within what all the others use now. A block's
    # current plan is feasible for it, so the cost never rises. Blocks furthest above their share of the LP's cost
    # first; passes stop when the gap is closed, when a pass closes less than a third of it, or at _DESCENT_UNTIL.
    used = coupling_a @ x
    lp_cost = np.array([m.c[cols] @ relaxed[cols] for cols in groups]) if relaxed is not None else np.zeros(len(groups))
    for _ in range(_PASSES):
        before = float(m.c @ x)
        start_gap = before - bound
        if start_gap <= gap * abs(before):
            break
        excess = np.array([m.c[cols] @ x[cols] for cols in groups]) - lp_cost
        for k in np.argsort(-excess, kind="stable"):
            cols = groups[k]
            remaining = time_limit * _DESCENT_UNTIL - (time.perf_counter() - started)
            if remaining < 0.5 or excess[k] <= gap * abs(before) / len(groups):
                break
            mine = coupling_a[:, cols] @ x[cols]
            trial = _block_plan(m, local_rows[k], cols, coupling_a[:, cols], m.ub[coupling_rows] - used + mine,
                                np.zeros(len(cols)), remaining, gap, fallback=lambda: x[cols])
            if m.c[cols] @ trial < m.c[cols] @ x[cols] - 1e-9:
                x[cols] = trial
                used += coupling_a[:, cols] @ trial - mine
        if before - float(m.c @ x) < start_gap / 3:
            break

    objective = float(m.c @ x)
    bound = min(bound, objective)
    return Solution(x=x, objective=objective, bound=bound, gap=(objective - bound) / max(abs(objective), 1e-9),
                    blocks=len(groups), bound_from=bound_from)


def _block_plan(m: Model, local_rows, cols, coupling_a, left, price, time_limit, gap, fallback) -> np.ndarray:
    """One block's MILP: its cost plus the price of the coupling rows it uses, within what is left of them.

    Unless the MILP proves its plan optimal, ``fallback()`` (a greedy plan, or the block's current one) is taken
    when it is cheaper: a MILP stopped early may hold only its first incumbent, which leaves sessions to the slack.
    """
    objective = m.c[cols] + price
    found = None
    if time_limit >= _MIN_SECONDS:
        used = np.flatnonzero(coupling_a.getnnz(axis=1))
        a = sparse.vstack([m.a[local_rows][:, cols], coupling_a[used]]).tocsr()
        lb = np.concatenate([m.lb[local_rows], np.full(len(used), -np.inf)])
        ub = np.concatenate([m.ub[local_rows], np.maximum(left[used], 0)])
        res = milp(objective, integrality=m.integrality[cols], bounds=Bounds(np.zeros(len(cols)), m.upper[cols]),
                   constraints=LinearConstraint(a, lb, ub),
                   options={"time_limit": float(time_limit), "mip_rel_gap": gap, "disp": False})
        if res.x is not None:
            found = np.where(m.integrality[cols] == 1, np.round(res.x), res.x)
            if res.status == 0:
                return found
    other = fallback()
    return other if found is None or objective @ other < objective @ found else found
