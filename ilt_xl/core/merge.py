"""Merge advice: under-filled Planned sessions whose learners another session of the same course can take.

:func:`plan_merges` pairs each source session with a target of the same course and
country starting within ``within_days`` calendar days that has seats for all its
registered learners; :func:`merge_advice` turns the pairs into Proposals rows (Kind
Merge), whose application moves the source's enrolment lines to the target and
cancels the source (:mod:`ilt_xl.core.proposals`). The scenario command's
``--cancel-below`` uses :func:`plan_merges` too, so the learners of a cancelled
session move instead of being dropped.

Greedy, smallest source first: each source goes to the target with the most
registered learners (the likeliest to run; the nearest start on a tie) that still
has the seats; a session that receives learners is never merged away itself, and
one merged away never receives. Saving: the fixed cost (reporting currency, at each
session's rate date) that the merge removes, as the core computes it
(:func:`ilt_xl.core.sessions.session_table`: day rates in force, cost lines, frozen
figures): the source's and the target's fixed cost before, less theirs once the
source is Cancelled (it still charges its cancellation-fee lines, which are not
saved) and its learners are in the target (whose per-learner lines, catering say,
grow with them). Where several sources go into one target, the target's added
cost is shared among them in proportion to the learners each moves (per-learner
lines are linear in learners). The variable cost follows the learners, who take
the same course.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from ilt_xl.core import fx
from ilt_xl.core.sessions import session_table, setting
from ilt_xl.schema.planner import PROPOSALS

MERGE = "Merge"
DEFAULT_WITHIN_DAYS = 14


def _text(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def plan_merges(sessions: pd.DataFrame, sources: np.ndarray, targets: np.ndarray, within_days: int) -> pd.DataFrame:
    """Pairs (source, target, learners) of row positions in ``sessions`` (with its calculated columns).

    ``sources``/``targets`` are boolean masks over the rows; a row may be both (it is then either merged
    away or a target, never both).
    """
    s = sessions.reset_index(drop=True)
    key = _text(s["CourseId"]).str.lower() + "|" + _text(s["Country"]).str.upper()
    start = pd.to_datetime(s["StartDate"], errors="coerce")
    registered = pd.to_numeric(s["Registered"], errors="coerce").fillna(0).to_numpy("float64")
    capacity = pd.to_numeric(s["Capacity"], errors="coerce").fillna(0).to_numpy("float64")
    src = pd.DataFrame({"source": np.flatnonzero(sources), "key": key[sources].to_numpy(), "s_start": start[sources].to_numpy()})
    tgt = pd.DataFrame({"target": np.flatnonzero(targets), "key": key[targets].to_numpy(), "t_start": start[targets].to_numpy()})
    pairs = src.merge(tgt, on="key")
    gap = np.abs((pairs["t_start"] - pairs["s_start"]).dt.days.to_numpy("float64"))
    keep = (pairs["source"] != pairs["target"]).to_numpy() & (gap <= within_days)
    source, target = pairs["source"].to_numpy("int64")[keep], pairs["target"].to_numpy("int64")[keep]
    pairs = pd.DataFrame({"source": source, "target": target, "gap": gap[keep],
                          "t_registered": registered[target], "s_registered": registered[source]})
    pairs = pairs.sort_values(["s_registered", "source", "t_registered", "gap", "target"], ascending=[True, True, False, True, True],
                              kind="stable")
    seats = capacity - registered
    gone, receiving, chosen = set(), set(), []
    # A few hundred candidate pairs at most (under-filled sessions of one course and country a fortnight apart).
    for source, group in pairs.groupby("source", sort=False):
        if source in receiving:
            continue
        need = registered[source]
        for target in group["target"].to_numpy():
            if target not in gone and seats[target] >= need:
                seats[target] -= need
                gone.add(source)
                receiving.add(target)
                chosen.append((source, target, need))
                break
    return pd.DataFrame(chosen, columns=["source", "target", "learners"]).astype({"source": "int64", "target": "int64"})


def fixed_cost_reporting(sessions: pd.DataFrame, tables: Mapping[str, pd.DataFrame], settings: Mapping[str, object]) -> np.ndarray:
    """Each session's FixedCost in the reporting currency, at its rate date (NaN where no rate)."""
    if str(setting(settings, "FxDatePolicy")).strip().lower() == "budgetratedate" and settings.get("BudgetRateDate") is not None:
        dates = np.full(len(sessions), np.datetime64(pd.Timestamp(settings["BudgetRateDate"]).date(), "D"))
    else:
        dates = pd.to_datetime(sessions["StartDate"], errors="coerce").to_numpy("datetime64[D]")
    manual = tables.get("FX")
    used = fx.rates(_text(sessions["Currency"]).to_numpy(object), str(setting(settings, "ReportingCurrency")), dates,
                    manual if manual is not None and len(manual) else None)
    return np.where(used.ok, pd.to_numeric(sessions["FixedCost"], errors="coerce").to_numpy("float64") * used.rate, np.nan)


def _fixed_after_merging(tables: Mapping[str, pd.DataFrame], settings: Mapping[str, object], before: np.ndarray,
                         pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: the source's fixed cost once merged away (Cancelled: its cancellation fees) and the target's
    before plus its share of what it gains with the learners moved in, in the reporting currency, rounded to cents
    as ``before`` (each session's, rounded) is. Computed by the core on the tables with every merge applied, as ``apply`` does."""
    src, tgt = pairs["source"].to_numpy("int64"), pairs["target"].to_numpy("int64")
    if not len(pairs):
        return before[src], before[tgt]
    sessions = tables["Sessions"].reset_index(drop=True).copy()
    enrolments = tables["Enrolments"].copy()
    ids = _text(sessions["SessionId"]).to_numpy(object)
    target_of = dict(zip(pd.Series(ids[src]).str.lower(), ids[tgt]))
    key = _text(enrolments["SessionId"]).str.lower()
    moving = key.isin(list(target_of)).to_numpy()
    enrolments.loc[moving, "SessionId"] = key[moving].map(target_of).to_numpy(object)
    sessions.loc[src, "Status"] = "Cancelled"
    merged = {**tables, "Sessions": sessions, "Enrolments": enrolments}
    after = np.round(fixed_cost_reporting(session_table(merged, settings).reset_index(drop=True), merged, settings), 2)
    # The target's added fixed cost, shared among its sources by the learners each moves (equally if none move).
    learners = pairs["learners"].to_numpy("float64")
    total = pd.Series(learners).groupby(tgt).transform("sum").to_numpy("float64")
    count = pd.Series(learners).groupby(tgt).transform("size").to_numpy("float64")
    share = np.where(total > 0, learners / np.where(total > 0, total, 1), 1 / count)
    return after[src], before[tgt] + (after[tgt] - before[tgt]) * share


def merge_advice(tables: Mapping[str, pd.DataFrame], settings: Mapping[str, object], within_days: int = DEFAULT_WITHIN_DAYS,
                 below: float | None = None) -> pd.DataFrame:
    """Proposals rows (Kind Merge) for the under-filled Planned sessions from AsOfDate on.

    Under-filled: fewer registered than the course's MinLearners (GoNoGo's test), or, with ``below``, an
    Occupancy (registered / capacity) under that fraction. Targets: Planned or Confirmed sessions from AsOfDate on.
    """
    s = session_table(tables, settings).reset_index(drop=True)
    status = _text(s["Status"]).str.lower()
    as_of = pd.Timestamp(setting(settings, "AsOfDate")).normalize()
    start = pd.to_datetime(s["StartDate"], errors="coerce")
    open_ = (status.isin(["planned", "confirmed"]) & (start >= as_of)).to_numpy()
    registered = pd.to_numeric(s["Registered"], errors="coerce").fillna(0).to_numpy("float64")
    courses = tables["Courses"]
    minimum = _text(s["CourseId"]).str.lower().map(
        pd.Series(pd.to_numeric(courses["MinLearners"], errors="coerce").to_numpy(), index=_text(courses["CourseId"]).str.lower())
        .groupby(level=0).first()).fillna(0).to_numpy("float64")
    # The planner's own measures: GoNoGo's minimum, and Occupancy (registered / capacity, as --cancel-below).
    if below is None:
        under = registered < minimum
        why = lambda k: f"{registered[k]:g} registered, course minimum {minimum[k]:g}"  # noqa: E731
    else:
        occupancy = pd.to_numeric(s["Occupancy"], errors="coerce").fillna(0).to_numpy("float64")
        under = occupancy < below
        why = lambda k: f"occupancy {occupancy[k]:.0%} below {below:.0%}"  # noqa: E731
    sources = open_ & under & (status == "planned").to_numpy()
    pairs = plan_merges(s, sources, open_, within_days)
    fixed = np.round(fixed_cost_reporting(s, tables, settings), 2)
    src, tgt = pairs["source"].to_numpy(), pairs["target"].to_numpy()
    capacity = pd.to_numeric(s["Capacity"], errors="coerce").fillna(0).to_numpy("float64")
    gap = (start.to_numpy()[tgt] - start.to_numpy()[src]).astype("timedelta64[D]").astype("int64")
    ids = s["SessionId"].to_numpy(object)
    rule = [f"under-filled ({why(a)}): its learners fit in {ids[b]} (same course and country, "
            f"{abs(g)} day(s) {'later' if g > 0 else 'earlier' if g < 0 else 'same day'}, "
            f"{registered[b]:g} of {capacity[b]:g} seats taken); saves the fixed cost the merge removes (less cancellation fees kept "
            "and per-learner lines the target gains)"
            for a, b, g in zip(src, tgt, gap)]
    after_src, after_tgt = _fixed_after_merging(tables, settings, fixed, pairs)
    before = np.round(fixed[src] + fixed[tgt], 2)
    after = np.round(after_src + after_tgt, 2)
    frame = pd.DataFrame({
        "Kind": MERGE, "SessionId": ids[src],
        "CurrentInstructor": _text(s["InstructorId"]).to_numpy(object)[src], "ProposedInstructor": "",
        "CurrentRoom": _text(s["RoomId"]).to_numpy(object)[src], "ProposedRoom": "",
        "CurrentStart": start.to_numpy()[src], "ProposedStart": pd.NaT,
        "MergeInto": ids[tgt], "LearnersMoved": pairs["learners"].to_numpy("float64"),
        "CostBefore": before, "CostAfter": after, "Saving": np.round(before - after, 2),
        "Rule": np.array(rule, dtype=object), "Accept": "Yes", "Outcome": "Proposed",
    }, columns=list(PROPOSALS.column_names))
    return frame[~np.isnan(before)].reset_index(drop=True)
