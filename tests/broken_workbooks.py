"""Small planner workbooks for the reader's tests: a valid one, and ways to break it.

:func:`write_planner` writes a minimal, valid planner with openpyxl straight from the
schema (independently of ilt_xl's builder): one Excel table per sheet, formulas
without cached values in the calculated columns, named cells on Settings.
Keyword arguments break it in structural ways; :func:`planner_rows` gives the
rows to edit for value-level breakage. The ``*_file`` helpers make files that
are not usable workbooks at all (not a zip, truncated, encrypted, bombs ...).
"""
from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import struct
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import Table as ExcelTable
from openpyxl.worksheet.table import TableStyleInfo

from ilt_xl.schema import PLANNER

D = dt.date


def _holidays(countries: tuple[str, ...], year: int) -> list[dict]:
    """The Holidays rows the holidays command writes: each country's public holidays, sorted by country then date."""
    import holidays

    return [dict(Country=c, Date=d, Name=name) for c in sorted(countries)
            for d, name in sorted(holidays.country_holidays(c, years=year).items())]


def planner_rows() -> dict[str, list[dict]]:
    """The rows of a small valid planner, table name -> list of {column: value} (inputs only)."""
    return {
        "Courses": [
            dict(CourseId="C1", Title="Excel basics", Skill="excel", DurationDays=1, HoursPerDay=7, MinLearners=4,
                 MaxLearners=12, PricePerLearner=300, VariableCostPerLearner=40, Currency="EUR"),
            dict(CourseId="C2", Title="Leadership", Skill="lead", DurationDays=2, HoursPerDay=6.5, MinLearners=5,
                 MaxLearners=10, PricePerLearner=900, VariableCostPerLearner=80, Currency="GBP"),
        ],
        "Instructors": [
            dict(InstructorId="I1", Name="Ana", Kind="Internal", Skills="excel,lead", DayRate=500, Currency="EUR",
                 HomeCountry="DE", AvailableDaysPerYear=200),
            dict(InstructorId="I2", Name="Bob", Kind="External", Skills="lead", DayRate=900, Currency="GBP",
                 HomeCountry="GB"),
        ],
        "Rooms": [
            dict(RoomId="R1", Name="Berlin 1", Site="Berlin", Country="DE", Capacity=10, DayRate=200, Currency="EUR"),
            dict(RoomId="R2", Name="London A", Site="London", Country="GB", Capacity=14, DayRate=300, Currency="GBP"),
            dict(RoomId="R3", Name="Windhoek", Site="Windhoek", Country="NA", Capacity=8, DayRate=150, Currency="EUR"),
        ],
        "Equipment": [dict(EquipmentId="E1", Type="Laptops", Quantity=12, DayRate=5, Currency="EUR")],
        "BusinessUnits": [dict(BusinessUnit="BU1", Name="Sales", CostCentre="CC10"),
                          dict(BusinessUnit="BU2", Name="Ops", CostCentre="CC20")],
        "Sessions": [
            dict(SessionId="S1", CourseId="C1", Status="Delivered", StartDate=D(2024, 3, 4), EndDate=D(2024, 3, 4),
                 Country="DE", Site="Berlin", RoomId="R1", InstructorId="I1", EquipmentId="E1", EquipmentUnits=8),
            dict(SessionId="S2", CourseId="C2", Status="Planned", StartDate=D(2024, 5, 6), EndDate=D(2024, 5, 7),
                 StartTime=dt.time(9, 0), EndTime=dt.time(17, 0), Country="GB", Site="London", RoomId="R2",
                 InstructorId="I2", ForecastLearners=8, OtherFixedCost=120.5),
            dict(SessionId="S3", CourseId="C1", Status="Confirmed", StartDate=D(2024, 6, 3), EndDate=D(2024, 6, 3),
                 Country="NA", Site="Windhoek", RoomId="R3", InstructorId="I1", AllocationKey="equal",
                 Notes="first in Namibia"),
        ],
        "Enrolments": [
            dict(SessionId="S1", BusinessUnit="BU1", Country="DE", Registered=5, Attended=4),
            dict(SessionId="S1", BusinessUnit="BU2", Country="NA", Registered=3, Attended=3, LearnerId="L-77"),
            dict(SessionId="S2", BusinessUnit="BU2", Country="GB", Registered=6),
        ],
        "FX": [dict(Date=D(2024, 1, 1), Currency="GBP", PerEUR=0.86, Source="treasury"),
               dict(Date=D(2024, 1, 1), Currency="NAD", PerEUR=20.1, Source="treasury")],
        "Holidays": _holidays(("DE", "GB", "NA"), 2024),
        "ChecklistTemplate": [dict(TaskId="T1", Task="Book room", Phase="Before", Anchor="Start", OffsetWorkdays=-10,
                                   OwnerTeam="Logistics")],
        "Checklist": [dict(SessionId="S1", TaskId="T1", Task="Book room", Phase="Before", OwnerTeam="Logistics",
                           DueDate=D(2024, 2, 19), Status="Done", DoneDate=D(2024, 2, 15))],
        "Allocation": [],
        "Budget": [dict(Year=2024, BusinessUnit="BU1", Country="DE", Budget=10000)],
        "Conflicts": [],
    }


def planner_settings() -> dict[str, object]:
    """Setting values of the small planner (AsOfDate keeps its ``=TODAY()`` formula)."""
    return {s.name: s.default for s in PLANNER.settings if s.formula is None} | {"BudgetRateDate": D(2024, 1, 1)}


def write_planner(
    path: Path,
    rows: dict[str, list[dict]] | None = None,
    settings: dict[str, object] | None = None,
    *,
    drop_sheets: tuple[str, ...] = (),
    drop_tables: tuple[str, ...] = (),
    table_names: dict[str, str] | None = None,
    drop_columns: dict[str, tuple[str, ...]] | None = None,
    rename_columns: dict[str, dict[str, str]] | None = None,
    hidden_sheets: tuple[str, ...] = (),
    drop_names: tuple[str, ...] = (),
    origin: tuple[int, int] = (1, 1),
    date1904: bool = False,
) -> Path:
    """Write a planner to ``path``; the keyword arguments break its structure.

    ``origin`` is the (row, column) of each table's header's first cell, so tests can
    check that the reader follows the table definitions rather than assuming A1.
    ``date1904`` saves it in the 1904 date system (``<workbookPr date1904="1">``, dates stored as
    days since 1904-01-01), as Mac Excel did by default.
    """
    rows = planner_rows() if rows is None else rows
    settings = planner_settings() if settings is None else settings
    table_names, drop_columns, rename_columns = table_names or {}, drop_columns or {}, rename_columns or {}
    wb = Workbook()
    if date1904:
        from openpyxl.utils.datetime import CALENDAR_MAC_1904
        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.title = "Settings"
    ws.append(["Setting", "Value"])
    for i, setting in enumerate(PLANNER.settings, start=2):
        ws.cell(i, 1, setting.name)
        value = setting.formula if setting.name not in settings and setting.formula else settings.get(setting.name)
        cell = ws.cell(i, 2, value)
        if isinstance(value, dt.date):
            cell.number_format = "yyyy-mm-dd"
        if setting.name not in drop_names:
            wb.defined_names[setting.name] = DefinedName(setting.name, attr_text=f"Settings!$B${i}")
    r0, c0 = origin
    for table in PLANNER.tables:
        if table.name in drop_sheets:
            continue
        ws = wb.create_sheet(table.name)
        columns = [c for c in table.columns if c.name not in drop_columns.get(table.name, ())]
        names = [rename_columns.get(table.name, {}).get(c.name, c.name) for c in columns]
        for j, name in enumerate(names):
            ws.cell(r0, c0 + j, name)
        body = rows.get(table.name, []) or [{}]  # an Excel table keeps one (blank) row
        for i, row in enumerate(body, start=r0 + 1):
            for j, column in enumerate(columns):
                if column.calculated:
                    value = table.formula_of(column.name)
                else:
                    value = row.get(column.name)
                if value is None:
                    continue
                cell = ws.cell(i, c0 + j, value)
                if isinstance(value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
                elif isinstance(value, dt.time):
                    cell.number_format = "hh:mm"
        if table.name in drop_tables:
            continue
        ref = f"{_letter(c0)}{r0}:{_letter(c0 + len(columns) - 1)}{r0 + len(body)}"
        excel_table = ExcelTable(displayName=table_names.get(table.name, table.name), ref=ref)
        excel_table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
        ws.add_table(excel_table)
        if table.name in hidden_sheets:
            ws.sheet_state = "hidden"
    wb.save(path)
    return Path(path)


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(index)


# Files that are not usable workbooks -------------------------------------------------------------

def not_a_zip_file(path: Path) -> Path:
    path.write_bytes(bytes(range(256)) * 4)
    return path


def truncated_file(path: Path, valid: Path) -> Path:
    data = valid.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def encrypted_file(path: Path) -> Path:
    """The start of an OLE compound file holding the streams Office writes for a password-protected .xlsx."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    directory = "EncryptionInfo".encode("utf-16-le") + b"\x00" * 50 + "EncryptedPackage".encode("utf-16-le")
    path.write_bytes(header + directory + b"\x00" * 1024)
    return path


def xls_file(path: Path) -> Path:
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    path.write_bytes(header + "Workbook".encode("utf-16-le") + b"\x00" * 2048)
    return path


def csv_file(path: Path) -> Path:
    path.write_text("SessionId,CourseId,Status\nS1,C1,Planned\nS2,C2,Delivered\n", encoding="utf-8")
    return path


def ods_file(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", "<office:document-content/>")
    return path


def with_extra_part(path: Path, valid: Path, name: str, data: bytes, level: int = 9) -> Path:
    """A copy of ``valid`` with one more part (or a replaced one)."""
    with zipfile.ZipFile(valid) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as dst:
        for info in src.infolist():
            if info.filename != name:
                dst.writestr(info, src.read(info))
        dst.writestr(name, data)
    return path


def ratio_bomb_file(path: Path, valid: Path) -> Path:
    """A real part of 64 MiB of zeros that deflates about 1000 times (refused on its ratio)."""
    return with_extra_part(path, valid, "xl/media/zeros.bin", b"\x00" * (64 << 20))


def declared_bomb_file(path: Path, valid: Path, size: int = 10 << 30) -> Path:
    """A part whose central-directory entry declares ``size`` bytes uncompressed (a forged zip64 bomb)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(valid) as src, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("xl/media/bomb.bin", b"\x00" * 1000)
    data = bytearray(buffer.getvalue())
    # Patch the central-directory record of the last entry: uncompressed size (offset 24) -> 0xFFFFFFFF
    # is zip64 territory; a plain 32-bit lie of ~4 GiB is enough to cross the limits.
    record = data.rfind(b"PK\x01\x02")
    struct.pack_into("<L", data, record + 24, min(size, 0xFFFFFFFE))
    path.write_bytes(bytes(data))
    return path


def billion_laughs_file(path: Path, valid: Path, part: str = "xl/worksheets/sheet2.xml") -> Path:
    payload = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
               + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                          for i in range(1, 10))
               + b']>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                 b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>')
    return with_extra_part(path, valid, part, payload)


def external_entity_file(path: Path, valid: Path) -> Path:
    payload = (b'<?xml version="1.0"?>\n<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
               b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&xxe;</t></si></sst>')
    return with_extra_part(path, valid, "xl/workbook.xml", payload)


def malformed_sheet_file(path: Path, valid: Path, part: str = "xl/worksheets/sheet2.xml") -> Path:
    payload = (b'<?xml version="1.0"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>oops</is></c></row></sheetData>')
    return with_extra_part(path, valid, part, payload)


def sheet_part(table: str) -> str:
    """The zip part :func:`write_planner` gives the sheet of ``table`` (Settings is sheet1)."""
    return f"xl/worksheets/sheet{PLANNER.table_names.index(table) + 2}.xml"


def replace_in_part(path: Path, part: str, old: bytes, new: bytes) -> Path:
    """Rewrite ``path`` in place with ``old`` replaced by ``new`` (once) in ``part``; the text must be there."""
    with zipfile.ZipFile(path) as src:
        parts = [(info, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in parts:
            if info.filename == part:
                assert old in data, f"{old!r} not found in {part}"
                data = data.replace(old, new, 1)
            dst.writestr(info, data)
    return path


def far_cell_file(path: Path, valid: Path) -> Path:
    """One stray cell at XFD1048576: a reader building a dense grid would need 17 billion cells."""
    shutil.copyfile(valid, path)
    return replace_in_part(path, sheet_part("Rooms"), b"</sheetData>",
                           b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')


def oversized_table_file(path: Path, valid: Path) -> Path:
    """A table whose XML declares more rows than a worksheet has."""
    shutil.copyfile(valid, path)
    with zipfile.ZipFile(valid) as zf:
        part = next(n for n in zf.namelist() if n.startswith("xl/tables/") and b'displayName="Rooms"' in zf.read(n))
        ref = re.search(rb'ref="([^"]+)"', zf.read(part)).group(0)
    return replace_in_part(path, part, ref, b'ref="A1:G2000000"')
