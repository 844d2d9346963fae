import datetime as dt
import inspect

import numpy as np
import pandas as pd
import pytest

from ilt_xl.functions import REGISTRY, SPECS
from ilt_xl.functions.registry import worksheet_function

MINE = ["ILT_OCCUPANCY", "ILT_SESSIONCOST", "ILT_COSTPERLEARNER", "ILT_BREAKEVEN", "ILT_ALLOCATE", "ILT_FXRATE",
        "ILT_FX", "ILT_WORKDAYS", "ILT_DUEDATE", "ILT_GONOGO", "ILT_LEARNERHOURS", "ILT_DAYS"]


def test_public_signatures():
    expected = {
        "ILT_OCCUPANCY": "registered, capacity",
        "ILT_SESSIONCOST": "fixed, variable_per_learner, learners",
        "ILT_COSTPERLEARNER": "fixed, variable_per_learner, learners",
        "ILT_BREAKEVEN": "fixed, price_per_learner, variable_per_learner",
        "ILT_ALLOCATE": "total, weights, [decimals]",
        "ILT_FXRATE": "from_ccy, to_ccy, [date], [rates]",
        "ILT_FX": "amount, from_ccy, to_ccy, [date], [rates]",
        "ILT_WORKDAYS": "start, end, [country]",
        "ILT_DUEDATE": "anchor, offset_workdays, [country]",
        "ILT_GONOGO": "status, registered, minimum, start, [today], [lead_days]",
    }
    # Excel (VBA wrapper, README) shows these names instead: End and Date are VBA keywords.
    excel = {"start": "start_date", "end": "end_date", "date": "rate_date"}
    for name, args in expected.items():
        python = [a.strip("[]") for a in args.split(", ")]
        shown = [a.replace(a.strip("[]"), excel.get(a.strip("[]"), a.strip("[]"))) for a in args.split(", ")]
        assert SPECS[name].signature_text() == f"{name}({', '.join(shown)})"
        assert list(inspect.signature(REGISTRY[name]).parameters) == python
    assert all(REGISTRY[n] is SPECS[n].func and "." not in n for n in MINE)
    assert SPECS["ILT_DUEDATE"].returns_date and SPECS["ILT_ALLOCATE"].spills and SPECS["ILT_FX"].range_args == ("rates",)


def test_duplicate_and_dotted_names_are_refused():
    with pytest.raises(ValueError):
        worksheet_function("ILT_FX", category="x", description="", args=[], returns="number")
    with pytest.raises(ValueError):
        worksheet_function("ILT.FX2", category="x", description="", args=[], returns="number")


def test_scalars_give_scalars_and_shapes_broadcast_like_excel():
    occ = REGISTRY["ILT_OCCUPANCY"]
    assert occ(8, 10) == 0.8 and isinstance(occ(8, 10), float)
    out = occ([[8, 6]], [[10], [0], [4]])  # row x column -> 3 x 2
    assert out.shape == (3, 2) and out.tolist() == [[0.8, 0.6], ["#DIV/0!", "#DIV/0!"], [2.0, 1.5]]
    out = occ([8, 6, 4], [10, 20])  # sizes differ: the cell beyond the shorter input is #N/A
    assert out.tolist() == [0.8, 0.3, "#N/A"]
    assert occ(np.array([8.0]), pd.Series([10])).tolist() == [0.8]


def test_bad_elements_become_errors_in_place():
    occ = REGISTRY["ILT_OCCUPANCY"]
    assert occ([8, "x", None, "#N/A", True, "4"], 10).tolist() == [0.8, "#VALUE!", 0.0, "#N/A", 0.1, 0.4]
    assert occ(-1, 10) == "#VALUE!" and occ(1, 0) == "#DIV/0!"


def test_dates_in_any_form_and_out_as_serials():
    days = REGISTRY["ILT_DAYS"]
    assert days(dt.date(2024, 1, 1), 45294) == 3.0
    assert days(np.datetime64("2024-01-01"), pd.Timestamp("2024-01-01")) == 1.0
    assert days("2024-01-01", dt.datetime(2024, 1, 2, 9, 30)) == 2.0
    # ISO text with a zone (what Office.js sends for a date cell) keeps its wall time, as xlwings does
    assert days("2024-01-01T00:00:00.000Z", "2024-01-03T00:00:00+02:00") == 3.0
    assert days(45294, 45292) == "#VALUE!" and days(None, 45292) == "#VALUE!" and days("soon", 45292) == "#VALUE!"
    assert REGISTRY["ILT_DUEDATE"](dt.date(2024, 12, 21), 1, "DE") == 45649.0  # Mon 23 Dec 2024
