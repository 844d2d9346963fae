"""Pause Python's cycle collector while a bulk job creates millions of small objects.

Scanning or writing a 100 MB sheet creates millions of tuples and byte strings that all stay
alive until the job ends; each time the collector runs it walks them again for nothing (about
a seventh of a 20,000-session recalculation). Reference counting still frees everything as
usual; only the search for reference cycles waits until the block ends.
"""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cycle collector for the block (re-enabled after it if it was enabled)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
