"""The optional Tools sheet: the ILT_* worksheet functions, each with a live example that needs the add-in.

The planner never depends on these functions (it computes in any Excel or LibreOffice); they are
the add-in's extra for people's own sheets. The sheet lists every function of the registry with
its signature and what it returns, and a Result cell that calls it on fixed example arguments,
wrapped so that an Excel or LibreOffice without the add-in shows :data:`NEEDS_ADDIN` there
instead of ``#NAME?``. Every example is valid (its result is a value, never an error), so with
the add-in the Result column always shows the function's answer. Deleting the sheet changes
nothing else.
"""
from __future__ import annotations

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from ilt_xl.workbook import styles

TOOLS_SHEET = "Tools"
NEEDS_ADDIN = "needs the ilt-xl add-in"
FIRST_FUNCTION_ROW = 5

# Each function called on fixed, valid arguments (2026-03-02 is serial 46083). A spilled result
# shows its first element through INDEX, which every Excel version displays. The FX examples pass
# their rates (date, currency, per EUR) and the calendar ones no country, so that a recalculation
# loads neither the ECB history nor the holidays package (seconds) for the sheet.
EXAMPLES = {
    "ILT_ALLOCATE": "INDEX(ILT_ALLOCATE(1000,{1;2;3},2),1)",
    "ILT_AVAILABLE": 'INDEX(ILT_AVAILABLE("Excel",DATE(2026,3,2),DATE(2026,3,3),{"T1";"T2"},{"Excel, SQL";"Excel"},'
                     '{"T1"},{46083},{46084}),1)',
    "ILT_BREAKEVEN": "ILT_BREAKEVEN(5000,400,40)",
    "ILT_CONFLICTS": 'INDEX(ILT_CONFLICTS({"S1";"S2"},{"T1";"T1"},{46083;46084},{46085;46085}),1,1)',
    "ILT_COSTPERLEARNER": "ILT_COSTPERLEARNER(5000,40,20)",
    "ILT_DAYS": "ILT_DAYS(DATE(2026,3,2),DATE(2026,3,6))",
    "ILT_DUEDATE": "ILT_DUEDATE(DATE(2026,12,21),5)",
    "ILT_FX": 'ILT_FX(1000,"USD","EUR",DATE(2026,3,2),{46082,"USD",1.08})',
    "ILT_FXRATE": 'ILT_FXRATE("GBP","USD",DATE(2026,3,2),{46082,"GBP",0.86;46082,"USD",1.08})',
    "ILT_GONOGO": 'ILT_GONOGO("Planned",8,10,DATE(2026,7,1),DATE(2026,6,20),14)',
    "ILT_LEARNERHOURS": "ILT_LEARNERHOURS(12,2,7)",
    "ILT_OCCUPANCY": "ILT_OCCUPANCY(18,20)",
    "ILT_SESSIONCOST": "ILT_SESSIONCOST(5000,40,20)",
    "ILT_UTILIZATION": 'INDEX(ILT_UTILIZATION({"R1"},DATE(2026,3,2),DATE(2026,3,13),{"R1";"R2"},{46083;46083},'
                       '{46085;46085}),1)',
    "ILT_WORKDAYS": "ILT_WORKDAYS(DATE(2026,12,21),DATE(2027,1,8))",
}
DATE_RESULTS = {"ILT_DUEDATE"}
INTRODUCTION = (
    "The ILT_* worksheet functions come with the ilt-xl add-in (xlwings: classic on Windows, or xlwings Lite; "
    "see udfs/README.md). Use them in your own sheets: find a free instructor, split a cost, convert money, count "
    "working days. Nothing else in this planner uses them: it computes in any Excel or LibreOffice without the "
    f"add-in. Without it, the Result column below shows \"{NEEDS_ADDIN}\". You may delete this sheet."
)


def result_formula(name: str) -> str:
    """The Result cell of function ``name``: its example, or the note where the add-in is missing."""
    return f'=IFERROR({EXAMPLES[name]},"{NEEDS_ADDIN}")'


def write_tools_sheet(wb: Workbook) -> None:
    """Append the Tools sheet to the write-only workbook ``wb``: one row per registry function."""
    from ilt_xl.functions import SPECS

    missing = sorted(set(SPECS) - set(EXAMPLES))
    if missing:
        raise ValueError(f"the Tools sheet has no example of {', '.join(missing)}")
    ws = wb.create_sheet(TOOLS_SHEET)
    ws.sheet_properties.tabColor = "7F7F7F"
    for letter, width in zip("ABCDE", (20, 12, 70, 60, 24)):
        ws.column_dimensions[letter].width = width
    styles.landscape(ws, fit_width=True)
    title = WriteOnlyCell(ws, "ilt-xl worksheet functions (need the add-in)")
    title.font = styles.TITLE_FONT
    note = WriteOnlyCell(ws, INTRODUCTION)
    note.font = styles.NOTE_FONT
    ws.append([title])
    ws.append([note])
    ws.append([])
    header = []
    for text in ("Function", "Category", "What it returns", "Example", "Result"):
        cell = WriteOnlyCell(ws, text)
        cell.font, cell.fill = styles.HEADER_FONT, styles.INPUT_HEADER_FILL
        header.append(cell)
    ws.append(header)
    for name in sorted(SPECS):
        spec = SPECS[name]
        result = WriteOnlyCell(ws, result_formula(name))
        result.number_format = "yyyy-mm-dd" if name in DATE_RESULTS else "General"
        result.fill = styles.CALCULATED_FILL
        ws.append([spec.signature_text(), spec.category, spec.description, EXAMPLES[name], result])
