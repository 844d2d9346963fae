"""Statistics built-ins (SKEW, SKEW.P, MODE.MULT) on hand-made values: Excel's documented examples
and its sample rule (what ranges and typed arguments count)."""
import pytest

from formula_values import value, values, wrong_values

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


def test_variances_read_a_one_cell_reference_as_a_range():
    # a reference's text (even numeric text, one cell or many) and logical values are left out;
    # typed numeric text and typed logical values count
    cells = {"A1": -2, "A2": -1, "A3": True, "B1": '="1"', "B2": '="1.1"', "B3": '="2"'}
    got = values({**cells,
                  "C1": "=VARP(A1:A3,D1:D3,B1)", "C2": "=VAR(A1:A3,D1:D3,B1)", "C3": "=STDEV(A1:A3,B1)",
                  "C4": "=VARP(B1:B3)", "C5": '=VARP("1","2")', "C6": "=VARP(TRUE,FALSE,TRUE)",
                  "C7": "=VAR(D1,B2)", "C8": "=STDEVP(1,2,3,4)", "C9": "=_xlfn.VAR.S(1,2,3,4)",
                  "C10": '=_xlfn.STDEV.P(1,"x")', "C11": "=VAR(1)", "C12": "=VAR(A1:A2,1/0)"})
    assert got["C1"] == 0.25 and got["C2"] == 0.5 and got["C3"] == pytest.approx(0.7071067811865476, rel=1e-15)
    assert (got["C4"], got["C5"]) == ("#DIV/0!", 0.25)
    assert got["C6"] == 2 / 9
    assert (got["C7"], got["C8"], got["C9"]) == ("#DIV/0!", pytest.approx(1.118033988749895), pytest.approx(5 / 3))
    assert (got["C10"], got["C11"], got["C12"]) == ("#VALUE!", "#DIV/0!", "#DIV/0!")


def test_variance_carries_excels_rounding():
    # Excel's cached values, to the last bit: from the sums of the numbers and of their squares
    # (a two-pass sum of squared deviations gives 939.0138241923366 and 853.6489310839424)
    cells = {"A1": 0, "A2": 1, "A3": 2, "B1": 0, "B2": 1e-05, "B3": 1.1, "B4": 1.00001, "B5": 2.99999}
    got = values({**cells, "C1": "=VARP(A1:A3,B1:B3,B4:B5)", "C2": "=VAR(A1:A3,B1:B3,B4:B5)",
                  "C3": "=VARP(TRUE,FALSE,TRUE)", "C4": "=VAR(TRUE,FALSE,TRUE)",
                  "C5": "=_xlfn.VAR.S(15,77,30,28,31,96,77,53,34,138/11,91)",
                  "C6": "=_xlfn.VAR.P(15,77,30,28,31,96,77,53,34,138/11,91)", "C7": "=VAR(0.1,0.1,0.1)"})
    assert (got["C1"], got["C2"]) == (1.0010862187859373, 1.1440985357553568)
    assert (got["C3"], got["C4"]) == (0.2222222222222222, 0.33333333333333337)
    assert (got["C5"], got["C6"]) == (939.0138241923374, 853.6489310839429)
    assert got["C7"] == 0.0


def test_mode_wants_numbers_in_single_values():
    # a range gives its numbers; a single value, typed or a one-cell reference, must be a number:
    # typed text (even "1"), a logical value or an empty one-cell reference is #VALUE!
    cells = {"A1": 1, "A2": 2, "A3": "x", "A4": 2, "B1": '="1.1"'}
    got = values({**cells, "C1": "=MODE(1,1,2,3)", "C2": '=MODE(A1,"1",2,3)', "C3": "=MODE(A2,2,D1)",
                  "C4": '=MODE("1",1,#DIV/0!,2,3)', "C5": "=MODE(A1:A4)", "C6": "=MODE(2,1,1,2)", "C7": "=MODE(1,2)",
                  "C8": "=MODE(A2,2,B1)", "C9": "=MODE(TRUE,1,1)", "C10": "=MODE(A1:A4,1/0)",
                  "C11": "=MODE(A1:A4,2)"})
    assert (got["C1"], got["C2"], got["C3"], got["C4"]) == (1.0, "#VALUE!", "#VALUE!", "#VALUE!")
    assert (got["C5"], got["C6"], got["C7"], got["C8"]) == (2.0, 2.0, "#N/A", "#VALUE!")
    assert (got["C9"], got["C10"], got["C11"]) == ("#VALUE!", "#DIV/0!", 2.0)



POISSON_CASES = [
    ("=_xlfn.POISSON.DIST(20/15,2,0)", 0.27067056647322535),    # x truncated to 1 for the mass too
    ("=_xlfn.POISSON.DIST(0.2,3,FALSE)", 0.049787068367863944),
    ("=_xlfn.POISSON.DIST(2.999999,5,FALSE)", 0.08422433748856833),
    ("=POISSON(2,5,TRUE)", 0.12465201948308113),
    ("=POISSON(0,0,FALSE)", 1.0),
    ("=POISSON(1,0,FALSE)", 0.0),
    ("=_xlfn.POISSON.DIST(-1E-6,5,TRUE)", "#NUM!"),             # below 0 before truncation
    ("=POISSON(3,-1E-6,TRUE)", "#NUM!"),
    ('=_xlfn.POISSON.DIST(3,4,"TRUE")', 0.43347012036670896),     # the flag typed as text
]


def test_poisson_dist():
    assert wrong_values(POISSON_CASES) == []

def test_poisson_flag_as_text_in_cells_down_a_column():
    # a run of rows: each row's cell text "TRUE"/"true"/"FALSE" reads as the logical value
    cells = {"C1": "TRUE", "C2": "true", "C3": "FALSE", "C4": "abc"}
    for r in range(1, 5):
        cells[f"D{r}"] = f"=_xlfn.POISSON.DIST(2,5,C{r})"
    got = values(cells)
    assert got["D1"] == got["D2"] == pytest.approx(0.12465201948308113, rel=1e-12)
    assert got["D3"] == pytest.approx(0.08422433748856833, rel=1e-12)
    assert got["D4"] == "#VALUE!"


BINOM_RANGE_CASES = [
    # (trials, p, s, s2) -> Excel's values (a workbook Excel saved)
    ("=_xlfn.BINOM.DIST.RANGE(8,0.7,7,8)", 0.2552983299999998),
    ("=_xlfn.BINOM.DIST.RANGE(10,0.5,2.99,6.01)", 0.8173828125),          # counts truncated
    ("=_xlfn.BINOM.DIST.RANGE(10,0.000001,2,3)", 4.499976000042004e-11),  # term by term
    ("=_xlfn.BINOM.DIST.RANGE(10,0.3,5)", 0.10291934520000003),           # s2 omitted: s alone
    ("=_xlfn.BINOM.DIST.RANGE(10,0.3,5,3)", "#NUM!"),                     # s2 below s
    ("=_xlfn.BINOM.DIST.RANGE(10,0.3,5,12)", "#NUM!"),                    # s2 beyond the trials
    ("=_xlfn.BINOM.DIST.RANGE(10,-1E-10,2,3)", "#NUM!"),
    ("=_xlfn.BINOM.DIST.RANGE(2,0.3,10,3)", "#NUM!"),
    ("=_xlfn.BINOM.DIST.RANGE(3000,0.0001,1,1)", 0.2222643587611419),
    ("=_xlfn.BINOM.DIST.RANGE(TRUE,0.3,0,1)", 1.0),
    ('=_xlfn.BINOM.DIST.RANGE("10","0.3","2","3")', 0.5003023725),
    ("=_xlfn.BINOM.DIST.RANGE(#NAME?,NA(),3,1/0)", "#NAME?"),
]


def test_binom_dist_range():
    assert wrong_values(BINOM_RANGE_CASES) == []


def test_binom_dist_range_empty_s2_cell_is_zero_and_ranges_intersect():
    # an empty s2 cell is 0 (below s: #NUM!); a whole column in a plain formula is its cell on the row
    cells = {"A1": 2, "A2": 2, "G2": 3, "B1": "=_xlfn.BINOM.DIST.RANGE(2,0.1,A1,C1)",
             "B2": "=_xlfn.BINOM.DIST.RANGE(10,0.5,G:G,5)"}
    got = values(cells)
    assert got["B1"] == "#NUM!"
    assert got["B2"] == pytest.approx(0.568359375, rel=1e-12)
