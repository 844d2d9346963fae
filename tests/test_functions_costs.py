import datetime as dt

from ilt_xl.functions import REGISTRY as R


def test_costs_by_hand():
    assert R["ILT_SESSIONCOST"](1000, 25, [8, -1]).tolist() == [1200.0, "#VALUE!"]
    assert R["ILT_COSTPERLEARNER"](1000, 25, [8, 0, -2, "n"]).tolist() == [150.0, "#DIV/0!", "#VALUE!", "#VALUE!"]
    assert R["ILT_BREAKEVEN"]([1000, 1000, 1000, -5], [100, 80, 70, 100], 80).tolist() == [50.0, "#N/A", "#N/A", "#VALUE!"]
    assert R["ILT_LEARNERHOURS"](10, 2, [7, -7]).tolist() == [140.0, "#VALUE!"]


def test_gonogo():
    start = dt.date(2024, 6, 15)
    assert R["ILT_GONOGO"]("Planned", 3, 5, start, dt.date(2024, 6, 1)) == "At risk"
    assert R["ILT_GONOGO"]("Planned", 3, 5, start, dt.date(2024, 5, 31)) == "Open"
    assert R["ILT_GONOGO"]("Planned", 3, 5, start, dt.date(2024, 5, 31), 15) == "At risk"
    assert R["ILT_GONOGO"](["Confirmed", "Cancelled", "Delivered", "Bogus", "#N/A"], 5, 5, start, dt.date(2024, 6, 1)).tolist() == [
        "Go", "Cancelled", "Delivered", "#VALUE!", "#N/A"]
    assert R["ILT_GONOGO"]("Planned", 3, 5, dt.date(2000, 1, 1)) == "At risk"  # today by default


def test_allocate():
    assert R["ILT_ALLOCATE"](100, [[1], [1], [1]]).tolist() == [[33.34], [33.33], [33.33]]
    assert R["ILT_ALLOCATE"](10, [1, None, 3], 0).tolist() == [3.0, 0.0, 7.0]  # 2.5, 7.5: tie -> earliest
    assert R["ILT_ALLOCATE"](1000, [1, 2], -2).tolist() == [300.0, 700.0]
    assert R["ILT_ALLOCATE"](100, [0, 0]).tolist() == ["#DIV/0!"] * 2
    assert R["ILT_ALLOCATE"](100, [1, -1]).tolist() == ["#VALUE!"] * 2
    assert R["ILT_ALLOCATE"](100, [1, "#N/A"]).tolist() == ["#N/A"] * 2
    assert R["ILT_ALLOCATE"]("x", [1, 1]) == "#VALUE!"
    assert R["ILT_ALLOCATE"](0.285, [1]).tolist() == [0.29]
