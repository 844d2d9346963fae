"""Atomic file writes: a temporary file in the target's folder, renamed into place.

A reader never sees half a file, a failed write leaves nothing behind, and the
result has the mode a plain ``open()`` would give it (or the mode of the file it
replaces) rather than ``mkstemp``'s private 0600.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_target(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; when the block ends without error, move it onto
    ``target`` with ``os.replace``, else delete it. Raises ``OSError`` when the folder cannot take it."""
    target = Path(target)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.resolve().parent)
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        os.chmod(temp, _mode_for(target))
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _mode_for(target: Path) -> int:
    if target.exists():
        return target.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
