"""Worksheet parts scanned on a second core while this process scans the others.

Scanning the sheets is most of a load (the 20,000-session example: ~3.4 s of CPU, 150 MB of
XML in 28 parts, the largest 64 MB), and each part's scan depends on nothing but its own bytes.
Where the process may use two cores or more, :class:`HelperScan` forks one helper process, and
both take the parts from one queue, the largest first (:func:`claim_order`): each side takes the
next part when it is done with the one before, so the two finish together whatever else runs on
the machine and however much this process has to do besides (building every sheet's grid, reading
the helper's scans back) -- a share fixed in advance was right only for the machine it was
measured on. The queue is a pipe filled before the fork: a part is claimed by reading its number,
and the kernel gives each number to one reader. The helper hands each part's
:class:`~ilt_xl.engine.sheet_scan.ScannedCells` back pickled (~0.05 s for 50 MB each way).
Everything else (the grids, the model, every error message) is made here, from the same scans, so
the model is the one the serial load makes.

The helper is only ever a speed-up. A part whose scan fails there (a damaged sheet, a part that
is missing, memory) is scanned again here, which raises the same error; so is every part a helper
that dies or sends something unreadable did not deliver; and when a part fails here, the parts
before it (in workbook order) not yet read are scanned here, so the error raised is the serial
load's (:func:`each_scanned`). The helper exits with ``os._exit``: it never unwinds into the
caller's frames (no temporary file of the caller is removed, no output written), and it dies on
SIGINT/SIGTERM/SIGHUP. It runs only the scanner (numpy, regular expressions, expat, inflate) and
writes only to its pipe and its file; its standard streams are new ones (a progress display's
thread may hold the inherited ones' locks at the fork).

No helper on one core, where there is no ``fork`` (Windows), for small workbooks (a fork and the
pickles cost more than they save), for very large ones (:data:`_MOST`: the helper's scans and
their copies here would add to the peak memory of a load that is already the largest), and in
the workers of a pool that already keeps every core busy (``batch``: :func:`set_workers`).
"""
from __future__ import annotations

import atexit
import os
import pickle
import select
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import Any

_LEAST = 16 << 20       # bytes of worksheet XML (inflated) below which the load stays in one process
_MOST = 512 << 20       # ... and above which (the 200,000-session planner: 1.5 GB; peak memory first)
# the queue's numbers (4 bytes each) fit in one page, the least a pipe holds (Linux gives a user past
# its pipe-pages limit one-page pipes): filled before the fork, it must never block
MOST_JOBS = 1024
_workers = 1            # processes of the pool this process is a worker of (1: none)
_ahead: tuple[Any, HelperScan] | None = None      # see keep_ahead


def set_workers(workers: int) -> None:
    """Called in a pool worker: ``workers`` of them share the machine's cores, so each takes its
    share (``batch``'s pool of one worker per core takes one each: no helper)."""
    global _workers
    _workers = max(1, workers)


def cores() -> int:
    """The cores a load in this process may use: those it may run on, shared with the other
    workers of its pool."""
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 1
    return max(1, usable // _workers)


def claim_order(sizes: Sequence[int]) -> list[int]:
    """The positions in ``sizes`` (bytes of each worksheet part) in the order the two sides take
    them: the largest first, so that what is left at the end, when one side may wait for the
    other, is small. Empty when no helper is worth it (see the module's text)."""
    total = sum(sizes)
    if (total < _LEAST or total > _MOST or cores() < 2 or not hasattr(os, "fork")
            or not 2 <= len(sizes) <= MOST_JOBS):
        return []
    return sorted(range(len(sizes)), key=lambda k: -sizes[k])


class HelperScan:
    """A forked process running ``scan(jobs[k])`` for each position ``k`` it claims from the queue
    ``order`` (:meth:`claim` takes one for this process); :meth:`results` gives the helper's
    results as they come. ``reopen`` is called in the helper first (its own file handles: a file
    position shared with this process would move under it). Use as a context manager: leaving it
    ends the helper if it is still running. ``OSError`` when there is no helper to be had (no
    temporary file, no process).

    Each result is pickled into an unlinked temporary file as soon as it is made, then its
    position and size sent through a pipe: a result sent through the pipe itself would stop the
    helper until this process read it, which it does only between its own scans."""

    def __init__(self, jobs: Sequence[Any], order: Sequence[int], scan: Callable[[Any], Any],
                 reopen: Callable[[], None]) -> None:
        self.pid = None
        self._ended = False     # its results' pipe ended: it is exiting on its own
        # one file, two handles (each its own position): the helper writes, this process reads.
        # OSError (no temporary file, no process to spare) leaves nothing open behind
        store, name = tempfile.mkstemp(prefix="ilt-xl-scan-")
        opened = [store]
        try:
            try:
                # unbuffered: the unpickler reads exactly a result's bytes, never into the next one's
                self._store = open(name, "rb", buffering=0)
            finally:
                os.unlink(name)
            opened.append(self._store)
            self._queue, fill = os.pipe()
            opened += [self._queue, fill]
            os.write(fill, b"".join(k.to_bytes(4, "little") for k in order))     # <= 4 KB: never blocks
            os.close(fill)
            opened.remove(fill)
            parent = os.getpid()
            read, write = os.pipe()
            opened += [read, write]
            pid = os.fork()
        except BaseException:
            for handle in opened:
                handle.close() if hasattr(handle, "close") else os.close(handle)
            raise
        if pid == 0:        # the helper: whatever happens, it never returns into the caller's code
            try:
                os.close(read)
                _end_with(parent)
                _serve(jobs, self._queue, scan, reopen, write, store)
            finally:
                os._exit(1)
        os.close(write)
        os.close(store)
        self.pid = pid
        self._results = read

    def claim(self) -> int | None:
        """The position of the next job for this process to do itself, None when all are taken."""
        if self.pid is None:        # ended: the jobs not done are the caller's anyway
            return None
        number = os.read(self._queue, 4)     # all written before the fork: four bytes or none
        return int.from_bytes(number, "little") if number else None

    def results(self, wait: bool) -> Iterator[tuple[int, Any]]:
        """(position, result) for each job the helper did, as they come; the result None where it
        did not deliver (a scan that failed there, a result it could not pickle): the caller does
        that job itself. ``wait``: until the helper ends (or dies); else only those already sent."""
        while self.pid is not None and (wait or select.select([self._results], [], [], 0)[0]):
            head = _exactly(self._results, 12)
            if head is None:        # ended (or died): the jobs it did not report are the caller's
                self._ended = True
                self.close()
                return
            k, size = int.from_bytes(head[:4], "little"), int.from_bytes(head[4:], "little")
            try:
                cells = pickle.Unpickler(self._store).load() if size else None    # error values unpickle as the engine's own
            except Exception:       # what cannot be read: none after it can be either
                self.close()
                cells = None
            yield k, cells
            del cells

    def close(self) -> None:
        """End the helper (if it still runs) and collect its exit status."""
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        for fd in (self._queue, self._results):
            os.close(fd)
        self._store.close()     # unlinked: its bytes go with the last handle (the helper's)
        if not self._ended:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass

    def __enter__(self) -> "HelperScan":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def keep_ahead(key: Any, helper: HelperScan) -> None:
    """Keep ``helper``, started before the load it is for (the command line starts it before its
    own imports), for :func:`take_ahead`; one never taken is ended when the process exits."""
    global _ahead
    _ahead = key, helper
    atexit.register(helper.close)


def take_ahead(key: Any) -> HelperScan | None:
    """The helper kept for ``key`` (a file and its worksheets), once; one kept for another key is
    ended (the load is of another file, or the file changed)."""
    global _ahead
    if _ahead is None:
        return None
    (kept, helper), _ahead = _ahead, None
    if kept == key:
        return helper
    helper.close()
    return None


def each_scanned(count: int, helper: HelperScan | None, use: Callable[[int, Any], None]) -> None:
    """``use(k, cells)`` once for each job position ``k < count``: ``cells`` from ``helper``, or
    None where this process is to scan it (the jobs it claims, those the helper did not deliver,
    every job when there is no helper). Raises what ``use`` raises for the first job in order that
    fails, as one process doing them in order would: once one fails, the jobs before it not yet
    done are done here, in order."""
    done: set[int] = set()
    at = -1         # the job being done

    def do(k: int, cells: Any) -> None:
        nonlocal at
        at = k
        use(k, cells)
        done.add(k)

    try:
        if helper is not None:
            with helper:
                while True:
                    for k, cells in helper.results(wait=False):
                        do(k, cells)
                    cells = None    # a sheet's scan is not kept while the next one is made
                    k = helper.claim()
                    if k is None:
                        break
                    do(k, None)
                for k, cells in helper.results(wait=True):
                    do(k, cells)
                    cells = None
        for k in range(count):
            if k not in done:
                do(k, None)
    except Exception as exc:
        failed = exc
    else:
        return
    if helper is not None:
        helper.close()
    for k in range(at):
        if k not in done:
            do(k, None)
    raise failed


def _end_with(parent: int) -> None:
    """In the helper: be killed when ``parent`` ends (Linux; elsewhere it ends at its next write to
    the pipe), so a load's process killed outright (SIGKILL, memory) leaves no helper scanning on."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            ctypes.CDLL(None).prctl(1, signal.SIGKILL)      # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:      # it ended before that was asked
        os._exit(1)


def _exactly(fd: int, n: int) -> bytes | None:
    """``n`` bytes from the pipe ``fd``; None at its end (the helper ended or died)."""
    data = b""
    while len(data) < n:
        try:
            more = os.read(fd, n - len(data))
        except OSError:
            return None
        if not more:
            return None
        data += more
    return data


def _serve(jobs: Sequence[Any], queue: int, scan: Callable[[Any], Any], reopen: Callable[[], None],
           write: int, store: int) -> None:
    """The helper's life: never returns, never raises (``os._exit``). Claims jobs from ``queue``
    until none is left; each result is pickled into ``store`` and then its position and size
    sent; one that cannot be pickled (or a scan that fails) is cut off the file again and sent as
    size 0."""
    code = 1
    try:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        # streams of its own: a lock another thread (a progress display) held at the fork stays held
        sys.stdout = sys.stderr = open(os.devnull, "w")
        reopen()
        with os.fdopen(write, "wb") as out, os.fdopen(store, "wb") as results:
            while number := os.read(queue, 4):
                start = results.tell()
                try:
                    pickle.dump(scan(jobs[int.from_bytes(number, "little")]), results, protocol=pickle.HIGHEST_PROTOCOL)
                    results.flush()
                except Exception:
                    results.seek(start)
                    results.truncate()
                out.write(number + (results.tell() - start).to_bytes(8, "little"))
                out.flush()
        code = 0
    finally:
        os._exit(code)
