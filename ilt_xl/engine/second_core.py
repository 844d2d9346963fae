"""Worksheet parts scanned on a second core while this process scans the others.

Scanning the sheets is most of a load (the 20,000-session example: ~3.4 s of CPU, 150 MB of
XML in 28 parts, the largest 64 MB), and each part's scan depends on nothing but its own bytes.
Where the process may use two cores or more, :class:`HelperScan` forks one helper process that
scans a share of the parts (:func:`helper_share`: the largest first, each to whichever side has
less work so far) and hands each part's :class:`~ilt_xl.engine.sheet_scan.ScannedCells` back
pickled (~0.05 s for 50 MB each way), while this process scans the rest. Everything else (the
grids, the model, every error message) is made here, from the same scans, so the model is the one
the serial load makes.

The helper is only ever a speed-up. A part whose scan fails there (a damaged sheet, a part that
is missing, memory) is scanned again here, which raises the same error at the same point of the
load; so is every part a helper that dies or sends something unreadable did not deliver. The
helper exits with ``os._exit``: it never unwinds into the caller's frames (no temporary file of
the caller is removed, no output written), and it dies on SIGINT/SIGTERM/SIGHUP. It runs only the
scanner (numpy, regular expressions, expat, inflate) and writes only to its pipe and its file;
its standard streams are new ones (a progress display's thread may hold the inherited ones' locks at the fork).

No helper on one core, where there is no ``fork`` (Windows), for small workbooks (a fork and the
pickles cost more than they save), for very large ones (:data:`_MOST`: the helper's scans and
their copies here would add to the peak memory of a load that is already the largest), and in
the workers of a pool that already keeps every core busy (``batch``: :func:`set_workers`).
"""
from __future__ import annotations

import os
import pickle
import signal
import sys
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

_LEAST = 16 << 20       # bytes of worksheet XML (inflated) below which the load stays in one process
_MOST = 512 << 20       # ... and above which (the 200,000-session planner: 1.5 GB; peak memory first)
_OWN_SHARE = 10         # see helper_share
_workers = 1            # processes of the pool this process is a worker of (1: none)


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


def helper_share(sizes: Sequence[int]) -> list[int]:
    """The positions in ``sizes`` (bytes of each worksheet part) a helper should scan: about
    half of the bytes, the largest parts first, each to whichever side has less work so far.
    Empty when no helper is worth it (see the module's text)."""
    total = sum(sizes)
    if total < _LEAST or total > _MOST or cores() < 2 or not hasattr(os, "fork") or len(sizes) < 2:
        return []
    # this side also builds every sheet's grid and reads the helper's scans back: about what
    # scanning a tenth of the bytes costs (measured on the 20,000-session example)
    here, there = total // _OWN_SHARE, 0
    theirs = []
    for k in sorted(range(len(sizes)), key=lambda k: -sizes[k]):
        if here <= there:
            here += sizes[k]
        else:
            there += sizes[k]
            theirs.append(k)
    return sorted(theirs)


class HelperScan:
    """A forked process running ``scan(job)`` for each of ``jobs`` in turn; :meth:`result` takes
    the results in the same order. ``reopen`` is called in the helper first (its own file
    handles: a file position shared with this process would move under it). Use as a context manager: leaving it ends the helper if it
    is still running. ``OSError`` when there is no helper to be had (no temporary file, no process).

    Each result is pickled into an unlinked temporary file as soon as it is made, then its size
    sent through a pipe: a result sent through the pipe itself would stop the helper until this
    process read it, which it does only once its own scans are done."""

    def __init__(self, jobs: Sequence[Any], scan: Callable[[Any], Any], reopen: Callable[[], None]) -> None:
        self.pid = None
        self._left = len(jobs)
        self._lost = False
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
                _serve(jobs, scan, reopen, write, store)
            finally:
                os._exit(1)
        os.close(write)
        os.close(store)
        self.pid = pid
        self._pipe = os.fdopen(read, "rb")

    def result(self) -> tuple[bool, Any]:
        """(True, the next job's result), or (False, None) when the helper did not deliver it
        (a scan that failed there, a result it could not pickle, a helper that died): the caller
        does that job itself."""
        if self._left <= 0:
            raise IndexError("no job left")
        self._left -= 1
        if not self._lost:
            try:
                if not int.from_bytes(_exactly(self._pipe, 8), "little"):
                    return False, None
                return True, pickle.Unpickler(self._store).load()    # error values unpickle as the engine's own
            except Exception:       # the helper died (EOF) or wrote what cannot be read: none after it
                self._lost = True
        return False, None

    def close(self) -> None:
        """End the helper (if it still runs) and collect its exit status."""
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        self._pipe.close()
        self._store.close()     # unlinked: its bytes go with the last handle (the helper's)
        if self._left > 0:      # results not taken: the load stopped on an error (or was stopped)
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


def _exactly(pipe, n: int) -> bytes:
    data = pipe.read(n)
    if len(data) != n:
        raise EOFError("the helper ended early")
    return data


def _serve(jobs: Sequence[Any], scan: Callable[[Any], Any], reopen: Callable[[], None], write: int, store: int) -> None:
    """The helper's life: never returns, never raises (``os._exit``). Each result is pickled into
    ``store`` and then its size sent; one that cannot be pickled (or a scan that fails) is cut
    off the file again and sent as size 0."""
    code = 1
    try:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        # streams of its own: a lock another thread (a progress display) held at the fork stays held
        sys.stdout = sys.stderr = open(os.devnull, "w")
        reopen()
        with os.fdopen(write, "wb") as out, os.fdopen(store, "wb") as results:
            for job in jobs:
                start = results.tell()
                try:
                    pickle.dump(scan(job), results, protocol=pickle.HIGHEST_PROTOCOL)
                    results.flush()
                except Exception:
                    results.seek(start)
                    results.truncate()
                out.write((results.tell() - start).to_bytes(8, "little"))
                out.flush()
        code = 0
    finally:
        os._exit(code)
