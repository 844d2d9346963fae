import numpy as np
import pytest
from hypothesis import given, strategies as st

from ilt_xl.core.rounding import (
    MAX_UNITS, countable, from_minor, largest_remainder, largest_remainder_grouped, minor_units, minor_units_of, rounded,
    to_minor,
)


def test_thirds_go_to_the_earliest():
    assert largest_remainder(10000, [1, 1, 1]).tolist() == [3334, 3333, 3333]


def test_largest_remainder_wins_over_position():
    # quotas 1.2, 1.8, 2.0 of 5 -> floors 1, 1, 2; one unit left goes to the .8
    assert largest_remainder(5, [1.2, 1.8, 2.0]).tolist() == [1, 2, 2]


def test_negative_total_is_split_as_magnitude():
    assert largest_remainder(-100, [1, 1, 1]).tolist() == [-34, -33, -33]


def test_all_zero_and_negative_weights_raise():
    with pytest.raises(ValueError):
        largest_remainder(10, [0, 0])
    with pytest.raises(ValueError):
        largest_remainder(10, [1, -1])


def test_grouped_matches_single_and_handles_interleaved_and_empty_groups():
    group = np.array([1, 0, 1, 0, 2])
    weights = np.array([1.0, 1.0, 1.0, 2.0, 0.0])
    parts = largest_remainder_grouped([10, 7, 5], group, weights)
    assert parts[[1, 3]].tolist() == largest_remainder(10, [1, 2]).tolist() == [3, 7]
    assert parts[[0, 2]].tolist() == [4, 3]  # tie: the earliest element gets the unit
    assert parts[4] == 0  # all-zero group: nothing allocated, caller reports it


def test_minor_units_and_excel_rounding():
    assert minor_units("JPY") == 0 and minor_units("eur") == 2 and minor_units("KWD") == 3 and minor_units("XYZ") == 2
    assert minor_units_of(np.array(["JPY", "EUR", "JPY"], dtype=object)).tolist() == [0, 2, 0]
    assert to_minor([0.285, 2.5, -2.5, 1.005], [2, 0, 0, 2]).tolist() == [29, 3, -3, 101]
    assert from_minor([12345, 7], [2, -1]).tolist() == [123.45, 70.0]


@given(
    st.integers(min_value=-10**12, max_value=10**12),
    st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=40).filter(lambda w: sum(w) > 0),
)
def test_parts_sum_exactly_to_total(total, weights):
    parts = largest_remainder(total, weights)
    assert int(parts.sum()) == total
    quota = abs(total) * np.array(weights) / sum(weights)
    assert np.all(np.abs(np.abs(parts) - quota) < 1 + 1e-6 * abs(total))


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 1000)), min_size=1, max_size=60),
       st.lists(st.integers(-10**9, 10**9), min_size=6, max_size=6))
def test_grouped_parts_sum_exactly_per_group(rows, totals):
    group = np.array([g for g, _ in rows])
    weights = np.array([w for _, w in rows], dtype=float)
    parts = largest_remainder_grouped(totals, group, weights)
    for g in range(6):
        in_group = group == g
        if weights[in_group].sum() > 0:
            assert int(parts[in_group].sum()) == totals[g]
        else:
            assert not parts[in_group].any()


def test_rounded_is_noise_proof_where_numpy_round_is_not():
    """A quantile 1e-11 either side of a half cent (seen between the command line and xlwings Lite:
    74,505.02 vs 74,505.03) rounds to the same cent, half away from zero as ROUND; NaN stays NaN."""
    below, above = 74505.025 - 1e-11, 74505.025 + 1e-11
    assert np.round(below, 2) != np.round(above, 2)  # the noise the rule removes
    assert rounded([below, above, -below, np.nan], 2).tolist()[:3] == [74505.03, 74505.03, -74505.03]
    assert np.isnan(rounded([np.nan], 2)[0])
    assert rounded([0.285, 2.5, 12.25], [2, 0, 1]).tolist() == [0.29, 3.0, 12.3]


def test_to_minor_refuses_what_it_cannot_count_instead_of_casting_it():
    """NaN, infinities and amounts of 2**53 minor units or more raise; numpy's cast made them -2**63."""
    with np.errstate(invalid="ignore"):
        assert np.array([np.nan, 1e300]).astype("int64").tolist() == [-2**63, -2**63]   # what the cast did
    for bad in (np.nan, np.inf, -np.inf, 1e300, MAX_UNITS / 100):
        with pytest.raises(ValueError, match="cannot be counted in minor units"):
            to_minor([1.0, bad], 2)
    assert to_minor([9e13, -12.345], 2).tolist() == [9 * 10**15, -1235]
    assert countable([1.0, np.nan, np.inf, 9.1e13, 9e13], 2).tolist() == [True, False, False, False, True]


def test_rounded_leaves_what_it_cannot_count_as_it_is():
    """Too large to have cents (or not finite): unchanged, never a cast's -92,233,720,368,547,758.08."""
    values = np.array([2.744907219774163e15, 1e300, -np.inf, np.nan, 74505.025])
    out = rounded(values, 2)
    assert out[:2].tolist() == values[:2].tolist() and out[2] == -np.inf and np.isnan(out[3])
    assert out[4] == 74505.03
