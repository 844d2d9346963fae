"""Run linear algebra on one BLAS thread, so its last bits do not depend on the machine's thread count.

A threaded BLAS (OpenBLAS, MKL) splits products and factorisations over its threads, and the split changes
the order in which floating-point partial sums are added. Measured on the example planner's forecast:
OPENBLAS_NUM_THREADS=1 vs 2 changed the GLM's coefficients in their last bit (3e-17) and, through the
draws, the simulated learners by up to 7e-7, enough to move a quantile across a half cent (ForecastMonths
CostP50 74,505.02 vs 74,505.03). One thread is also what xlwings Lite computes: Pyodide has no threads, so
there is nothing to limit there (and threadpoolctl is not a Lite dependency).
"""
from __future__ import annotations

import functools
import sys
from contextlib import AbstractContextManager, nullcontext
from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable)


def one_blas_thread() -> AbstractContextManager:
    """A context in which every loaded BLAS library (numpy's, scipy's) runs on one thread."""
    if sys.platform == "emscripten":
        return nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def single_threaded(func: F) -> F:
    """``func`` run inside :func:`one_blas_thread` (the previous limits are restored on return)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with one_blas_thread():
            return func(*args, **kwargs)
    return wrapper  # type: ignore[return-value]
