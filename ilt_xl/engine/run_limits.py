"""Limits of one recalculation: a time limit that never lets a run hang, and the depth of formulas.

:class:`Clock` is checked between runs and between the cells of a run; while one formula is
evaluated, an interval timer (``SIGALRM``, main thread only) interrupts it when the limit
passes, so a single runaway cell is stopped too. Python's arbitrary-precision arithmetic checks
for signals inside its loops, so even ``10 ** (10 ** 50)`` is interrupted. Cells not evaluated
in time keep their cached values (see :mod:`ilt_xl.engine.recalc`).
"""
from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # the CLI reads DEFAULT_TIMEOUT at start-up: no formula parser imported for it
    from ilt_xl.engine.formula_tree import Node

DEFAULT_TIMEOUT = 300.0
# The evaluator walks formula trees recursively, a few frames per level; formulas are refused
# beyond recalc.MAX_DEPTH levels, so this many frames are always enough.
_RECURSION_LIMIT = 10_000


class TimeLimit(BaseException):
    """The run's time limit passed while a formula was evaluated; args are (kind, reason).

    A BaseException, like KeyboardInterrupt, so that code catching the errors of a function
    (``except Exception``) does not turn it into an error value."""


class Clock:
    """The deadline of one recalculation (``seconds`` None or <= 0: no limit)."""

    def __init__(self, seconds: float | None):
        self.seconds = seconds if seconds and seconds > 0 else None
        self.deadline = time.monotonic() + self.seconds if self.seconds else float("inf")
        self._armed = False
        self._timer = False     # the interval timer is set (inside alarm)

    def over(self) -> bool:
        return time.monotonic() > self.deadline

    def reason(self) -> tuple[str, str]:
        return "time limit", f"not evaluated: the {self.seconds:g}-second time limit (--timeout) was reached"

    @contextlib.contextmanager
    def armed(self) -> Iterator[None]:
        """While inside, the alarm (if set by :meth:`alarm`) interrupts evaluation with TimeLimit."""
        if self.over():
            raise TimeLimit(*self.reason())
        before, self._armed = self._armed, True      # nested: OFFSET computes what it reads first
        try:
            yield
        finally:
            self._armed = before

    def _on_alarm(self, signum, frame) -> None:
        if self._armed:
            self._armed = False
            raise TimeLimit(*self.reason())

    @contextlib.contextmanager
    def alarm(self) -> Iterator[None]:
        """Arm an interval timer at the deadline (main thread only; elsewhere the checks between
        cells are the limit), restoring the previous handler afterwards."""
        if self.seconds is None or threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.signal(signal.SIGALRM, self._on_alarm)
        self._timer = True
        self.rearm()
        try:
            yield
        finally:
            self._timer = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def rearm(self) -> None:
        """Set the interval timer (inside :meth:`alarm`); a forked process calls it again, as a fork
        keeps the signal handler but not the timer."""
        if self._timer:
            # fires at the deadline, then every 0.2 s: an alarm landing outside a formula is not lost
            signal.setitimer(signal.ITIMER_REAL, max(self.deadline - time.monotonic(), 0.001), 0.2)


@contextlib.contextmanager
def deeper_recursion() -> Iterator[None]:
    """Room for the evaluator's recursion on formulas as deep as Excel allows (and a little more)."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, _RECURSION_LIMIT))
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def tree_depth(tree: "Node") -> int:
    """Levels of a formula tree, counted without recursion (the tree may be very deep)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((a, depth + 1) for a in node.args)
    return deepest
