"""Financial built-ins on hand-made values: VDB on the examples of Excel's documentation and on
fractional periods worked out by hand."""
import pytest

from formula_values import assert_value, value


@pytest.mark.parametrize("formula, expected", [
    # Excel's VDB page: cost 2400, salvage 300, life 10 years (3650 days, 120 months)
    ("=VDB(2400,300,3650,0,1)", 1.32),
    ("=VDB(2400,300,120,0,1)", 40.0),
    ("=VDB(2400,300,10,0,1)", 480.0),
    ("=VDB(2400,300,120,6,18)", 396.31),
    ("=VDB(2400,300,120,6,18,1.5)", 311.81),
    ("=VDB(2400,300,10,0,0.875,1.5)", 315.0),
    # 1000 over 5 years, double declining: 400, 240, 144; then straight line (216-0)/2 = 108 twice
    ("=VDB(1000,0,5,0,3)", 784.0),
    ("=VDB(1000,0,5,3,4)", 108.0),
    ("=VDB(1000,0,5,3,4,2,TRUE)", 86.4),          # no switch: 216 x 0.4
    ("=VDB(1000,0,5,0,0.5)", 200.0),              # half of the first period
    # a fractional start lays the periods from it: 0-0.5 takes 200, 0.5-1.5 takes 800 x 0.4
    ("=VDB(1000,0,5,0.5,1.5)", 320.0),
    ("=VDB(1000,0,5,6,7)", "#NUM!"),               # beyond the life
    ("=VDB(1000,0,5,2,1)", "#NUM!"),
    ("=VDB(1000,0,5,0,1,0)", "#NUM!"),
    ('=VDB("x",0,5,0,1)', "#VALUE!"),
])
def test_vdb(formula, expected):
    got = value(formula)
    assert got == (pytest.approx(expected, abs=0.005) if isinstance(expected, float) else expected)


def test_xirr_is_excels_bisection_not_a_converged_root():
    # formulas/test.xlsx FINANCIAL: Excel's values for these cash flows with guesses 1, 4 and the
    # default 0.1 (midpoints of a bisection between 0 and the guess doubled until the sign changes);
    # the converged root is 0.599319755753...
    from formula_values import values
    cells = {"A1": 1, "B1": 99, "C1": 55, "D1": 4, "E1": 9, "A2": -10, "B2": 1, "C2": 5, "D2": 0.0001, "E2": 4.5,
             "F1": "=XIRR(A2:E2,A1:E1,1)", "F2": "=XIRR(A2:E2,A1:E1,4)", "F3": "=XIRR(A2:E2,A1:E1)",
             "F4": "=XIRR(A2:E2,A1:E1,-0.1)", "F5": "=XNPV(F1,A2:E2,A1:E1)"}
    got = values(cells)
    assert got["F1"] == 0.5993197485804558 == 80439335 / 2 ** 27
    assert got["F2"] == 0.5993197485804558
    assert got["F3"] == 0.5993197500705721
    assert got["F4"] == "#NUM!"                 # a negative guess finds no bracket
    assert got["F5"] == 4.594164160209857e-09   # Excel's XNPV at its own XIRR, summed in order


def test_xirr_with_a_negative_rate_still_finds_it():
    from formula_values import values
    got = values({"A1": 45000, "B1": 45365, "A2": -100, "B2": 90, "C1": "=XIRR(A2:B2,A1:B1)"})
    assert abs(got["C1"] - (-0.1)) < 1e-6


@pytest.mark.parametrize("formula, expected", [
    # Excel's values (a workbook Excel saved): PMT - IPMT would leave only rounding noise here
    ('=PPMT(2,"3","33","10000","1")', -3.238280962129199e-11),
    ("=PPMT(4,3,33,10000,1)", -8.590793585459249e-18),
    ("=PPMT(5,3,33,10000,1)", -3.7698552037230904e-20),
    ("=PPMT(-0.1,3,33,10000,1)", -835.9133596022948),
    ("=PPMT(TRUE,3,33,10000,1)", -4.657078534906851e-06),     # TRUE is the rate 1
    ("=PPMT(,3,33,10000,1)", -10001 / 33),                    # no interest: the loan in equal parts
    # 1000 at 10% over 2 periods: payment 576.19; the first takes 100 of interest, the second 52.38
    ("=PPMT(0.1,1,2,1000)", -1000 * 0.1 / (1.1 ** 2 - 1)),
    ("=PPMT(0.1,2,2,1000)", -1000 * 0.1 * 1.1 / (1.1 ** 2 - 1)),
    ("=PPMT(0.1,1,2,1000,0,1)", -1000 * 0.1 * 1.1 ** 2 / ((1.1 ** 2 - 1) * 1.1)),   # in advance: all principal
    ("=PPMT(0.1,2,2,1000,0,1)", -1000 * 0.1 / (1.1 ** 2 - 1)),
    ("=PPMT(0.1,0,2,1000)", "#NUM!"),
    ("=PPMT(0.1,3,2,1000)", "#NUM!"),
    ('=PPMT("x",1,2,1000)', "#VALUE!"),
])
def test_ppmt_is_exact_where_payment_and_interest_nearly_cancel(formula, expected):
    assert_value(formula, expected)


def test_accrint_and_accrintm():
    """ACCRINT on the examples of Excel's ACCRINT page (issue 2008-03-01, first interest 2008-08-31,
    settlement 2008-05-01, 10%, 1000, semi-annual) and on coupon periods worked out by hand."""
    from formula_values import values
    coupon = 1000 * 0.08 / 2            # 40 a half year
    cells = {
        "A1": "=ACCRINT(39508,39691,39569,0.1,1000,2,0)",
        "A2": "=ACCRINT(DATE(2008,3,5),39691,39569,0.1,1000,2,0,FALSE)",
        "A3": "=ACCRINT(DATE(2008,4,5),39691,39569,0.1,1000,2,0,TRUE)",
        # issued on a coupon date two periods before the first interest, settled 3 months in: the
        # first period counts 1, the last one 1 (180/180), less 270 days to the first interest
        "B1": "=ACCRINT(DATE(2021,12,1),DATE(2022,12,1),DATE(2022,3,1),0.08,1000,2,0)",
        # calc_method FALSE leaves out the whole period before the last one: 1 - 270/180
        "B2": "=ACCRINT(DATE(2021,12,1),DATE(2022,12,1),DATE(2022,3,1),0.08,1000,2,0,FALSE)",
        # actual/360: the last period (Jun 1 - Dec 1, 183 days) counts 183/180, less 275/180
        "B3": "=ACCRINT(DATE(2021,12,1),DATE(2022,12,1),DATE(2022,3,1),0.08,1000,2,2)",
        # settled in the last period: its days from the issue (92 of Jun 1 - Sep 1) over 180
        "B4": "=ACCRINT(DATE(2022,6,1),DATE(2022,12,1),DATE(2022,9,1),0.08,1000,2,2)",
        # after the first interest: the period counts 1, then 90 days (Dec 1 - Mar 1) over 180
        "B5": "=ACCRINT(DATE(2022,6,1),DATE(2022,12,1),DATE(2023,3,1),0.08,1000,2,2)",
        "B6": "=ACCRINT(DATE(2022,6,1),DATE(2022,12,1),DATE(2023,3,1),0.08,1000,2,2,FALSE)",   # 273/180
        "C1": "=ACCRINT(DATE(2008,3,1),DATE(2008,9,1),DATE(2008,5,1),0,1000,2,0)",
        "C2": "=ACCRINT(DATE(2008,3,1),DATE(2008,9,1),DATE(2008,5,1),0.1,1000,3,0)",
        "C3": "=ACCRINT(DATE(2008,5,1),DATE(2008,9,1),DATE(2008,5,1),0.1,1000,2,0)",
        "C4": "=ACCRINT(DATE(2008,3,1),DATE(2008,9,1),DATE(2008,5,1),0.1,1000,2,5)",
        # ACCRINTM: 121 days over 366 (the span holds 29 February 2024), YEARFRAC's basis 1
        "D1": "=ACCRINTM(DATE(2023,11,15),DATE(2024,3,15),0.1,1000,1)",
        "D2": "=ACCRINTM(DATE(2024,1,1),DATE(2024,7,1),0.1,1000,0)",
        "D3": "=ACCRINTM(DATE(2024,7,1),DATE(2024,1,1),0.1,1000,0)",
    }
    got = values(cells)
    expected = {"A1": 16.666666667, "A2": 15.555555556, "A3": 7.222222222,
                "B1": coupon * 0.5, "B2": coupon * -0.5, "B3": coupon * (1 + (183 - 275) / 180),
                "B4": coupon * 92 / 180, "B5": coupon * 1.5, "B6": coupon * 273 / 180,
                "D1": 100 * 121 / 366, "D2": 50.0}
    for k, want in expected.items():
        assert got[k] == pytest.approx(want, rel=1e-9), k
    assert [got[k] for k in ("C1", "C2", "C3", "C4", "D3")] == ["#NUM!"] * 5


@pytest.mark.parametrize("formula, expected", [
    ("=EFFECT(0.5,4.5)", 0.601806640625),          # npery truncated: (1 + 0.5/4)^4 - 1
    ("=EFFECT(7,4)", 56.19140625), ("=EFFECT(2,1)", 2.0),
    ("=NOMINAL(0.5,10)", 0.4137974399241062), ("=NOMINAL(9,2.4)", 4.324555320336759),
    ("=EFFECT(0,10)", "#NUM!"), ("=EFFECT(-2,2)", "#NUM!"), ("=NOMINAL(0.2,0.99)", "#NUM!"),
    ("=NOMINAL(0.2,-1)", "#NUM!"),
    ("=EFFECT(10,TRUE)", "#VALUE!"), ('=NOMINAL("hola",5)', "#VALUE!"),   # no logicals, no text
    ("=EFFECT(NA(),5)", "#N/A"), ("=NOMINAL(5,NA())", "#N/A"),
])
def test_effect_nominal(formula, expected):
    got = value(formula)
    assert got == pytest.approx(expected, rel=1e-15) if isinstance(expected, float) else got == expected


@pytest.mark.parametrize("formula, expected", [
    # the annuity equation pv (1+r)^n + pmt (1 + r type) ((1+r)^n - 1)/r + fv = 0, solved by hand
    ("=PMT(1,3,100)", -800 / 7), ("=PMT(0.2,3,-200,10,5)", 76.83150183150182),   # any type but 0 is 1
    ("=PMT(0,12,-300,10,1)", 24.166666666666668),
    ("=PMT(-1,1,-100,300,1)", "#NUM!"), ("=PMT(-3,5,100)", "#NUM!"), ("=PMT(0.02,0,100)", "#NUM!"),
    ('=PMT("x",3,100)', "#VALUE!"), ("=PMT(0.1,3,100,1/0)", "#DIV/0!"),
    ("=PV(1,3,-800/7)", 100.0), ("=PV(0,3,-100,-300)", 600.0), ("=PV(-1,20,300)", "#DIV/0!"),
    ("=FV(1,3,100,300,1)", -3800.0), ("=FV(1,3,100)", -700.0), ("=FV(0.02,0,100,300,1)", -300.0),
    ("=FV(-3,5,100,300,1)", 11800.0), ("=FV(-1,-2,1)", "#DIV/0!"), ("=FV(-3,-3.5,1)", "#NUM!"),
    ("=NPER(0,3,100,23,1)", -41.0),                 # rate 0: -(pv + fv) / pmt, whatever the type
    ("=NPER(1,3,100,12,0)", "#NUM!"), ("=NPER(-3,5,100)", "#NUM!"),
    ("=IPMT(0.1,3,3,8000,0,1)", -265.8610271903324), ("=IPMT(0.1,3,3,8000)", -292.44712990936563),
    ("=IPMT(0.0083,1,36,8000,0,1)", 0.0),           # payments at the start: no interest in the first
    ("=IPMT(0.1,3.9,3,8000,10,1)", -26.866364667656377),
    ("=IPMT(0.1,4,3,8000)", "#NUM!"), ("=IPMT(0.01,0.99999,36,8000)", "#NUM!"), ("=IPMT(0.1,0,36,8000)", "#NUM!"),
])
def test_annuities(formula, expected):
    got = value(formula)
    assert got == pytest.approx(expected, rel=1e-12) if isinstance(expected, float) else got == expected


@pytest.mark.parametrize("formula, expected", [
    ("=MIRR({-5,4},0.1,0.2)", -0.19999999999999996),         # (4 / 5)^(1/1) - 1
    ("=MIRR({-5,2,4},-1,0.2)", 0.13137084989847603),        # a finance rate of -1: (1 + r)^0 is 1
    ("=MIRR({-6,-1,-2},0.1,0.2)", -1.0),                    # no positive flow
    ("=MIRR({5,6},0.1,0.2)", "#DIV/0!"),                    # no negative flow
    ("=MIRR({-50,25,30},0.5,-12)", "#NUM!"),                # a negative ratio under a square root
    ("=MIRR({-20,5,1/0},0.1,0.2)", "#DIV/0!"), ('=MIRR({-20,5},"x",0.2)', "#VALUE!"),
])
def test_mirr(formula, expected):
    got = value(formula)
    assert got == pytest.approx(expected, rel=1e-12) if isinstance(expected, float) else got == expected


def test_mirr_leaves_out_text_logicals_and_empty_cells_of_the_range():
    from formula_values import values
    got = values({"A1": -20, "A2": 5, "A3": "Hello", "A4": True, "A6": 5, "B1": "=MIRR(A1:A6,0.1,0.2)"})
    assert got["B1"] == pytest.approx((11 / 20) ** 0.5 - 1, rel=1e-12)      # -20, 5, 5 over 3 periods


@pytest.mark.parametrize("formula, expected", [
    ("=DDB(100,10,4,3,2)", 12.5), ("=DDB(100,10,4,1,2)", 50.0),
    ("=DDB(0,10,4,1,2)", 0.0), ("=DDB(23.89,34.78,4,3,2)", 0.0),     # nothing to depreciate: 0
    ("=DDB(-3,10,4,2,2)", "#NUM!"), ("=DDB(100,10,4,5,2)", "#NUM!"), ("=DDB(100,10,4,3,0)", "#NUM!"),
    ("=DB(0,1,4,1,2)", 0.0), ("=DB(100,10,4,3,13)", "#NUM!"),
])
def test_declining_balance(formula, expected):
    got = value(formula)
    assert got == pytest.approx(expected, rel=1e-12) if isinstance(expected, float) else got == expected


@pytest.mark.parametrize("formula, expected", [
    # cached (IronCalc FINANCIAL_RATE.xlsx): Newton's iterates from the guess, stopped at a step below
    # 1E-7; rates of -1 or below, or no settling, are #NUM!
    ("=RATE(48,-200,8000,1000,1)", 0.0035499220754319927), ("=RATE(12,-200,8000,0,TRUE)", -0.1678337611998994),
    ("=RATE(300,-200,8000,0,1)", 0.025627751816686105), ("=RATE(2,-200,8000,0,1)", -0.9743589743570107),
    ("=RATE(12,-550,8000,100,0)", -0.030979134708357597), ("=RATE(10,-1200,2000,0,1)", "#NUM!"),
    ("=RATE(3300,-200,8000,0,1)", "#NUM!"), ("=RATE(1/0,-200,8000)", "#DIV/0!"),
])
def test_rate(formula, expected):
    got = value(formula)
    assert got == (pytest.approx(expected, rel=1e-9) if isinstance(expected, float) else expected)


@pytest.mark.parametrize("formula, expected", [
    # cached (IronCalc FINANCIAL_CUMPRINC.xlsx): whole periods from the start rounded up to the end
    # truncated; #NUM! for arguments out of range, #VALUE! for TRUE/FALSE
    ("=CUMPRINC(0.0083,36,8000,1,10,1)", -2038.518055313885), ("=CUMPRINC(0.01,36,8000,1.2,8.53,1)", -1339.6579298169904),
    ("=CUMPRINC(0.1,36,8000,1.5,10,1)", -363.1764634420559), ("=CUMPRINC(0.8,36,18000,2.7,9.667,1)", -0.0012603466877548824),
    ("=CUMPRINC(0.12,23,8000,3,10,0)", -1179.9853331395495), ("=CUMPRINC(0.1,2,8000,1,10,1)", "#NUM!"),
    ("=CUMPRINC(0.3,12,8000,5.1,5,1)", "#NUM!"), ("=CUMPRINC(0,9,300,3,10,1)", "#NUM!"),
    ("=CUMPRINC(0.01,36,8000,3,10,1.2)", "#NUM!"), ("=CUMPRINC(0.01,36,8000,TRUE,10,0)", "#VALUE!"),
])
def test_cumprinc(formula, expected):
    got = value(formula)
    assert got == (pytest.approx(expected, rel=1e-9) if isinstance(expected, float) else expected)
