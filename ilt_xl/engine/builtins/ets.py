"""FORECAST.ETS, FORECAST.ETS.CONFINT, FORECAST.ETS.SEASONALITY and FORECAST.ETS.STAT: Excel's
additive exponential triple smoothing (AAA: additive error, trend and seasonality).

Excel's rules, as its documentation and its saved results give them:
- the timeline is sorted, points on one date are aggregated (AVERAGE by default; 1-7 are AVERAGE,
  COUNT, COUNTA, MAX, MEDIAN, MIN, SUM); the step is the smallest gap and every gap must be a
  whole number of steps (else #NUM!); missing steps are filled by linear interpolation
  (data_completion 1, the default) or with 0 (data_completion 0); values and timeline of
  different sizes are #N/A;
- seasonality 1 (the default) detects the season length, 0 means none, else 2..8760 steps;
- the states start from the first two seasons (level, trend, seasonal indices), then smoothing
  parameters in [0, 1] are fitted by least squares on the one-step-ahead errors;
- a target on the timeline gives the fitted value, a target past it the forecast, linearly
  interpolated between steps; one step or more before the timeline's start is #NUM!;
- an array given for the target or an option gives an array of results, element by element;
  a blank cell given for an option is its default.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ilt_xl.engine.builtins import builtin, call_by_name
from ilt_xl.engine.builtins.lifting import lifted
from ilt_xl.engine.evaluator import Ctx, NotVectorisable, Val
from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM, STR, Block, E_NA, E_NUM, E_VALUE

_MAX_SEASON = 8760
_AGGREGATE = {1: np.mean, 2: len, 3: len, 4: np.max, 5: np.median, 6: np.min, 7: np.sum}


class _Refused(Exception):
    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


def _first(v: Val | None, ctx: Ctx, default: float | None) -> float | None:
    """The number of a single-value argument (arrays are lifted before); ``default`` when it is
    omitted or a blank cell."""
    if v is None:
        return default
    if v.per_row:
        raise NotVectorisable("FORECAST.ETS per row")
    b = v.block
    kind = b.kind[0, 0]
    if kind == EMPTY:
        return 0.0 if default is None else default
    if kind == ERR:
        raise _Refused(b.obj[0, 0])
    if kind in (NUM, BOOL):
        return float(b.num[0, 0])
    if kind == STR:
        got = call_by_name("VALUE", [Val(b)], ctx).block
        if got.kind[0, 0] == NUM:
            return float(got.num[0, 0])
    raise _Refused(E_VALUE)


def _series(values: Val, timeline: Val, completion: float, aggregation: float) -> tuple[tuple, float]:
    """(the regular series, the step) after sorting, aggregating and completing."""
    if values.per_row or timeline.per_row:
        raise NotVectorisable("FORECAST.ETS per row")
    vb, tb = values.block, timeline.block
    if vb.kind.size != tb.kind.size:
        raise _Refused(E_NA)
    for b in (tb, vb):
        errors = b.kind == ERR
        if errors.any():
            raise _Refused(b.obj[errors][0])
    if completion not in (0.0, 1.0) or aggregation not in _AGGREGATE:
        raise _Refused(E_NUM)
    tk, vk = tb.kind.reshape(-1), vb.kind.reshape(-1)
    if ((tk != NUM) & (tk != EMPTY)).any():
        raise _Refused(E_VALUE)
    keep = (tk == NUM) & (vk == NUM)
    times, ys = tb.num.reshape(-1)[keep], vb.num.reshape(-1)[keep]
    if len(times) < 2:
        raise _Refused(E_NUM)
    order = np.argsort(times, kind="stable")
    times, ys = times[order], ys[order]
    points, groups = np.unique(times, return_inverse=True)
    agg = _AGGREGATE[int(aggregation)]
    y = np.array([float(agg(ys[groups == g])) for g in range(len(points))])
    if len(points) < 2:
        raise _Refused(E_NUM)
    gaps = np.diff(points)
    step = float(gaps.min())
    counts = gaps / step
    if not np.allclose(counts, np.round(counts), rtol=0, atol=1e-9):
        raise _Refused(E_NUM)
    index = np.concatenate([[0], np.cumsum(np.round(counts))]).astype(int)
    full = np.arange(index[-1] + 1)
    if completion == 1.0:
        series = np.interp(full, index, y)
    else:
        series = np.zeros(len(full))
        series[index] = y
    return tuple(float(x) for x in series), step


def _detect_season(y: np.ndarray) -> int:
    """The season length Excel would find: the lag (2 up to a third of the series) with the
    highest autocorrelation, when that is clearly positive; else 0 (no season)."""
    n = len(y)
    d = y - y.mean()
    denom = float(d @ d)
    if denom == 0 or n < 6:
        return 0
    best, best_lag = 0.0, 0
    for lag in range(2, min(n // 3, _MAX_SEASON) + 1):
        r = float(d[lag:] @ d[:-lag]) / denom
        if r > best:
            best, best_lag = r, lag
    return best_lag if best > 2 / math.sqrt(n) else 0


def _initial(y: np.ndarray, m: int) -> tuple[float, float, np.ndarray]:
    """Level, trend and seasonal indices before the first point (from the first two seasons)."""
    if m == 0:
        return float(y[0]) - float(y[1] - y[0]), float(y[1] - y[0]), np.zeros(0)
    first, second = y[:m].mean(), y[m:2 * m].mean()
    trend = float(second - first) / m
    level = float(first) - trend * (m + 1) / 2
    seasons = y[:m] - (level + trend * np.arange(1, m + 1))
    return level, trend, seasons


def _run(y: np.ndarray, m: int, alpha: float, beta: float, gamma: float):
    """One-step-ahead fitted values and the final states."""
    level, trend, seasons = _initial(y, m)
    seasons = list(seasons)
    fitted = np.empty(len(y))
    for t, obs in enumerate(y):
        s = seasons[t] if m else 0.0
        fitted[t] = level + trend + s
        new_level = alpha * (obs - s) + (1 - alpha) * (level + trend)
        trend = beta * (new_level - level) + (1 - beta) * trend
        if m:
            seasons.append(gamma * (obs - new_level) + (1 - gamma) * s)
        level = new_level
    return fitted, level, trend, seasons[len(y):] if m else []


@lru_cache(maxsize=64)
def _model(series: tuple, m: int):
    """(alpha, beta, gamma, fitted values, final level, trend, last season of indices)."""
    y = np.array(series)
    if m and len(y) < 2 * m or (not m and len(y) < 2):
        raise _Refused(E_NUM)

    def sse(p):
        fitted = _run(y, m, *p)[0]
        e = y - fitted
        return float(e @ e)

    start = (0.5, 0.1, 0.1)
    best = start
    if sse(start) > 0:
        from scipy.optimize import minimize
        got = minimize(sse, start, method="L-BFGS-B", bounds=[(0, 1)] * 3)
        best = tuple(float(x) for x in got.x) if got.fun <= sse(start) else start
    fitted, level, trend, seasons = _run(y, m, *best)
    return (*best, fitted, level, trend, seasons)


def _season(arg: float | None, series: tuple) -> int:
    if arg is None or arg == 1:
        return _detect_season(np.array(series))
    if arg < 0 or arg > _MAX_SEASON or arg != int(arg):
        raise _Refused(E_NUM)
    return int(arg)


def _at(position: float, fitted: np.ndarray, level: float, trend: float, seasons: list, m: int) -> float:
    """The value at ``position`` steps from the first point: fitted on the timeline (0 one step
    before it), forecast past it, linear between whole steps."""
    n = len(fitted)

    def whole(k: int) -> float:
        if k < 0:
            return 0.0
        if k < n:
            return float(fitted[k])
        h = k - n + 1
        return level + h * trend + (seasons[(h - 1) % m] if m else 0.0)

    low = math.floor(position)
    frac = position - low
    return whole(low) if frac == 0 else whole(low) + frac * (whole(low + 1) - whole(low))


def _fit(args: list[Val], ctx: Ctx, first_optional: int):
    """(series, step, season, model) from values, timeline and the optional arguments from
    ``first_optional`` on (seasonality, data_completion, aggregation)."""
    opt = args[first_optional:] + [None] * 3
    season_arg = _first(opt[0], ctx, 1.0)
    completion = _first(opt[1], ctx, 1.0)
    aggregation = _first(opt[2], ctx, 1.0)
    values, timeline = args[first_optional - 2], args[first_optional - 1]
    series, step = _series(values, timeline, completion, aggregation)
    m = _season(season_arg, series)
    return series, step, m, _model(series, m)


def _position(target: float, timeline: Val, step: float) -> float:
    times = timeline.block.num[timeline.block.kind == NUM]
    position = (target - float(times.min())) / step
    if position <= -1:
        raise _Refused(E_NUM)
    return position


def _answer(compute) -> Val:
    try:
        return Val(Block.numbers([[compute()]]))
    except _Refused as exc:
        return Val(Block.errors((1, 1), exc.error))


@builtin("FORECAST.ETS")
@lifted(0, 3, 4, 5)
def forecast_ets(args: list[Val], ctx: Ctx) -> Val:
    def compute():
        target = _first(args[0], ctx, 0.0)
        series, step, m, (_, _, _, fitted, level, trend, seasons) = _fit(args, ctx, 3)
        return _at(_position(target, args[2], step), fitted, level, trend, seasons, m)
    return _answer(compute)


@builtin("FORECAST.ETS.CONFINT")
@lifted(0, 3, 4, 5, 6)
def forecast_ets_confint(args: list[Val], ctx: Ctx) -> Val:
    """Half the width of the prediction interval: z x the one-step error's standard deviation x
    the growth of the AAA model's forecast variance over the horizon."""
    def compute():
        target = _first(args[0], ctx, 0.0)
        level_arg = _first(args[3] if len(args) > 3 else None, ctx, 0.95)
        if not 0 < level_arg < 1:
            raise _Refused(E_NUM)
        series, step, m, (alpha, beta, gamma, fitted, *_) = _fit(args[:3] + args[4:], ctx, 3)
        position = _position(target, args[2], step)
        e = np.array(series) - fitted
        sigma2 = float(e @ e) / len(e)
        h = max(1, math.ceil(position - len(series) + 1))
        growth = 1 + sum((alpha * (1 + j * beta) + (gamma if m and j % m == 0 else 0.0)) ** 2 for j in range(1, h))
        from scipy.stats import norm
        return float(norm.ppf((1 + level_arg) / 2)) * math.sqrt(sigma2 * growth)
    return _answer(compute)


@builtin("FORECAST.ETS.SEASONALITY")
@lifted(2, 3)
def forecast_ets_seasonality(args: list[Val], ctx: Ctx) -> Val:
    def compute():
        opt = args[2:] + [None] * 2
        series, _ = _series(args[0], args[1], _first(opt[0], ctx, 1.0), _first(opt[1], ctx, 1.0))
        return float(_detect_season(np.array(series)))
    return _answer(compute)


@builtin("FORECAST.ETS.STAT")
@lifted(2, 3, 4, 5)
def forecast_ets_stat(args: list[Val], ctx: Ctx) -> Val:
    """1 alpha, 2 beta, 3 gamma, 4 MASE, 5 SMAPE, 6 MAE, 7 RMSE, 8 the step."""
    def compute():
        kind = _first(args[2] if len(args) > 2 else None, ctx, None)
        if kind is None or kind != int(kind) or not 1 <= kind <= 8:
            raise _Refused(E_NUM)
        series, step, m, (alpha, beta, gamma, fitted, *_) = _fit(args[:2] + args[3:], ctx, 2)
        y = np.array(series)
        e = np.abs(y - fitted)
        if kind <= 3:
            return (alpha, beta, gamma)[int(kind) - 1]
        if kind == 4:
            naive = np.abs(np.diff(y)).mean()
            return float(e.mean() / naive) if naive else 0.0
        if kind == 5:
            denom = (np.abs(y) + np.abs(fitted)) / 2
            return float(np.mean(np.where(denom > 0, e / np.where(denom > 0, denom, 1), 0.0)))
        if kind == 6:
            return float(e.mean())
        if kind == 7:
            return float(math.sqrt(float(e @ e) / len(e)))
        return step
    return _answer(compute)

