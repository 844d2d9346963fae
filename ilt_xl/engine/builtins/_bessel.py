"""Bessel functions as Excel computes them: rational and polynomial approximations of orders 0
and 1 (Abramowitz & Stegun 9.8 for I and K; Hart's for J and Y, as Excel's values show), other
orders by the recurrences between neighbouring orders."""
import math

_TWO_OVER_PI = 0.636619772        # the rounded constant of the approximations (not 2/pi itself)


def _poly(y, coefs):
    out = 0.0
    for c in reversed(coefs):
        out = out * y + c
    return out


def i0(x):
    ax = abs(x)
    if ax < 3.75:
        y = (x / 3.75) ** 2
        return _poly(y, (1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.360768e-1, 0.45813e-2))
    y = 3.75 / ax
    return (math.exp(ax) / math.sqrt(ax)) * _poly(y, (0.39894228, 0.1328592e-1, 0.225319e-2, -0.157565e-2, 0.916281e-2,
                                                      -0.2057706e-1, 0.2635537e-1, -0.1647633e-1, 0.392377e-2))


def i1(x):
    ax = abs(x)
    if ax < 3.75:
        y = (x / 3.75) ** 2
        out = ax * _poly(y, (0.5, 0.87890594, 0.51498869, 0.15084934, 0.2658733e-1, 0.301532e-2, 0.32411e-3))
    else:
        y = 3.75 / ax
        out = _poly(y, (0.39894228, -0.3988024e-1, -0.362018e-2, 0.163801e-2, -0.1031555e-1, 0.2282967e-1,
                        -0.2895312e-1, 0.1787654e-1, -0.420059e-2)) * (math.exp(ax) / math.sqrt(ax))
    return -out if x < 0 else out


def k0(x):
    if x <= 2.0:
        y = x * x / 4.0
        return (-math.log(x / 2.0) * i0(x)) + _poly(y, (-0.57721566, 0.42278420, 0.23069756, 0.3488590e-1,
                                                          0.262698e-2, 0.10750e-3, 0.74e-5))
    y = 2.0 / x
    return (math.exp(-x) / math.sqrt(x)) * _poly(y, (1.25331414, -0.7832358e-1, 0.2189568e-1, -0.1062446e-1,
                                                     0.587872e-2, -0.251540e-2, 0.53208e-3))


def k1(x):
    if x <= 2.0:
        y = x * x / 4.0
        return (math.log(x / 2.0) * i1(x)) + (1.0 / x) * _poly(y, (1.0, 0.15443144, -0.67278579, -0.18156897,
                                                                     -0.1919402e-1, -0.110404e-2, -0.4686e-4))
    y = 2.0 / x
    return (math.exp(-x) / math.sqrt(x)) * _poly(y, (1.25331414, 0.23498619, -0.3655620e-1, 0.1504268e-1,
                                                     -0.780353e-2, 0.325614e-2, -0.68245e-3))


def _large(x, shift, p, q):
    """(amplitude, phase, P, Q) of the asymptotic form for x >= 8."""
    z = 8.0 / x
    y = z * z
    return math.sqrt(_TWO_OVER_PI / x), x - shift, _poly(y, p), z * _poly(y, q)


_J0P = (1.0, -0.1098628627e-2, 0.2734510407e-4, -0.2073370639e-5, 0.2093887211e-6)
_J0Q = (-0.1562499995e-1, 0.1430488765e-3, -0.6911147651e-5, 0.7621095161e-6, -0.934935152e-7)
_J1P = (1.0, 0.183105e-2, -0.3516396496e-4, 0.2457520174e-5, -0.240337019e-6)
_J1Q = (0.04687499995, -0.2002690873e-3, 0.8449199096e-5, -0.88228987e-6, 0.105787412e-6)


def j0(x):
    ax = abs(x)
    if ax < 8.0:
        y = x * x
        return (_poly(y, (57568490574.0, -13362590354.0, 651619640.7, -11214424.18, 77392.33017, -184.9052456))
                / _poly(y, (57568490411.0, 1029532985.0, 9494680.718, 59272.64853, 267.8532712, 1.0)))
    amp, xx, p, q = _large(ax, 0.785398164, _J0P, _J0Q)
    return amp * (math.cos(xx) * p - math.sin(xx) * q)


def j1(x):
    ax = abs(x)
    if ax < 8.0:
        y = x * x
        return (x * _poly(y, (72362614232.0, -7895059235.0, 242396853.1, -2972611.439, 15704.48260, -30.16036606))
                / _poly(y, (144725228442.0, 2300535178.0, 18583304.74, 99447.43394, 376.9991397, 1.0)))
    amp, xx, p, q = _large(ax, 2.356194491, _J1P, _J1Q)
    out = amp * (math.cos(xx) * p - math.sin(xx) * q)
    return -out if x < 0 else out


def y0(x):
    if x < 8.0:
        y = x * x
        return (_poly(y, (-2957821389.0, 7062834065.0, -512359803.6, 10879881.29, -86327.92757, 228.4622733))
                / _poly(y, (40076544269.0, 745249964.8, 7189466.438, 47447.26470, 226.1030244, 1.0))
                + _TWO_OVER_PI * j0(x) * math.log(x))
    amp, xx, p, q = _large(x, 0.785398164, _J0P, _J0Q)
    return amp * (math.sin(xx) * p + math.cos(xx) * q)


def y1(x):
    if x < 8.0:
        y = x * x
        return (x * _poly(y, (-0.4900604943e13, 0.1275274390e13, -0.5153438139e11, 0.7349264551e9, -0.4237922726e7,
                              0.8511937935e4))
                / _poly(y, (0.2499580570e14, 0.4244419664e12, 0.3733650367e10, 0.2245904002e8, 0.1020426050e6,
                            0.3549632885e3, 1.0))
                + _TWO_OVER_PI * (j1(x) * math.log(x) - 1.0 / x))
    amp, xx, p, q = _large(x, 2.356194491, _J1P, _J1Q)
    return amp * (math.sin(xx) * p + math.cos(xx) * q)


# Miller's downward recurrence for I and J: start this far above the order, rescale past BIG
_START, _BIG = 40.0, 1.0e10


def _negligible(n: int, ax: float) -> bool:
    """Whether I_n(x) and J_n(x) are below the smallest double ((x/2)^n / n! bounds both)."""
    return n * math.log(ax / 2.0) - math.lgamma(n + 1.0) < -745.0


def bessel_i(x: float, n: int) -> float:
    if n == 0:
        return i0(x)
    if n == 1:
        return i1(x)
    if x == 0.0 or _negligible(n, abs(x)):
        return 0.0
    tox, above, ans, here = 2.0 / abs(x), 0.0, 0.0, 1.0
    for j in range(2 * (n + int(math.sqrt(_START * n))), 0, -1):
        above, here = here, above + j * tox * here
        if abs(here) > _BIG:
            ans, here, above = ans / _BIG, here / _BIG, above / _BIG
        if j == n:
            ans = above
    ans *= i0(x) / here
    return -ans if x < 0 and n % 2 else ans


def bessel_j(x: float, n: int) -> float:
    if n == 0:
        return j0(x)
    if n == 1:
        return j1(x)
    ax = abs(x)
    if ax == 0.0 or _negligible(n, ax):
        return 0.0
    tox = 2.0 / ax
    if ax > n:          # upward from orders 0 and 1: stable while the order is below x
        below, here = j0(ax), j1(ax)
        for j in range(1, n):
            below, here = here, j * tox * here - below
        ans = here
    else:               # downward from far above, normalised by J0 + 2 (J2 + J4 + ...) = 1
        above, here, ans, total, even = 0.0, 1.0, 0.0, 0.0, False
        for j in range(2 * ((n + int(math.sqrt(_START * n))) // 2), 0, -1):
            above, here = here, j * tox * here - above
            if abs(here) > _BIG:
                here, above, ans, total = here / _BIG, above / _BIG, ans / _BIG, total / _BIG
            if even:
                total += here
            even = not even
            if j == n:
                ans = above
        ans /= 2.0 * total - here
    return -ans if x < 0 and n % 2 else ans


def _upward(f0, f1, x: float, n: int, sign: float) -> float:
    """Order n from orders 0 and 1: f(j+1) = f(j-1) + sign * (2j/x) f(j) (K: +1; Y: -1 with f(j-1) subtracted)."""
    if n == 0:
        return f0(x)
    below, here = f0(x), f1(x)
    tox = 2.0 / x
    for j in range(1, n):
        below, here = here, (below + j * tox * here) if sign > 0 else (j * tox * here - below)
        if math.isinf(here):
            break
    return here


def bessel_k(x: float, n: int) -> float:
    return _upward(k0, k1, x, n, 1.0)


def bessel_y(x: float, n: int) -> float:
    return _upward(y0, y1, x, n, -1.0)
