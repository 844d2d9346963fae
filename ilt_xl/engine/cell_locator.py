"""The compiled cell locator of the sheet scan, where the install could build it.

:mod:`~ilt_xl.engine.formula_cell_bounds` and :mod:`~ilt_xl.engine.value_cell_bounds` locate a
span's cells with a dozen numpy passes over its bytes (half the load of the 20,000-session
example). ``_cell_locator.c`` does the same checks in one pass, and groups the cells' attribute
texts (and ``<f>`` elements) as it goes; it also cuts out, joins and groups the cells' texts
(:mod:`~ilt_xl.engine.byte_positions`, :mod:`~ilt_xl.engine.value_cells`) and looks at every byte
for what leaves a text in doubt (:mod:`~ilt_xl.engine.scan_check`). It is an optional extension:
built by ``pip install`` where a C compiler is at hand, missing elsewhere (Windows without a
compiler, Pyodide); then ``compiled`` is None and the numpy (and Python) paths, which the compiled
one must always agree with, run.
"""
from __future__ import annotations

try:
    from ilt_xl.engine import _cell_locator as compiled
except ImportError:         # not built: the numpy locators run
    compiled = None
