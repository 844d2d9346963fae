"""Time each registered ILT_* function over a 20,000-row column.

For every function in ``ilt_xl.functions.SPECS`` that has sample arguments
below, builds 20,000-row inputs as xlwings would pass them (Python lists, one
value per row, cycling through the samples), calls it once to warm caches (ECB
table, holiday calendars), then prints the best of three timed calls and the
time per row. Goal: under 50 ms per call for the arithmetic functions and ILT_FX.

    python benchmarks/functions.py [rows]
"""
from __future__ import annotations

import datetime as dt
import sys
import time
from dataclasses import dataclass
from itertools import cycle, islice

from ilt_xl.functions import SPECS

ROWS = 20_000
GOAL_MS = 50.0


@dataclass(frozen=True)
class Fixed:
    """A sample passed as it is (a lookup range), not repeated per row."""

    value: object


MANUAL_RATES = Fixed([["Date", "Currency", "PerEUR"], [45200, "USD", 1.05], [45300, "GBP", 0.86]])

# Per function: argument name -> values cycled over the rows (or a Fixed value).
SAMPLES: dict[str, dict[str, object]] = {
    "ILT_DAYS": {"start": [45292, 45300], "end": [45293, 45304]},
    "ILT_LEARNERHOURS": {"learners": [8, 12, 0], "days": [1, 2], "hours_per_day": [7, 7.5]},
    "ILT_OCCUPANCY": {"registered": [8, 12, 3], "capacity": [12, 12, 0, 16]},
    "ILT_SESSIONCOST": {"fixed": [1200, 950.5], "variable_per_learner": [25, 40], "learners": [8, 12, 3]},
    "ILT_COSTPERLEARNER": {"fixed": [1200, 950.5], "variable_per_learner": [25, 40], "learners": [8, 12, 0]},
    "ILT_BREAKEVEN": {"fixed": [1200, 950.5], "price_per_learner": [300, 250, 20], "variable_per_learner": [25, 40]},
    "ILT_GONOGO": {"status": ["Planned", "Confirmed", "Cancelled", "Delivered"], "registered": [3, 9],
                   "minimum": [5, 6, 4], "start": [45400, 45430], "today": [45390], "lead_days": [14]},
    "ILT_ALLOCATE": {"total": Fixed(123456.78), "weights": [1, 2, 3, 0, 5]},
    "ILT_FXRATE": {"from_ccy": ["USD", "GBP", "JPY", "EUR"], "to_ccy": ["EUR", "CHF"],
                   "date": [45292 + i for i in range(0, 700, 7)], "rates": MANUAL_RATES},
    "ILT_FX": {"amount": [100, 2500.5, 17], "from_ccy": ["USD", "GBP", "JPY", "EUR"], "to_ccy": ["EUR", "CHF"],
               "date": [45292 + i for i in range(0, 700, 7)], "rates": MANUAL_RATES},
    "ILT_WORKDAYS": {"start": [45292, 45300, 45310], "end": [45330, 45400], "country": ["DE", "FR", "GB", "", "NA"]},
    "ILT_DUEDATE": {"anchor": [45292 + i for i in range(0, 365, 3)], "offset_workdays": [-10, -5, 0, 3, 10],
                    "country": ["DE", "FR", "GB", "", "NA"]},
    # The resource functions, when registered: instructor bookings over two years.
    "ILT_CONFLICTS": {"session_ids": [f"S{i}" for i in range(ROWS)], "resource_ids": [f"I{i}" for i in range(200)],
                      "starts": [45292 + i for i in range(730)], "ends": [45293 + i for i in range(730)],
                      "statuses": ["Planned", "Confirmed", "Cancelled"]},
    "ILT_AVAILABLE": {"skill": Fixed("Excel"), "start": Fixed(45400), "end": Fixed(45401),
                      "instructor_ids": [f"I{i}" for i in range(200)],
                      "instructor_skills": ["Excel, Word", "Python", "excel"],
                      "booked_instructors": [f"I{i}" for i in range(200)],
                      "booked_starts": [45292 + i for i in range(730)], "booked_ends": [45293 + i for i in range(730)],
                      "booked_statuses": ["Planned", "Confirmed", "Cancelled"]},
    "ILT_UTILIZATION": {"resource_ids": [f"I{i}" for i in range(200)], "start": [45292], "end": [45657],
                        "booked_resources": [f"I{i}" for i in range(200)],
                        "booked_starts": [45292 + i for i in range(730)],
                        "booked_ends": [45293 + i for i in range(730)],
                        "booked_statuses": ["Planned", "Confirmed", "Cancelled"], "country": ["DE", "FR", ""]},
}


def build_args(name: str, rows: int) -> list[object] | None:
    """The 20,000-row arguments of ``name`` from its samples, or None when it has none."""
    sample = SAMPLES.get(name)
    spec = SPECS[name]
    if sample is None or any(a.name not in sample and not a.optional for a in spec.args):
        return None
    args = []
    for arg in spec.args:
        value = sample.get(arg.name)
        if value is None or isinstance(value, Fixed):
            args.append(None if value is None else value.value)
        else:
            args.append(list(islice(cycle(value), rows)))
    return args


def main(rows: int = ROWS) -> None:
    print(f"ILT_* worksheet functions over {rows:,} rows (best of 3, after one warm-up call)")
    print(f"{'function':<22}{'category':<12}{'ms/call':>10}{'us/row':>10}  goal {GOAL_MS:.0f} ms")
    for name in sorted(SPECS):
        args = build_args(name, rows)
        if args is None:
            print(f"{name:<22}{SPECS[name].category:<12}{'(no sample arguments)':>20}")
            continue
        func = SPECS[name].func
        func(*args)
        best = min(_timed(func, args) for _ in range(3))
        flag = "ok" if best * 1000 < GOAL_MS else "over"
        print(f"{name:<22}{SPECS[name].category:<12}{best * 1000:>10.1f}{best * 1e6 / rows:>10.2f}  {flag}")
    print(f"(python {sys.version.split()[0]}, {dt.date.today()})")


def _timed(func, args) -> float:
    start = time.perf_counter()
    func(*args)
    return time.perf_counter() - start


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else ROWS)
