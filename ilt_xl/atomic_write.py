"""Atomic file writes: a temporary file in the target's folder, renamed into place.

A reader never sees half a file, a failed write leaves nothing behind, and the
result has the mode a plain ``open()`` would give it (or the mode of the file it
replaces) rather than ``mkstemp``'s private 0600.

- A target that is a symbolic link is written through: the link's final target is
  replaced (atomically, in its own folder) and the link stays a link.
- A target that exists but is not a regular file (a device, a FIFO, a folder) is
  refused with :class:`NotRegularFile`: renaming over ``/dev/sda`` or a pipe is never
  what a user meant.
- The temporary file ``.NAME.XXXX.tmp`` is locked (``flock``) while it is written, so
  a later write to the same folder can tell a leftover of a killed process (unlocked)
  from another process's write in progress (locked) and removes only the former;
  :func:`install_signal_cleanup` turns SIGTERM/SIGHUP into an exception so the
  ``finally`` below removes the temporary file of the process being stopped.
- A command that builds a file in steps stages them in :func:`staging_folder`, a hidden
  ``.NAME.XXXX.tmp`` folder beside its target, locked and cleaned up the same way.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import signal
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

STALE_SECONDS = 2.0
"""A temporary file or folder unlocked and this old belongs to a process that died. A live writer
holds its lock from the moment after it made the file, so the age only covers that instant;
a killed run's leftovers go on the very next run (issue 14, rule 22)."""


class NotRegularFile(OSError):
    """The target exists and is not a regular file (device, FIFO, folder, socket)."""


def real_target(target: str | Path) -> Path:
    """Where a write to ``target`` must land: the final file a chain of symbolic links points
    to (``target`` itself otherwise). Raises :class:`NotRegularFile` when that exists and is not a
    regular file."""
    path = Path(os.path.realpath(target))
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return path
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "a device, pipe or socket"
        raise NotRegularFile(f"{target} is {kind}, not a regular file: refused as an output")
    return path


@contextmanager
def atomic_target(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``'s real file; when the block ends without error,
    move it onto that file with ``os.replace``, else delete it. Raises ``OSError`` (or
    :class:`NotRegularFile`) when the target or its folder cannot take it."""
    final = real_target(target)
    remove_stale_temporaries(final)
    fd, name = _made_beside(final, tempfile.mkstemp)
    temp = Path(name)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)      # ours until closed: not a leftover
        yield temp
        os.chmod(temp, _mode_for(final))
        os.replace(temp, final)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)


def _made_beside(target: Path, make):
    """``make`` (mkstemp or mkdtemp) of a hidden ``.NAME.XXXX.tmp`` beside ``target``; an ``OSError`` names
    the folder that cannot take it (a missing or read-only folder), never the temporary name."""
    try:
        return make(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise type(exc)(exc.errno, exc.strerror, str(target.parent)) from None


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Remove ``.NAME.*.tmp`` files and staging folders beside ``target`` left by killed writers
    (unlocked and older than :data:`STALE_SECONDS`); returns those removed. Never raises."""
    removed = []
    try:
        candidates = list(target.parent.glob(f".{_glob_escape(target.name)}.*.tmp"))
    except OSError:
        return removed
    for candidate in candidates:
        try:
            if time.time() - candidate.lstat().st_mtime < STALE_SECONDS or candidate.is_symlink():
                continue
            fd = os.open(candidate, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if candidate.is_dir():
                shutil.rmtree(candidate)
            else:
                candidate.unlink()
            removed.append(candidate)
        except OSError:
            pass                            # locked: another writer is at work
        finally:
            os.close(fd)
    return removed


@contextmanager
def staging_folder(target: str | Path) -> Iterator[Path]:
    """Yield a new hidden folder ``.NAME.XXXX.tmp`` beside ``target`` (``NAME`` its file name) for the
    files a command builds before the last step writes ``target``; removed with its contents when
    the block ends, however it ends. Locked while in use, so a later run removes it if this process
    is killed (:func:`remove_stale_temporaries`) and never while it works."""
    target = Path(target)
    remove_stale_temporaries(target)
    folder = Path(_made_beside(target, tempfile.mkdtemp))
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)


def _glob_escape(name: str) -> str:
    return "".join(f"[{ch}]" if ch in "*?[" else ch for ch in name)


def _mode_for(target: Path) -> int:
    if target.exists():
        return target.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


class FileChanged(OSError):
    """The file being updated was changed by someone else since it was read."""


def _signature(st: os.stat_result) -> tuple:
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


@contextmanager
def locked_for_update(path: str | Path) -> Iterator[Callable[[], None]]:
    """Hold an exclusive advisory lock (``flock``) on ``path`` for a read-modify-write, so two
    ilt-xl commands rewriting one file run one after the other instead of losing an update.

    Yields ``check()``, to call just before the new file replaces the old one: it raises
    :class:`FileChanged` when the file was modified or replaced since the lock was taken (by a
    program that ignores the lock, such as Excel saving), so the caller refuses instead of
    overwriting that change. A writer that replaced the file while we waited for the lock is
    noticed, and the new file is locked instead.
    """
    while True:
        fd = os.open(real_target(path), os.O_RDONLY | os.O_NONBLOCK)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            locked = os.fstat(fd)
            try:
                current = os.stat(real_target(path))
            except FileNotFoundError:
                current = None
            if current is not None and (current.st_dev, current.st_ino) == (locked.st_dev, locked.st_ino):
                signature = _signature(current)

                def check() -> None:
                    try:
                        now = _signature(os.stat(real_target(path)))
                    except FileNotFoundError:
                        now = None
                    if now != signature:
                        raise FileChanged(f"{path} was changed by another program while this command worked on it; "
                                          "nothing written: run the command again")
                yield check
                return
        finally:
            os.close(fd)


class Terminated(SystemExit):
    """Raised in the main thread when the process is asked to stop (SIGTERM, SIGHUP)."""


def install_signal_cleanup() -> None:
    """Make SIGTERM and SIGHUP raise :class:`Terminated` (exit status 128 + signal), so every
    ``atomic_target`` being written removes its temporary file on the way out. Main thread only."""
    def stop(signum, frame):
        raise Terminated(128 + signum)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) in (signal.SIG_DFL, None):
            signal.signal(sig, stop)
    _redeliver_swallowed_stops()


def _redeliver_swallowed_stops() -> None:
    """A stop signal handled while Python runs a destructor or a callback cannot raise there: Python
    prints 'Exception ignored ... Traceback' and goes on, so the command finished its write as if never
    asked to stop. Such a :class:`Terminated` is sent again instead, to be raised at the next ordinary
    point of the program; any other unraisable exception is reported as before. It is sent from a
    thread a moment later: sent from the hook itself it would be handled inside the hook, and lost again."""
    import threading

    previous = sys.unraisablehook

    def hook(unraisable) -> None:
        if isinstance(unraisable.exc_value, Terminated):
            signum = unraisable.exc_value.code - 128
            threading.Timer(0.05, os.kill, (os.getpid(), signum)).start()
            return
        previous(unraisable)
    if getattr(previous, "__name__", "") != hook.__name__ or previous.__module__ != __name__:
        sys.unraisablehook = hook
