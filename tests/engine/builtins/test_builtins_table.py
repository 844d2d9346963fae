"""One table of built-ins: every function the engine computes natively is registered once, by
decorator, in the module of its category (nothing is dispatched from a table kept by hand)."""
from ilt_xl.engine import builtins

CATEGORY_OF = {
    "aggregate": {"SUM", "MIN", "MAX", "AVERAGE", "PRODUCT", "SUBTOTAL"},
    "conditional": {"SUMIFS", "COUNTIFS", "AVERAGEIFS", "MINIFS", "MAXIFS", "SUMIF", "COUNTIF", "AVERAGEIF"},
    "dates": {"TODAY", "NOW", "DATE"},
    "info": {"ISERROR", "ISERR", "ISNA", "ISBLANK", "ISNUMBER", "ISTEXT", "ISNONTEXT", "ISLOGICAL", "N", "NA",
             "ISFORMULA"},
    "lookup": {"MATCH", "INDEX", "VLOOKUP", "XLOOKUP", "LOOKUP"},
    "math": {"INT", "ABS", "MOD", "ROUND", "TRUNC"},
    "reference": {"ROW", "COLUMN", "ROWS", "COLUMNS", "OFFSET", "INDIRECT"},
    "text": {"TRIM", "T"},
}


def test_each_built_in_is_registered_in_its_category_module():
    for category, names in CATEGORY_OF.items():
        for name in names:
            fn, _ = builtins.find(name)
            assert fn is not None, f"{name} is not in the table of built-ins"
            assert fn.__module__ == f"ilt_xl.engine.builtins.{category}", (name, fn.__module__)


def test_the_dispatcher_keeps_no_table_of_its_own():
    from ilt_xl.engine import functions_dispatch
    tables = [k for k, v in vars(functions_dispatch).items()
              if not k.startswith("__") and isinstance(v, dict) and any(callable(f) for f in v.values())]
    assert tables == []
