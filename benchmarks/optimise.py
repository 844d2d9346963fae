"""Optimise the example planners: sessions in scope, model size, solver status and gap, time, saving.

Runs the optimiser core (:func:`ilt_xl.core.optimise.optimise`) on the example built in memory
(no workbook I/O), with the default options (cost, scope planned, 60 s time limit) and, on the
600-session example, with ``--move-days 2``, ``--objective balance`` and forced block-by-block
(``Options(decompose=True)``, :mod:`ilt_xl.core.decompose`, which the 20,000-session example takes
by itself) too; then the merge advisor. The time reported is the optimiser's own (model building
included). "blocks" is how many independent blocks the model was solved in (1: one MILP).

    python benchmarks/optimise.py [sessions ...]     # default: 600 20000
"""
from __future__ import annotations

import sys
import time

from ilt_xl.core.merge import merge_advice
from ilt_xl.core.optimise import Options, optimise
from ilt_xl.workbook.example import make_example


def run(sessions: int) -> None:
    example = make_example(sessions)
    runs = [Options()] if sessions > 5000 else [Options(), Options(move_days=2), Options(objective="balance"),
                                                Options(decompose=True)]
    for options in runs:
        result = optimise(example.tables, example.settings, options)
        gap = "n/a" if result.gap is None else f"{result.gap:.3%}"
        print(f"{sessions:>6} sessions  {options.objective:<7} move-days {options.move_days}: {result.sessions} in scope, "
              f"{result.variables:,} variables, {result.constraints:,} constraints, {result.blocks} block(s); "
              f"{result.status} (gap {gap}) "
              f"in {result.seconds:.1f} s; cost {result.cost_before:,.2f} -> {result.cost_after:,.2f} EUR "
              f"(saving {result.saving:,.2f}, {result.saving / result.cost_before:.1%}); "
              f"{(result.proposals['Outcome'] == 'Proposed').sum()} proposals, {len(result.unstaffable)} unstaffable",
              flush=True)
    start = time.perf_counter()
    merges = merge_advice(example.tables, example.settings)
    print(f"{sessions:>6} sessions  merge-advice: {len(merges)} merges, {merges['LearnersMoved'].sum():g} learners moved, "
          f"fixed cost saved {merges['Saving'].sum():,.2f} EUR in {time.perf_counter() - start:.2f} s", flush=True)


if __name__ == "__main__":
    for n in [int(a) for a in sys.argv[1:]] or [600, 20_000]:
        run(n)
