"""Freed memory given back to the system between the steps of a load.

A sheet's scan frees millions of small objects and many mid-size arrays into the C library's heap,
which glibc keeps for later rather than returning: without this, the 200,000-session planner's
load ended hundreds of megabytes above what its model holds, and the next sheets (and the
computation) grew from there. ``malloc_trim`` returns the free pages at the heap's top and inside
it. Where the C library has no such call (macOS, Windows, musl), this does nothing.
"""
from __future__ import annotations

import ctypes
import sys


def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def give_back_free_memory() -> None:
    """Return the heap's free pages to the system (glibc), or nothing."""
    if _TRIM is not None:
        _TRIM(0)
