"""The hostile-workbook corpus of issue 6: how each file is made and what every command must do with it.

``python tests/corpus_cases.py`` rebuilds ``tests/corpus/`` (the files and ``manifest.json``)
deterministically: the same bytes on every run (zip timestamps and openpyxl's document
dates are pinned). Each :class:`Case` starts from the small valid planner of
:mod:`broken_workbooks` and breaks one thing, or is a file that is no workbook at all.

Expectations (``manifest.json``, read by ``tests/test_corpus.py``) name, per command
family, the exit code of the contract in :mod:`ilt_xl.cli.app` and a substring of the
message that locates the problem (sheet, cell, column, or the file's defect):

- ``check``: the reader and validator (0 clean, 1 problems, 2 unusable);
- ``macros``: each headless macro twin (checklist, allocate, ... validate), and optimise, merge-advice and
  apply, which rewrite a planner under the same contract (they refuse a planner with errors, listing them);
- ``recalc`` / ``batch``: the engine;
- ``ics``: ``ilt-xl ics --all``.

A family absent from a case's ``expect`` falls back to ``default``.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import re
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import broken_workbooks as bw  # noqa: E402

CORPUS = HERE / "corpus"
MANIFEST = CORPUS / "manifest.json"
FIXED_TIME = (2024, 1, 1, 0, 0, 0)
D = dt.date

# Injection payloads: text cells that a spreadsheet, a CSV reader or a calendar could take for
# code. Every one carries the marker INJ so that tests can find it wherever it was copied.
INJECTIONS = {
    "Excel basics": '=HYPERLINK("http://evil.example/INJ1","click")',       # Courses.Title -> ics SUMMARY
    "Book room": "+INJ2+1",                                                # ChecklistTemplate.Task -> Checklist
    "Logistics": "-INJ3-1",                                                # OwnerTeam -> Checklist
    "Sales": "@SUM(INJ4)",                                                 # BusinessUnits.Name
    "Ana": "\t=INJ5()",                                                    # Instructors.Name -> ics DESCRIPTION
    "Berlin 1": "\r=INJ6()",                                               # Rooms.Name -> ics LOCATION
    "London": "London\r\nX-INJ8:evil",                                     # Sessions.Site -> ics LOCATION
    "first in Namibia": "=cmd|' /C calc'!A0 INJ7",                         # Sessions.Notes
}
INJECTED_COUNTRY = "-INJ9"                                                 # Enrolments.Country -> Allocation, Problems


@dataclass(frozen=True)
class Case:
    """One corpus file: its name, what is wrong with it, how to make it, what each command must do."""

    name: str
    category: str
    what: str
    make: Callable[[Path, Path], object]
    expect: dict[str, dict] = field(default_factory=dict)
    suffix: str = ".xlsx"

    @property
    def file(self) -> str:
        return self.name + self.suffix


def outcome(exit: int | list[int], message: str = "") -> dict:
    """The expectation of one command family: exit code(s), and a substring of stdout+stderr."""
    return {"exit": exit, "message": message}


# Building blocks ---------------------------------------------------------------------------------

def planner_with(edit: Callable[[dict], None] | None = None, **kwargs) -> Callable[[Path, Path], Path]:
    """A maker writing the small planner after ``edit(rows)`` and with ``write_planner`` kwargs."""
    def make(path: Path, valid: Path) -> Path:
        rows = bw.planner_rows()
        if edit is not None:
            edit(rows)
        return bw.write_planner(path, rows, **kwargs)
    return make


def set_value(table: str, index: int, column: str, value) -> Callable[[dict], None]:
    def edit(rows: dict) -> None:
        rows[table][index][column] = value
    return edit


def edit_parts(path: Path, source: Path, edits: dict[str, Callable[[bytes], bytes]],
               extra: dict[str, bytes] | None = None, drop: tuple[str, ...] = ()) -> Path:
    """Copy ``source`` to ``path`` with parts rewritten by ``edits``, ``extra`` parts added, ``drop`` removed."""
    with zipfile.ZipFile(source) as src:
        parts = [(info.filename, src.read(info)) for info in src.infolist()]
    missing = set(edits) - {name for name, _ in parts}
    assert not missing, f"no parts {missing} in {source}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts:
            if name in drop:
                continue
            dst.writestr(zipfile.ZipInfo(name, FIXED_TIME), edits[name](data) if name in edits else data,
                         compress_type=zipfile.ZIP_DEFLATED)
        for name, data in (extra or {}).items():
            dst.writestr(zipfile.ZipInfo(name, FIXED_TIME), data, compress_type=zipfile.ZIP_DEFLATED)
    path.write_bytes(buffer.getvalue())
    return path


def sub(pattern: bytes, replacement: bytes, count: int = 1) -> Callable[[bytes], bytes]:
    """A part edit replacing ``pattern`` (a regex that must match) ``count`` times."""
    def edit(data: bytes) -> bytes:
        new, n = re.subn(pattern, replacement, data, count=count)
        assert n, f"{pattern!r} not found"
        return new
    return edit


def patched(edits: dict[str, Callable[[bytes], bytes]], extra: dict[str, bytes] | None = None,
            drop: tuple[str, ...] = (), base: Callable[[Path, Path], Path] | None = None):
    """A maker: the valid planner (or ``base``'s file) with XML edits."""
    def make(path: Path, valid: Path) -> Path:
        source = valid
        if base is not None:
            source = base(path.with_suffix(".base.xlsx"), valid)
        try:
            return edit_parts(path, source, edits, extra, drop)
        finally:
            if base is not None:
                source.unlink()
    return make


def with_formulas(cells: dict[str, str], sheet: str = "Settings") -> Callable[[Path, Path], Path]:
    """The valid planner with formulas typed into free cells of ``sheet`` (column D and on)."""
    def make(path: Path, valid: Path) -> Path:
        from openpyxl import load_workbook
        wb = load_workbook(valid)
        for ref, formula in cells.items():
            wb[sheet][ref] = formula
        wb.save(path)
        return path
    return make


def sheet(table: str) -> str:
    return bw.sheet_part(table)


def text_to_xml(text: str) -> bytes:
    from xml.sax.saxutils import escape
    return escape(text).replace("\r", "&#13;").encode("utf-8")


def injected(path: Path, valid: Path) -> Path:
    """The small planner whose text cells hold :data:`INJECTIONS` (as text: inline strings)."""
    def edit(rows: dict) -> None:
        rows["Enrolments"][1]["Country"] = "XX"   # placeholder, replaced in the XML below
    base = planner_with(edit)(path.with_suffix(".base.xlsx"), valid)

    def strings(data: bytes) -> bytes:
        for plain, payload in [*INJECTIONS.items(), ("XX", INJECTED_COUNTRY)]:
            data = re.sub(rb"<t>" + re.escape(plain.encode()) + rb"</t>",
                          b'<t xml:space="preserve">' + text_to_xml(payload) + b"</t>", data)
        return data
    with zipfile.ZipFile(base) as zf:
        sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
    try:
        return edit_parts(path, base, dict.fromkeys(sheets, strings))
    finally:
        base.unlink()


def xlsm(path: Path, valid: Path) -> Path:
    """An .xlsm: macro-enabled content type and a vbaProject part (never to be run, always kept)."""
    types = sub(rb"application/vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet\.main\+xml",
                b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    default = sub(rb"<Default ", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/><Default ')
    rels = sub(rb"</Relationships>", b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/'
               b'relationships/vbaProject" Target="vbaProject.bin"/></Relationships>')
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"Attribute VB_Name = \"Module1\"\nSub AutoOpen(): Shell \"calc\": End Sub\n"
    return edit_parts(path, valid, {"[Content_Types].xml": lambda d: types(default(d)),
                                    "xl/_rels/workbook.xml.rels": rels}, {"xl/vbaProject.bin": vba})


def stored_zip_bomb(path: Path, valid: Path) -> Path:
    """Declares 4 GiB uncompressed in the central directory, 70 KB on disk."""
    return bw.declared_bomb_file(path, valid)


def nested_zip(path: Path, valid: Path) -> Path:
    """A zip holding the planner as a file (a mailed archive renamed .xlsx)."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("planner.xlsx", FIXED_TIME), valid.read_bytes())
    return path


MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def x_prefixed(data: bytes) -> bytes:
    """A SpreadsheetML part rewritten with the ``x:`` prefix on every element, as the Open XML SDK writes."""
    if b'xmlns="' + MAIN_NS + b'"' not in data:
        return data
    data = data.replace(b'xmlns="' + MAIN_NS + b'"', b'xmlns:x="' + MAIN_NS + b'"')
    return re.sub(rb"<(/?)([A-Za-z][\w.-]*)(?=[\s/>])", rb"<\1x:\2", data)


def prefixed(path: Path, valid: Path) -> Path:
    with zipfile.ZipFile(valid) as zf:
        xml = [n for n in zf.namelist() if n.startswith("xl/") and n.endswith(".xml")]
    return edit_parts(path, valid, dict.fromkeys(xml, x_prefixed))


def strict(path: Path, valid: Path) -> Path:
    """The planner in Strict Open XML's namespaces (what Excel's 'Strict Open XML Spreadsheet' saves)."""
    return _renamed(path, valid, [(MAIN_NS, b"http://purl.oclc.org/ooxml/spreadsheetml/main"),
                                  (b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                                   b"http://purl.oclc.org/ooxml/officeDocument/relationships")])


def excel_2007_beta(path: Path, valid: Path) -> Path:
    """The planner as Excel 2007's beta saved SpreadsheetML: its own namespace, shared strings in ``sstItem``."""
    return _renamed(path, valid, [(MAIN_NS, b"http://schemas.microsoft.com/office/excel/2006/2"),
                                  (b"<si>", b"<sstItem>"), (b"</si>", b"</sstItem>")])


def _renamed(path: Path, valid: Path, pairs: list[tuple[bytes, bytes]]) -> Path:
    def edit(data: bytes) -> bytes:
        for old, new in pairs:
            data = data.replace(old, new)
        return data
    with zipfile.ZipFile(valid) as zf:
        xml = [n for n in zf.namelist() if n.endswith((".xml", ".rels")) and n != "[Content_Types].xml"]
    return edit_parts(path, valid, dict.fromkeys(xml, edit))


def part_stored_twice(path: Path, valid: Path) -> Path:
    """The Sessions sheet stored a second time, with other rows (which copy counts is up to the reader)."""
    part = sheet("Sessions")
    with zipfile.ZipFile(valid) as zf:
        data = zf.read(part)
    return edit_parts(path, valid, {}, {part: data.replace(b"<t>S1</t>", b"<t>S9</t>")})


def part_names_in_other_case(path: Path, valid: Path) -> Path:
    """Sheet parts stored as ``Sheet7.xml`` while the workbook's relationships name ``sheet7.xml``."""
    with zipfile.ZipFile(valid) as zf:
        parts = [(info.filename, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts:
            if name.startswith("xl/worksheets/sheet"):
                name = name.replace("/sheet", "/Sheet")
            dst.writestr(zipfile.ZipInfo(name, FIXED_TIME), data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def broken_notes_sheet(path: Path, valid: Path) -> Path:
    """A sheet Notes that no command reads, with an unclosed element (every command copies or reads it)."""
    from openpyxl import load_workbook
    wb = load_workbook(valid)
    wb.create_sheet("Notes")["A1"] = "remember"
    base = path.with_suffix(".base.xlsx")
    wb.save(base)
    _pinned(base)                  # openpyxl stamped the save time
    with zipfile.ZipFile(base) as zf:
        last = max((n for n in zf.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)),
                   key=lambda n: int(re.search(r"\d+", n).group()))
    try:
        return edit_parts(path, base, {last: sub(rb"</sheetData>", b"<row></sheetData>")})
    finally:
        base.unlink()


def text_everywhere(old: str, new: str) -> Callable[[Path, Path], Path]:
    """The valid planner with the inline text ``old`` replaced by ``new`` in every sheet."""
    def make(path: Path, valid: Path) -> Path:
        with zipfile.ZipFile(valid) as zf:
            sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
        edit = lambda d: d.replace(f"<t>{old}</t>".encode(), b'<t xml:space="preserve">' + text_to_xml(new) + b"</t>")
        return edit_parts(path, valid, dict.fromkeys(sheets, edit))
    return make


def cdata_values(data: bytes) -> bytes:
    """A sheet part with its texts and numbers written as CDATA sections, as some generators write them."""
    data = sub(rb"<t>([^<]*)</t>", rb"<t><![CDATA[\1]]></t>", count=0)(data)
    return re.sub(rb'(<c r="[A-Z]+[0-9]+"(?: s="[0-9]+")? t="n"><v>)([^<]+)</v>', rb"\1<![CDATA[\2]]></v>", data)


def long_text(n: int) -> str:
    return ("Lorem ipsum dolor sit amet " * (n // 27 + 1))[:n]


# The corpus ---------------------------------------------------------------------------------------

def unusable(message: str) -> dict[str, dict]:
    """Every command refuses the file (batch skips it, exit 1 as its docstring says), naming the defect."""
    return {"check": outcome(2, message), "macros": outcome(2, message), "recalc": outcome(2, message),
            "batch": outcome(1, message), "scenario": outcome(2, message), "ics": outcome(2, message)}


def problem(located: str) -> dict[str, dict]:
    """The planner is read but wrong at ``located``: check reports it (1); the macro twins refuse it,
    writing nothing and listing its problems as check does (1); validate writes them to its Problems
    sheet (1); recalc, batch and ics do not validate."""
    return {"check": outcome(1, located), "macros": outcome(1, located), "validate": outcome(1, located),
            "recalc": outcome([0, 1], "Recalculated"), "batch": outcome([0, 1], "recalculated"),
            "scenario": outcome(1, located), "ics": outcome(0, "calendars written")}


def clean(**overrides: dict) -> dict[str, dict]:
    """Nothing for check to report; every command does its job, and no formula of the small planner gives
    an error value (its session S3 has no learners yet: its cost per learner is blank, not #DIV/0!)."""
    return {"check": outcome(0, "no problems found"), "macros": outcome(0, "written"),
            "validate": outcome(0, "Problems written (0 rows)"),
            "recalc": outcome(0, "Recalculated"), "batch": outcome(0, "recalculated"),
            "scenario": outcome(0, "Diff report"), "ics": outcome(0, "calendars written")} | overrides


def formula_problem(cell: str, what: str) -> dict[str, dict]:
    """A formula the engine cannot evaluate (``what``): its cell keeps Excel's cached value;
    recalc names its cell and formula (1)."""
    return clean(recalc=outcome(1, f"{cell}: ="), batch=outcome(1, "kept as cached"))


CASES: list[Case] = [
    # Structure
    Case("missing_sheet", "structure", "the Rooms sheet is gone",
         planner_with(drop_sheets=("Rooms",)), problem("Rooms")),
    Case("missing_table", "structure", "the Budget sheet has no Excel table",
         planner_with(drop_tables=("Budget",)), problem("Budget")),
    Case("missing_column", "structure", "Sessions has no Status column",
         planner_with(drop_columns={"Sessions": ("Status",)}), problem("Status")),
    Case("renamed_table", "structure", "the Courses table is called Catalogue",
         planner_with(table_names={"Courses": "Catalogue"}), problem("Catalogue")),
    Case("duplicated_table", "structure", "the Rooms table is also named Courses",
         patched({"xl/tables/table3.xml": sub(rb'name="Rooms" displayName="Rooms"',
                                             b'name="Courses" displayName="Courses"')}), problem("Courses")),
    Case("header_typo", "structure", "Rooms header 'Capacty'",
         planner_with(rename_columns={"Rooms": {"Capacity": "Capacty"}}), problem("Capacty")),
    Case("empty_sessions", "structure", "the Sessions table has no rows",
         planner_with(lambda r: r.update(Sessions=[], Enrolments=[], Checklist=[])), clean()),
    Case("empty_courses", "structure", "Courses is empty, sessions still name C1/C2",
         planner_with(lambda r: r.update(Courses=[])), problem("CourseId")),
    Case("table_over_row_limit", "structure", "the Rooms table declares 2,000,000 rows",
         lambda p, v: bw.oversized_table_file(p, v), unusable("beyond Excel's")),
    Case("cell_at_far_corner", "structure", "one cell at XFD1048576",
         lambda p, v: bw.far_cell_file(p, v), unusable("cell limit")),
    Case("dimension_lies", "structure", "the sheet's <dimension> claims A1:XFD1048576",
         patched({sheet("Courses"): sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:XFD1048576"')})),
    Case("merged_cells", "structure", "Sessions B3:C3 merged inside the table",
         patched({sheet("Sessions"): sub(rb"</sheetData>", b'</sheetData><mergeCells count="1">'
                                                           b'<mergeCell ref="B3:C3"/></mergeCells>')}),
         clean(check=outcome(1, "B3:C3"), macros=outcome(1, "B3:C3"), validate=outcome(1, "B3:C3"),
               scenario=outcome(1, "B3:C3"))),
    Case("hidden_sheets", "structure", "Sessions and Rooms are hidden",
         planner_with(hidden_sheets=("Sessions", "Rooms")),
         clean(check=outcome(0, "sheet Sessions is hidden"), validate=outcome(0, "Problems written (2 rows)"))),
    Case("missing_setting_name", "structure", "the name ReportingCurrency is not defined",
         planner_with(drop_names=("ReportingCurrency",)),
         clean(check=outcome(0, "ReportingCurrency"), validate=outcome(0, "Problems written (1 row)"),
               recalc=outcome(0, "Sessions!BE2 (+2 in column BE): #NAME?"))),
    # Values
    Case("text_in_number", "values", "Rooms capacity 'many'",
         planner_with(set_value("Rooms", 1, "Capacity", "many")), problem("E3")),
    Case("date_text_de", "values", "start date '04.03.2024' typed as text",
         planner_with(set_value("Sessions", 0, "StartDate", "04.03.2024")), problem("D2")),
    Case("date_text_us", "values", "start date '3/4/2024' typed as text",
         planner_with(set_value("Sessions", 1, "StartDate", "5/6/2024")), problem("D3")),
    Case("date_text_fr", "values", "end date '3 juin 2024' typed as text",
         planner_with(set_value("Sessions", 2, "EndDate", "3 juin 2024")), problem("E4")),
    Case("date_text_iso", "values", "end date '2024-06-03' typed as text",
         planner_with(set_value("Sessions", 2, "EndDate", "2024-06-03")), problem("E4")),
    Case("negative_capacity", "values", "room capacity -10",
         planner_with(set_value("Rooms", 0, "Capacity", -10)), problem("E2")),
    Case("negative_money", "values", "course price -300",
         planner_with(set_value("Courses", 0, "PricePerLearner", -300)), problem("H2")),
    Case("end_before_start", "values", "S2 ends before it starts",
         planner_with(set_value("Sessions", 1, "EndDate", D(2024, 5, 1))), problem("E3")),
    Case("unknown_currency", "values", "course currency XYZ",
         planner_with(set_value("Courses", 1, "Currency", "XYZ")), problem("XYZ")),
    Case("unknown_course", "values", "session of course C9",
         planner_with(set_value("Sessions", 0, "CourseId", "C9")), problem("C9")),
    Case("unknown_room", "values", "session in room R9",
         planner_with(set_value("Sessions", 0, "RoomId", "R9")), problem("R9")),
    Case("unknown_instructor", "values", "session taught by I9",
         planner_with(set_value("Sessions", 0, "InstructorId", "I9")), problem("I9")),
    Case("duplicate_id", "values", "two sessions S1",
         planner_with(set_value("Sessions", 1, "SessionId", "S1")), problem("S1")),
    Case("fx_before_first_rate", "values", "a GBP session in 1990, before any rate",
         planner_with(lambda r: (r["Sessions"][1].update(StartDate=D(1990, 5, 7), EndDate=D(1990, 5, 8)),
                                 r["FX"].clear())),
         clean(check=outcome(0, "cannot be converted to EUR"), validate=outcome(0, "Problems written (1 row)"),
               recalc=outcome(0, "Sessions!BE3: #N/A"))),
    Case("nan_value", "values", "room capacity <v>NaN</v>",
         patched({sheet("Rooms"): sub(rb"<v>10</v>", b"<v>NaN</v>")}), problem("Capacity")),
    Case("inf_value", "values", "course price <v>INF</v>",
         patched({sheet("Courses"): sub(rb"<v>300</v>", b"<v>INF</v>")}), problem("PricePerLearner")),
    Case("overflow_value", "values", "course price <v>1E+400</v>",
         patched({sheet("Courses"): sub(rb"<v>300</v>", b"<v>1E+400</v>")}), problem("PricePerLearner")),
    Case("very_long_strings", "values", "a 32,767-character title and a 40,000-character note",
         planner_with(lambda r: (r["Courses"][0].update(Title=long_text(32767)),
                                 r["Sessions"][0].update(Notes=long_text(40000))))),
    Case("non_ascii_rtl", "values", "Arabic, Hebrew, CJK, emoji and combining marks in names and ids",
         planner_with(lambda r: (r["Instructors"][0].update(Name="مريم العربي"),
                                 r["Rooms"][0].update(Name="חדר ירושלים ‏א"),
                                 r["Courses"][1].update(Title="リーダーシップ 🎓 Ünïcödé"),
                                 r["BusinessUnits"][0].update(Name="Zürich e\u0301quipe")))),
    Case("bad_status", "values", "session status 'Done'",
         planner_with(set_value("Sessions", 1, "Status", "Done")), problem("Done")),
    Case("bad_country", "values", "country 'Germany' instead of DE",
         planner_with(set_value("Sessions", 0, "Country", "Germany")), problem("Germany")),
    Case("error_value_in_input", "values", "MaxLearners holds #N/A",
         planner_with(set_value("Courses", 0, "MaxLearners", "#N/A")), problem("G2")),
    Case("bool_in_number", "values", "ForecastLearners TRUE",
         planner_with(set_value("Sessions", 1, "ForecastLearners", True)), problem("ForecastLearners")),
    Case("bad_shared_string_index", "values", "a cell points at shared string 9999",
         patched({sheet("Courses"): sub(rb'<c r="B2" t="inlineStr"><is><t>[^<]*</t></is></c>',
                                        b'<c r="B2" t="s"><v>9999</v></c>')}), unusable("Courses")),
    Case("bad_setting", "values", "GoNoGoLeadDays is 'soon'",
         planner_with(settings=bw.planner_settings() | {"GoNoGoLeadDays": "soon"}), problem("GoNoGoLeadDays")),
    # Formulas
    Case("circular_reference", "formulas", "Settings!D2 and D3 refer to each other",
         with_formulas({"D2": "=D3+1", "D3": "=D2+1"}), formula_problem("Settings!D2", "circular reference")),
    Case("missing_sheet_reference", "formulas", "=Nowhere!A1 on Settings",
         with_formulas({"D2": "=Nowhere!A1+1"}), formula_problem("Settings!D2", "sheet that does not exist")),
    Case("unknown_function", "formulas", "=_xll.NOSUCHFUNC(1) on Settings: an add-in's function",
         with_formulas({"D2": "=_xll.NOSUCHFUNC(1)"}), formula_problem("Settings!D2", "unknown function NOSUCHFUNC")),
    Case("undefined_function", "formulas", "=NOSUCHFUNC(1) on Settings: nothing defines it, Excel shows #NAME?",
         with_formulas({"D2": "=NOSUCHFUNC(1)"}), clean(recalc=outcome(0, "Settings!D2: #NAME?"))),
    Case("structured_ref_missing_column", "formulas", "=SUM(Sessions[NoSuchColumn])",
         with_formulas({"D2": "=SUM(Sessions[NoSuchColumn])"}),
         formula_problem("Settings!D2", "has no column 'NoSuchColumn'")),
    Case("ref_error_in_file", "formulas", "a formula =#REF!+1 and a cached #REF!",
         patched({sheet("Budget"): sub(rb'<c r="H2"><f>[^<]*</f><v />',
                                       b'<c r="H2" t="e"><f>#REF!+1</f><v>#REF!</v>')}),
         clean(recalc=outcome(0, "Budget!H2: #REF!"))),
    Case("volatile_functions", "formulas", "TODAY(), NOW() and RAND() on Settings",
         with_formulas({"D2": "=TODAY()", "D3": "=NOW()", "D4": "=RAND()"})),
    # Files
    Case("not_a_zip", "files", "256 bytes of binary noise", lambda p, v: bw.not_a_zip_file(p), unusable("not an .xlsx")),
    Case("truncated_zip", "files", "the first half of a planner", lambda p, v: bw.truncated_file(p, v),
         unusable("truncated")),
    Case("empty_file", "files", "0 bytes", lambda p, v: p.write_bytes(b""), unusable("empty")),
    Case("zip_bomb_declared", "files", "a part declaring 4 GiB uncompressed", stored_zip_bomb,
         unusable("zip bomb")),
    Case("zip_bomb_ratio", "files", "64 MiB of zeros deflated ~1000x", lambda p, v: bw.ratio_bomb_file(p, v),
         unusable("zip bomb")),
    Case("billion_laughs", "files", "nested entities in a sheet", lambda p, v: bw.billion_laughs_file(p, v),
         unusable("DTD")),
    Case("external_entity", "files", "SYSTEM entity to /etc/passwd in workbook.xml",
         lambda p, v: bw.external_entity_file(p, v), unusable("DTD")),
    Case("malformed_sheet_xml", "files", "unclosed <t> in the Courses sheet",
         lambda p, v: bw.malformed_sheet_file(p, v), unusable("damaged")),
    Case("missing_workbook_part", "files", "no xl/workbook.xml in the zip",
         patched({}, drop=("xl/workbook.xml",)), unusable("workbook")),
    Case("nested_zip", "files", "a zip that holds a planner", nested_zip, unusable("not an Office document")),
    Case("path_traversal_entry", "files", "an extra entry ../../evil.sh",
         patched({}, {"../../evil.sh": b"#!/bin/sh\necho pwned\n"})),
    Case("xls_named_xls", "files", "an OLE .xls", lambda p, v: bw.xls_file(p), unusable(".xls"), ".xls"),
    Case("xls_renamed", "files", "an OLE .xls named .xlsx", lambda p, v: bw.xls_file(p), unusable(".xls")),
    Case("ods_file", "files", "an OpenDocument spreadsheet", lambda p, v: bw.ods_file(p), unusable(".ods"), ".ods"),
    Case("csv_file", "files", "a CSV file", lambda p, v: bw.csv_file(p), unusable("CSV"), ".csv"),
    Case("csv_renamed", "files", "a CSV named .xlsx", lambda p, v: bw.csv_file(p), unusable("CSV")),
    Case("encrypted", "files", "a password-protected workbook (OLE EncryptionInfo)",
         lambda p, v: bw.encrypted_file(p), unusable("password-protected")),
    Case("xlsm_with_macros", "files", "an .xlsm with an AutoOpen VBA project (kept, never run)", xlsm,
         suffix=".xlsm"),
    # Injection
    Case("injection_text", "injection", "text cells starting with = + - @ tab CR, and a CRLF property",
         injected, problem(INJECTED_COUNTRY)),
    Case("injection_id", "injection", "business unit code =INJ10 (text) in BusinessUnits, Enrolments and Budget",
         text_everywhere("BU1", "=INJ10"), problem("read by Excel's SUMIFS, COUNTIFS and MATCH as a comparison")),
    Case("injection_id_plus", "injection", "business unit code +INJ11 (text): escaped in CSV, a plain id to Excel",
         text_everywhere("BU1", "+INJ11"),
         clean(check=outcome(0, "begins like a formula"), validate=outcome(0, "Problems written"))),
    Case("id_wildcard", "values", "session id S1* (a SUMIFS criterion matching S1, S10...) everywhere",
         text_everywhere("S1", "S1*"), problem("as a wildcard pattern (*)")),
    # Reliability (issue 14): inputs finance actually sends
    Case("date1904", "values", "a Mac workbook counting dates from 1904 (workbookPr date1904)",
         planner_with(date1904=True)),
    Case("ids_differing_in_case", "values", "sessions S1 and s1 (one id to Excel's lookups)",
         planner_with(set_value("Sessions", 1, "SessionId", "s1")), problem("Excel compares ids ignoring case")),
    Case("id_invisible_characters", "values", "instructor I1 typed with a zero-width space everywhere",
         text_everywhere("I1", "I1\u200b"),
         clean(check=outcome(0, "I1\\u200b"), validate=outcome(0, "Problems written (3 rows)"))),
    Case("xml_illegal_characters", "values", "a checklist task holding U+0001 and U+FFFF (stored _x0001_, _xFFFF_)",
         text_everywhere("Book room", "Book_x0001_room_xFFFF_")),
    Case("date_9999", "values", "a session ending 9999-12-31 (an 'open end')",
         planner_with(set_value("Sessions", 2, "EndDate", D(9999, 12, 31))), problem("E4")),
    Case("empty_formatted_last_row", "structure", "a formatted empty row 1048576 with styled empty cells to column Z",
         patched({sheet("Sessions"): sub(rb"</sheetData>", b'<row r="1048576" s="1" customFormat="1">'
                                                           b'<c r="A1048576" s="1"/><c r="Z1048576" s="1"/></row></sheetData>')})),
    Case("malformed_unread_sheet", "files", "an unclosed <row> in a Notes sheet no table lives on", broken_notes_sheet,
         unusable("damaged")),
    Case("damaged_core_properties", "files", "docProps/core.xml with an unbound prefix (<dX:creator>), as a flipped "
         "byte makes it", patched({"docProps/core.xml": sub(rb"<dc:creator>", b"<dX:creator>")}),
         unusable("part docProps/core.xml is damaged")),
    Case("damaged_custom_xml", "files", "a customXml/item1.xml part cut off mid-element",
         patched({}, {"customXml/item1.xml": b'<?xml version="1.0" encoding="UTF-8"?><root><item>half'}),
         unusable("part customXml/item1.xml is damaged")),
    Case("prefixed_namespaces", "files", "every SpreadsheetML part with x: prefixes, as the Open XML SDK writes", prefixed),
    Case("strict_ooxml", "files", "a Strict Open XML workbook (purl.oclc.org namespaces): read, never written into",
         strict, clean(macros=outcome(2, "Strict Open XML"), validate=outcome(2, "Strict Open XML"),
                       scenario=outcome(2, "Strict Open XML"))),
    Case("part_stored_twice", "files", "the Sessions sheet stored twice in the zip", part_stored_twice,
         unusable("stored twice")),
    Case("part_names_in_other_case", "files", "sheet parts stored as Sheet7.xml, named sheet7.xml by the workbook",
         part_names_in_other_case),
    Case("comment_holds_cells", "files", "a comment in Sessions holding a session row and a cell (what a comment "
         "holds is no cell)",
         patched({sheet("Sessions"): sub(rb"</sheetData>", b'<!-- <row r="9"><c r="A9" t="inlineStr"><is><t>S9</t></is>'
                                                           b'</c><c r="AB9"><f>1+1</f><v>2</v></c></row> --></sheetData>')})),
    Case("cdata_values", "values", "the texts and numbers of five sheets written as CDATA sections (<t><![CDATA[S1]]></t>)",
         patched({sheet(t): cdata_values for t in ("Sessions", "Courses", "Enrolments", "Rooms", "Instructors")})),
]


def build(directory: Path = CORPUS) -> list[Case]:
    """(Re)write every corpus file and ``manifest.json`` into ``directory``."""
    import tempfile
    import time
    from unittest import mock

    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.iterdir():
        if old.is_file():
            old.unlink()
    clock = mock.Mock(time=lambda: 1704067200.0, localtime=time.localtime)   # zip entries made by name
    with tempfile.TemporaryDirectory() as tmp, mock.patch("zipfile.time", clock):
        valid = _pinned(bw.write_planner(Path(tmp) / "valid.xlsx"))
        for case in CASES:
            path = directory / case.file
            case.make(path, valid)
            if case.category != "files":   # openpyxl stamped the save time
                _pinned(path)
    manifest = {
        "about": "Hostile and malformed planners (issue 6). Rebuild with: python tests/corpus_cases.py",
        "families": {"check": ["check"], "macros": ["checklist", "allocate", "conflicts", "fx", "holidays", "budget",
                                                    "availability", "validate", "optimise", "merge-advice", "apply"],
                     "recalc": ["recalc"], "batch": ["batch"], "scenario": ["scenario"], "ics": ["ics"],
                     "refresh": ["refresh"]},
        "cases": [{"file": c.file, "category": c.category, "what": c.what, "expect": c.expect or clean()}
                  for c in CASES],
    }
    MANIFEST.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return CASES


def _pinned(path: Path) -> Path:
    """Rewrite a zip with fixed entry and document timestamps so rebuilding gives the same bytes."""
    with zipfile.ZipFile(path) as src:
        parts = [(info, src.read(info)) for info in src.infolist()]
    stamp = rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*"
    parts = [(info, re.sub(stamp, rb"\g<1>2024-01-01T00:00:00Z", data) if info.filename == "docProps/core.xml" else data)
             for info, data in parts]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as dst:
        for info, data in parts:
            pinned = zipfile.ZipInfo(info.filename, FIXED_TIME)
            pinned.compress_type = info.compress_type
            dst.writestr(pinned, data)
    path.write_bytes(buffer.getvalue())
    return path


if __name__ == "__main__":
    cases = build()
    total = sum((CORPUS / c.file).stat().st_size for c in cases)
    print(f"{len(cases)} cases written to {CORPUS} ({total / 1024:.0f} KiB)")
