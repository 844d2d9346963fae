"""``check``'s rules for the SessionCosts lines beyond the schema's own (unknown session, unknown category and
missing currency are column rules: ``references``, ``allowed``, ``required``).

- an invoice (InvoiceNumber) without its InvoiceDate: an error;
- an Actual amount on a session that is not yet delivered (Planned or Confirmed): a warning, the amount is
  charged all the same;
- a cancellation fee on a session that is not cancelled: a warning, it counts only once the session is;
- a line whose currency the FX tab cannot convert to its session's at the session's FxDate (the workbook then
  shows #N/A): a warning naming what `ilt-xl fx` adds.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ilt_xl.core import fx
from ilt_xl.core.sessions import blank, converted_currencies, lookup, text_cells
from ilt_xl.schema.planner import CANCELLATION_FEE
from ilt_xl.workbook.planner import Planner
from ilt_xl.workbook.problems import ERROR, WARNING, Problem, problems_from_mask


def cost_line_rules(planner: Planner) -> list[Problem]:
    """Every problem of the SessionCosts lines the column rules do not see."""
    layout = planner.layouts.get("SessionCosts")
    lines = planner.session_costs
    if layout is None or not len(lines):
        return []
    loc = layout.location(str(planner.path))
    rows = lines.index.to_numpy()
    sessions = planner.sessions
    looked, found = lookup(lines["SessionId"], sessions.assign(_row=np.arange(len(sessions))), "SessionId",
                           ["Status", "_row"])
    status = np.char.lower(text_cells(looked["Status"]).astype(str))
    category = np.char.lower(text_cells(lines["Category"]).astype(str))
    invoiced = ~blank(lines["InvoiceNumber"])
    out = problems_from_mask(
        loc, invoiced & lines["InvoiceDate"].isna().to_numpy(), rows, "InvoiceDate", lines["InvoiceDate"],
        "the date of the invoice", lambda v: "an invoice (InvoiceNumber) needs its InvoiceDate", ERROR)
    early = found & ~blank(lines["Actual"]) & np.isin(status, ("planned", "confirmed"))
    messages = np.full(len(lines), "", dtype=object)
    messages[early] = ("an actual (invoiced) amount on session " + text_cells(lines["SessionId"])[early].astype(str)
                       + ", which is " + text_cells(looked["Status"])[early].astype(str)
                       + ", not yet delivered: it is charged all the same")
    out += problems_from_mask(loc, early, rows, "Actual", lines["Actual"],
                              "an actual amount once the session is delivered (or cancelled)", messages, WARNING)
    stray_fee = found & (category == CANCELLATION_FEE) & (status != "cancelled")
    out += problems_from_mask(
        loc, stray_fee, rows, "Category", lines["Category"], "a cancellation fee on a cancelled session",
        "a cancellation fee counts only once its session is cancelled", WARNING)
    return out + _conversion_problems(planner, lines, looked, found, loc, rows)


def _conversion_problems(planner, lines, looked, found, loc, rows) -> list[Problem]:
    """A warning per line the FX tab cannot convert to its session's currency at the session's FxDate."""
    sessions = planner.sessions
    session_currency = converted_currencies(planner.tables)[0]
    row = np.where(found, looked["_row"].fillna(0).to_numpy(), 0).astype(int)
    budget_date = planner.settings.get("BudgetRateDate")
    if planner.settings.get("FxDatePolicy") == "BudgetRateDate" and budget_date is not None:
        dates = np.full(len(lines), np.datetime64(pd.Timestamp(budget_date).date(), "D"))
    else:
        dates = pd.to_datetime(sessions["StartDate"], errors="coerce").to_numpy("datetime64[D]")[row]
    target = np.asarray(session_currency, dtype=object)[row] if len(sessions) else np.full(len(lines), "", dtype=object)
    codes = np.char.upper(text_cells(lines["Currency"]).astype(str)).astype(object)
    checked = found & (codes != "") & (target != "") & (codes != target) & ~np.isnat(dates)
    if not checked.any():
        return []
    table = planner.fx if len(planner.fx) else None
    shown = fx.rates(codes[checked], target[checked], dates[checked], table, ecb=False)
    lacking = np.zeros(len(lines), dtype=bool)
    lacking[checked] = ~shown.ok
    messages = np.full(len(lines), "", dtype=object)
    messages[lacking] = ("the line's " + codes[lacking].astype(str) + " cannot be converted to its session's "
                         + target[lacking].astype(str) + ": the FX tab lacks the rate of the session's FxDate, so it "
                         "shows #N/A (`ilt-xl fx` adds it)")
    return problems_from_mask(loc, lacking, rows, "Currency", lines["Currency"],
                              "a currency the FX tab converts on the session's FxDate", messages, WARNING)
