"""Effective-dated day rates: the rate of an instructor, room or equipment pool valid on a session's start.

The Rates table holds each resource's rate history (ResourceType, ResourceId,
ValidFrom, DayRate, Currency). A session is charged the row of its resource
with the latest ValidFrom on or before its StartDate; with no such row, the
resource table's own DayRate and Currency. This is what the workbook's
``Sessions[RoomDayRate]``, ``[InstructorDayRate]`` and ``[EquipmentDayRate]``
compute natively (``ilt_xl.schema.planner._effective_day_rate``): the rows of a
resource are numbered by ValidFrom (``Rates[LookupKey]``) and the n-th is found,
n being how many rows are valid on the start. Two rows of one resource with the
same ValidFrom share their number, and MATCH then finds the first in table
order: so does :func:`effective_rates`. Ids and types match case-insensitively,
as COUNTIFS and MATCH do.
"""
from __future__ import annotations

from typing import Mapping, NamedTuple

import numpy as np
import pandas as pd

RESOURCES = (("Instructor", "Instructors", "InstructorId"), ("Room", "Rooms", "RoomId"),
             ("Equipment", "Equipment", "EquipmentId"))
"""(Rates[ResourceType], resource table, its key column = the Sessions column naming it)."""


class RatesUsed(NamedTuple):
    """Per session, the valid Rates row of one kind of resource (``from_history`` False: none, use the table's)."""

    day_rate: np.ndarray     # float, NaN where the row's DayRate is blank
    currency: np.ndarray     # object, "" where blank
    from_history: np.ndarray  # bool


def _lower(values: pd.Series) -> np.ndarray:
    return values.astype(object).where(values.notna(), "").astype(str).str.lower().to_numpy(object)


def effective_rates(kind: str, resource_ids: pd.Series, starts: pd.Series, rates: pd.DataFrame | None) -> RatesUsed:
    """The Rates row of type ``kind`` valid on each start for each resource id (see the module docstring)."""
    n = len(resource_ids)
    out = RatesUsed(np.full(n, np.nan), np.full(n, "", dtype=object), np.zeros(n, dtype=bool))
    if rates is None or rates.empty:
        return out
    valid_from = pd.to_datetime(rates["ValidFrom"], errors="coerce").to_numpy("datetime64[D]")
    mine = (_lower(rates["ResourceType"].astype(object).where(rates["ResourceType"].notna(), "").astype(str).str.strip())
            == kind.lower()) & ~np.isnat(valid_from)
    if not mine.any():
        return out
    history = pd.DataFrame({
        "_id": _lower(rates["ResourceId"])[mine], "_from": valid_from[mine],
        "_rate": pd.to_numeric(rates["DayRate"], errors="coerce").to_numpy("float64")[mine],
        "_ccy": rates["Currency"].astype(object).where(rates["Currency"].notna(), "").astype(str).str.strip().to_numpy(object)[mine],
    })
    # Rows sharing a resource and date: the first in table order wins, as MATCH finds it.
    history = history.drop_duplicates(["_id", "_from"], keep="first").sort_values("_from", kind="stable")
    start = pd.to_datetime(starts, errors="coerce").to_numpy("datetime64[D]")
    ids = _lower(resource_ids)
    asked = pd.DataFrame({"_id": ids, "_from": start, "_pos": np.arange(n)})
    asked = asked[~np.isnat(start) & (ids != "")].sort_values("_from", kind="stable")
    if asked.empty:
        return out
    found = pd.merge_asof(asked, history, on="_from", by="_id", direction="backward")
    hit = found["_ccy"].notna().to_numpy()
    pos = found["_pos"].to_numpy()[hit]
    out.day_rate[pos] = found["_rate"].to_numpy("float64")[hit]
    out.currency[pos] = found["_ccy"].to_numpy(object)[hit]
    out.from_history[pos] = True
    return out


def rates_by_kind(sessions: pd.DataFrame, tables: Mapping[str, pd.DataFrame]) -> dict[str, RatesUsed]:
    """:func:`effective_rates` of every kind of resource a session books, keyed by the Sessions key column."""
    rates = tables.get("Rates")
    return {key: effective_rates(kind, sessions[key] if key in sessions else pd.Series([""] * len(sessions)),
                                 sessions["StartDate"], rates)
            for kind, _, key in RESOURCES}
