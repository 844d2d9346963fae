"""Formula runs evaluated on a second core while this process evaluates the others.

After the load, computing the 20,000-session example is ~1.1-1.5 s of evaluation spread over 345
runs, on one core while the other is idle; the longest chain of runs reading each other is about a
quarter of it. So a forked helper (:class:`~ilt_xl.engine.second_core.HelperScan`: copy-on-write
model, results pickled back through an unlinked temporary file) evaluates a share of the
dependency graph's components while this process evaluates the others in the usual order.

Which ones (:func:`plan`): a few runs at the head of the order feed nearly all the others (the
example's Sessions columns 28-35, ~0.2 s, read by ~45% of the work), and a helper forked before
them could take only what does not read them. So this process first evaluates a head of the
order alone, then forks; the helper's share is then made in order, one component at a time, by
list scheduling on the estimated cost (:func:`estimated_cost`): a component goes to the helper
when the helper would have it done before this process reaches it and all it reads is in the
head or in the helper's share already. Every head whose cost is at most :data:`_MOST_HEAD` of the total is tried
in this way; the one finishing first (as estimated) is taken.

Each of the helper's components comes back as the grid cells its runs wrote and what it added to
the report (cells kept as cached, runs vectorised); this process takes it where the serial order
would evaluate it, waiting for it only then.

The helper is only ever a speed-up, and the result is the serial one:

- a component's report entries are added where the serial order adds them (components the helper
  evaluated ahead of their turn hold theirs until then), through the same merging of neighbouring
  entries, so the report lists the same entries in the same order;
- the helper takes no component holding a random function (RAND draws from one sequence in
  serial order), none on a circle or reading itself, none that cannot be evaluated (a problem
  found before evaluation); a formula of its share that reads at run time (OFFSET, INDIRECT,
  INDEX) a component not in it, or ends up evaluating circles on demand, stops the helper there;
- whatever the helper did not deliver (stopped, died, sent what cannot be read) is evaluated here
  when its turn comes, as if there had been no helper.

No helper on one core, in a pool's worker (``batch``), without ``fork``, where the estimated
work is too small to pay for the fork and the pickles or the plan saves too little of it, or
while the other cores are busy (:func:`idle_core`): then the helper only competes with this
process for a core, and this process waits for it (the 20,000-session example with 5-7 tasks
running on 2 cores: compute 0.5-1.5 s slower with a helper). ``ILT_XL_COMPUTE_SHARE=0`` turns it
off, ``=1`` asks for it whatever the workbook's size and the machine's load (measurements, tests).
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ilt_xl.engine.common_subtrees import is_random
from ilt_xl.engine.formula_tree import iter_nodes
from ilt_xl.engine.run_limits import TimeLimit
from ilt_xl.engine.second_core import MOST_JOBS, HelperScan, cores

_LEAST_COST = 3_000_000    # estimated cost (see estimated_cost; ~0.2 s here) below which compute stays in one process
_FORK = 0.03               # of the estimated cost: the helper's start (the fork, its first copy-on-write copies)
_THERE = 1.1               # a component's cost in the helper against here (pickling its cells, page copies)
_LEAST_GAIN = 0.1          # of the estimated cost: a plan saving less is not worth a second process
_MOST_HEAD = 0.4           # of the estimated cost: the longest head tried (see plan)
_HEADS = 16                # heads tried at most
_PLAN_WORK = 50_000        # components times heads tried, at most (the plan of 8,500 components, 5 heads: 0.05 s)
_LOADAVG = "/proc/loadavg"
_SWITCH = "ILT_XL_COMPUTE_SHARE"


def estimated_cost(run) -> int:
    """What evaluating ``run`` costs, guessed without a previous run: its rows (cells) times one
    more than its formula's distinct calls (``run.calls``, each a pass over the rows; see
    :func:`~ilt_xl.engine.common_subtrees.subtree_counts`). On the 20,000-session example's 345
    runs this explains 0.58 of the variance of the runs' measured times, the formula's length
    times the rows 0.29."""
    return (len(run.rows) if run.array_area is None else 1) * (1 + run.calls)


def plan(components: Sequence[list[int]], runs: Sequence, edges: Sequence[set[int]], comp_of: np.ndarray,
         random_free: Callable[[Any], bool]) -> tuple[int, list[int]]:
    """(head, theirs): this process evaluates the components before position ``head`` alone, then
    forks a helper evaluating ``theirs`` (positions in ``components``, in order; each reads only
    components before ``head`` or in ``theirs``). ``(0, [])`` when no helper is worth it (see
    the module's text)."""
    switch = os.environ.get(_SWITCH)
    forced = switch == "1"
    if switch == "0" or not hasattr(os, "fork") or not forced and (cores() < 2 or not idle_core()):
        return 0, []
    cost = [sum(estimated_cost(runs[rid]) for rid in comp) for comp in components]
    total = sum(cost)
    if total == 0 or not forced and total < _LEAST_COST:
        return 0, []
    deps = [{int(comp_of[w]) for rid in comp for w in edges[rid]} - {k} for k, comp in enumerate(components)]
    fit = [len(comp) == 1 and comp[0] not in edges[comp[0]] and runs[comp[0]].problem is None
           and random_free(runs[comp[0]]) for comp in components]
    best = (total * (1 - _LEAST_GAIN), 0, [])        # (estimated end, head, theirs)
    for head in _heads(cost, total):
        end, theirs = _schedule(head, cost, deps, fit, total * _FORK)
        if theirs and (end < best[0] or forced and not best[2]):
            best = end, head, theirs
    return best[1], best[2]


def _heads(cost: list[int], total: int) -> list[int]:
    """The heads :func:`plan` tries: none, and the ends of components where the head's cost
    passes each step of :data:`_MOST_HEAD` / :data:`_HEADS` of the total, up to that share (fewer
    steps for many components: each head tried is a pass over them all)."""
    steps = max(1, min(_HEADS, _PLAN_WORK // max(len(cost), 1)))
    heads, step, spent = [0], total * _MOST_HEAD / steps, 0
    for k, c in enumerate(cost):
        spent += c
        if spent > total * _MOST_HEAD:
            break
        if spent >= step * len(heads):
            heads.append(k + 1)
    return heads


def _schedule(head: int, cost: list[int], deps: list[set[int]], fit: list[bool], fork: float) -> tuple[float, list[int]]:
    """The helper's share after ``head`` by list scheduling (see the module's text), and when
    this process would be done (estimated cost). This process waits for each of the helper's
    components where the serial order evaluates it; so a component goes to the helper only when
    the helper would have it done by then (given one when it would only be done later, the helper
    falls behind this process, which then waits at each of the helper's components to come)."""
    here = sum(cost[:head])
    there = here + fork
    theirs: list[int] = []
    mine = set()
    for k in range(head, len(cost)):
        if fit[k] and there + cost[k] * _THERE <= here and all(d < head or d in mine for d in deps[k]):
            theirs.append(k)
            mine.add(k)
            there += cost[k] * _THERE
        else:
            here += cost[k]
    return here, theirs


def idle_core() -> bool:
    """Whether a core is idle now: fewer tasks running (this one included) than this process's
    cores, as Linux counts them (``/proc/loadavg``'s fourth field; the load averages are minutes
    late). True where that cannot be read."""
    try:
        with open(_LOADAVG, "rb") as f:
            running = int(f.read().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        return True
    return running < cores()


def random_free(book) -> Callable[[Any], bool]:
    """A test of a prepared run: True when neither its formula nor a defined name it uses (nor
    theirs) calls a random function."""
    def test(run) -> bool:
        trees, seen = [run.tree], set()
        while trees:
            for node in iter_nodes(trees.pop()):
                if node.kind == "fn" and is_random(str(node.value)):
                    return False
                if node.kind == "name" and str(node.value).upper() not in seen:
                    seen.add(str(node.value).upper())
                    sub = book.name_tree(str(node.value), run.sheet, int(run.rows[0]), run.col)
                    if sub is not None:
                        trees.append(sub)
        return True
    return test


class NotHere(BaseException):
    """In the helper: a formula read, when it ran, cells of a component the helper does not
    evaluate (or needed circles evaluated on demand). A BaseException, so that the evaluation of a
    formula does not turn it into a kept cell: it ends the helper's work."""


class Share:
    """This process's side: the helper's components, in jobs of consecutive ones (at most
    :data:`~ilt_xl.engine.second_core.MOST_JOBS`, the helper's queue), and those it delivered
    and this process did not yet take (``ready``: component -> its report entries and
    vectorised runs). ``OSError`` when there is no helper to be had."""

    def __init__(self, order, theirs: list[int], new_report: Callable[[], Any]) -> None:
        size = -(-len(theirs) // MOST_JOBS)
        jobs = [theirs[i:i + size] for i in range(0, len(theirs), size)]
        self.job_of = {k: j for j, job in enumerate(jobs) for k in job}
        self.taken = -1         # the helper's jobs up to this one are taken (or will never come)
        self.ready: dict[int, tuple] = {}
        self.order = order
        self.helper = HelperScan(jobs, range(len(jobs)), _Helper(order, new_report).step,
                                 lambda: _in_helper(order, theirs))

    def holds(self, k: int) -> bool:
        return k in self.ready or self.job_of.get(k, -1) > self.taken

    def receive_through(self, k: int) -> None:
        """Take the helper's results up to component ``k``'s job (waiting for them): their cells go
        into the grids at once, their report entries wait in ``ready``. On the first job not
        delivered, the helper is ended and every component left is this process's."""
        job = self.job_of.get(k, -1)
        if job <= self.taken:
            return
        sheets = self.order.book.model.sheets
        for position, result in self.helper.results(wait=True):     # in the queue's order: the helper's alone
            self.taken = position
            if result is None:
                break
            for done, columns, entries, vectorised in result:
                for rid, (r0, c0, r1, c1), kind, num, obj in columns:
                    grid, sl = self.order.runs[rid].sheet.grid, (slice(r0 - 1, r1), slice(c0 - 1, c1))
                    grid.kind[sl], grid.num[sl], grid.obj[sl] = kind, num, obj
                for j in done:
                    self.ready[j] = ([], 0)
                if done:        # the component whose turn it was first
                    self.ready[done[0]] = ([(p, (sheets[s], rows, cols)) for p, (s, rows, cols) in entries], vectorised)
            if position >= job:
                return
        self.taken = len(self.job_of)       # ended, died or failed: the rest is this process's
        self.close()

    def close(self) -> None:
        self.helper.close()


def _in_helper(order, theirs: list[int]) -> None:
    """The helper's first step: the interval timer of the time limit again (a fork keeps the
    handler, not the timer), and run-time reads outside its share stopped."""
    order.clock.rearm()
    mine = set(theirs)
    ensure = order.ensure_computed

    def ensure_mine(sheet, r0: int, c0: int, r1: int, c1: int) -> None:
        for rid in order.index.writers(sheet, r0, c0, r1, c1):
            k = int(order.comp_of[rid])
            if order.state[k] == 0 and k not in mine:
                raise NotHere(k)
        ensure(sheet, r0, c0, r1, c1)
    order.book.ensure_computed = ensure_mine


class _Helper:
    """The helper's work, a job of components a step (:class:`HelperScan` calls :meth:`step` in
    turn). A step that fails is the last one done (later ones may read what it left undone)."""

    def __init__(self, order, new_report: Callable[[], Any]) -> None:
        self.order, self.new_report = order, new_report
        self.failed = False

    def step(self, job: list[int]) -> list[tuple]:
        if self.failed:
            raise RuntimeError("evaluated here only")
        try:
            return [self._component(k) for k in job]
        except (NotHere, TimeLimit):
            self.failed = True
            raise RuntimeError("evaluated here only") from None
        except BaseException:
            self.failed = True
            raise

    def _component(self, k: int) -> tuple:
        """Evaluate component ``k`` (unless an earlier one evaluated it on demand) and give the
        components done, their runs' cells, the report entries added and the runs vectorised."""
        order = self.order
        before = order.state.copy()
        order.report = report = self.new_report()
        if order.state[k] == 0:
            order.evaluate(k)
        done = np.flatnonzero((order.state == 2) & (before != 2)).tolist()
        # components evaluated on demand inside k's turn: their entries would be k's; this
        # process may want one of them before k's turn, where the serial order adds them
        if order.on_demand or order.circular or (len(done) > 1 and report.problems):
            raise NotHere(k)
        if k in done:           # the component whose turn it is first: the entries are its
            done.remove(k)
            done.insert(0, k)
        columns = []
        for j in done:
            for rid in order.components[j]:
                run = order.runs[rid]
                r0, c0, r1, c1 = run.area
                g, sl = run.sheet.grid, (slice(r0 - 1, r1), slice(c0 - 1, c1))
                columns.append((rid, (r0, c0, r1, c1), g.kind[sl], g.num[sl], g.obj[sl]))
        entries = [(p, (sheet.index, rows, cols)) for p, (sheet, rows, cols) in zip(report.problems, report.kept_at)]
        return done, columns, entries, report.runs_vectorised
