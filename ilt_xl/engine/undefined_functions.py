"""Functions that nothing defines in a workbook: Excel's value for a call to one is #NAME?.

A formula can call a function that is neither one of Excel's nor defined in its workbook: a VBA
function of a file saved without its macros, an add-in's function where no add-in is declared, a
typo. Excel shows #NAME? for such a call (``IFERROR`` catches it like any error). The engine says
the same only when nothing could supply the function:

- the name is not one of Excel's own: the functions Excel 2007 writes without a prefix (a later
  function is written ``_xlfn.NAME``, so a prefixed name the engine does not know is Excel's, and
  its cells keep their cached values);
- it is not an add-in's (``_xll.NAME``: an XLL add-in; ``_xldudf_``: an Office add-in), an
  ILT_* function, a name qualified by a workbook or sheet (``[1]!NAME``), nor one starting with an
  underscore (no VBA name can: Excel's own, such as ``_FV``, the field of a linked data type);
- the workbook holds no macros (no VBA project, no Excel 4 macro sheet), which could define it;
- no defined name and no LET variable has that name (a LAMBDA in a name is called by it).

A file can still hold another value for such a cell (a workbook saved without the VBA project
that computed it): :mod:`ilt_xl.engine.recalc` keeps that value rather than write #NAME? over it.
"""
from __future__ import annotations

import functools

# Relationship types (their last segment) of the parts that hold a workbook's macros.
MACRO_PARTS = frozenset({"vbaProject", "xlMacrosheet", "xlIntlMacrosheet"})

_EXCEL_PREFIXES = ("_XLFN.", "_XLWS.")       # Excel's functions newer than Excel 2007
_ADD_IN_PREFIXES = ("_XLL.", "_XLDUDF_")     # functions an installed add-in supplies

# Excel's add-in and automation functions, which openpyxl's list of Excel 2007's functions leaves out.
_NOT_IN_OPENPYXL = frozenset({"CALL", "EUROCONVERT", "REGISTER.ID", "SQL.REQUEST"})


@functools.cache
def _excel_functions() -> frozenset[str]:
    # openpyxl (heavy to import) only for a workbook calling a function the engine does not know
    from openpyxl.utils.formulas import FORMULAE
    return frozenset(FORMULAE) | _NOT_IN_OPENPYXL


def undefined_function(spelling: str, name: str, has_macros: bool, defines_name) -> bool:
    """True when Excel itself would find no function ``spelling`` (its normalised upper-case
    ``name``) in the workbook, so its value is #NAME?. ``defines_name(name)`` says whether a defined
    name or a LET variable of that name is in scope. Only asked about functions that neither the
    engine nor the `formulas` library implements (a function they know, written without its
    prefix by some other program, is computed as before)."""
    upper = spelling.upper()
    if upper.startswith(_EXCEL_PREFIXES + _ADD_IN_PREFIXES) or "!" in upper or name.startswith(("ILT_", "_")):
        return False
    if has_macros or defines_name(name):
        return False
    return name not in _excel_functions()
