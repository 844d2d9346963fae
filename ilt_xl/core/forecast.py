"""Forecast of learners, sessions and cost per month x course x business unit x country, with P10/P50/P90.

Only what was known on the as-of date is used: sessions that started before it (their
attendance, cancellations and costs), FX rates published by then and, unless the forecast is
a backtest, the Demand tab's approved requests (they carry no date of entry).

**Learners** (attended, as the KPIs count them) per course and month come from one Poisson
GLM with a log link (statsmodels) over the monthly history of every course: an intercept and,
for a course with a year of history or more *and learners in both halves of it*, a yearly trend
of its own, and month-of-year effects shared by all courses (the seasonality is learnt from the whole catalogue, which a
single course's few sessions a month cannot show). The history of a course starts with its
first session; the as-of month is left out (it is not over). A course whose learners all fall in
one half of its history (one session, then nothing) has no finite log-link trend: the fit would
stop at a slope of tens per year with a meaningless standard error, and its draws, through the
catalogue's trend spread, put 1e15 learners into every course's P90 on a thin history; such a
course keeps a level only. The horizon starts the month
after the as-of date and runs, by default, to the end of the next fiscal year.

**Uncertainty** is simulated (:data:`SIMULATIONS` paths): the GLM's coefficients are drawn
from their estimated distribution (trend and level uncertainty), then each calendar quarter's
learners of a course are drawn around that path's mean from a gamma distribution whose
variance is the dispersion the history shows *per quarter* (Pearson's statistic of quarterly
totals), and spread over the quarter's months in proportion to the path's monthly means.
Sessions are scheduled, so a month's learners are lumpy while a quarter's are not: the
quarter is the unit the bands are calibrated on (the backtest checks it). P10, P50 and P90
are quantiles of the simulated paths, so P10 <= P50 <= P90 everywhere, and a total (a
month over all courses, a budget year and business unit) takes the quantiles of its summed
paths, never the sum of its parts' quantiles.

**Business units and countries**: a course's learners are split by the shares its delivered
sessions' attendance had over the last two years. Where an *approved* demand row exists for
a month x course x business unit x country, it replaces that cell's model figure (Basis
"Demand"), keeping the relative band of the course's model figure for that month; a course
with no history gets the typical band of the others. A relative band is only lent from a cell
whose median is :data:`BAND_MEDIAN` learner or more (the typical band, likewise, is the median of
those cells'): around a median of a hundredth of a learner the P90 is hundreds of times the
median, and approved demand scaled by it would be absurd; demand on a thinner cell takes the
typical band.

**Sessions and cost** per course (and so per course and country): registrations =
learners / (1 - no-show rate); sessions to plan = registrations / (capacity x TargetFill) /
(1 - cancellation rate); the sessions that run (cancelled ones cost nothing, as in the
planner) cost the course's usual fixed cost each, and each registration its variable cost.
No-show and cancellation rates are the course's own, shrunk towards the catalogue's when it
has few sessions; capacity and fixed cost are the medians of its delivered sessions (the last
two years); money is converted to the reporting currency at the as-of date's rate. Cost is
then proportional to learners, so its quantiles are the learners' times the course's cost
per learner. Every figure is rounded by the one noise-free rule (:func:`ilt_xl.core.rounding.rounded`, money to
the reporting currency's minor unit), so a quantile a hair's breadth from a half cent rounds the same on every
platform (the command line and xlwings Lite's Pyodide agree to the cent).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from ilt_xl.core import fx
from ilt_xl.core.blas_threads import single_threaded
from ilt_xl.core.fiscal_years import fiscal_year, year_end
from ilt_xl.core.rounding import rounded
from ilt_xl.core.sessions import id_key, money, session_table, setting

SIMULATIONS = 2000
SEED = 20261130
QUANTILES = (0.1, 0.5, 0.9)
HISTORY_FOR_TREND = 12     # months of history before a course gets a trend of its own
BAND_MEDIAN = 1.0          # learners a cell's median needs before its relative band is lent to demand
SHARE_MONTHS = 24          # months of attendance the business-unit x country shares come from
NO_SHOW_PRIOR = 50         # pseudo-registrations at the catalogue's no-show rate
CANCEL_PRIOR = 10          # pseudo-sessions at the catalogue's cancellation rate
TYPICAL = "\x00typical"    # the pseudo-course whose paths carry the typical band (no typed id holds a NUL)

ROW_COLUMNS = ("Period", "CourseId", "BusinessUnit", "Country", "LearnersP10", "LearnersP50", "LearnersP90",
               "SessionsP50", "CostP10", "CostP50", "CostP90", "Currency", "Basis")
MONTH_COLUMNS = ("Period", "LearnersP10", "LearnersP50", "LearnersP90", "SessionsP50", "CostP10", "CostP50",
                 "CostP90", "Currency")


def _month(dates) -> np.ndarray:
    """Months since 1970-01 (int64) of datetime-like values."""
    return np.asarray(pd.to_datetime(dates, errors="coerce").to_numpy("datetime64[M]")).astype("int64")


def _month_start(months: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(np.asarray(months, dtype="int64").astype("datetime64[M]").astype("datetime64[ns]"))


def _status(sessions: pd.DataFrame) -> np.ndarray:
    return sessions["Status"].astype(object).where(sessions["Status"].notna(), "").astype(str).str.strip().str.lower().to_numpy()


@dataclass(frozen=True)
class CourseFacts:
    """What the forecast knows of each course on the as-of date (index: course key)."""

    course_id: pd.Series          # the id as typed in Courses (or in the history)
    no_show: pd.Series            # share of registrations that did not attend
    cancellation: pd.Series       # share of sessions cancelled
    capacity: pd.Series           # usual seats
    fixed_cost: pd.Series         # usual fixed cost of a session, reporting currency
    variable_cost: pd.Series      # variable cost per registration, reporting currency

    def learners_to_sessions(self, target_fill: float) -> pd.Series:
        """Sessions to plan per learner."""
        return 1.0 / (1.0 - self.no_show) / (self.capacity * target_fill) / (1.0 - self.cancellation)

    def learners_to_cost(self, target_fill: float) -> pd.Series:
        """Reporting-currency cost per learner: fixed cost of the sessions that run + variable cost per registration."""
        registrations = 1.0 / (1.0 - self.no_show)
        return registrations * (self.fixed_cost / (self.capacity * target_fill) + self.variable_cost)


@dataclass
class Forecast:
    """A forecast: the Forecast and ForecastMonths rows, and the simulated paths behind them.

    ``paths`` holds the simulated learners of each (course, month) cell (rows: ``cells``);
    each row of ``rows`` is ``weight`` times its cell's paths, so any total of rows is a
    weighted sum of paths (:meth:`quantiles_of`).
    """

    as_of: pd.Timestamp
    months: np.ndarray            # forecast months (months since 1970-01)
    currency: str
    rows: pd.DataFrame
    monthly: pd.DataFrame
    cells: pd.DataFrame           # course key, month, per cell
    paths: np.ndarray             # cells x SIMULATIONS learners
    row_cell: np.ndarray          # cell of each row
    row_weight: np.ndarray        # learners of the row = weight x the cell's paths
    row_cost: np.ndarray          # cost per learner of the row's course
    row_sessions: np.ndarray      # sessions per learner of the row's course
    facts: CourseFacts
    history_months: pd.Series     # months of history per course key
    demand_used: bool
    requested_learners: float     # requested (not approved) demand in the horizon, left out

    def quantiles_of(self, groups: np.ndarray, value: str = "learners") -> pd.DataFrame:
        """P10/P50/P90 of the total of the rows in each group (``groups``: one label per row;
        NaN/None rows are left out), from the summed paths. ``value``: learners, cost or sessions."""
        labels = pd.Series(groups, dtype=object)
        keep = np.flatnonzero(labels.notna().to_numpy())
        codes, uniques = pd.factorize(labels.iloc[keep])
        q = self.pooled_quantiles(codes, keep, len(uniques), value)
        return pd.DataFrame(q, index=pd.Index(uniques, dtype=object), columns=["P10", "P50", "P90"])

    @single_threaded  # the summed paths' last bits must not depend on BLAS's thread count
    def pooled_quantiles(self, group: np.ndarray, row: np.ndarray, n_groups: int, value: str = "learners") -> np.ndarray:
        """(n_groups x 3) P10/P50/P90 of the totals of groups given as (group, row) pairs (a row may
        count in several groups); NaN where a row's figure is unknown (no FX rate, say)."""
        per = {"learners": np.ones(len(self.rows)), "cost": self.row_cost, "sessions": self.row_sessions}[value]
        amount = self.row_weight[row] * per[row]
        weights = np.zeros((n_groups, len(self.cells)))
        np.add.at(weights, (group, self.row_cell[row]), np.nan_to_num(amount))
        unknown = np.zeros(n_groups, dtype=bool)
        np.logical_or.at(unknown, group, np.isnan(amount))
        q = np.quantile(weights @ self.paths, QUANTILES, axis=1).T if n_groups else np.empty((0, 3))
        q[unknown] = np.nan
        return q


# ----------------------------------------------------------------------------- history


def _history(sessions: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Sessions known on the as-of date (started before it), with month and course key."""
    start = pd.to_datetime(sessions["StartDate"], errors="coerce")
    known = sessions[(start < as_of).to_numpy()].copy()
    known["_month"] = _month(known["StartDate"])
    known["_course"] = id_key(known["CourseId"].astype(object)).to_numpy()
    known["_status"] = _status(known)
    return known[known["_course"].notna().to_numpy()]


def _monthly_learners(known: pd.DataFrame, last_month: int) -> pd.DataFrame:
    """Learners (attended) per course x month from each course's first session to ``last_month``."""
    delivered = known[known["_status"] == "delivered"]
    learners = pd.to_numeric(delivered["Learners"], errors="coerce").fillna(0.0)
    totals = learners.groupby([delivered["_course"], delivered["_month"]]).sum()
    first = known.groupby("_course")["_month"].min()
    first = first[first <= last_month]
    span = (last_month - first + 1).to_numpy()
    course = np.repeat(first.index.to_numpy(object), span)
    month = np.concatenate([np.arange(f, last_month + 1) for f in first.to_numpy()]) if len(first) else np.empty(0, int)
    frame = pd.DataFrame({"course": course, "month": month.astype("int64")})
    frame["y"] = totals.reindex(pd.MultiIndex.from_arrays([frame["course"], frame["month"]]), fill_value=0.0).to_numpy()
    return frame


def _shrunk(part: pd.Series, whole: pd.Series, prior: float, default: float) -> pd.Series:
    """part / whole per course, shrunk towards the overall ratio with ``prior`` pseudo-counts
    (``default`` when nothing was counted at all)."""
    overall = part.sum() / whole.sum() if whole.sum() > 0 else default
    return (part + prior * overall) / (whole + prior)


def course_facts(
    tables: Mapping[str, pd.DataFrame], known: pd.DataFrame, courses: pd.Index, as_of: pd.Timestamp,
    reporting: str,
) -> CourseFacts:
    """No-show and cancellation rates, usual capacity and costs of ``courses`` (keys) on the as-of date."""
    catalogue = tables["Courses"].assign(_course=id_key(tables["Courses"]["CourseId"].astype(object)).to_numpy())
    catalogue = catalogue.drop_duplicates("_course").set_index("_course")
    delivered = known[known["_status"] == "delivered"]
    recent = delivered[delivered["_month"] >= _month([as_of])[0] - SHARE_MONTHS]
    recent = recent if len(recent) else delivered

    registered = pd.to_numeric(delivered["Registered"], errors="coerce").fillna(0).groupby(delivered["_course"]).sum()
    attended = pd.to_numeric(delivered["Attended"], errors="coerce").fillna(0).groupby(delivered["_course"]).sum()
    registered, attended = registered.reindex(courses, fill_value=0.0), attended.reindex(courses, fill_value=0.0)
    no_show = 1.0 - _shrunk(attended, registered, NO_SHOW_PRIOR, 1.0)

    decided = known[np.isin(known["_status"], ["delivered", "cancelled"])]
    held = decided.groupby("_course").size().reindex(courses, fill_value=0).astype(float)
    cancelled = (decided["_status"] == "cancelled").groupby(decided["_course"]).sum().reindex(courses, fill_value=0).astype(float)
    cancellation = _shrunk(cancelled, held, CANCEL_PRIOR, 0.0).clip(upper=0.9)

    course_max = pd.to_numeric(catalogue["MaxLearners"], errors="coerce").reindex(courses)
    capacity = pd.to_numeric(recent["Capacity"], errors="coerce").groupby(recent["_course"]).median().reindex(courses)
    capacity = capacity.fillna(course_max).where(lambda c: c > 0)

    currency = catalogue["Currency"].reindex(courses).astype(object).where(lambda c: c.notna(), "").to_numpy()
    to_reporting = fx.rates(currency, reporting, np.full(len(courses), np.datetime64(as_of.date(), "D")),
                            tables.get("FX") if tables.get("FX") is not None and len(tables["FX"]) else None).rate
    fixed = pd.to_numeric(recent["FixedCost"], errors="coerce").groupby(recent["_course"]).median().reindex(courses)
    # A course never delivered yet: the catalogue's usual fixed cost per day x its days.
    days = pd.to_numeric(catalogue["DurationDays"], errors="coerce").reindex(courses)
    per_day = pd.to_numeric(recent["FixedCost"], errors="coerce") / pd.to_numeric(recent["Days"], errors="coerce")
    fixed = fixed.fillna(days * (per_day.median() if per_day.notna().any() else np.nan))
    variable = pd.to_numeric(catalogue["VariableCostPerLearner"], errors="coerce").reindex(courses)
    ids = catalogue["CourseId"].reindex(courses).astype(object)
    ids = ids.where(ids.notna(), known.drop_duplicates("_course").set_index("_course")["CourseId"].reindex(courses))
    return CourseFacts(ids, no_show, cancellation, capacity, fixed * to_reporting, variable * to_reporting)


# ----------------------------------------------------------------------------- model


def _design(course: np.ndarray, month: np.ndarray, courses: pd.Index, trend: np.ndarray, season: np.ndarray,
            middle: np.ndarray) -> np.ndarray:
    """Columns: one intercept per course, a yearly trend per course that has one (years from the middle
    of its history, so level and trend are estimated nearly independently), month-of-year effects."""
    c = courses.get_indexer(course)
    n = len(course)
    intercepts = np.zeros((n, len(courses)))
    intercepts[np.arange(n), c] = 1.0
    slopes = intercepts[:, trend] * ((month - middle[c]) / 12.0)[:, None]
    moy = month % 12
    effects = (moy[:, None] == season[None, :]).astype(float)
    return np.hstack([intercepts, slopes, effects])


@dataclass(frozen=True)
class _Model:
    courses: pd.Index
    trend: np.ndarray             # courses with a trend of their own
    season: np.ndarray            # months of the year with an effect (the first seen is the baseline)
    zero_months: np.ndarray       # months of the year seen and always empty
    middle: np.ndarray            # middle month of each course's history
    params: np.ndarray
    cov: np.ndarray
    slopes: np.ndarray            # positions of the trends in params
    mean_trend_sd: float          # standard error of the catalogue's mean trend
    fitted: np.ndarray
    history: pd.DataFrame


def _trend_identified(history: pd.DataFrame, courses: pd.Index, middle: np.ndarray) -> np.ndarray:
    """Per course: learners in both halves of its history (before and after its middle month).

    Otherwise a log-link trend has no finite estimate (all learners at one end: the likelihood keeps
    rising as the slope runs to -inf or +inf); the fit stops at a slope of tens per year with a
    meaningless standard error, which would swamp the catalogue's trend spread and explode every path.
    """
    c = courses.get_indexer(history["course"].to_numpy(object))
    offset = history["month"].to_numpy() - middle[c]
    learnt = history["y"].to_numpy() > 0
    early = np.bincount(c[learnt & (offset < 0)], minlength=len(courses)) > 0
    late = np.bincount(c[learnt & (offset > 0)], minlength=len(courses)) > 0
    return early & late


def _fit(history: pd.DataFrame) -> _Model:
    """The Poisson GLM (quasi-likelihood scale) on ``history`` (course, month, y), its trends shrunk.

    A course's own trend over two or three years of a few sessions a month is noisy; extrapolated,
    the noise becomes the forecast. So each trend is shrunk towards the catalogue's mean trend by
    empirical Bayes (James-Stein): by tau^2 / (tau^2 + se^2), tau^2 being the spread of the trends
    beyond their estimation noise; its uncertainty is the shrunk one plus that of the catalogue's
    mean trend, common to all courses.
    """
    from statsmodels.genmod.families import Poisson
    from statsmodels.genmod.generalized_linear_model import GLM

    totals = history.groupby("course")["y"].sum()
    courses = pd.Index(totals.index[totals > 0], dtype=object)
    history = history[history["course"].isin(courses)]
    span = history.groupby("course")["month"].agg(["min", "max"]).reindex(courses)
    middle = ((span["min"] + span["max"]) / 2.0).to_numpy()
    trend = ((span["max"] - span["min"] + 1) >= HISTORY_FOR_TREND).to_numpy() & _trend_identified(history, courses, middle)
    moy = history["month"].to_numpy() % 12
    by_moy = pd.Series(history["y"].to_numpy()).groupby(moy).sum()
    zero_months = by_moy.index[by_moy <= 0].to_numpy()
    season = by_moy.index[by_moy > 0].to_numpy()[1:]
    x = _design(history["course"].to_numpy(object), history["month"].to_numpy(), courses, trend, season, middle)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = GLM(history["y"].to_numpy(float), x, family=Poisson()).fit(scale="X2")
    params = np.asarray(result.params).copy()
    cov = np.asarray(result.cov_params()).copy()
    slopes = len(courses) + np.arange(int(trend.sum()))
    mean_trend_sd = 0.0
    if len(slopes) >= 3:
        b, se2 = params[slopes], np.diag(cov)[slopes]
        tau2 = max(float(np.var(b, ddof=1) - se2.mean()), 0.0)
        keep = tau2 / (tau2 + se2)
        params[slopes] = b.mean() + keep * (b - b.mean())
        scale = np.ones(len(params))
        scale[slopes] = np.sqrt(keep)
        cov = cov * np.outer(scale, scale)
        # The catalogue's mean trend is itself estimated: its uncertainty is common to every course.
        mean_trend_sd = float(np.sqrt((tau2 + se2.mean()) / len(slopes)))
    return _Model(courses, trend, season, zero_months, middle, params, (cov + cov.T) / 2.0, slopes, mean_trend_sd,
                  np.asarray(result.fittedvalues), history)


def _quarter_dispersion(history: pd.DataFrame, fitted: np.ndarray, n_params: int) -> float:
    """Pearson dispersion of quarterly totals: the variance-to-mean ratio the bands use (at least 1)."""
    quarter = history["month"].to_numpy() // 3
    frame = pd.DataFrame({"c": history["course"].to_numpy(object), "q": quarter, "y": history["y"].to_numpy(), "mu": fitted})
    # Only whole quarters of history count.
    frame["n"] = 1
    q = frame.groupby(["c", "q"])[["y", "mu", "n"]].sum()
    q = q[(q["n"] == 3) & (q["mu"] > 0)]
    dof = max(len(q) - n_params, 1.0)   # the parameters were fitted on the same history
    return float(max(1.0, (((q["y"] - q["mu"]) ** 2) / q["mu"]).sum() / dof)) if len(q) else 1.0


def _simulate(history: pd.DataFrame, horizon: np.ndarray, rng: np.random.Generator):
    """(courses, paths: courses x months x SIMULATIONS) of learners."""
    if not len(history) or history["y"].sum() <= 0:
        return pd.Index([], dtype=object), np.zeros((0, len(horizon), SIMULATIONS))
    model = _fit(history)
    n_c, n_h = len(model.courses), len(horizon)
    x = _design(np.repeat(model.courses.to_numpy(object), n_h), np.tile(horizon, n_c), model.courses, model.trend,
                model.season, model.middle)
    draws = rng.multivariate_normal(model.params, model.cov, size=SIMULATIONS, method="eigh", check_valid="ignore")
    draws[:, model.slopes] += rng.normal(0.0, model.mean_trend_sd, size=(SIMULATIONS, 1))
    mean = np.exp(np.clip(x @ draws.T, -30.0, 20.0))                      # cells x S
    mean[np.isin(np.tile(horizon, n_c) % 12, model.zero_months)] = 0.0
    mean = mean.reshape(n_c, n_h, SIMULATIONS)
    phi = _quarter_dispersion(model.history, model.fitted, x.shape[1])
    # Quarterly draws around each path's mean, spread over the quarter's months by that path's shape.
    quarter = (horizon // 3) - horizon[0] // 3
    q_mean = np.zeros((n_c, quarter.max() + 1, SIMULATIONS))
    np.add.at(q_mean, (slice(None), quarter), mean)
    with np.errstate(invalid="ignore", divide="ignore"):
        q_draw = np.where(q_mean > 0, rng.gamma(np.maximum(q_mean, 1e-12) / phi, phi), 0.0)
        share = np.where(q_mean[:, quarter] > 0, mean / q_mean[:, quarter], 0.0)
    return model.courses, q_draw[:, quarter] * share


# ----------------------------------------------------------------------------- business units and demand


def _shares(tables: Mapping[str, pd.DataFrame], known: pd.DataFrame, last_month: int) -> pd.DataFrame:
    """course, BusinessUnit, Country, share: how each course's attendance split over the last two years."""
    delivered = known[(known["_status"] == "delivered") & (known["_month"] > last_month - SHARE_MONTHS)]
    delivered = delivered if len(delivered) else known[known["_status"] == "delivered"]
    lines = tables["Enrolments"]
    session_key = id_key(delivered["SessionId"].astype(object))
    course_of = pd.Series(delivered["_course"].to_numpy(object), index=session_key.to_numpy(object))
    course_of = course_of[~course_of.index.duplicated()]
    line_key = id_key(lines["SessionId"].astype(object)).to_numpy(object)
    course = course_of.reindex(line_key).to_numpy(object)
    attended = pd.to_numeric(lines["Attended"], errors="coerce").fillna(0.0).to_numpy()
    frame = pd.DataFrame({
        "course": course,
        "BusinessUnit": lines["BusinessUnit"].astype(object).where(lines["BusinessUnit"].notna(), "").astype(str).str.strip().str.upper().to_numpy(object),
        "Country": lines["Country"].astype(object).where(lines["Country"].notna(), "").astype(str).str.strip().str.upper().to_numpy(object),
        "attended": attended,
    })
    frame = frame[pd.notna(frame["course"]) & (frame["attended"] > 0)]
    split = frame.groupby(["course", "BusinessUnit", "Country"], sort=True)["attended"].sum().reset_index()
    split["share"] = split["attended"] / split.groupby("course")["attended"].transform("sum")
    return split.drop(columns="attended")


def _approved_demand(tables: Mapping[str, pd.DataFrame], horizon: np.ndarray) -> tuple[pd.DataFrame, float]:
    """(approved demand per course x BU x country x month in the horizon, requested learners left out)."""
    demand = tables.get("Demand")
    if demand is None or demand.empty:
        return pd.DataFrame(columns=["course", "BusinessUnit", "Country", "month", "learners", "CourseId"]), 0.0
    month = _month(demand["Period"])
    learners = pd.to_numeric(demand["Learners"], errors="coerce").fillna(0.0).to_numpy()
    status = demand["Status"].astype(object).where(demand["Status"].notna(), "").astype(str).str.strip().str.lower().to_numpy()
    inside = np.isin(month, horizon)
    frame = pd.DataFrame({
        "course": id_key(demand["CourseId"].astype(object)).to_numpy(object),
        "CourseId": demand["CourseId"].astype(object).to_numpy(),
        "BusinessUnit": demand["BusinessUnit"].astype(object).where(demand["BusinessUnit"].notna(), "").astype(str).str.strip().str.upper().to_numpy(object),
        "Country": demand["Country"].astype(object).where(demand["Country"].notna(), "").astype(str).str.strip().str.upper().to_numpy(object),
        "month": month, "learners": learners,
    })
    requested = float(learners[inside & (status == "requested")].sum())
    approved = frame[inside & (status == "approved")]
    summed = approved.groupby(["course", "BusinessUnit", "Country", "month"], sort=True).agg(
        learners=("learners", "sum"), CourseId=("CourseId", "first")).reset_index()
    return summed, requested


# ----------------------------------------------------------------------------- forecast


# The months a forecast computes are pandas nanosecond timestamps (to 2262-04-11): an as-of date or a
# horizon beyond them is refused in words, as is an as-of date before Excel's first date.
FIRST_AS_OF = pd.Timestamp("1900-01-01")
LAST_MONTH_END = pd.Timestamp("2262-03-31")


def default_horizon(as_of: pd.Timestamp, start_month: int) -> int:
    """Months from the month after ``as_of`` to the end of the next fiscal year."""
    last = year_end(fiscal_year(np.array([as_of.to_datetime64()], dtype="datetime64[D]"), start_month) + 1, start_month)
    return int(_month(last)[0] - _month([as_of])[0])


@single_threaded  # the fit and the draws' last bits must not depend on BLAS's thread count
def forecast(
    tables: Mapping[str, pd.DataFrame],
    settings: Mapping[str, object],
    *,
    as_of: object = None,
    horizon: int | None = None,
    use_demand: bool = True,
    sessions: pd.DataFrame | None = None,
) -> Forecast:
    """The forecast from ``as_of`` (default: the AsOfDate setting) for ``horizon`` months
    (default: to the end of the next fiscal year). ``use_demand=False`` leaves the Demand tab out
    (a backtest: its rows carry no date of entry). Raises ``ValueError`` for a horizon below 1."""
    as_of = pd.Timestamp(as_of if as_of is not None else setting(settings, "AsOfDate")).normalize()
    start_month = int(setting(settings, "FiscalYearStartMonth"))
    if not FIRST_AS_OF <= as_of <= LAST_MONTH_END:
        raise ValueError(f"the as-of date {as_of:%Y-%m-%d} is outside the dates a forecast covers "
                         f"({FIRST_AS_OF:%Y-%m-%d} to {LAST_MONTH_END:%Y-%m-%d})")
    horizon = default_horizon(as_of, start_month) if horizon is None else int(horizon)
    if horizon < 1:
        raise ValueError(f"the horizon must be at least 1 month, not {horizon}")
    if int(_month([as_of])[0]) + horizon > int(_month([LAST_MONTH_END])[0]):
        raise ValueError(f"{horizon} months from {as_of:%Y-%m-%d} run past {LAST_MONTH_END:%Y-%m}, the last month a "
                         "forecast covers")
    reporting = str(setting(settings, "ReportingCurrency")).strip().upper()
    target_fill = float(setting(settings, "TargetFill"))
    if sessions is None:
        sessions = session_table(tables, settings)
    as_of_month = int(_month([as_of])[0])
    last_month = as_of_month - 1
    months = np.arange(as_of_month + 1, as_of_month + 1 + horizon, dtype="int64")
    rng = np.random.default_rng(SEED)

    known = _history(sessions, as_of)
    history = _monthly_learners(known, last_month)
    modelled, paths = _simulate(history, months, rng)
    spans = history.groupby("course")["month"].agg(lambda m: m.max() - m.min() + 1)

    shares = _shares(tables, known, last_month)
    shares = shares[shares["course"].isin(modelled)]
    demand, requested = _approved_demand(tables, months) if use_demand else (_approved_demand({}, months)[0], 0.0)

    # Demand with no model figure to scale (a course without history, a month it never ran in) gets
    # the typical relative band of the modelled cells: paths of a pseudo-course with median 1.
    typical = _typical_band(paths)
    paths = np.concatenate([paths, np.broadcast_to(typical, (1, len(months), SIMULATIONS))], axis=0)
    path_courses = modelled.append(pd.Index([TYPICAL], dtype=object))
    flat = paths.reshape(len(path_courses) * len(months), SIMULATIONS)
    cells = pd.DataFrame({"course": np.repeat(path_courses.to_numpy(object), len(months)),
                          "month": np.tile(months, len(path_courses))})
    cell_p50 = np.median(flat, axis=1)
    courses = modelled.append(pd.Index(sorted(set(demand["course"]) - set(modelled)), dtype=object))
    facts = course_facts(tables, known, courses, as_of, reporting)
    rows = _rows(shares, demand, path_courses, months, cell_p50)
    row_cell = path_courses.get_indexer(rows["path"]) * len(months) + (rows["month"].to_numpy() - months[0])
    per_cost = facts.learners_to_cost(target_fill).reindex(rows["course"]).to_numpy()
    per_session = facts.learners_to_sessions(target_fill).reindex(rows["course"]).to_numpy()
    weight = rows["weight"].to_numpy(float)
    q = np.quantile(flat, QUANTILES, axis=1).T[row_cell] * weight[:, None] if len(rows) else np.empty((0, 3))
    table = pd.DataFrame({
        "Period": _month_start(rows["month"].to_numpy()),
        "CourseId": facts.course_id.reindex(rows["course"]).to_numpy(object),
        "BusinessUnit": rows["BusinessUnit"].to_numpy(object),
        "Country": rows["Country"].to_numpy(object),
        "LearnersP10": rounded(q[:, 0], 1), "LearnersP50": rounded(q[:, 1], 1), "LearnersP90": rounded(q[:, 2], 1),
        "SessionsP50": rounded(q[:, 1] * per_session, 2),
        "CostP10": money(q[:, 0] * per_cost, reporting), "CostP50": money(q[:, 1] * per_cost, reporting),
        "CostP90": money(q[:, 2] * per_cost, reporting),
        "Currency": reporting,
        "Basis": rows["Basis"].to_numpy(object),
    }, columns=list(ROW_COLUMNS))
    result = Forecast(as_of, months, reporting, table, pd.DataFrame(columns=list(MONTH_COLUMNS)), cells, flat,
                      row_cell, weight, per_cost, per_session, facts, spans.reindex(courses, fill_value=0),
                      use_demand, requested)
    result.monthly = _monthly(result)
    return result


def _typical_band(paths: np.ndarray) -> np.ndarray:
    """The median relative band of the modelled cells whose median is :data:`BAND_MEDIAN` learners or more:
    SIMULATIONS values with median 1 (all 1 without such a cell)."""
    if not paths.size:
        return np.ones(SIMULATIONS)
    flat = paths.reshape(-1, SIMULATIONS)
    p50 = np.median(flat, axis=1, keepdims=True)
    solid = p50[:, 0] >= BAND_MEDIAN
    relative = np.sort(flat[solid] / p50[solid], axis=1)
    return np.median(relative, axis=0) if len(relative) else np.ones(SIMULATIONS)


def _rows(shares, demand, path_courses, months, cell_p50) -> pd.DataFrame:
    """One row per course x BU x country x month: the model's share of its course's paths, or approved
    demand in its place (demand / the cell's median times the cell's paths, so it keeps their band)."""
    model = shares.merge(pd.DataFrame({"month": months}), how="cross").rename(columns={"share": "weight"})
    model["path"] = model["course"]
    model["Basis"] = "Model"
    keys = ["course", "BusinessUnit", "Country", "month"]
    if not len(demand):
        rows = model
    else:
        own = path_courses.get_indexer(demand["course"])
        median = np.where(own >= 0, cell_p50[np.maximum(own, 0) * len(months) + (demand["month"].to_numpy() - months[0])], 0.0)
        scalable = median >= BAND_MEDIAN
        demanded = demand.assign(
            path=np.where(scalable, demand["course"].to_numpy(object), TYPICAL),
            weight=demand["learners"].to_numpy(float) / np.where(scalable, median, 1.0),
            Basis="Demand",
        )
        model = model[~model.set_index(keys).index.isin(demanded.set_index(keys).index)]
        rows = pd.concat([model, demanded[keys + ["path", "weight", "Basis"]]], ignore_index=True)
    return rows.sort_values(["month", "course", "BusinessUnit", "Country"], kind="stable").reset_index(drop=True)


def _monthly(result: Forecast) -> pd.DataFrame:
    period = result.rows["Period"].to_numpy()
    learners = result.quantiles_of(period)
    cost = result.quantiles_of(period, "cost")
    sessions = result.quantiles_of(period, "sessions")
    index = pd.DatetimeIndex(_month_start(result.months))
    # A month without any row expects nobody: 0, not unknown.
    learners, cost, sessions = (frame.reindex(index.to_numpy(object), fill_value=0.0) for frame in (learners, cost, sessions))
    return pd.DataFrame({
        "Period": index,
        "LearnersP10": rounded(learners["P10"].to_numpy(float), 1), "LearnersP50": rounded(learners["P50"].to_numpy(float), 1),
        "LearnersP90": rounded(learners["P90"].to_numpy(float), 1), "SessionsP50": rounded(sessions["P50"].to_numpy(float), 1),
        "CostP10": money(cost["P10"].to_numpy(float), result.currency),
        "CostP50": money(cost["P50"].to_numpy(float), result.currency),
        "CostP90": money(cost["P90"].to_numpy(float), result.currency), "Currency": result.currency,
    }, columns=list(MONTH_COLUMNS))


# ----------------------------------------------------------------------------- budget


def budget_projection(result: Forecast, budget: pd.DataFrame, start_month: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(ForecastP50 and ForecastP90 of each Budget row, index aligned to ``budget``; the
    (Year, BusinessUnit) pairs the forecast reaches that no row covers, as rows to add with Budget 0).

    A row covers the forecast cost of its fiscal year and business unit, of its country only when
    it names one (as the budget command's figures); ids match case-insensitively. A year the
    forecast does not reach at all is left blank (NaN), not 0.
    """
    rows = result.rows
    f = pd.DataFrame({
        "year": fiscal_year(pd.to_datetime(rows["Period"]).to_numpy("datetime64[D]"), start_month),
        "bu": id_key(rows["BusinessUnit"].astype(object)).to_numpy(object),
        "country": id_key(rows["Country"].astype(object)).to_numpy(object),
    })
    country = budget["Country"].astype(object).where(budget["Country"].notna(), "")
    b = pd.DataFrame({
        "year": pd.to_numeric(budget["Year"], errors="coerce").to_numpy(),
        "bu": id_key(budget["BusinessUnit"].astype(object)).to_numpy(object),
        "country": id_key(country).to_numpy(object),
    })
    pairs = []
    for whole in (True, False):
        on = ["year", "bu"] if whole else ["year", "bu", "country"]
        rows_b = b[(b["country"] == "") == whole].reset_index(names="b")
        pairs.append(rows_b[["b", *on]].merge(f.reset_index(names="r")[["r", *on]], on=on)[["b", "r"]])
    joined = pd.concat(pairs, ignore_index=True)
    q = result.pooled_quantiles(joined["b"].to_numpy(), joined["r"].to_numpy(), len(budget), "cost")
    reached = np.zeros(len(budget), dtype=bool)
    reached[joined["b"].to_numpy()] = True
    out = pd.DataFrame({"ForecastP50": np.where(reached, money(q[:, 1], result.currency), np.nan),
                        "ForecastP90": np.where(reached, money(q[:, 2], result.currency), np.nan)}, index=budget.index)
    covered = pd.MultiIndex.from_frame(b[["year", "bu"]])
    wanted = f[["year", "bu"]].drop_duplicates()
    missing = wanted[~pd.MultiIndex.from_frame(wanted).isin(covered)].sort_values(["year", "bu"])
    if len(missing):
        labels = pd.MultiIndex.from_frame(f[["year", "bu"]])
        codes = pd.MultiIndex.from_frame(missing).get_indexer(labels)
        keep = np.flatnonzero(codes >= 0)
        q = result.pooled_quantiles(codes[keep], keep, len(missing), "cost")
        typed = rows["BusinessUnit"].groupby(f["bu"].to_numpy()).first()
        extra = pd.DataFrame({"Year": missing["year"].to_numpy(), "BusinessUnit": typed.reindex(missing["bu"]).to_numpy(object),
                              "Country": "", "Budget": 0.0,
                              "ForecastP50": money(q[:, 1], result.currency), "ForecastP90": money(q[:, 2], result.currency)})
    else:
        extra = pd.DataFrame(columns=["Year", "BusinessUnit", "Country", "Budget", "ForecastP50", "ForecastP90"])
    return out, extra


# ----------------------------------------------------------------------------- backtest


@dataclass(frozen=True)
class Backtest:
    """A forecast compared with what happened in the months after it that are over.

    ``courses``: per course, the months of history the forecast had, actual and P50 learners
    over the compared months, and APE = |P50 - actual| / actual. ``quarters``: per course x
    calendar quarter (its compared months), actual, P10, P50, P90 and whether the actual fell
    inside P10-P90. MAPE is the mean APE of the courses with :data:`MAPE_HISTORY` months of
    history or more.
    """

    first: pd.Timestamp
    last: pd.Timestamp
    courses: pd.DataFrame
    quarters: pd.DataFrame

    @property
    def mape(self) -> float:
        eligible = self.courses[self.courses["HistoryMonths"] >= MAPE_HISTORY]
        return float(eligible["APE"].mean()) if len(eligible) else float("nan")

    @property
    def coverage(self) -> float:
        return float(self.quarters["Inside"].mean()) if len(self.quarters) else float("nan")


MAPE_HISTORY = 24


def backtest(result: Forecast, sessions: pd.DataFrame, through: object) -> Backtest:
    """Compare ``result`` with the learners of the delivered ``sessions`` (calculated columns) in the
    forecast months that ended before ``through``'s month (the workbook's own as-of date)."""
    through_month = int(_month([pd.Timestamp(through)])[0])
    compared = result.months[result.months < through_month]
    if not len(compared):
        raise ValueError(f"no forecast month is over by {pd.Timestamp(through):%Y-%m-%d}: "
                         "backtest with an --as-of date at least a month earlier")
    status = _status(sessions)
    delivered = sessions[status == "delivered"]
    month = _month(delivered["StartDate"])
    course = id_key(delivered["CourseId"].astype(object)).to_numpy(object)
    inside = np.isin(month, compared)
    actual = pd.to_numeric(delivered["Learners"], errors="coerce").fillna(0.0)[inside].groupby(
        [course[inside], month[inside]]).sum()

    # Course-level paths: the sum of each course's rows (shares sum to 1; no demand in a backtest).
    rows = result.rows
    row_course = id_key(rows["CourseId"].astype(object)).to_numpy(object)
    row_month = _month(rows["Period"])
    in_window = np.isin(row_month, compared)
    quarter = pd.PeriodIndex(_month_start(row_month), freq="Q").astype(str).to_numpy(object)
    keys = np.where(in_window, row_course, None)
    totals = result.quantiles_of(keys)
    q_keys = np.where(in_window, row_course + "|" + quarter, None)
    by_quarter = result.quantiles_of(q_keys)

    known_courses = pd.Index(sorted(set(row_course[in_window])), dtype=object)
    actual_course = actual.groupby(level=0).sum().reindex(known_courses, fill_value=0.0)
    history = result.history_months.reindex(known_courses, fill_value=0)
    ids = result.facts.course_id.reindex(known_courses).to_numpy(object)
    p50 = totals["P50"].reindex(known_courses).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ape = np.where(actual_course > 0, np.abs(p50 - actual_course) / actual_course, np.nan)
    courses = pd.DataFrame({"CourseId": ids, "HistoryMonths": history.to_numpy(int),
                            "Actual": actual_course.to_numpy(), "P50": p50, "APE": ape})

    a_month = actual.index.get_level_values(1).to_numpy()
    a_quarter = pd.PeriodIndex(_month_start(a_month), freq="Q").astype(str).to_numpy(object)
    a_keys = actual.index.get_level_values(0).to_numpy(object) + "|" + a_quarter
    actual_q = pd.Series(actual.to_numpy()).groupby(a_keys).sum()
    cells = by_quarter.copy()
    cells["Actual"] = actual_q.reindex(cells.index, fill_value=0.0).to_numpy()
    # reindexed: with no forecast quarter in the compared months the split has no columns at all
    split = cells.index.to_series().str.split("|", n=1, expand=True).reindex(columns=[0, 1])
    cells.insert(0, "Quarter", split[1].to_numpy(object))
    cells.insert(0, "CourseId", result.facts.course_id.reindex(split[0]).to_numpy(object))
    cells["Inside"] = (cells["Actual"] >= cells["P10"]) & (cells["Actual"] <= cells["P90"])
    cells = cells.sort_values(["CourseId", "Quarter"]).reset_index(drop=True)
    return Backtest(_month_start(compared[:1])[0], _month_start(compared[-1:])[0],
                    courses.sort_values("CourseId").reset_index(drop=True), cells)
