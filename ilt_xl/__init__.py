"""ilt-xl: a spreadsheet-native planner for instructor-led training."""

__version__ = "0.1.0"

# Imported lazily: ``import ilt_xl`` must stay light (and free of compiled readers such as
# python-calamine) for the worksheet-function path, which runs in xlwings Lite.
_LAZY = {
    "read_planner": ("ilt_xl.workbook.reader", "read_planner"),
    "Planner": ("ilt_xl.workbook.planner", "Planner"),
    "Problem": ("ilt_xl.workbook.problems", "Problem"),
    "WorkbookError": ("ilt_xl.xlsx.errors", "WorkbookError"),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'ilt_xl' has no attribute {name!r}")
