"""Worker processes: the one way ilt-xl runs work outside the command's own process.

``batch`` recalculates many workbooks on a pool of them (:func:`worker_pool`); ``refresh``,
``scenario`` and ``new --example`` run each heavy step in a worker of its own
(:func:`run_isolated`): the engine's model of a 200,000-session planner (about 2 GB) then never
shares a process with the tables the command read and wrote before it, and the memory of each step
goes back to the system when its worker ends (a Python process keeps much of what it frees).

Workers are forked from a server process started once per command (``forkserver``; Windows has
no fork, so there they are spawned and import the engine themselves): they start with the engine
already imported, carry none of the parent's memory, and are not killed by a
signal sent to the parent alone, so :func:`worker_pool` ends them itself when the command stops
(SIGTERM, Ctrl-C, a failure). Each runs :func:`ilt_xl.atomic_write.install_signal_cleanup`, so a
worker ended while writing removes its temporary file.

What a worker raises reaches the caller as the same exception, so the command reports it with the
same message and exit code as if the step had run in its own process; a worker that dies without
an answer (killed for memory, a crash) raises :class:`WorkerLost`.
"""
from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

# Imported once in the server, so that each worker starts with them (a fork of the server).
_PRELOAD = ["ilt_xl.engine.recalc", "ilt_xl.engine.writeback", "ilt_xl.workbook.reader", "ilt_xl.workbook.macros"]
_SECONDS_TO_STOP = 10.0
ISOLATE_ABOVE = 64 * 2 ** 20
"""Bytes of a workbook's parts (inflated) above which :func:`worth_isolating` says yes: the
20,000-session example's (150 MB) are above, the 600-session example's (9 MB) below."""


class WorkerLost(Exception):
    """A worker process ended without returning (killed, out of memory, crashed)."""


def _context(preload: tuple[str, ...] = ()):
    """Forkserver where the platform has it (Linux, macOS); Windows has only ``spawn``, whose workers
    import what they need themselves (slower to start, the same results)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD + list(preload))
    return context


_phases = None   # in a worker: where to report the step's phases (a queue the parent reads)


def _start_worker(phases, workers: int = 1) -> None:
    from ilt_xl.atomic_write import install_signal_cleanup
    from ilt_xl.engine.second_core import set_workers

    global _phases
    _phases = phases
    install_signal_cleanup()
    set_workers(workers)        # the pool's workers share the cores: a load takes a second one only if left


@contextmanager
def worker_pool(workers: int, phases=None, preload: tuple[str, ...] = ()) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``workers`` processes, each running one task then ending (its memory freed). Leaving
    the block waits for the tasks; leaving it by an exception (SIGTERM, Ctrl-C, a failure) ends the
    workers first, so none goes on writing after the command stopped. ``preload``: more modules the
    server imports once for every worker (what each task would otherwise import again: a pool of
    one-task workers starts a fresh worker per task)."""
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context(preload), initializer=_start_worker,
                               initargs=(phases, workers), max_tasks_per_child=1)
    try:
        yield pool
    except BaseException:
        _stop(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _stop(pool: ProcessPoolExecutor) -> None:
    """End ``pool``'s workers (SIGTERM: each removes its temporary file), waiting briefly for each."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(_SECONDS_TO_STOP)
        if process.is_alive():
            process.kill()


def _run(fn: Callable[..., T], args: tuple, kwargs: dict, with_phase: bool) -> T:
    """In the worker: ``fn(*args, **kwargs)``, its phases sent to the parent; an exception that
    would not survive the way back (pickling) is replaced by one that keeps its type name and text."""
    if with_phase and _phases is not None:
        kwargs = dict(kwargs, phase=_phases.put)
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:
            raise WorkerLost(f"{type(exc).__name__}: {exc}") from None
        raise


def run_isolated(fn: Callable[..., T], *args: Any, phase: Callable[[str], None] | None = None, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in a worker process of its own: its result, or its exception raised here.

    ``fn`` and its arguments must be picklable (a module-level function). With ``phase``, ``fn`` is
    called with a ``phase`` argument of its own whose calls reach ``phase`` here (progress display).
    The worker imports the main script (as multiprocessing does but with fork): a script calling
    this keeps its top level under ``if __name__ == "__main__":``; the ``ilt-xl`` command does."""
    phases = _context().SimpleQueue() if phase else None
    with worker_pool(1, phases) as pool:
        future = pool.submit(_run, fn, args, kwargs, phase is not None)
        while not future.done():
            wait([future], timeout=0.2, return_when=FIRST_COMPLETED)
            _relay(phases, phase)
        _relay(phases, phase)
        return result_of(future)


def run(fn: Callable[..., T], *args: Any, isolated: bool, phase: Callable[[str], None] | None = None,
        **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in a worker of its own when ``isolated`` (:func:`run_isolated`), else in
    this process: the same result, the same exceptions."""
    if isolated:
        return run_isolated(fn, *args, phase=phase, **kwargs)
    return fn(*args, **kwargs, **({"phase": phase} if phase else {}))


def worth_isolating(path) -> bool:
    """Whether the steps of a command on the workbook at ``path`` should run in worker processes:
    when its parts inflate past :data:`ISOLATE_ABOVE`. A smaller workbook takes less memory than a
    worker's start costs time worth (the 600-session example's refresh: 2.9 s in one process, 4.5 s
    with its two steps in workers); an unreadable one is refused by the reader, in this process."""
    import zipfile
    from pathlib import Path

    if not Path(path).is_file():      # a FIFO would block the read; the command refuses it
        return False
    try:
        with zipfile.ZipFile(path) as package:
            return sum(entry.file_size for entry in package.infolist()) > ISOLATE_ABOVE
    except (OSError, zipfile.BadZipFile, ValueError):
        return False


def _relay(phases, phase) -> None:
    while phases is not None and not phases.empty():
        phase(phases.get())


def result_of(future: Future):
    """``future.result()``, :class:`WorkerLost` when its worker died without one."""
    try:
        return future.result()
    except BrokenProcessPool:
        raise WorkerLost("the worker process ended without a result (killed, perhaps for lack of memory)") from None
