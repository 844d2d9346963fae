import numpy as np

from ilt_xl.core import costs

D = lambda *s: np.array(s, dtype="datetime64[D]")  # noqa: E731


def test_days_and_learner_hours():
    assert costs.calendar_days(D("2024-03-01", "2024-03-01", "2024-03-05"), D("2024-03-03", "2024-03-01", "2024-03-04")).tolist()[:2] == [3.0, 1.0]
    assert np.isnan(costs.calendar_days(D("2024-03-05"), D("2024-03-04"))[0])
    assert costs.learner_hours([10, 4], [2, 1], [7, 7.5]).tolist() == [140.0, 30.0]
    assert np.isnan(costs.learner_hours([-1], [1], [1])[0])
    assert costs.learners(["Delivered", "Planned"], [10, 10], [8, 8]).tolist() == [8.0, 10.0]


def test_capacity_and_fixed_costs():
    assert costs.capacity([np.nan, np.nan, 30], [12, np.nan, 12], [20, 16, 20]).tolist() == [12, 16, 30]
    assert costs.day_rate_cost([np.nan, 500, np.nan], [300, 300, np.nan], [2, 2, 2]).tolist() == [600, 500, 0]
    assert costs.fixed_cost([600, 0], [1200, np.nan], [np.nan, 50]).tolist() == [1800, 50]
    assert costs.variable_cost([25], [8]).tolist() == [200]


def test_session_cost_occupancy_and_per_learner():
    assert costs.session_cost([1000], [25], [8]).tolist() == [1200]
    fill = costs.occupancy([8, 8, -1], [10, 0, 10])
    assert fill[0] == 0.8 and np.isnan(fill[1]) and np.isnan(fill[2])
    per = costs.cost_per_learner([1200, 1200], [8, 0])
    assert per[0] == 150 and np.isnan(per[1])
    assert costs.cost_per_learner_hour([1400], [140]).tolist() == [10.0]


def test_break_even_and_min_max():
    be = costs.break_even([1000, 0.3, 1000, 1000, 0], [100, 0.2, 80, 70, 50], [80, 0.1, 80, 80, 10])
    assert be[:2].tolist() == [50, 3]  # 0.3/0.1 is 2.9999999999999996 in binary: still 3
    assert np.isnan(be[2]) and np.isnan(be[3]) and be[4] == 0
    assert costs.min_session_cost([1000], [80], [50]).tolist() == [5000]
    assert costs.max_session_cost([1000], [80], [12]).tolist() == [1960]


def test_go_no_go():
    today = D("2024-06-01")
    out = costs.go_no_go(
        ["Planned", "Confirmed", "Planned", "Cancelled", "Delivered", "planned", "Bogus"],
        [3, 5, 3, 9, 9, 3, 3],
        [5, 5, 5, 5, 5, 5, 5],
        D("2024-06-15", "2024-06-05", "2024-06-16", "2024-06-05", "2024-05-01", "2024-05-20", "2024-06-05"),
        today,
        14,
    )
    assert out.tolist() == ["At risk", "Go", "Open", "Cancelled", "Delivered", "At risk", None]
