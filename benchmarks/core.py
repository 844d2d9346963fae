"""Time the pure core on the 20,000-session example: Sessions columns, conflicts, allocation, KPIs.

Speed is measured here, side by side with the work's size, not asserted in unit tests
(a loaded CI machine would make such tests flaky). Best of three runs after one warm-up.

    python benchmarks/core.py [sessions]
"""
from __future__ import annotations

import sys
import time
from typing import Callable

from ilt_xl.core.allocation import allocate
from ilt_xl.core.kpis import kpi_report
from ilt_xl.core.resources import conflicts
from ilt_xl.core.sessions import session_table
from ilt_xl.workbook.example import make_example


def best_of(runs: int, work: Callable[[], object]) -> float:
    work()  # warm-up: imports, ECB table, holiday calendars
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return min(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    example = make_example(n)
    tables, settings = example.tables, example.settings
    sessions = session_table(tables, settings)
    steps = {
        "Sessions columns": lambda: session_table(tables, settings),
        "conflicts": lambda: conflicts(tables, settings, sessions=sessions),
        "allocation ledger": lambda: allocate(sessions, tables["Enrolments"]),
        "KPIs by year": lambda: kpi_report(tables, settings, sessions),
    }
    print(f"core on {len(tables['Sessions']):,} sessions (best of 3)")
    for name, work in steps.items():
        print(f"  {name:<18} {best_of(3, work):7.3f} s")


if __name__ == "__main__":
    main()
