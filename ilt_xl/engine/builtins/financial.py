"""Financial built-ins computed as Excel computes them: VDB (declining balance with the switch to
straight line, fractional periods included), XIRR (Excel's bisection), the annuity functions PMT,
PV, FV, NPER, IPMT and PPMT (PPMT without the cancellation of PMT - IPMT), MIRR, EFFECT and
NOMINAL, ACCRINT (Excel's coupon periods) and ACCRINTM (YEARFRAC's day count)."""
from __future__ import annotations

import math

import numpy as np

from ilt_xl.engine import coercion as co
from ilt_xl.engine.builtins import builtin, call_by_name
from ilt_xl.engine.builtins._values import _omitted, elementwise, reference_numbers, result, scalar_numbers
from ilt_xl.engine.builtins.lifting import lifted
from ilt_xl.engine.builtins.dates import LAST_SERIAL, date_serial, dates_read, days_30_360, serial_parts
from ilt_xl.engine.builtins.formulas_bridge import call_formulas
from ilt_xl.engine.evaluator import Ctx, NotVectorisable, Val
from ilt_xl.engine.values import ERR, NUM, Block, E_DIV0, E_NUM, E_VALUE


def vdb(cost: float, salvage: float, life: float, start: float, end: float, factor: float = 2.0,
        no_switch: bool = False) -> float:
    """Depreciation between ``start`` and ``end`` (NaN, #NUM!, for impossible arguments).

    Excel lays the periods on a grid that starts with the fraction of ``start`` (VDB(..,2.5,3.5)
    depreciates the periods 0-0.5, 0.5-1.5, 1.5-2.5, 2.5-3.5): each period of length f takes f x
    the larger of the declining balance (book x factor/life, never below salvage) and the straight
    line over the life left ((book - salvage) / (life - period start)); once the straight line is
    larger it stays (unless ``no_switch``). Matches Excel's VDB on whole and fractional periods."""
    if (start < 0 or end < start or end > life or life <= 0 or cost < 0 or salvage < 0 or salvage > cost
            or factor <= 0):
        return math.nan
    rate = min(factor / life, 1.0)
    offset = start - math.floor(start)
    book, a, total = cost, 0.0, 0.0
    while a < end:
        b = min(offset if a == 0.0 and offset > 0 else a + 1.0, life)
        length = b - a
        ddb = min(book * rate, max(book - salvage, 0.0))
        straight = (book - salvage) / (life - a)
        if not no_switch and straight > ddb:
            # straight line from here on: every later period takes the same amount per unit of time
            return total + straight * (end - max(a, start))
        amount = ddb * length
        lo, hi = max(a, start), min(b, end)
        if hi > lo:
            total += amount * (hi - lo) / length
        book -= amount
        a = b
    return total


_vdb = np.frompyfunc(lambda *xs: vdb(*xs[:5], xs[5], bool(xs[6])), 7, 1)


@builtin("VDB")
def vdb_(args: list[Val], ctx: Ctx) -> Val:
    if len(args) < 5:
        return Val(Block.errors((1, 1), E_VALUE))
    vals = list(args) + [None] * (7 - len(args))
    return elementwise(lambda *xs: _vdb(*xs).astype(np.float64), *vals[:7],
                       default=(None, None, None, None, None, 2.0, 0.0))


def xirr_by_halving(values: np.ndarray, dates: np.ndarray, guess: float) -> float | None:
    """XIRR as Excel finds it, or None when its search finds no bracket: Excel's results are the
    midpoints of a bisection between 0 and the guess, doubled until the net present value changes
    sign (XIRR(..,1) is 80439335/2^27 exactly), stopped at the first midpoint within 1e-8 of the
    root (half the interval): never a fully converged root. A negative guess finds no bracket."""
    order = np.argsort(dates, kind="stable")
    v, d = values[order], np.floor(dates[order])
    t = (d - d[0]) / 365.0

    def npv(rate: float) -> float:
        with np.errstate(all="ignore"):
            return float((v / np.power(1.0 + rate, t)).sum())

    lo, f_lo = 0.0, npv(0.0)
    if f_lo == 0.0:
        return 0.0
    hi = guess
    if not hi > 0.0:
        return None
    for _ in range(1100):           # doubling reaches the largest double in ~1,030 steps
        f_hi = npv(hi)
        if not np.isfinite(f_hi):
            return None
        if (f_hi > 0) != (f_lo > 0) or f_hi == 0.0:
            break
        hi *= 2.0
    else:
        return None
    for _ in range(2000):
        mid = (lo + hi) / 2.0
        if (hi - lo) / 2.0 < 1e-8:
            return mid
        f_mid = npv(mid)
        if f_mid == 0.0:
            return mid
        if (f_mid > 0) == (f_lo > 0):
            lo, f_lo = mid, f_mid
        else:
            hi = mid
    return None


@builtin("XIRR")
def xirr(args: list[Val], ctx: Ctx) -> Val:
    """XIRR(values, dates, [guess]): the `formulas` library checks the arguments (its errors are
    Excel's); the rate is then found as Excel finds it (:func:`xirr_by_halving`), or, where that
    finds no bracket (a negative rate), the library's Newton root is kept."""
    if any(a.per_row for a in args):
        raise NotVectorisable("XIRR per row")
    got = call_formulas("XIRR", args, ctx)
    if len(args) < 2 or got.shape != (1, 1) or got.block.kind[0, 0] != NUM:
        return got
    values = co.to_numbers(args[0].block)[0].ravel()
    dates = co.to_numbers(args[1].block)[0].ravel()
    guess = float(co.to_numbers(args[2].block)[0][0, 0]) if len(args) > 2 else 0.1     # a blank guess is 0
    if len(values) != len(dates):
        return got
    rate = xirr_by_halving(values, dates, guess)
    return got if rate is None else Val(Block.numbers([[rate]]))


@builtin("XNPV")
def xnpv(args: list[Val], ctx: Ctx) -> Val:
    """XNPV(rate, values, dates): the `formulas` library checks the arguments; the sum is taken in
    the order of the cash flows, as Excel adds them (a near-zero result depends on that order)."""
    if any(a.per_row for a in args):
        raise NotVectorisable("XNPV per row")
    got = call_formulas("XNPV", args, ctx)
    if len(args) != 3 or got.shape != (1, 1) or got.block.kind[0, 0] != NUM or args[0].shape != (1, 1):
        return got
    rate = float(co.to_numbers(args[0].block)[0][0, 0])
    values = co.to_numbers(args[1].block)[0].ravel()
    dates = np.floor(co.to_numbers(args[2].block)[0].ravel())
    if len(values) != len(dates) or len(dates) == 0 or dates[0] != dates.min():
        return got
    with np.errstate(all="ignore"):
        total = sum((values / np.power(1.0 + rate, (dates - dates[0]) / 365.0)).tolist())     # one by one, in order
    return Val(Block.numbers([[total]])) if np.isfinite(total) else got


def ppmt(rate, per, nper, pv, fv, when):
    """The principal part of payment ``per`` (arrays broadcast; NaN for #NUM!). PMT - IPMT loses
    every digit when the two are nearly equal (a high rate: PPMT(2,3,33,10000,1) is -3.2e-11 of
    a -20,000 payment); Excel's results are exact there, as this closed form is: the principal
    grows by (1 + rate) each period from -rate (pv + fv) / ((1 + rate)^nper - 1), one period
    later when payments are due at the start (whose first payment is all principal)."""
    start = when != 0
    g = np.power(1.0 + rate, nper)
    safe = np.where(rate == 0, 1.0, rate)
    first = -safe * (pv + fv) / (g - 1.0)
    grown = first * np.power(1.0 + rate, per - 1.0 - start)
    whole = -(pv * g + fv) * safe / ((g - 1.0) * (1.0 + safe * start))      # PMT
    out = np.where(start & (per == 1), whole, grown)
    out = np.where(rate == 0, -(pv + fv) / np.where(nper == 0, np.nan, nper), out)
    return np.where((per < 1) | (per >= nper + 1), np.nan, out)


@builtin("PPMT")
def ppmt_(args: list[Val], ctx: Ctx) -> Val:
    return _annuity(ppmt, args, 4, 6)


def _principal_between(rate: float, nper_: float, pv_: float, start: float, end: float, when: float) -> float:
    """CUMPRINC of one set of arguments: PPMT summed over the whole periods from ``start`` rounded
    up to ``end`` truncated (Excel's cached CUMPRINC(0.01,36,8000,1.2,8.53,1) is periods 2 to 8)."""
    first, last = math.ceil(start), math.floor(end)
    if rate <= 0 or nper_ <= 0 or pv_ <= 0 or start < 1 or end < start or end > nper_ or when not in (0, 1):
        return math.nan
    periods = np.arange(first, last + 1, dtype=np.float64)
    return float(ppmt(rate, periods, nper_, pv_, 0.0, when).sum())


_PRINCIPAL_BETWEEN = np.frompyfunc(_principal_between, 6, 1)


@builtin("CUMPRINC")
def cumprinc(args: list[Val], ctx: Ctx) -> Val:
    """CUMPRINC(rate, nper, pv, start_period, end_period, type): #NUM! for a rate, nper or pv not
    above 0, a start below 1, an end before the start or past nper, a type other than 0 or 1;
    TRUE or FALSE anywhere #VALUE!."""
    if len(args) != 6:
        return Val(Block.errors((1, 1), E_VALUE))
    return elementwise(lambda *xs: _PRINCIPAL_BETWEEN(*xs).astype(np.float64), *args, booleans=False)


# ---- the annuity functions: pv (1 + r)^n + pmt (1 + r type) ((1 + r)^n - 1) / r + fv = 0 -------------------

def _at_start(when):
    """A type argument: any number other than 0 means payments at the start of the periods."""
    return (when != 0).astype(float)


def _growth(rate, n):
    """((1 + rate)^n, the annuity factor ((1 + rate)^n - 1) / rate, n where rate is 0)."""
    g = np.power(1.0 + rate, n)
    return g, np.where(rate == 0, n, (g - 1.0) / np.where(rate == 0, 1.0, rate))


def pmt(rate, nper, pv, fv, when):
    """The payment per period; #NUM! (NaN) for a rate of -1 or below or no periods."""
    g, factor = _growth(rate, nper)
    out = -(pv * g + fv) / (factor * (1.0 + rate * _at_start(when)))
    return np.where((rate <= -1) | (nper == 0), np.nan, out)


def pv(rate, nper, payment, fv, when):
    g, factor = _growth(rate, nper)
    return -(fv + payment * (1.0 + rate * _at_start(when)) * factor) / g


def fv(rate, nper, payment, pv_, when):
    g, factor = _growth(rate, nper)
    return -(pv_ * g + payment * (1.0 + rate * _at_start(when)) * factor)


def nper(rate, payment, pv_, fv_, when):
    """The number of periods: log((pmt (1 + r type) - fv r) / (pmt (1 + r type) + pv r)) / log(1 + r);
    -(pv + fv) / pmt at rate 0 (whatever the type)."""
    paid = payment * (1.0 + rate * _at_start(when))
    out = np.log((paid - fv_ * rate) / (paid + pv_ * rate)) / np.log1p(rate)
    return np.where(rate == 0, -(pv_ + fv_) / payment, out)


def ipmt(rate, per, nper_, pv_, fv_, when):
    """The interest part of payment ``per``: the balance after per - 1 periods times the rate
    (with payments at the start, the interest that payment covers: r / (1 + r) of the balance
    before it, and none in the first period). #NUM! for per below 1 or from nper + 1 on."""
    start = _at_start(when)
    balance = fv(rate, per - 1.0, pmt(rate, nper_, pv_, fv_, when), pv_, when)
    out = np.where(start == 1, np.where(per == 1, 0.0, balance * rate / (1.0 + rate)), balance * rate)
    return np.where((per < 1) | (per >= nper_ + 1), np.nan, out)


def _annuity(fn, args: list[Val], required: int, most: int, div0=None) -> Val:
    """``fn`` over the arguments, the optional ones 0 when omitted."""
    if not required <= len(args) <= most:
        return Val(Block.errors((1, 1), E_VALUE))
    vals = [None if _omitted(a) and i >= required else a for i, a in enumerate(args)] + [None] * (most - len(args))
    return elementwise(fn, *vals, default=(None,) * required + (0.0,) * (most - required), div0=div0)


# RATE's Newton iteration: Excel's cached rates are its iterates, stopped once a step is below
# 1E-7 (not converged to the last bit: RATE(48,-200,8000,1000,1) is 0.0035499220754319927); it
# finds rates that need more than the 20 steps its documentation says (RATE(300,-200,8000,0,1)),
# fails (#NUM!) where the iteration leaves the rates above -1 or does not settle
_RATE_STEPS, _RATE_STEP = 100, 1e-7


def _rate_newton(n: float, payment: float, pv_: float, fv_: float, when: float, guess: float) -> float:
    t = 1.0 if when != 0 else 0.0
    r = guess
    for _ in range(_RATE_STEPS):
        try:
            if abs(r) < 1e-12:      # the limits at rate 0
                f = pv_ + payment * n + fv_
                df = pv_ * n + payment * t * n + payment * n * (n - 1) / 2
            else:
                q, dq = (1 + r) ** n, n * (1 + r) ** (n - 1)
                f = pv_ * q + payment * (1 + r * t) * (q - 1) / r + fv_
                df = pv_ * dq + payment * t * (q - 1) / r + payment * (1 + r * t) * (dq * r - (q - 1)) / r ** 2
            step = f / df
        except (OverflowError, ZeroDivisionError, ValueError):
            return math.nan
        r, previous = r - step, r
        if not math.isfinite(r) or r <= -1:
            return math.nan
        if abs(r - previous) < _RATE_STEP:
            return r
    return math.nan


_RATE = np.frompyfunc(_rate_newton, 6, 1)


def _rate(args: list[Val], ctx: Ctx) -> Val:
    """RATE(nper, pmt, pv, [fv=0], [type=0], [guess=0.1])."""
    if not 3 <= len(args) <= 6:
        return Val(Block.errors((1, 1), E_VALUE))
    vals = [None if _omitted(a) and i >= 3 else a for i, a in enumerate(args)] + [None] * (6 - len(args))
    return elementwise(lambda *xs: _RATE(*xs).astype(np.float64), *vals, default=(None, None, None, 0.0, 0.0, 0.1))


builtin("RATE")(_rate)
builtin("PMT")(lambda args, ctx: _annuity(pmt, args, 3, 5))
# a rate of -1 makes (1 + rate)^n 0: PV divides by it, FV by it when n is negative
builtin("PV")(lambda args, ctx: _annuity(pv, args, 3, 5, div0=lambda rate, n, *_: (rate == -1) & (n != 0)))
builtin("FV")(lambda args, ctx: _annuity(fv, args, 3, 5, div0=lambda rate, n, *_: (rate == -1) & (n < 0)))
builtin("NPER")(lambda args, ctx: _annuity(nper, args, 3, 5))
builtin("IPMT")(lambda args, ctx: _annuity(ipmt, args, 4, 6))


# ---- accrued interest ------------------------------------------------------------------------------------

def coupon_dates(anchor: float, months: np.ndarray) -> np.ndarray:
    """The serials ``months`` months from the coupon date ``anchor`` (negative: before it), as the
    bond functions lay their coupon dates: on the anchor's day of the month (the month's last day
    when the month is shorter), or on each month's last day when the anchor is a month's last day."""
    y, m, d = (int(x[0]) for x in serial_parts(np.array([anchor])))
    month_start = date_serial(y, m + months, 1)
    month_last = date_serial(y, m + months + 1, 0)
    if date_serial(y, m + 1, 0) == anchor:
        return month_last
    return np.minimum(month_start + d - 1, month_last)


def _days(s1: float, s2: float, basis: int) -> float:
    """Days from ``s1`` to ``s2`` by the day count of ``basis`` (30/360 for 0 and 4, else actual)."""
    if basis in (0, 4):
        return float(days_30_360(np.array([s1]), np.array([s2]), european=basis == 4)[0])
    return s2 - s1


def _period_length(start: float, end: float, basis: int, frequency: int) -> float:
    """A coupon period's length in days: its actual days for basis 1, else the basis' year / frequency."""
    if basis == 1:
        return end - start
    return (365.0 if basis == 3 else 360.0) / frequency


def accrint(issue: float, first: float, settlement: float, rate: float, par: float, frequency: float,
            basis: float = 0.0, from_issue: bool = True) -> float:
    """ACCRINT as Excel computes it (NaN for #NUM!), in coupons (par x rate / frequency) accrued.

    The coupon periods are laid back from ``first`` (coupon_dates) to the one holding ``issue``.
    Up to ``first``: the period holding the issue counts its days from the issue over its length,
    or 1 when the issue is its first day; each later whole period counts 1, but the last one (to
    ``first``), which counts its days over the length of a period. When the settlement is before
    ``first``, the days from the settlement to ``first`` are taken off (basis 0 counts them 30E/360,
    as COUPDAYSNC does); in the last period the days from its start (or the issue) to the
    settlement are counted instead. After ``first``: each whole period counts 1, and the days since
    the last coupon date before the settlement count over the length of the period before ``first``
    (the issue's one period counts 1 then). ``from_issue=False`` (calc_method FALSE) leaves out the
    whole periods before the last one, and counts the days from the last coupon date before
    ``first`` to the settlement. Periods' lengths are 360/frequency days (365/frequency for
    basis 3, the actual days of the period before ``first`` for basis 1)."""
    f, b = int(frequency), int(basis)
    issue, first, settlement = math.floor(issue), math.floor(first), math.floor(settlement)
    if rate <= 0 or par <= 0 or f not in (1, 2, 4) or not 0 <= b <= 4 or issue >= settlement:
        return math.nan
    if min(issue, first, settlement) < 0 or max(issue, first, settlement) > LAST_SERIAL:
        return math.nan
    step = 12 // f
    year, month, _ = serial_parts(np.array([first, issue]))
    months = int((year[0] - year[1]) * 12 + (month[0] - month[1]))
    dates = coupon_dates(first, -np.arange(0, max(months // step + 2, 1) + 1) * step)   # first, then back
    n = max(int(np.argmax(dates <= issue)), 1)          # periods from the issue's one to first
    ends, starts = dates[:n][::-1].tolist(), dates[1:n + 1][::-1].tolist()
    last = _period_length(starts[-1], first, b, f)
    whole, own = [], []         # each period's count with calc_method TRUE, and FALSE
    for j, (a, e) in enumerate(zip(starts, ends)):
        if j == 0 and issue > a:
            part = _days(issue, e, b) / _period_length(a, e, b, f)
            whole.append(part)
            own.append(part)
        elif j == n - 1:
            whole.append(_days(a, e, b) / last)
            own.append(whole[-1])
        else:
            whole.append(1.0)
            own.append(0.0)
    if starts[-1] < settlement <= first:       # in the last period: its days to the settlement
        begin = max(issue, starts[-1])
        length = last if n > 1 or issue == starts[-1] else _period_length(starts[-1], first, b, f)
        count = _days(begin, settlement, b) / length
        total = sum(whole[:-1]) + count if from_issue else (sum(own[:-1]) if n > 1 else 0.0) + count
    elif settlement <= first:
        rest = _days(settlement, first, 4 if b == 0 else b) / last
        total = (sum(whole) if from_issue else sum(own)) - rest
    elif from_issue:
        if n == 1 and issue == starts[0]:
            whole[0] = 1.0
        after = coupon_dates(first, np.arange(1, (settlement - first) // 28 + 2) * step)
        k = int((after < settlement).sum())          # whole periods after first
        before = first if k == 0 else float(after[k - 1])
        total = sum(whole) + k + _days(before, settlement, b) / last
    else:
        total = sum(own) + _days(first, settlement, b) / last
    return par * rate / f * total


_accrint = np.frompyfunc(lambda *xs: accrint(*xs[:7], bool(xs[7])), 8, 1)


@builtin("ACCRINT")
def accrint_(args: list[Val], ctx: Ctx) -> Val:
    """ACCRINT(issue, first_interest, settlement, rate, par, frequency, [basis], [calc_method])."""
    if not 6 <= len(args) <= 8:
        return Val(Block.errors((1, 1), E_VALUE))
    vals = [dates_read(a, ctx) if i < 3 else a for i, a in enumerate(args)] + [None] * (8 - len(args))
    return elementwise(lambda *xs: _accrint(*xs).astype(np.float64), *vals,
                       default=(None, None, None, None, None, None, 0.0, 1.0))


@builtin("ACCRINTM")
def accrintm(args: list[Val], ctx: Ctx) -> Val:
    """ACCRINTM(issue, settlement, rate, par, [basis]): par x rate x YEARFRAC(issue, settlement,
    basis); #NUM! when the rate or the par is not above 0 or the issue is not before the settlement."""
    if len(args) not in (4, 5):
        return Val(Block.errors((1, 1), E_VALUE))
    years = call_by_name("YEARFRAC", [args[0], args[1]] + list(args[4:]), ctx)

    def interest(frac, issue, settlement, rate, par):
        bad = (rate <= 0) | (par <= 0) | (np.floor(issue) >= np.floor(settlement))
        return np.where(bad, np.nan, par * rate * frac)
    return elementwise(interest, years, dates_read(args[0], ctx), dates_read(args[1], ctx), args[2], args[3])


# ---- interest rates --------------------------------------------------------------------------------------

def _rate_conversion(effective: bool):
    """EFFECT(nominal_rate, npery) = (1 + r/n)^n - 1 and NOMINAL(effect_rate, npery) =
    n ((1 + r)^(1/n) - 1), npery truncated: #NUM! for a rate not above 0 or npery below 1;
    #VALUE! for text or a logical; an argument's error first."""
    def fn(args: list[Val], ctx: Ctx) -> Val:
        if len(args) != 2:
            return result(E_VALUE)
        got = scalar_numbers(args, booleans=False)
        if not isinstance(got, list):
            return result(got)
        rate, n = got[0] or 0.0, math.trunc(got[1] or 0.0)
        if rate <= 0 or n < 1:
            return result(E_NUM)
        return result((1 + rate / n) ** n - 1 if effective else n * ((1 + rate) ** (1 / n) - 1))
    return lifted(0, 1)(fn)


builtin("EFFECT")(_rate_conversion(effective=True))
builtin("NOMINAL")(_rate_conversion(effective=False))


@builtin("MIRR")
@lifted(1, 2)
def mirr(args: list[Val], ctx: Ctx) -> Val:
    """MIRR(values, finance_rate, reinvest_rate): (-FV(positive flows at reinvest_rate) /
    PV(negative flows at finance_rate))^(1/(n-1)) - 1 over the n numbers of values (text,
    logicals and empty cells left out), each flow at its position. #DIV/0! without a negative
    flow (or a single number), #NUM! for a negative ratio under a root."""
    if len(args) != 3:
        return result(E_VALUE)
    flows = reference_numbers(args[0])
    if not isinstance(flows, np.ndarray):
        return result(flows)
    rates = scalar_numbers(args[1:])
    if not isinstance(rates, list):
        return result(rates)
    finance, reinvest = (r or 0.0 for r in rates)
    n = len(flows)
    with np.errstate(all="ignore"):
        at = np.arange(n, dtype=float)
        negative = flows < 0
        present = sum((flows[negative] / np.power(1.0 + finance, at[negative])).tolist())
        future = sum((flows[~negative] * np.power(1.0 + reinvest, n - 1.0 - at[~negative])).tolist())
        if n < 2 or present == 0 or not np.isfinite(present):
            return result(E_DIV0)
        return result(float(np.power(-future / present, 1.0 / (n - 1.0)) - 1.0))


# ---- depreciation: nothing to depreciate is 0, not #NUM! -----------------------------------------------

def _nothing_to_depreciate(name: str, rule, most: int, defaults: tuple):
    """DB/DDB as the `formulas` library computes them, but 0 where Excel finds nothing to
    depreciate (``rule`` over the numbers: 1 where the result is 0, NaN elsewhere) and the
    library gave #NUM!."""
    def fn(args: list[Val], ctx: Ctx) -> Val:
        got = call_formulas(name, args, ctx)
        if not 4 <= len(args) <= most:
            return got
        zero = elementwise(rule, *(list(args) + [None] * (most - len(args))), default=defaults).block
        g = got.block
        if zero.shape != g.shape and zero.shape != (1, 1):
            return got
        fix = g.kind == ERR
        fix[fix] = [str(e) == "#NUM!" for e in g.obj[fix]]
        fix &= np.broadcast_to(zero.kind == NUM, g.shape)
        if not fix.any():
            return got
        return Val(Block(np.where(fix, NUM, g.kind).astype(np.int8), np.where(fix, 0.0, g.num), g.obj), got.per_row)
    return fn


def _ddb_nothing(cost, salvage, life, period, factor):
    """DDB: salvage at or above a cost of 0 or more, with valid life, period and factor."""
    ok = (cost >= 0) & (salvage >= cost) & (life > 0) & (period >= 1) & (period <= life) & (factor > 0)
    return np.where(ok, 1.0, np.nan)


def _db_nothing(cost, salvage, life, period, month):
    """DB: a cost of 0 (the rate 1 - (salvage/cost)^(1/life) divides by it), valid otherwise."""
    ok = (cost == 0) & (salvage >= 0) & (life > 0) & (period >= 1) & (period <= life + 1) & (month >= 1) & (month <= 12)
    return np.where(ok, 1.0, np.nan)


builtin("DDB")(_nothing_to_depreciate("DDB", _ddb_nothing, 5, (None,) * 4 + (2.0,)))
builtin("DB")(_nothing_to_depreciate("DB", _db_nothing, 5, (None,) * 4 + (12.0,)))
