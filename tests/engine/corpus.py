"""A corpus workbook of the formula features planners use, built with openpyxl.

Two tables with calculated columns (structured references of every form, long and short),
cross-sheet SUMIFS/COUNTIFS/AVERAGEIFS, INDEX/MATCH, IF/IFERROR, dates, text, a defined name,
and a table with a totals row. ``FORMULAS`` lists the summary formulas by cell.
"""
from __future__ import annotations

import datetime as dt

from openpyxl import Workbook
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import Table

ORDERS_COLUMNS = ["Id", "Customer", "Region", "Qty", "Unit Price", "Date", "Amount", "Discounted",
                  "Segment", "Year", "Label", "Big"]
ORDERS = [
    (1, "C1", "North", 3, 10.5, dt.date(2024, 1, 15)),
    (2, "C2", "South", 1, 99.99, dt.date(2024, 2, 29)),
    (3, "c1", "North", 7, 2.25, dt.date(2024, 12, 31)),
    (4, "C3", "East", 0, 5.0, dt.date(2025, 3, 1)),
    (5, "C9", "West", 2, 1.1, dt.date(2025, 7, 4)),
    (6, "C2", "south", 5, 0.3, dt.date(2023, 11, 30)),
    (7, "C1", "North", 11, 7.77, dt.date(2025, 1, 1)),
    (8, "C4", None, 4, 3.0, dt.date(2024, 6, 15)),
]
CUSTOMERS = [("C1", "Acme", "Retail", 0.1), ("C2", "Bolt", "Wholesale", 0.25), ("C3", "Crux", "Retail", 0.0),
             ("C4", "Dyne", "Online", 0.05), ("C5", "Echo", "Online", 0.5)]

# calculated columns of Orders (long-form structured references, as Excel stores them)
ORDERS_CALC = {
    "Amount": "=Orders[[#This Row],[Qty]]*Orders[[#This Row],[Unit Price]]",
    "Discounted": "=ROUND(Orders[[#This Row],[Amount]]*(1-IFERROR(INDEX(Customers[Discount],"
                  "MATCH(Orders[[#This Row],[Customer]],Customers[Customer],0)),0)),2)",
    "Segment": "=IFERROR(INDEX(Customers[Segment],MATCH(Orders[[#This Row],[Customer]],Customers[Customer],0)),\"?\")",
    "Year": "=YEAR(Orders[[#This Row],[Date]])*100+MONTH(Orders[[#This Row],[Date]])",
    "Label": "=UPPER(LEFT(Orders[[#This Row],[Region]],1))&\"-\"&Orders[[#This Row],[Id]]&\"/\"&Orders[[#This Row],[Unit Price]]",
    "Big": "=IF(AND(Orders[[#This Row],[Qty]]>=3,NOT(Orders[[#This Row],[Region]]=\"South\")),TRUE,"
           "IF(Orders[[#This Row],[Qty]]=0,1/0,FALSE))",
}
CUSTOMERS_COLUMNS = ["Customer", "Name", "Segment", "Discount", "Revenue", "Orders", "Average", "Share", "Rank"]
CUSTOMERS_CALC = {
    "Revenue": "=SUMIFS(Orders[Amount],Orders[Customer],Customers[[#This Row],[Customer]])",
    "Orders": "=COUNTIFS(Orders[Customer],Customers[[#This Row],[Customer]],Orders[Qty],\">2\")",
    "Average": "=AVERAGEIFS(Orders[Amount],Orders[Customer],Customers[[#This Row],[Customer]])",
    "Share": "=IFERROR(Customers[[#This Row],[Revenue]]/SUM(Customers[Revenue]),\"n/a\")",
    "Rank": "=COUNTIF(Customers[Revenue],\">\"&Customers[[#This Row],[Revenue]])+1",
}
# Summary!B<n>: formulas over the tables, other sheets and names
FORMULAS = [
    "=SUM(Orders[Amount])",
    "=SUMIFS(Orders[Amount],Orders[Region],\"north\",Orders[Date],\">=\"&DATE(2024,6,1))",
    "=COUNTIFS(Orders[Region],\"<>North\",Orders[Qty],\">0\",Orders[Id],\"<8\")",
    "=AVERAGEIFS(Orders[Unit Price],Orders[Customer],\"C*\",Orders[Qty],\"<=5\")",
    "=COUNTIF(Orders[Region],\"\")",
    "=SUMIF(Orders[Region],\"S?uth\",Orders[Qty])",
    "=INDEX(Customers[Name],MATCH(\"c2\",Customers[Customer],0))",
    "=IFERROR(INDEX(Customers[Name],MATCH(\"C7\",Customers[Customer],0)),\"none\")",
    "=Orders[[#Headers],[Unit Price]]",
    "=SUM(Orders[[Qty]:[Unit Price]])",
    "=SUM(Orders[[#Data],[Qty]:[Unit Price]])",
    "=Totals[[#Totals],[Value]]*TaxRate",
    "=SUM(Orders[Qty])*TaxRate+Settings!B2",
    "=MAX(Orders[Date])-MIN(Orders[Date])",
    "=DATE(2024,2,29)+30",
    "=YEAR(Settings!B3)&\"-\"&TEXT(MONTH(Settings!B3),\"00\")",
    "=IF(Settings!B2>5,\"high\",\"low\")",
    "=1/0",
    "=IFERROR(1/0,-1)",
    "=ISNA(MATCH(\"zz\",Customers[Customer],0))",
    "=\"a\"<\"B\"",
    "=LEN(TRIM(\"  two  words \"))&MID(\"abcdef\",2,3)&LOWER(\"XY\")",
    "=ROUND(2.345,2)+ROUNDUP(1.21,1)+ROUNDDOWN(-1.29,1)+INT(-2.5)+MOD(-7,3)+ABS(-4)",
    "=ROUNDUP(Totals[[#Totals],[Value]]/7,0)",
    "=VLOOKUP(\"C3\",Customers[[Customer]:[Discount]],4,FALSE)",
    "=SUMPRODUCT((Orders[Qty]>2)*Orders[Amount])",
    "=MIN(Customers[Average])",
    "=Orders[[#Totals],[Qty]]",
    "=COUNTIFS(Orders[Date],\">=\"&Settings!B3,Orders[Date],\"<\"&EDATE(Settings!B3,12))",
    "=Settings!B2^2-Settings!B2*-1+10%",
    "=CHOOSE(2,\"x\",\"y\",\"z\")&N(TRUE)",
]


def build_corpus(path, short_form: bool = False) -> None:
    """Write the corpus workbook to ``path``; ``short_form`` writes ``[@Col]`` instead of the long form."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Orders Sheet"
    ws.append(ORDERS_COLUMNS)
    for i, row in enumerate(ORDERS, start=2):
        calc = [_short(f) if short_form else f for f in ORDERS_CALC.values()]
        ws.append(list(row) + calc)
        ws.cell(i, 6).number_format = "yyyy-mm-dd"
    last = len(ORDERS) + 1
    ws.append([None, None, None, f"=SUBTOTAL(109,Orders[Qty])"] + [None] * 8)
    t = Table(displayName="Orders", ref=f"A1:L{last + 1}", totalsRowCount=1)
    t._initialise_columns()
    for col, name in zip(t.tableColumns, ORDERS_COLUMNS):
        col.name = name
    t.tableColumns[3].totalsRowFunction = "sum"
    ws.add_table(t)

    cs = wb.create_sheet("Customers")
    cs.append(CUSTOMERS_COLUMNS)
    for row in CUSTOMERS:
        cs.append(list(row) + [_short(f) if short_form else f for f in CUSTOMERS_CALC.values()])
    ct = Table(displayName="Customers", ref=f"A1:I{len(CUSTOMERS) + 1}")
    cs.add_table(ct)

    st = wb.create_sheet("Settings")
    st["A2"], st["B2"] = "Factor", 6
    st["A3"], st["B3"] = "Start", dt.date(2024, 7, 1)
    st["A4"], st["B4"] = "Tax", 0.2
    wb.defined_names["TaxRate"] = DefinedName("TaxRate", attr_text="Settings!$B$4")

    tt = wb.create_sheet("Totals")
    tt.append(["Key", "Value"])
    for k, v in (("a", 10), ("b", 32.5), ("c", -2)):
        tt.append([k, v])
    tt.append(["Total", "=SUBTOTAL(109,Totals[Value])"])
    tot = Table(displayName="Totals", ref="A1:B5", totalsRowCount=1)
    tot._initialise_columns()
    tot.tableColumns[0].name, tot.tableColumns[1].name = "Key", "Value"
    tot.tableColumns[1].totalsRowFunction = "sum"
    tot.tableColumns[0].totalsRowLabel = "Total"
    tt.add_table(tot)

    sm = wb.create_sheet("Summary")
    for i, f in enumerate(FORMULAS, start=1):
        sm.cell(i, 1, f"formula {i}")
        sm.cell(i, 2, f)
    wb.save(path)


def _short(formula: str) -> str:
    """Long-form this-row references to the ``[@Col]`` shorthand (table-less, inside the table)."""
    import re
    return re.sub(r"\w+\[\[#This Row\],\[([^\]]+)\]\]", lambda m: "[@[" + m.group(1) + "]]"
                  if " " in m.group(1) else "[@" + m.group(1) + "]", formula)
