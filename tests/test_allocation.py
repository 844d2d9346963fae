from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from ilt_xl.core.allocation import UNALLOCATED, allocate


def _sessions(**overrides):
    base = {
        "SessionId": ["S1", "S2", "S3", "S4"],
        "FixedCost": [1000.0, 100.0, 50.0, 999.0],
        "VariableCostPerLearner": [10.0, 0.0, 5.0, 1.0],
        "Currency": ["EUR", "EUR", "JPY", "EUR"],
        "StartDate": pd.to_datetime(["2024-01-08"] * 4),
        "AllocationKey": ["", "equal", "attended", None],
        "Status": ["Planned", "Planned", "Delivered", "Planned"],
        "Days": [2, 1, 1, 1],
        "HoursPerDay": [7, 7, 7, 7],
    }
    base.update(overrides)
    return pd.DataFrame(base)


ENROL = pd.DataFrame({
    "SessionId": ["S1", "S2", "S1", "S1", "S2", "S2", "S3"],
    "BusinessUnit": ["A", "A", "B", "C", "A", "B", "A"],
    "Country": ["DE", "DE", "FR", "NA", "DE", "FR", "DE"],
    "Registered": [1, 3, 1, 1, 1, 2, 4],
    "Attended": [1, 3, 1, 1, 1, 2, 0],
})


def test_ledger_by_hand():
    ledger = allocate(_sessions(), ENROL)
    assert ledger["SessionId"].tolist() == ["S1"] * 3 + ["S2"] * 3 + ["S3"] * 2 + ["S4"]
    s1 = ledger[ledger.SessionId == "S1"]
    assert s1.FixedAmount.tolist() == [333.34, 333.33, 333.33] and s1.VariableAmount.tolist() == [10, 10, 10]
    assert s1.Key.tolist() == ["headcount"] * 3 and s1.Country.tolist() == ["DE", "FR", "NA"]
    s2 = ledger[ledger.SessionId == "S2"]  # equal: A and B 50 each; A's 50 split 3:1 by headcount
    assert s2.FixedAmount.tolist() == [37.5, 12.5, 50.0] and s2.Share.tolist() == [0.375, 0.125, 0.5]
    s3 = ledger[ledger.SessionId == "S3"]  # attended key, nobody attended: fixed stays unallocated
    assert s3.BusinessUnit.tolist() == ["A", UNALLOCATED]
    assert s3.FixedAmount.tolist() == [0, 50] and s3.VariableAmount.tolist() == [20, 0]
    s4 = ledger[ledger.SessionId == "S4"]  # no lines at all
    assert s4.BusinessUnit.tolist() == [UNALLOCATED] and s4.Amount.tolist() == [999.0] and s4.Share.tolist() == [1.0]
    eur = ledger[ledger.Currency == "EUR"]
    assert (eur.Rate == 1).all() and (eur.AmountReporting == eur.Amount).all()


def test_learner_hours_uses_attended_once_delivered():
    sessions = _sessions(AllocationKey=["learner_hours"] * 4, Status=["Delivered"] * 4)
    s1 = allocate(sessions, ENROL.assign(Attended=[2, 3, 1, 1, 1, 2, 0]))
    assert s1[s1.SessionId == "S1"].FixedAmount.tolist() == [500.0, 250.0, 250.0]


def test_reporting_currency_and_fx_policies():
    ledger = allocate(_sessions(Currency=["USD"] * 4), ENROL, reporting_currency="EUR")
    usd = 1.0946  # ECB USD per EUR on 2024-01-08
    assert ledger.Rate.iloc[0] == pytest.approx(1 / usd) and (ledger.RateSource == "ECB").all()
    for sid, part in ledger.groupby("SessionId"):
        assert round(part.AmountReporting.sum(), 2) == round(round(part.Amount.sum() / usd, 2), 2)
    fixed = allocate(_sessions(Currency=["USD"] * 4), ENROL, fx_date_policy="BudgetRateDate", budget_rate_date="2024-01-05")
    assert (fixed.RateDate == pd.Timestamp("2024-01-05")).all()
    bad = allocate(_sessions(Currency=["XYZ"] * 4), ENROL)
    assert bad.AmountReporting.isna().all() and bad.RateSource.str.startswith("#N/A: unknown currency XYZ").all()


def test_bad_keys_are_located():
    with pytest.raises(ValueError, match="S1"):
        allocate(_sessions(AllocationKey=["bogus", "", "", ""]), ENROL)
    with pytest.raises(ValueError, match="AllocationMethod"):
        allocate(_sessions(), ENROL, method="random")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 30), st.sampled_from("ABC")), max_size=30),
       st.lists(st.integers(0, 10**8).map(lambda cents: cents / 100), min_size=5, max_size=5),
       st.sampled_from(["headcount", "equal", "attended", "learner_hours"]))
def test_fixed_amounts_sum_exactly(lines, fixed, method):
    sessions = _sessions(SessionId=[f"S{i}" for i in range(5)], FixedCost=fixed, VariableCostPerLearner=[1.5] * 5,
                         Currency=["EUR", "JPY", "EUR", "KWD", "EUR"], StartDate=pd.to_datetime(["2024-01-08"] * 5),
                         AllocationKey=[None] * 5, Status=["Planned"] * 5, Days=[1] * 5, HoursPerDay=[7.5] * 5)
    enrol = pd.DataFrame({"SessionId": [f"S{s}" for s, _, _ in lines], "BusinessUnit": [b for _, _, b in lines],
                          "Country": ["DE"] * len(lines), "Registered": [r for _, r, _ in lines],
                          "Attended": [r // 2 for _, r, _ in lines]})
    ledger = allocate(sessions, enrol, method=method)
    decimals = {"EUR": 2, "JPY": 0, "KWD": 3}
    for i, sid in enumerate(sessions.SessionId):
        part = ledger[ledger.SessionId == sid]
        d = decimals[sessions.Currency[i]]
        units = np.round(part.FixedAmount.to_numpy() * 10**d).astype(np.int64)
        expected = int(Decimal(repr(fixed[i])).scaleb(d).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        assert units.sum() == expected
        assert len(part) >= 1


def test_duplicate_session_id_lines_go_to_the_first_and_nothing_is_dropped():
    # S1 twice (a validator error): its lines stay with the first S1; the second keeps its whole
    # fixed cost unallocated. No session without lines, nor an empty plan, raises.
    sessions = _sessions(SessionId=["S1", "S1", "S3", "S4"])
    ledger = allocate(sessions, ENROL)
    assert ledger["SessionId"].tolist() == ["S1"] * 3 + ["S1"] + ["S3"] * 2 + ["S4"]
    assert ledger.FixedAmount.tolist()[:4] == [333.34, 333.33, 333.33, 100.0]
    assert ledger.BusinessUnit.tolist()[3] == UNALLOCATED
    assert ledger.Amount.sum() == pytest.approx(1000 + 30 + 100 + 50 + 20 + 999)
    assert allocate(sessions.iloc[:0], ENROL).empty
    alone = allocate(sessions.iloc[3:], ENROL.iloc[:0])
    assert alone.BusinessUnit.tolist() == [UNALLOCATED] and alone.Amount.tolist() == [999.0]


@pytest.mark.parametrize("column, value", [("FixedCost", 1e300), ("FixedCost", np.inf), ("VariableCostPerLearner", 1e17)])
def test_a_cost_too_large_to_count_gives_num_on_its_lines_only(column, value):
    """Before, to_minor cast it to -2**63: S1's lines showed -92 quadrillion and only a RuntimeWarning said so."""
    sessions = _sessions()
    sessions.loc[0, column] = value
    ledger = allocate(sessions, ENROL)
    s1, rest = ledger[ledger.SessionId == "S1"], ledger[ledger.SessionId != "S1"]
    for amount in ("FixedAmount", "VariableAmount", "Amount", "AmountReporting"):
        assert (s1[amount] == np.inf).all(), amount     # written as #NUM!
    pd.testing.assert_frame_equal(rest.reset_index(drop=True),
                                  allocate(_sessions(), ENROL).query("SessionId != 'S1'").reset_index(drop=True))
