"""Least-squares regression: LINEST and TREND, and their exponential forms LOGEST and GROWTH
(the same fits to ln y), as Excel documents them.

- ``known_y`` is a column (each row an observation, ``known_x`` a column per variable), a row
  (each ``known_x`` row a variable) or an area (``known_x`` the same shape, one variable);
  ``known_x`` omitted is 1, 2, 3... Sizes that do not fit are #REF!; a value that is no number
  (an error value too) is #VALUE!.
- ``const`` FALSE forces the intercept to 0 (and the total sum of squares is then taken from 0,
  not from the mean).
- A variable that adds nothing (constant, or a combination of the ones before it) is left out of
  the fit: its coefficient and standard error are 0.
- LINEST gives the coefficients last variable first, then the intercept; with ``stats`` four more
  rows: standard errors; r² and the standard error of y; F and the degrees of freedom; the
  regression and residual sums of squares (#N/A past the first two columns; the intercept's
  standard error is #N/A without a constant; F is #NUM! for a perfect fit).

The fit works on centred data (more exact: a line through exact points gives exact zeros, as
Excel's do) and residuals below the data's rounding are taken as none.
"""
from __future__ import annotations

import numpy as np

from ilt_xl.engine import coercion as co
from ilt_xl.engine.builtins import builtin
from ilt_xl.engine.evaluator import Ctx, NotVectorisable, Val
from ilt_xl.engine.values import EMPTY, ERR, NUM, Block, E_NA, E_NUM, E_REF, E_VALUE


class _Error(Exception):
    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


def _numbers(v: Val) -> np.ndarray:
    """The numbers of a data argument; anything else in it (text, a boolean, a blank, an error
    value) makes the result #VALUE!, as Excel-saved workbooks show for every error code."""
    b = v.block
    if (b.kind != NUM).any():
        raise _Error(E_VALUE)
    return b.num.astype(np.float64)


def _known(args: list[Val]) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, str]:
    """(y vector, x observations x variables, known_x as given, orientation): sizes are checked
    (#REF!) before values (#VALUE!), as Excel does."""
    known_x = _given(args, 1)
    y_shape = np.zeros(args[0].shape)
    _design(y_shape, None if known_x is None else np.zeros(known_x.shape))
    kx = None if known_x is None else _numbers(known_x)
    y, x, orient = _design(_numbers(args[0]), kx)
    return y, kx, x, orient


def _flag(v: Val | None, default: bool) -> bool:
    if v is None or (v.shape == (1, 1) and v.block.kind[0, 0] == EMPTY):
        return default
    b = v.block
    if b.kind[0, 0] == ERR:
        raise _Error(E_VALUE)       # an error value as a flag is #VALUE!, whichever it is
    num, m, _ = co.to_numbers(b.take(slice(0, 1), slice(0, 1)))
    if m is not None:
        raise _Error(E_VALUE)
    return bool(num[0, 0])


def _given(args: list[Val], i: int) -> Val | None:
    if i >= len(args):
        return None
    v = args[i]
    return None if v.shape == (1, 1) and v.block.kind[0, 0] == EMPTY and v.ref is None else v


def _design(y: np.ndarray, x: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, str]:
    """(y as a vector, x as observations x variables, the orientation: 'col', 'row' or 'area')."""
    rows, cols = y.shape
    if cols == 1 or rows == 1:
        orient = "col" if cols == 1 else "row"
        yv = y.ravel()
        n = len(yv)
        if x is None:
            return yv, np.arange(1.0, n + 1).reshape(-1, 1), orient
        if orient == "col" and x.shape[0] == n:
            return yv, x, orient
        if orient == "row" and x.shape[1] == n:
            return yv, x.T, orient
        if x.size == n:                     # a single variable in the other orientation
            return yv, x.reshape(-1, 1), orient
        raise _Error(E_REF)
    if x is None:
        return y.ravel(), np.arange(1.0, y.size + 1).reshape(-1, 1), "area"
    if x.shape != y.shape:
        raise _Error(E_REF)
    return y.ravel(), x.reshape(-1, 1), "area"


class _Fit:
    def __init__(self, y: np.ndarray, x: np.ndarray, const: bool):
        n, k = x.shape
        self.n, self.k, self.const = n, k, const
        mx = x.mean(axis=0) if const else np.zeros(k)
        my = y.mean() if const else 0.0
        xc, yc = x - mx, y - my
        kept: list[int] = []
        for j in range(k):              # a variable is kept when it adds a dimension
            trial = kept + [j]
            if np.linalg.matrix_rank(xc[:, trial]) == len(trial) and np.abs(xc[:, j]).max() > 0:
                kept.append(j)
        self.kept = kept
        beta = np.zeros(k)
        a = xc[:, kept]
        if kept:
            if len(kept) == 1:
                col = a[:, 0]
                beta[kept[0]] = float(col @ yc) / float(col @ col)
            else:
                beta[kept] = np.linalg.lstsq(a, yc, rcond=None)[0]
        self.beta = beta
        self.b = my - float(mx @ beta) if const else 0.0
        resid = yc - xc @ beta
        scale = max(np.abs(y).max(initial=0.0), 1e-300)
        resid = np.where(np.abs(resid) <= 1e-13 * scale, 0.0, resid)
        self.ssresid = float(resid @ resid)
        self.sstot = float(yc @ yc) if const else float(y @ y)
        self.ssreg = self.sstot - self.ssresid
        self.df = n - len(kept) - (1 if const else 0)
        self.a, self.mx = a, mx

    def predict(self, x: np.ndarray) -> np.ndarray:
        return x @ self.beta + self.b

    def stats(self) -> np.ndarray:
        k = self.k
        out = np.empty((5, k + 1), dtype=object)
        out[...] = E_NA
        out[0, :k] = self.beta[::-1].tolist()
        out[0, k] = self.b
        sigma2 = self.ssresid / self.df if self.df > 0 else 0.0
        se = np.zeros(k)
        se_b = 0.0
        if self.kept:
            inv = np.linalg.pinv(self.a.T @ self.a)
            se[self.kept] = np.sqrt(np.maximum(np.diag(inv) * sigma2, 0.0))
            if self.const:
                m = self.mx[self.kept]
                se_b = float(np.sqrt(max(sigma2 * (1.0 / self.n + m @ inv @ m), 0.0)))
        elif self.const:
            se_b = float(np.sqrt(sigma2 / self.n))
        out[1, :k] = se[::-1].tolist()
        out[1, k] = se_b if self.const else E_NA
        out[2, 0] = self.ssreg / self.sstot if self.sstot else E_NUM
        out[2, 1] = float(np.sqrt(sigma2))
        v1 = len(self.kept)
        out[3, 0] = (self.ssreg / v1) / sigma2 if sigma2 > 0 and v1 else E_NUM
        out[3, 1] = float(self.df)
        out[4, 0], out[4, 1] = self.ssreg, self.ssresid
        return out


def _run(fn, args, ctx) -> Val:
    if any(a.per_row for a in args):
        raise NotVectorisable("a regression over per-row values")
    try:
        return fn(args)
    except _Error as exc:
        return Val(Block.errors((1, 1), exc.error))


def _log_y(y: np.ndarray) -> np.ndarray:
    """ln y for the exponential fits (LOGEST, GROWTH): y = b * m1^x1 * ... is the line ln y =
    ln b + x1 ln m1 + ...; a y at or below 0 has no logarithm (#NUM!)."""
    if (y <= 0).any():
        raise _Error(E_NUM)
    return np.log(y)


def _linest(exponential: bool):
    """LINEST, or LOGEST (``exponential``): the line fitted to ln y, its coefficients and
    intercept given as e^coefficient (the m's and b of y = b * m^x); the statistics are those of
    the fit to ln y, as Excel gives them."""
    def fn(args: list[Val], ctx: Ctx) -> Val:
        def fit(args):
            if not 1 <= len(args) <= 4:
                raise _Error(E_VALUE)
            y, _, x, _ = _known(args)
            f = _Fit(_log_y(y) if exponential else y, x, _flag(_given(args, 2), True))
            out = f.stats()
            if exponential:
                out[0] = [float(np.exp(c)) for c in out[0]]
            if not _flag(_given(args, 3), False):
                out = out[:1]
            return Val(Block.from_objects(out))
        return _run(fit, args, ctx)
    return fn


builtin("LINEST")(_linest(False))
builtin("LOGEST")(_linest(True))


def _trend(exponential: bool):
    """TREND, or GROWTH (``exponential``): e^ of the trend of ln y."""
    def fn(args: list[Val], ctx: Ctx) -> Val:
        return _run(lambda a: _trend_values(a, exponential), args, ctx)
    return fn


def _trend_values(args: list[Val], exponential: bool) -> Val:
    if not 1 <= len(args) <= 4:
        raise _Error(E_VALUE)
    y, kx, x, orient = _known(args)
    f = _Fit(_log_y(y) if exponential else y, x, _flag(_given(args, 3), True))
    got = _predictions(f, args, y, kx, orient)
    return Val(Block.numbers(np.exp(got) if exponential else got))


builtin("TREND")(_trend(False))
builtin("GROWTH")(_trend(True))


def _predictions(f: _Fit, args: list[Val], y: np.ndarray, kx: np.ndarray | None, orient: str) -> np.ndarray:
    """The fit's values at TREND's new_x (the known x when omitted), shaped as Excel lays them."""
    new = _given(args, 2)
    if new is None:
        new_x = kx if kx is not None else np.arange(1.0, len(y) + 1).reshape(args[0].shape)
    else:
        new_x = _numbers(new)
    if f.k == 1:                    # one variable: a prediction per new value, in its shape
        return f.predict(new_x.reshape(-1, 1)).reshape(new_x.shape)
    if orient == "row":
        if new_x.shape[0] != f.k:
            raise _Error(E_REF)
        return f.predict(new_x.T).reshape(1, -1)
    if new_x.shape[1] != f.k:
        raise _Error(E_REF)
    return f.predict(new_x).reshape(-1, 1)
