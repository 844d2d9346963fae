"""ilt-xl: a spreadsheet-native planner for instructor-led training.

The public API is flat::

    import ilt_xl
    planner = ilt_xl.read_planner("plan.xlsx")
    sessions = ilt_xl.session_table(planner.tables, planner.settings)
    ledger = ilt_xl.allocate(sessions, planner.enrolments)
    ilt_xl.recalculate("plan.xlsx", "plan.recalc.xlsx")
"""

__version__ = "0.1.0"

# Imported lazily: ``import ilt_xl`` must stay light (and free of compiled readers such as
# python-calamine) for the worksheet-function path, which runs in xlwings Lite.
_LAZY = {
    # the workbook
    "read_planner": ("ilt_xl.workbook.reader", "read_planner"),
    "Planner": ("ilt_xl.workbook.planner", "Planner"),
    "Problem": ("ilt_xl.workbook.problems", "Problem"),
    "WorkbookError": ("ilt_xl.xlsx.errors", "WorkbookError"),
    "build_planner": ("ilt_xl.workbook.builder", "build_planner"),
    "make_example": ("ilt_xl.workbook.example", "make_example"),
    "PLANNER": ("ilt_xl.schema", "PLANNER"),
    # the core
    "session_table": ("ilt_xl.core.sessions", "session_table"),
    "allocate": ("ilt_xl.core.allocation", "allocate"),
    "fx_rates": ("ilt_xl.core.fx", "rates"),
    "convert": ("ilt_xl.core.fx", "convert"),
    "build_checklist": ("ilt_xl.core.checklists", "build"),
    "regenerate_checklist": ("ilt_xl.core.checklists", "regenerate"),
    "conflicts": ("ilt_xl.core.resources", "conflicts"),
    "budget_table": ("ilt_xl.core.plan", "budget_table"),
    "kpi_report": ("ilt_xl.core.kpis", "kpi_report"),
    # the worksheet functions and the engine
    "REGISTRY": ("ilt_xl.functions", "REGISTRY"),
    "recalculate": ("ilt_xl.engine.recalc", "recalculate"),
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'ilt_xl' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
