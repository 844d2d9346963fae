"""The Dashboard sheet: KPIs by fiscal year with year-over-year change, and native charts.

Every figure is a native formula (COUNTIFS/SUMIFS/AVERAGEIFS over the planner tables), so the
dashboard follows the data in Excel and LibreOffice alike. A year is a fiscal year starting in
the FiscalYearStartMonth setting and is named by the calendar year it starts in; a session
counts in the year of its start date. The four years shown end with the one holding AsOfDate.

Money is never summed across currencies unconverted: the money KPIs add up Sessions[CostReporting],
each session's cost converted to the ReportingCurrency by ``ILT_FX`` (so they need the ilt-xl
functions: Excel with xlwings, or ``ilt-xl recalc``), and a separate block lists delivered cost
per currency in that currency, with native formulas only.
"""
from __future__ import annotations

from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment
from openpyxl.utils import column_index_from_string, get_column_letter

from ilt_xl.workbook import styles

SHEET = "Dashboard"
YEARS = 4
YEAR_COLUMNS = [get_column_letter(2 + i) for i in range(YEARS)]  # B..E, oldest first
YOY_COLUMNS = [get_column_letter(2 + YEARS + i) for i in range(YEARS - 1)]  # F..H
CURRENT = YEAR_COLUMNS[-1]

YEAR_ROW, START_ROW, END_ROW = 4, 5, 6

_DELIVERED = 'Sessions[Status],"Delivered"'
_MONTHS = '"Jan","Feb","Mar","Apr","May","Jun","Jul","Aug","Sep","Oct","Nov","Dec"'

_RIGHT = Alignment(horizontal="right")
COUNT, RATE, MONEY, RATIO, DATE = "#,##0", "0.0%", "#,##0", "#,##0.00", "yyyy-mm-dd"


def _in_year(col: str) -> str:
    return f'Sessions[StartDate],">="&{col}${START_ROW},Sessions[StartDate],"<"&{col}${END_ROW}'


# (key, label, number format, formula of one year's column; {y} is the year criteria,
# {key} the same column's cell of another KPI).
KPIS = (
    ("delivered", "Sessions delivered", COUNT, "=COUNTIFS(" + _DELIVERED + ",{y})"),
    ("cancelled", "Sessions cancelled", COUNT, '=COUNTIFS(Sessions[Status],"Cancelled",{y})'),
    ("sessions", "Sessions in the year (any status)", COUNT, "=COUNTIFS({y})"),
    ("cancellation", "Cancellation rate (cancelled / all)", RATE,
     '=IF({sessions}=0,"",{cancelled}/{sessions})'),
    ("occupancy", "Average occupancy of delivered sessions", RATE,
     '=IFERROR(AVERAGEIFS(Sessions[Occupancy],' + _DELIVERED + ',{y}),"")'),
    ("learners", "Learners (attended, delivered sessions)", COUNT,
     "=SUMIFS(Sessions[Learners]," + _DELIVERED + ",{y})"),
    ("learner_hours", "Learner-hours (delivered sessions)", COUNT,
     "=SUMIFS(Sessions[LearnerHours]," + _DELIVERED + ",{y})"),
    ("cost", "=\"Cost of delivered sessions in \"&ReportingCurrency&\" (converted)\"", MONEY,
     "=SUMIFS(Sessions[CostReporting]," + _DELIVERED + ",{y})"),
    ("cost_per_learner", "=\"Cost per learner in \"&ReportingCurrency", RATIO,
     '=IF({learners}=0,"",{cost}/{learners})'),
    ("cost_per_hour", "=\"Cost per learner-hour in \"&ReportingCurrency", RATIO,
     '=IF({learner_hours}=0,"",{cost}/{learner_hours})'),
)
KPI_FIRST_ROW = 9


def yoy_formula(previous: str, current: str) -> str:
    """Relative change from ``previous`` to ``current`` (cells); blank when there is no base."""
    return f'=IF(OR(N({previous})=0,ISTEXT({current})),"",{current}/{previous}-1)'


class _Grid:
    """Cells by (row, column letter), emitted row by row as write-only mode requires."""

    def __init__(self, ws):
        self.ws = ws
        self.cells: dict[int, dict[int, WriteOnlyCell]] = {}

    def put(self, ref_row: int, col: str, value, number_format: str | None = None, font=None, alignment=None) -> None:
        cell = WriteOnlyCell(self.ws, value)
        if number_format:
            cell.number_format = number_format
        if font is not None:
            cell.font = font
        if alignment is not None:
            cell.alignment = alignment
        self.cells.setdefault(ref_row, {})[column_index_from_string(col)] = cell

    def flush(self) -> None:
        for row in range(1, max(self.cells) + 1):
            by_col = self.cells.get(row, {})
            self.ws.append([by_col.get(c) for c in range(1, max(by_col, default=0) + 1)])


def write_dashboard(wb, *, currencies: list[str], business_unit_rows: int) -> None:
    """Add the Dashboard sheet (after the tables) with its KPIs, helper ranges and charts."""
    ws = wb.create_sheet(SHEET)
    ws.sheet_properties.tabColor = "7030A0"
    ws.sheet_view.tabSelected = True  # the tab the planner opens on (the builder makes it the active one)
    styles.landscape(ws, fit_width=True)
    ws.column_dimensions["A"].width = 46
    for col in YEAR_COLUMNS + YOY_COLUMNS:
        ws.column_dimensions[col].width = 13
    g = _Grid(ws)

    g.put(1, "A", "ILT planner dashboard", font=styles.TITLE_FONT)
    g.put(2, "A", "As of (the AsOfDate setting)", font=styles.LABEL_FONT)
    g.put(2, "B", "=AsOfDate", DATE)
    g.put(3, "A", "Fiscal years start in the FiscalYearStartMonth setting; a session counts in the year it starts. "
          "Money is converted to the ReportingCurrency by ILT_FX (Sessions[CostReporting]).", font=styles.NOTE_FONT)
    g.put(YEAR_ROW, "A", "Fiscal year", font=styles.LABEL_FONT)
    g.put(START_ROW, "A", "Year starts")
    g.put(END_ROW, "A", "Next year starts")
    for i, col in enumerate(YEAR_COLUMNS):
        back = YEARS - 1 - i
        year = "=YEAR(AsOfDate)-IF(MONTH(AsOfDate)<FiscalYearStartMonth,1,0)" + (f"-{back}" if back else "")
        g.put(YEAR_ROW, col, year, "0", styles.LABEL_FONT, _RIGHT)
        g.put(START_ROW, col, f"=DATE({col}{YEAR_ROW},FiscalYearStartMonth,1)", DATE)
        g.put(END_ROW, col, f"=DATE({col}{YEAR_ROW}+1,FiscalYearStartMonth,1)", DATE)
    for prev, col, yoy in zip(YEAR_COLUMNS, YEAR_COLUMNS[1:], YOY_COLUMNS):
        g.put(YEAR_ROW, yoy, f'="YoY "&{col}{YEAR_ROW}', font=styles.LABEL_FONT, alignment=_RIGHT)

    g.put(KPI_FIRST_ROW - 1, "A", "KPIs by fiscal year", font=styles.SECTION_FONT)
    rows = {key: KPI_FIRST_ROW + i for i, (key, *_rest) in enumerate(KPIS)}
    for key, label, fmt, formula in KPIS:
        row = rows[key]
        g.put(row, "A", label)
        for col in YEAR_COLUMNS:
            g.put(row, col, formula.format(y=_in_year(col), **{k: f"{col}{r}" for k, r in rows.items()}), fmt)
        _put_yoy(g, row)

    row = KPI_FIRST_ROW + len(KPIS) + 1
    g.put(row, "A", "Delivered session cost by currency (type a currency code in column A)", font=styles.SECTION_FONT)
    for currency in currencies:
        row += 1
        g.put(row, "A", currency)
        for col in YEAR_COLUMNS:
            g.put(row, col, f"=SUMIFS(Sessions[SessionCost],{_DELIVERED},Sessions[Currency],$A{row},{_in_year(col)})", MONEY)
        _put_yoy(g, row)

    month_header = row + 3
    g.put(month_header - 1, "A", "Occupancy by month: registered / capacity, sessions not cancelled", font=styles.SECTION_FONT)
    for col, text in zip("ABCDE", ("Month", "Month starts", "Next month", f'="FY "&{YEAR_COLUMNS[-2]}{YEAR_ROW}',
                                   f'="FY "&{CURRENT}{YEAR_ROW}')):
        g.put(month_header, col, text, font=styles.LABEL_FONT, alignment=None if col == "A" else _RIGHT)
    for i in range(12):
        r = month_header + 1 + i
        g.put(r, "A", f"=CHOOSE(MONTH(B{r}),{_MONTHS})")
        g.put(r, "B", f"=DATE(${CURRENT}${YEAR_ROW},FiscalYearStartMonth+{i},1)", DATE)
        g.put(r, "C", f"=DATE(${CURRENT}${YEAR_ROW},FiscalYearStartMonth+{i + 1},1)", DATE)
        for col, start, end in (("D", f"DATE(YEAR(B{r})-1,MONTH(B{r}),1)", f"DATE(YEAR(C{r})-1,MONTH(C{r}),1)"),
                                ("E", f"B{r}", f"C{r}")):
            g.put(r, col, '=IFERROR(AVERAGEIFS(Sessions[Occupancy],Sessions[Status],"<>Cancelled",'
                  f'Sessions[StartDate],">="&{start},Sessions[StartDate],"<"&{end}),"")', RATE)
    month_last = month_header + 12

    bu_header = month_last + 3
    g.put(bu_header - 1, "A", "Budget and cost by business unit, current fiscal year, reporting currency "
          "(Actual, Committed and Forecast are written by the budget command)", font=styles.SECTION_FONT)
    for col, text in zip("ABCDE", ("Business unit", "Budget", "Actual", "Committed", "Forecast")):
        g.put(bu_header, col, text, font=styles.LABEL_FONT, alignment=None if col == "A" else _RIGHT)
    for i in range(business_unit_rows):
        r = bu_header + 1 + i
        g.put(r, "A", f'=IFERROR(T(INDEX(BusinessUnits[BusinessUnit],{i + 1})),"")')
        for col, field in zip("BCDE", ("Budget", "Actual", "Committed", "Forecast")):
            g.put(r, col, f'=IF($A{r}="","",SUMIFS(Budget[{field}],Budget[Year],${CURRENT}${YEAR_ROW},'
                  f"Budget[BusinessUnit],$A{r}))", MONEY)
    bu_last = bu_header + business_unit_rows
    g.flush()

    _add_charts(ws, rows, month_header, month_last, bu_header, bu_last)


def _put_yoy(g: _Grid, row: int) -> None:
    for prev, col, yoy in zip(YEAR_COLUMNS, YEAR_COLUMNS[1:], YOY_COLUMNS):
        g.put(row, yoy, yoy_formula(f"{prev}{row}", f"{col}{row}"), RATE)


def _bar_chart(title: str, y_title: str, y_format: str) -> BarChart:
    chart = BarChart()
    chart.type = "col"
    chart.title = title
    chart.y_axis.title = y_title
    chart.y_axis.number_format = y_format
    chart.y_axis.scaling.min = 0
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.width, chart.height = 18, 8.5
    return chart


def _add_charts(ws, kpi_rows: dict[str, int], month_header: int, month_last: int,
                bu_header: int, bu_last: int) -> None:
    occupancy = _bar_chart("Occupancy by month", "Occupancy", "0%")
    occupancy.add_data(Reference(ws, min_col=4, max_col=5, min_row=month_header, max_row=month_last), titles_from_data=True)
    occupancy.set_categories(Reference(ws, min_col=1, min_row=month_header + 1, max_row=month_last))
    ws.add_chart(occupancy, "J2")

    cost = _bar_chart("Budget and cost by business unit", "Reporting currency", "#,##0")
    cost.add_data(Reference(ws, min_col=2, max_col=5, min_row=bu_header, max_row=bu_last), titles_from_data=True)
    cost.set_categories(Reference(ws, min_col=1, min_row=bu_header + 1, max_row=bu_last))
    ws.add_chart(cost, "J20")

    sessions = _bar_chart("Sessions by fiscal year", "Sessions", "0")
    first, last = kpi_rows["delivered"], kpi_rows["cancelled"]
    sessions.add_data(Reference(ws, min_col=1, max_col=1 + YEARS, min_row=first, max_row=last),
                      titles_from_data=True, from_rows=True)
    sessions.set_categories(Reference(ws, min_col=2, max_col=1 + YEARS, min_row=YEAR_ROW, max_row=YEAR_ROW))
    ws.add_chart(sessions, "J38")
