"""Statistics built-ins (SKEW, SKEW.P, MODE.MULT) on hand-made values: Excel's documented examples
and its sample rule (what ranges and typed arguments count)."""
import pytest

from formula_values import value, values

DOC = "3,4,5,2,3,4,5,6,4,7"     # the example of Excel's SKEW and SKEW.P pages


@pytest.mark.parametrize("formula, expected", [
    (f"=SKEW({DOC})", 0.359543071),
    (f"=_xlfn.SKEW.P({DOC})", 0.303193339),
    ("=SKEW(1,2,3)", 0.0),
    ('=SKEW(1,2,"4")', 0.935219),       # typed numeric text counts
    ("=SKEW(1,2,TRUE,5)", 1.6585238),     # as does a typed TRUE (1): SKEW(1,2,1,5)
])
def test_skew(formula, expected):
    assert value(formula) == pytest.approx(expected, rel=1e-6, abs=1e-12)


def test_skew_of_a_symmetric_sample_keeps_excels_rounding_residue():
    # Excel's two-pass sums, one addition at a time: -1.199040866595169e-15, not 0 or another residue
    assert value("=SKEW(0,0.1,0.1,0.2,0.2,0.3)") == -1.199040866595169e-15
    assert value("=_xlfn.SKEW.P(0,0.1,0.1,0.2,0.2,0.3)") == -5.921189464667501e-16


def test_sample_rule_of_ranges_and_typed_arguments():
    got = values({"A1": 1, "A2": "text", "A3": True, "A4": 2, "A5": 4, "A6": None,
                  "B1": "=SKEW(A1:A6)",            # text, TRUE and blanks in a range are left out
                  "B2": '=SKEW(A1:A6,"x")',        # typed text that is no number is #VALUE!
                  "B3": "=SKEW(A1:A6,)",           # so is an omitted argument
                  "B4": "=SKEW(A1,A4)",            # fewer than 3 numbers
                  "B5": "=SKEW(A1,A1,A1)",         # no spread
                  "B6": "=SKEW(A1:A5,1/0)",
                  "B7": "=_xlfn.SKEW.P(A4:A5)"})
    assert got["B1"] == pytest.approx(0.935219, rel=1e-6)
    assert (got["B2"], got["B3"], got["B4"], got["B5"], got["B6"]) == ("#VALUE!", "#VALUE!", "#DIV/0!", "#DIV/0!",
                                                                        "#DIV/0!")
    assert got["B7"] == 0.0


def test_mode_mult_lists_the_modes_in_order_of_first_occurrence():
    # Excel's example: 1, 2 and 3 each occur three times
    cells = {f"A{i}": v for i, v in enumerate([1, 2, 3, 4, 3, 2, 1, 2, 3, 5, 6, 1], 1)}
    got = values({**cells, "B1": "=INDEX(_xlfn.MODE.MULT(A1:A12),1)", "B2": "=INDEX(_xlfn.MODE.MULT(A1:A12),2)",
                  "B3": "=INDEX(_xlfn.MODE.MULT(A1:A12),3)", "B4": "=ROWS(_xlfn.MODE.MULT(A1:A12))",
                  "B5": "=_xlfn.MODE.MULT(A4,A10)",           # nothing repeats
                  "B6": '=ROWS(_xlfn.MODE.MULT(A1:A3,A3,""))',   # typed text is left out
                  "B7": "=_xlfn.MODE.MULT(A1:A3,)"})
    assert (got["B1"], got["B2"], got["B3"], got["B4"]) == (1.0, 2.0, 3.0, 3.0)
    assert (got["B5"], got["B6"], got["B7"]) == ("#N/A", 1.0, "#VALUE!")
