"""The Dashboard sheet: KPIs by fiscal year with year-over-year change, and native charts.

The KPI block compares years to date: each fiscal year from its start to the same day as
AsOfDate, so a part-year is compared with the same part of earlier years (rates change in
percentage points); a second block shows the earlier years in full, labelled so. The
forecast block and its chart read the ForecastMonths tab the forecast command writes.

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
from openpyxl.chart import AreaChart, BarChart, LineChart, Reference
from openpyxl.styles import Alignment
from openpyxl.utils import column_index_from_string, get_column_letter

from ilt_xl.workbook import styles

SHEET = "Dashboard"
YEARS = 4
YEAR_COLUMNS = [get_column_letter(2 + i) for i in range(YEARS)]  # B..E, oldest first
YOY_COLUMNS = [get_column_letter(2 + YEARS + i) for i in range(YEARS - 1)]  # F..H
CURRENT = YEAR_COLUMNS[-1]

YEAR_ROW, START_ROW, END_ROW, TO_DATE_ROW = 4, 5, 6, 7
FORECAST_ROWS = 24  # months of ForecastMonths shown and charted

_DELIVERED = 'Sessions[Status],"Delivered"'
_MONTHS = '"Jan","Feb","Mar","Apr","May","Jun","Jul","Aug","Sep","Oct","Nov","Dec"'

_RIGHT = Alignment(horizontal="right")
COUNT, RATE, MONEY, RATIO, DATE = "#,##0", "0.0%", "#,##0", "#,##0.00", "yyyy-mm-dd"


def _in_year(col: str) -> str:
    return f'Sessions[StartDate],">="&{col}${START_ROW},Sessions[StartDate],"<"&{col}${END_ROW}'


def _to_date(col: str) -> str:
    """The year's sessions that start by the same day of the year as AsOfDate."""
    return f'Sessions[StartDate],">="&{col}${START_ROW},Sessions[StartDate],"<="&{col}${TO_DATE_ROW}'


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
    ("no_show", "No-show rate (1 - attended / registered, delivered)", RATE,
     '=IF(SUMIFS(Sessions[Registered],' + _DELIVERED + ',{y})=0,"",'
     '1-SUMIFS(Sessions[Attended],' + _DELIVERED + ',{y})/SUMIFS(Sessions[Registered],' + _DELIVERED + ',{y}))'),
    ("fill", "Fill of delivered sessions (attended / seats)", RATE,
     '=IF(SUMIFS(Sessions[Capacity],' + _DELIVERED + ',{y})=0,"",'
     'SUMIFS(Sessions[Attended],' + _DELIVERED + ',{y})/SUMIFS(Sessions[Capacity],' + _DELIVERED + ',{y}))'),
    ("learners", "Learners (attended, delivered sessions)", COUNT,
     "=SUMIFS(Sessions[Learners]," + _DELIVERED + ",{y})"),
    ("learner_hours", "Learner-hours (delivered sessions)", COUNT,
     "=SUMIFS(Sessions[LearnerHours]," + _DELIVERED + ",{y})"),
    ("cost", "=\"Cost of delivered sessions and cancellation fees in \"&ReportingCurrency&\" (converted)\"", MONEY,
     "=SUMIFS(Sessions[CostReporting]," + _DELIVERED + ",{y})+SUMIFS(Sessions[CostReporting],Sessions[Status],"
     '"Cancelled",Sessions[CancellationFee],"<>0",{y})'),
    ("cost_per_learner", "=\"Cost per learner in \"&ReportingCurrency", RATIO,
     '=IF({learners}=0,"",{cost}/{learners})'),
    ("cost_per_hour", "=\"Cost per learner-hour in \"&ReportingCurrency", RATIO,
     '=IF({learner_hours}=0,"",{cost}/{learner_hours})'),
)
KPI_FIRST_ROW = 10
FULL_FIRST_ROW = KPI_FIRST_ROW + len(KPIS) + 2
FULL_YEAR = " (full year)"
"""Suffix of the labels of the full-year block (the KPI block above is year to date)."""
POINTS = '+0.0" pp";-0.0" pp";0.0" pp"'


def yoy_formula(previous: str, current: str) -> str:
    """Relative change from ``previous`` to ``current`` (cells); blank when there is no base."""
    return f'=IF(OR(N({previous})=0,ISTEXT({current})),"",{current}/{previous}-1)'


def points_formula(previous: str, current: str) -> str:
    """Change of a rate in percentage points; blank when either is blank."""
    return f'=IF(OR(ISTEXT({previous}),ISTEXT({current})),"",({current}-{previous})*100)'


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
    g.put(TO_DATE_ROW, "A", "To date: counted up to (the as-of day of that year)")
    for i, col in enumerate(YEAR_COLUMNS):
        back = YEARS - 1 - i
        year = "=YEAR(AsOfDate)-IF(MONTH(AsOfDate)<FiscalYearStartMonth,1,0)" + (f"-{back}" if back else "")
        g.put(YEAR_ROW, col, year, "0", styles.LABEL_FONT, _RIGHT)
        g.put(START_ROW, col, f"=DATE({col}{YEAR_ROW},FiscalYearStartMonth,1)", DATE)
        g.put(END_ROW, col, f"=DATE({col}{YEAR_ROW}+1,FiscalYearStartMonth,1)", DATE)
        g.put(TO_DATE_ROW, col, f"=EDATE(AsOfDate,{-12 * back})", DATE)
    for prev, col, yoy in zip(YEAR_COLUMNS, YEAR_COLUMNS[1:], YOY_COLUMNS):
        g.put(YEAR_ROW, yoy, f'="YoY "&{col}{YEAR_ROW}', font=styles.LABEL_FONT, alignment=_RIGHT)

    g.put(KPI_FIRST_ROW - 1, "A", "KPIs by fiscal year to date: each year from its start to the same day as AsOfDate "
          "(rates change in points)", font=styles.SECTION_FONT)
    rows = {key: KPI_FIRST_ROW + i for i, (key, *_rest) in enumerate(KPIS)}
    for key, label, fmt, formula in KPIS:
        row = rows[key]
        g.put(row, "A", label)
        for col in YEAR_COLUMNS:
            g.put(row, col, formula.format(y=_to_date(col), **{k: f"{col}{r}" for k, r in rows.items()}), fmt)
        _put_yoy(g, row, points=fmt == RATE)

    g.put(FULL_FIRST_ROW - 1, "A", "KPIs of the full fiscal years before the current one", font=styles.SECTION_FONT)
    full = {key: FULL_FIRST_ROW + i for i, (key, *_rest) in enumerate(KPIS)}
    for key, label, fmt, formula in KPIS:
        row = full[key]
        g.put(row, "A", (label + f'&"{FULL_YEAR}"') if label.startswith("=") else label + FULL_YEAR)
        for col in YEAR_COLUMNS[:-1]:
            g.put(row, col, formula.format(y=_in_year(col), **{k: f"{col}{r}" for k, r in full.items()}), fmt)
        _put_yoy(g, row, points=fmt == RATE, pairs=YEARS - 2)

    row = FULL_FIRST_ROW + len(KPIS) + 1
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

    forecast_header = bu_last + 3
    g.put(forecast_header - 1, "A", "Forecast learners by month, all courses, with their range (the ForecastMonths tab, "
          "written by the forecast command)", font=styles.SECTION_FONT)
    for col, text in zip("ABCDE", ("Forecast month", "P10", "P10 to P90", "P50", "P90")):
        g.put(forecast_header, col, text, font=styles.LABEL_FONT, alignment=None if col == "A" else _RIGHT)
    for i in range(FORECAST_ROWS):
        r = forecast_header + 1 + i
        g.put(r, "A", f'=IFERROR(IF(INDEX(ForecastMonths[Period],{i + 1})="","",INDEX(ForecastMonths[Period],{i + 1})),"")',
              "yyyy-mm")
        for col, field in (("B", "LearnersP10"), ("D", "LearnersP50"), ("E", "LearnersP90")):
            g.put(r, col, f'=IF($A{r}="","",INDEX(ForecastMonths[{field}],{i + 1}))', COUNT)
        g.put(r, "C", f'=IF($A{r}="","",E{r}-B{r})', COUNT)
    forecast_last = forecast_header + FORECAST_ROWS
    g.flush()

    _add_charts(ws, rows, month_header, month_last, bu_header, bu_last)
    _add_forecast_chart(ws, forecast_header, forecast_last)


def _put_yoy(g: _Grid, row: int, *, points: bool = False, pairs: int = YEARS - 1) -> None:
    for prev, col, yoy in list(zip(YEAR_COLUMNS, YEAR_COLUMNS[1:], YOY_COLUMNS))[:pairs]:
        if points:
            g.put(row, yoy, points_formula(f"{prev}{row}", f"{col}{row}"), POINTS)
        else:
            g.put(row, yoy, yoy_formula(f"{prev}{row}", f"{col}{row}"), RATE)


def _add_forecast_chart(ws, header: int, last: int) -> None:
    """P10 (invisible) stacked under the P10-P90 band as areas, P50 as a line over them."""
    band = AreaChart()
    band.grouping = "stacked"
    band.title = "Forecast learners by month: P50 and the P10-P90 band"
    band.y_axis.title = "Learners"
    band.y_axis.number_format = "#,##0"
    band.x_axis.number_format = "yyyy-mm"
    band.x_axis.delete = False
    band.y_axis.delete = False
    band.add_data(Reference(ws, min_col=2, max_col=3, min_row=header, max_row=last), titles_from_data=True)
    categories = Reference(ws, min_col=1, min_row=header + 1, max_row=last)
    band.set_categories(categories)
    floor, width = band.series
    floor.graphicalProperties.noFill = True
    floor.graphicalProperties.line.noFill = True
    width.graphicalProperties.solidFill = "C9B3E6"
    width.graphicalProperties.line.noFill = True
    median = LineChart()
    median.add_data(Reference(ws, min_col=4, min_row=header, max_row=last), titles_from_data=True)
    median.set_categories(categories)
    median.series[0].graphicalProperties.line.solidFill = "7030A0"
    median.series[0].graphicalProperties.line.width = 28575
    band += median
    band.width, band.height = 18, 8.5
    ws.add_chart(band, "J56")


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
