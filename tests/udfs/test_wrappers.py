"""udfs: one xlwings wrapper per registry function, called with the shapes Excel passes.

On Linux the xlwings decorators return the function unchanged (design.md §4), so the
wrappers are plain functions here; the expected values come from the registry, turned
into Excel's shapes by hand (not through udfs.wrappers.to_excel).
"""
from __future__ import annotations

import datetime as dt
import inspect
import math

import numpy as np
import pytest

import udfs.ilt_udfs as classic
from ilt_xl.functions import REGISTRY, SPECS
from udfs import wrappers

EPOCH = dt.datetime(1899, 12, 30)

# Sample cells per argument kind: valid values, a blank and an error value.
SAMPLES = {
    "number": [3, 2.5, None, "#N/A"],
    "date": [45658, dt.date(2025, 3, 3), None, "#VALUE!"],
}
TEXT_SAMPLES = {  # text arguments need plausible words to reach the kernels
    "country": ["DE", "FR", None, "#N/A"], "from_ccy": ["USD", "GBP", None, "#REF!"], "to_ccy": ["EUR", "EUR", "CHF", "#N/A"],
    "status": ["Planned", "Confirmed", None, "#N/A"],
}


def _cells(arg) -> list:
    if arg.kind == "text":
        return TEXT_SAMPLES.get(arg.name, ["I001", "R002", None, "#N/A"])
    return SAMPLES[arg.kind]


def _serial(value):
    """A wrapper's result element back in the registry's terms (dates as serials)."""
    if isinstance(value, dt.datetime):
        return (value - EPOCH) / dt.timedelta(days=1)
    return value


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b)
    return a == b


def _assert_equal(got, expected) -> None:
    """``got`` (wrapper) equals ``expected`` (registry) element by element, shape included."""
    expected = np.asarray(expected, dtype=object)
    if expected.ndim == 0:
        assert not isinstance(got, list)
        assert _same(_serial(got), expected[()].item() if isinstance(expected[()], np.generic) else expected[()])
        return
    if expected.ndim == 1:  # the registry's 1-D result is a column in Excel
        expected = expected.reshape(-1, 1)
    assert isinstance(got, list) and all(isinstance(row, list) for row in got)
    assert (len(got), len(got[0])) == expected.shape
    for g_row, e_row in zip(got, expected.tolist()):
        for g, e in zip(g_row, e_row):
            e = e.item() if isinstance(e, np.generic) else e
            e = "#NUM!" if isinstance(e, float) and math.isnan(e) else e
            assert _same(_serial(g), e), (got, expected)


ELEMENTWISE = [name for name, spec in SPECS.items() if not spec.spills]


def test_every_registry_function_has_a_wrapper_of_the_same_name_and_excel_argument_names():
    assert classic.FUNCTIONS == list(SPECS)
    for name, spec in SPECS.items():
        wrapper = getattr(classic, name)
        assert wrapper.__name__ == name
        params = inspect.signature(wrapper).parameters
        # and last xlwings' reserved ``caller``, which Excel never sees (test_classic_vba checks the VBA)
        assert list(params) == [a.excel_name for a in spec.args] + [wrappers.CALLER]
        assert [p.default is None for p in params.values()] == [a.optional for a in spec.args] + [True]


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("shape", ["scalar", "row", "column", "grid", "flat"])
def test_elementwise_wrappers_match_the_registry_for_each_shape(name, shape):
    spec = SPECS[name]
    args = []
    for arg in spec.args:
        if arg.is_range:
            args.append(None)
            continue
        cells = _cells(arg)
        if shape == "scalar":
            args.append(cells[0])
        elif shape == "row":
            args.append([cells[:3]])                        # 1 x N, as ndim=2 passes a row
        elif shape == "column":
            args.append([[c] for c in cells[:3]])            # N x 1
        elif shape == "grid":
            args.append([cells[:2], cells[2:]])              # 2 x 2 with a blank and an error
        else:
            args.append(cells)                               # a flat list (a range without ndim=2)
    try:
        expected = REGISTRY[name](*args)
    except Exception as exc:  # the wrapper adds nothing: it fails the same way
        with pytest.raises(type(exc)):
            getattr(classic, name)(*args)
        return
    _assert_equal(getattr(classic, name)(*args), expected)


def test_row_stays_a_row_and_column_a_column():
    assert classic.ILT_OCCUPANCY([[1, 2, 3]], 4) == [[0.25, 0.5, 0.75]]
    assert classic.ILT_OCCUPANCY([[1], [2]], [[4], [0]]) == [[0.25], ["#DIV/0!"]]


def test_blanks_and_errors_in_a_range():
    got = classic.ILT_OCCUPANCY([[2, None], ["#N/A", "x"]], 4)
    assert got == [[0.5, 0.0], ["#N/A", "#VALUE!"]]


def test_com_error_codes_become_excel_errors():
    assert classic.ILT_OCCUPANCY(-2146826246, 4) == "#N/A"           # pywin32's #N/A
    assert classic.ILT_OCCUPANCY([[-2146826281], [1]], 4) == [["#DIV/0!"], [0.25]]


def test_date_results_are_datetimes():
    got = classic.ILT_DUEDATE(dt.date(2025, 1, 6), -1, "DE")
    assert got == dt.datetime(2025, 1, 3)
    assert REGISTRY["ILT_DUEDATE"](dt.date(2025, 1, 6), -1, "DE") == 45660.0


def test_spilling_function_with_a_range_argument():
    weights = [[1], [2], [None], [3]]
    _assert_equal(classic.ILT_ALLOCATE(100, weights, 2), REGISTRY["ILT_ALLOCATE"](100, weights, 2))
    assert sum(v for (v,) in classic.ILT_ALLOCATE(100, weights, 2)) == pytest.approx(100)


def test_fx_with_manual_rates_range():
    rates = [["Date", "Currency", "PerEUR", "Source"], [dt.date(2025, 1, 1), "USD", 2.0, "Treasury"]]
    assert classic.ILT_FX(10, "USD", "EUR", dt.date(2025, 2, 1), rates) == pytest.approx(5.0)
    _assert_equal(classic.ILT_FX([[10], [20]], "USD", "EUR", None, rates), REGISTRY["ILT_FX"]([[10], [20]], "USD", "EUR", None, rates))


def test_decorators_get_docs_and_ndim_where_ranges_make_sense():
    calls = {}

    def func(**kwargs):
        def inner(f):
            calls.setdefault(f.__name__, {})["func"] = kwargs
            return f
        return inner

    def arg(name, **kwargs):
        def inner(f):
            calls.setdefault(f.__name__, {}).setdefault("args", {})[name] = kwargs
            return f
        return inner

    def ret(**kwargs):
        return lambda f: f

    namespace: dict = {}
    wrappers.expose(namespace, func, arg, ret)
    assert set(namespace) == set(SPECS)
    for name, spec in SPECS.items():
        assert calls[name]["func"] == {"category": wrappers.CATEGORY}
        for a in spec.args:
            options = calls[name]["args"][a.excel_name]
            assert options["doc"].startswith(a.doc)
            assert (options.get("ndim") == 2) == (a.is_range or not spec.spills)
    assert calls["ILT_ALLOCATE"]["args"]["total"].get("ndim") is None
    assert calls["ILT_ALLOCATE"]["args"]["weights"]["ndim"] == 2


def test_a_new_registry_function_appears_without_wrapper_code(monkeypatch):
    from ilt_xl.functions.registry import Arg, worksheet_function

    monkeypatch.setattr("ilt_xl.functions.registry.SPECS", dict(SPECS))
    monkeypatch.setattr("ilt_xl.functions.registry.REGISTRY", dict(REGISTRY))
    import ilt_xl.functions.registry as registry

    @worksheet_function("ILT_TESTDOUBLE", category="test", description="x * 2", args=[Arg("x", "number", "a number")],
                        returns="number")
    def double(x):
        return x * 2

    monkeypatch.setattr(wrappers, "SPECS", registry.SPECS)
    namespace: dict = {}
    names = wrappers.expose(namespace, lambda **k: (lambda f: f), lambda n, **k: (lambda f: f), lambda **k: (lambda f: f))
    assert "ILT_TESTDOUBLE" in names
    assert namespace["ILT_TESTDOUBLE"]([[1, 2]]) == [[2.0, 4.0]]


def test_xlwings_conf_file_and_sheet_agree(tmp_path):
    from pathlib import Path

    import openpyxl

    from ilt_xl.workbook.xlwings_conf import SHEET, add_xlwings_conf_sheet, conf_file_text

    root = Path(__file__).resolve().parents[2]
    assert (root / "udfs" / "xlwings.conf").read_text() == conf_file_text()
    assert '"UDF MODULES","udfs.ilt_udfs"' in conf_file_text()
    wb = openpyxl.Workbook(write_only=True)
    add_xlwings_conf_sheet(wb)
    wb.save(tmp_path / "conf.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "conf.xlsx")[SHEET]
    assert [tuple(r) for r in sheet.iter_rows(values_only=True)] == [("UDF MODULES", "udfs.ilt_udfs")]
    import importlib

    assert importlib.import_module("udfs.ilt_udfs").FUNCTIONS, "the module named in UDF MODULES imports"
