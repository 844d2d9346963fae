"""Issue 14's rules on the workbook readers and writers and the CLI's read and write paths, each
checked against an independent reading (calamine, openpyxl, the file system), beside the corpus
(tests/corpus, one case per rule) which checks every command's exit code and message."""
from __future__ import annotations

import errno
import fcntl
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest
import python_calamine
from typer.testing import CliRunner

import broken_workbooks as bw
from corpus_cases import x_prefixed
from ilt_xl.atomic_write import (
    STALE_SECONDS, FileChanged, NotRegularFile, atomic_target, locked_for_update, remove_stale_temporaries,
    staging_folder,
)
from ilt_xl.cli import app
from ilt_xl.csv_export import safe_frame
from ilt_xl.workbook.ics import Resource, file_safe

HERE = Path(__file__).resolve().parent
RUNNER = CliRunner()
TODAY = "2024-06-01"


def invoke(*args: str):
    result = RUNNER.invoke(app, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, " ".join(result.output.split())     # rich wraps at the terminal's width


@pytest.fixture(scope="module")
def planner(tmp_path_factory) -> Path:
    return bw.write_planner(tmp_path_factory.mktemp("planner") / "plan.xlsx")


def copy(src: Path, dst: Path) -> Path:
    dst.write_bytes(src.read_bytes())
    return dst


def table_rows(path: Path, sheet: str, reader: str) -> list[list]:
    """The cells of ``sheet`` below its header, as calamine or openpyxl reads them (blank as None)."""
    if reader == "calamine":
        rows = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
        return [[None if v == "" else v for v in r] for r in rows[1:]]
    ws = openpyxl.load_workbook(path)[sheet]
    return [[c.value for c in r] for r in ws.iter_rows(min_row=2)]


# Writes: links, devices, interrupted writers -------------------------------------------------------

def test_a_symlinked_target_is_written_through_and_stays_a_link(tmp_path):
    real = tmp_path / "real" / "plan.xlsx"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "link.xlsx"
    link.symlink_to(real)
    with atomic_target(link) as temp:
        temp.write_bytes(b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"
    assert sorted(p.name for p in real.parent.iterdir()) == ["plan.xlsx"]


def test_in_place_through_a_symlink_rewrites_the_target(planner, tmp_path):
    real = copy(planner, tmp_path / "plan.xlsx")
    link = tmp_path / "link.xlsx"
    link.symlink_to(real)
    code, out = invoke("checklist", link, "--in-place")
    assert code == 0, out
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert any(r[0] == "S3" for r in table_rows(real, "Checklist", "calamine"))


def test_devices_and_folders_are_refused_as_targets(planner, tmp_path):
    with pytest.raises(NotRegularFile):
        with atomic_target("/dev/null"):
            pass
    code, out = invoke("checklist", planner, "-o", "/dev/null", "--force")
    assert code == 3 and "not a regular file" in out
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    (tmp_path / "folder.xlsx").mkdir()
    code, out = invoke("allocate", planner, "-o", tmp_path / "folder.xlsx", "--force")
    assert code == 3, out


def test_stale_temporaries_are_removed_but_not_a_live_writers(tmp_path):
    target = tmp_path / "plan.xlsx"
    stale, fresh, live = (tmp_path / f".plan.xlsx.{n}.tmp" for n in ("stale1", "fresh1", "live1"))
    for p in (stale, fresh, live):
        p.write_bytes(b"half")
    old = time.time() - 2 * STALE_SECONDS
    os.utime(stale, (old, old))
    os.utime(live, (old, old))
    holder = os.open(live, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)          # another process writing it
    try:
        assert remove_stale_temporaries(target) == [stale]
    finally:
        os.close(holder)
    assert not stale.exists() and fresh.exists() and live.exists()


def test_a_killed_runs_staging_folder_goes_on_the_next_run_but_not_a_live_ones(tmp_path):
    """refresh, scenario, apply, new and ics build their files in a staging folder: one left by a
    SIGKILL is removed by the next write beside the same target, one another process holds is not."""
    target = tmp_path / "plan.xlsx"
    dead, live = tmp_path / ".plan.xlsx.dead1.tmp", tmp_path / ".plan.xlsx.live1.tmp"
    for folder in (dead, live):
        folder.mkdir()
        (folder / "plan.xlsx").write_bytes(b"half")
        old = time.time() - 2 * STALE_SECONDS
        os.utime(folder, (old, old))
    holder = os.open(live, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        with staging_folder(target) as mine:
            assert mine.is_dir() and mine.name.startswith(".plan.xlsx.") and mine.suffix == ".tmp"
            assert not dead.exists() and live.exists()
    finally:
        os.close(holder)
    assert not mine.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name]


def test_sigterm_while_writing_leaves_no_temporary_file(tmp_path):
    script = textwrap.dedent(f"""
        import time
        from ilt_xl.atomic_write import atomic_target, install_signal_cleanup
        install_signal_cleanup()
        with atomic_target({str(tmp_path / 'plan.xlsx')!r}) as temp:
            temp.write_bytes(b"half")
            print("writing", flush=True)
            time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    assert [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []


def test_sigterm_arriving_inside_a_destructor_still_stops_the_write(tmp_path):
    """A SIGTERM handled while Python ran a destructor was printed as 'Exception ignored ... Traceback'
    and the command went on to write its file (found killing checklist --in-place at random moments)."""
    script = textwrap.dedent(f"""
        import time
        from ilt_xl.atomic_write import atomic_target, install_signal_cleanup
        class Slow:
            def __del__(self):
                print("in destructor", flush=True)
                time.sleep(30)
        install_signal_cleanup()
        with atomic_target({str(tmp_path / 'plan.xlsx')!r}) as temp:
            temp.write_bytes(b"half")
            x = Slow()
            del x
            time.sleep(1)
            print("went on writing", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "in destructor"
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM, (out, err)
    assert "went on writing" not in out and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []


# Reads: FIFOs and devices --------------------------------------------------------------------------

def assert_refused_as_not_regular(jobs: list[dict], tmp_path: Path, exit_code: int) -> None:
    """Run ``jobs`` through the corpus driver (under a time limit, so a blocked read fails rather than
    hangs) and check each was refused with ``exit_code`` as a target or input that is not a regular file."""
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    subprocess.run([sys.executable, str(HERE / "corpus_driver.py"), str(tmp_path / "jobs.json"),
                    str(tmp_path / "results.json")], timeout=120, check=True)
    for job, r in json.loads((tmp_path / "results.json").read_text()).items():
        assert r["crash"] is None and r["exit"] == exit_code, (job, r)
        assert "not a regular file" in " ".join((r["stdout"] + r["stderr"]).split()), (job, r)


def test_a_fifo_where_a_calendar_goes_is_refused_not_read(planner, tmp_path):
    """ics reads an earlier calendar at its target to keep its stamps: a FIFO there blocked it forever
    (-o, and a calendar's name inside --all). Refused with exit 3, the FIFO left as it was."""
    (tmp_path / "cal").mkdir()
    fifos = [tmp_path / "one.ics", tmp_path / "cal" / Resource("instructor", "I1", "").file_name()]
    for fifo in fifos:
        os.mkfifo(fifo)
    jobs = [{"id": "one", "argv": ["ics", str(planner), "--instructor", "I1", "-o", str(fifos[0])]},
            {"id": "all", "argv": ["ics", str(planner), "--all", str(tmp_path / "cal")]}]
    assert_refused_as_not_regular(jobs, tmp_path, exit_code=3)
    assert all(stat.S_ISFIFO(f.lstat().st_mode) for f in fifos)
    assert sorted(p.name for p in (tmp_path / "cal").iterdir()) == [fifos[1].name]     # no calendar moved in


def test_a_fifo_named_xlsx_is_refused_up_front_by_every_command(tmp_path):
    fifo = tmp_path / "plan.xlsx"
    os.mkfifo(fifo)
    out = tmp_path / "out"
    jobs = [{"id": " ".join(a), "argv": a} for a in (
        ["check", str(fifo)], ["validate", str(fifo), "-o", str(out / "v.xlsx")], ["report", str(fifo)],
        ["ics", str(fifo), "--all", str(out / "cal")], ["recalc", str(fifo), "-o", str(out / "r.xlsx")],
        ["scenario", str(fifo), "--out", str(out / "s"), "--room-rate", "+5%"])]
    assert_refused_as_not_regular(jobs, tmp_path, exit_code=2)
    assert not out.exists()


# Concurrent in-place runs ----------------------------------------------------------------------------

def test_two_in_place_commands_at_once_lose_no_update(planner, tmp_path):
    expected = copy(planner, tmp_path / "sequential.xlsx")
    for command in ("allocate", "budget"):
        assert invoke(command, expected, "--in-place")[0] == 0
    shared = copy(planner, tmp_path / "shared.xlsx")
    script = Path(sys.executable).parent / "ilt-xl"
    procs = [subprocess.Popen([str(script), command, str(shared), "--in-place"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for command in ("allocate", "budget")]
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stdout.read()
    for sheet in ("Allocation", "Budget"):
        assert table_rows(shared, sheet, "calamine") == table_rows(expected, sheet, "calamine"), sheet


def test_a_file_changed_by_another_program_during_an_update_is_not_overwritten(tmp_path):
    target = tmp_path / "plan.xlsx"
    target.write_bytes(b"first")
    with locked_for_update(target) as unchanged:
        unchanged()                                  # nothing happened yet
        target.write_bytes(b"saved by Excel meanwhile")
        with pytest.raises(FileChanged):
            unchanged()


# Date systems and namespaces: every written cell read back by two readers -------------------------

MACROS = ("checklist", "allocate", "conflicts", "fx", "budget", "availability")
TABLE_OF = {"checklist": "Checklist", "allocate": "Allocation", "conflicts": "Conflicts", "fx": "FX",
            "budget": "Budget", "availability": "Availability"}


@pytest.fixture(scope="module")
def outputs_1900(planner, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("out1900")
    out = {}
    for macro in MACROS:
        out[macro] = folder / f"{macro}.xlsx"
        code, text = invoke(macro, planner, "-o", out[macro])
        assert code == 0, text
    return out


@pytest.mark.parametrize("reader", ["calamine", "openpyxl"])
def test_the_1904_date_system_gives_the_same_dates(outputs_1900, tmp_path, reader):
    """A Mac workbook (dates counted from 1904) gets every date the 1900 planner gets: read by
    calamine and openpyxl, which both honour the workbook's date system."""
    mac = bw.write_planner(tmp_path / "mac.xlsx", date1904=True)
    for macro in MACROS:
        target = tmp_path / f"{macro}.xlsx"
        code, text = invoke(macro, mac, "-o", target)
        assert code == 0, text
        got, want = (table_rows(p, TABLE_OF[macro], reader) for p in (target, outputs_1900[macro]))
        assert got == want, macro
    with zipfile.ZipFile(tmp_path / "fx.xlsx") as a, zipfile.ZipFile(outputs_1900["fx"]) as b:
        serial = lambda z: float(__import__("re").search(rb'<c r="A2"[^>]*><v>([^<]+)</v>', z.read(
            bw.sheet_part("FX"))).group(1))
        assert serial(b) - serial(a) == 1462       # the same day, in the other count


def test_bare_serials_in_date_columns_follow_the_date_system(tmp_path):
    from ilt_xl.workbook.reader import read_planner

    def with_bare_start(path: Path, date1904: bool) -> Path:
        bw.write_planner(path, date1904=date1904)      # S1 starts 2024-03-04: 45355, or 43893 from 1904
        return bw.replace_in_part(path, bw.sheet_part("Sessions"), b'<c r="D2" s="1" t="n">', b'<c r="D2" t="n">')
    for date1904 in (False, True):
        planner = read_planner(with_bare_start(tmp_path / f"bare{date1904}.xlsx", date1904))
        assert str(planner.sessions["StartDate"].iloc[0].date()) == "2024-03-04"


@pytest.fixture(scope="module")
def prefixed_planner(planner, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("prefixed") / "plan.xlsx"
    with zipfile.ZipFile(planner) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info.filename, x_prefixed(data) if info.filename.startswith("xl/") else data)
    return path


@pytest.mark.parametrize("reader", ["calamine", "openpyxl"])
def test_x_prefixed_parts_are_written_in_their_own_prefix(prefixed_planner, outputs_1900, tmp_path, reader):
    cells = 0
    for macro in MACROS:
        target = tmp_path / f"{macro}.xlsx"
        code, text = invoke(macro, prefixed_planner, "-o", target)
        assert code == 0, text
        rows = table_rows(target, TABLE_OF[macro], reader)
        assert rows == table_rows(outputs_1900[macro], TABLE_OF[macro], reader), macro
        cells += sum(v is not None for r in rows for v in r)
        with zipfile.ZipFile(target) as zf:
            for name in zf.namelist():
                xml = zf.read(name)
                if name.startswith("xl/worksheets/") and b"<x:worksheet" in xml:     # parts added keep their own
                    assert b"<c " not in xml and b"<v>" not in xml and b"<is>" not in xml, (macro, name)
    assert cells > 100


def test_characters_xml_cannot_hold_are_written_escaped(tmp_path):
    rows = bw.planner_rows()
    rows["ChecklistTemplate"][0]["Task"] = "Book room"
    path = bw.write_planner(tmp_path / "plan.xlsx", rows)
    bw.replace_in_part(path, bw.sheet_part("ChecklistTemplate"), b"<t>Book room</t>", b"<t>Book_x0001_room_xFFFF_ _x005F_x0041_</t>")
    wanted = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("ChecklistTemplate").to_python()[1][1]
    assert "\x01" in wanted
    code, text = invoke("checklist", path, "-o", tmp_path / "out.xlsx")
    assert code == 0, text
    with zipfile.ZipFile(tmp_path / "out.xlsx") as zf:
        sheet = zf.read(bw.sheet_part("Checklist"))
    from xml.etree import ElementTree
    ElementTree.fromstring(sheet)
    got = table_rows(tmp_path / "out.xlsx", "Checklist", "calamine")
    assert wanted in {r[2] for r in got}        # new rows take the template's task, read back exactly


DAMAGED_PARTS = {
    # a flipped byte in a prefix: well-formed to plain expat, not with namespaces (the fuzzer's find)
    "core": ("docProps/core.xml", (b"<dc:creator>", b"<dX:creator>")),
    "customXml": ("customXml/item1.xml", None),
    # the engine's fast scanner reads cells by pattern: a control character in a text, a broken tag
    "sheet_text": (bw.sheet_part("Courses"), (b"<t>Excel basics</t>", b"<t>Excel\x18basics</t>")),
    "sheet_tag": (bw.sheet_part("Sessions"), (b"</tableParts>", b"</tRbleParts>")),
}


@pytest.mark.parametrize("damage", DAMAGED_PARTS)
@pytest.mark.parametrize("command", ["checklist", "allocate", "recalc", "scenario"])
def test_a_damaged_part_is_refused_not_copied(planner, tmp_path, command, damage):
    part, edit = DAMAGED_PARTS[damage]
    source = copy(planner, tmp_path / "plan.xlsx")
    if edit is None:
        with zipfile.ZipFile(source, "a") as zf:
            zf.writestr(part, b'<?xml version="1.0" encoding="UTF-8"?><root><item>half')
    else:
        bw.replace_in_part(source, part, *edit)
    before = source.read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    args = {"recalc": ["-o", out / "r.xlsx", "--today", TODAY],
            "scenario": ["--out", out / "s", "--fx", "GBP=+10%", "--today", TODAY]}.get(command, ["-o", out / "o.xlsx"])
    code, text = invoke(command, source, *args)
    assert code == 2, text
    named = f"part {part}" if damage in ("core", "customXml") else f"({part})"
    assert f"{source}: " in text and named in text and "is damaged: its XML is not well-formed" in text
    assert not any(out.iterdir()) and source.read_bytes() == before


ODD_TEXTS = ["Book\x01room", "cr\rhere", "literal _x0041_ and _xFFFF_ stay", "non-characters \uffff\ufffe",
             "emoji \U0001f393", "_x005F_ itself"]


@pytest.mark.parametrize("text", ODD_TEXTS)
def test_escaped_text_reads_as_excel_reads_it_and_round_trips(tmp_path, text):
    """A task text stored as Excel stores it (``_xHHHH_`` for what XML cannot hold, ``_x005F_`` before a
    literal escape) reads back as the text in the readers (calamine, which decodes only escapes below
    U+D800, and the engine), the checklist writes it out the same way, and openpyxl's own decoder
    (openpyxl.utils.escape.unescape, independent of ours) reads our stored form back as the text."""
    from openpyxl.utils.escape import unescape

    from ilt_xl.engine.workbook_model import load_workbook_model
    from ilt_xl.workbook.reader import read_planner
    from ilt_xl.xlsx.xml_text import xml_text

    stored = xml_text(text)
    assert unescape(stored.replace("&amp;", "&")) == text
    rows = bw.planner_rows()
    rows["ChecklistTemplate"][0]["Task"] = "Book room"
    path = bw.write_planner(tmp_path / "plan.xlsx", rows)
    bw.replace_in_part(path, bw.sheet_part("ChecklistTemplate"), b"<t>Book room</t>",
                       b'<t xml:space="preserve">' + stored.encode() + b"</t>")
    assert read_planner(path).checklist_template.Task.tolist() == [text]
    code, out = invoke("checklist", path, "-o", tmp_path / "out.xlsx")
    assert code == 0, out
    written = read_planner(tmp_path / "out.xlsx").checklist
    assert text in set(written.Task)          # the new rows take the template's task
    with zipfile.ZipFile(tmp_path / "out.xlsx") as zf:
        sheet = zf.read(bw.sheet_part("Checklist")).decode()
    assert stored in sheet and unescape(stored) == text
    model = load_workbook_model(tmp_path / "out.xlsx")
    cells = next(s for s in model.sheets if s.name == "Checklist")
    assert text in {v for v in cells.grid.obj.ravel().tolist() if isinstance(v, str)}


def test_escapes_of_utf16_halves_read_as_the_character_they_spell(tmp_path):
    rows = bw.planner_rows()
    rows["ChecklistTemplate"][0]["Task"] = "Book room"
    path = bw.write_planner(tmp_path / "plan.xlsx", rows)
    bw.replace_in_part(path, bw.sheet_part("ChecklistTemplate"), b"<t>Book room</t>", b"<t>cap _xD83C__xDF93_</t>")
    assert read_planner_task(path) == "cap \U0001f393"


def test_shared_strings_escapes_beyond_calamine_are_decoded(tmp_path):
    from ilt_xl.xlsx import open_xlsx, read_sheet_values

    wb = openpyxl.Workbook()       # openpyxl writes inline strings: the shared string is added by hand
    wb.active.title = "S"
    wb.active.append(["first", 2, "second"])
    wb.save(tmp_path / "s.xlsx")
    path = bw.replace_in_part(tmp_path / "s.xlsx", "xl/worksheets/sheet1.xml",
                              b'<c r="C1" t="inlineStr"><is><t>second</t></is></c>', b'<c r="C1" t="s"><v>0</v></c>')
    bw.replace_in_part(path, "xl/_rels/workbook.xml.rels", b"</Relationships>",
                       b'<Relationship Id="rIdS" Target="sharedStrings.xml" Type="http://schemas.openxmlformats.org/'
                       b'officeDocument/2006/relationships/sharedStrings"/></Relationships>')
    bw.replace_in_part(path, "[Content_Types].xml", b"</Types>",
                       b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                       b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("xl/sharedStrings.xml", '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                    'count="1" uniqueCount="1"><si><t>_xFFFF_ _x005F_xFFFF_ _xD83C__xDF93_</t></si></sst>')
    with open_xlsx(path) as pkg:
        assert read_sheet_values(pkg, "S").grid.tolist() == [["first", 2, "\uffff _xFFFF_ \U0001f393"]]


def test_values_in_cdata_sections_read_as_excel_reads_them(tmp_path):
    """Text and numbers written as CDATA sections (``<t><![CDATA[S1]]></t>``), which calamine reads
    as blank (check then called every such session id missing), read as the planner they spell, the
    last rows (which calamine leaves out as blank) included."""
    import re

    import pandas as pd

    from ilt_xl.workbook.reader import read_planner

    plain = bw.write_planner(tmp_path / "plain.xlsx")
    with zipfile.ZipFile(plain) as zf:
        parts = [(info, zf.read(info)) for info in zf.infolist()]
    cdata = tmp_path / "cdata.xlsx"
    with zipfile.ZipFile(cdata, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts:
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb"<t>([^<]*)</t>", rb"<t><![CDATA[\1]]></t>", data)
                data = re.sub(rb'(<c r="[A-Z]+[0-9]+"(?: s="[0-9]+")? t="n"><v>)([^<]+)</v>', rb"\1<![CDATA[\2]]></v>", data)
            zf.writestr(info, data)
    assert b"<![CDATA[S1]]>" in zipfile.ZipFile(cdata).read(bw.sheet_part("Sessions"))
    want, got = read_planner(plain), read_planner(cdata)
    assert got.problems == want.problems == []
    for table in ("sessions", "courses", "enrolments", "rooms", "checklist_template"):
        pd.testing.assert_frame_equal(getattr(got, table), getattr(want, table))
    assert invoke("check", cdata)[0] == 0


def test_error_values_of_newer_excel_do_not_make_a_sheet_unreadable(tmp_path):
    """Excel 365 caches #SPILL!, #CALC! (a blocked or failed dynamic array) and more; calamine refused
    the whole sheet over one such cell (check, report and the macros: exit 2). Such a cell reads as
    the error it is, the blank every error value reads as."""
    import pandas as pd

    from ilt_xl.workbook.reader import read_planner

    plain = bw.write_planner(tmp_path / "plain.xlsx")
    path = tmp_path / "spill.xlsx"
    path.write_bytes(plain.read_bytes())
    bw.replace_in_part(path, bw.sheet_part("Sessions"), b"</row>",
                       b'<c r="BZ1" t="e"><f>SEQUENCE(3)</f><v>#SPILL!</v></c><c r="CA1" t="e"><v>#CALC!</v></c>'
                       b'<c r="CB1" t="str"><v>#SPILL!</v></c></row>')
    want, got = read_planner(plain), read_planner(path)
    assert got.problems == want.problems == []
    pd.testing.assert_frame_equal(got.sessions, want.sessions)
    assert invoke("check", path)[0] == 0


def read_planner_task(path: Path) -> str:
    from ilt_xl.workbook.reader import read_planner
    return read_planner(path).checklist_template.Task.iloc[0]


# Names of outputs ---------------------------------------------------------------------------------

IDS = ["I/01", "I:01", "I 01", "I_01", "I%01", "I-Weiß", "I-WEISS", "..", "CON", "Ünïcödé 🎓", "a" * 300, "a" * 301]


def test_calendar_file_names_are_distinct_and_give_the_id_back():
    names = [Resource("instructor", i, "").file_name() for i in IDS]
    assert len({n.lower() for n in names}) == len(IDS)          # distinct even on a case-insensitive disk
    for i, name in zip(IDS, names):
        assert len(name.encode()) <= 255 and "/" not in name and not name.startswith(".")
        if "~" not in name:
            assert unquote(name[len("instructor-"):-len(".ics")]) == i
    assert file_safe("I/01") == "I%2F01"


def test_ics_all_writes_one_calendar_per_id_and_counts_the_files(tmp_path):
    rows = bw.planner_rows()
    template = rows["Instructors"][1]
    rows["Instructors"] += [dict(template, InstructorId=i, Name=f"N{n}") for n, i in enumerate(IDS[:7])]
    rows["Sessions"][1]["InstructorId"] = "i-weiß"              # Excel's lookups ignore case
    path = bw.write_planner(tmp_path / "plan.xlsx", rows)
    code, out = invoke("ics", path, "--all", tmp_path / "cal")
    files = sorted(p.name for p in (tmp_path / "cal").iterdir())
    assert code == 0 and f"{len(files)} calendars written" in out
    assert len(files) == 2 + 7 + 3
    weiss = (tmp_path / "cal" / "instructor-I-Wei%C3%9F.ics").read_text()
    assert "S2@" in weiss and "S2@" not in (tmp_path / "cal" / "instructor-I-WEISS.ics").read_text()


def test_batch_keeps_inputs_of_one_name_apart(planner, tmp_path):
    for folder in ("a", "b/c"):
        (tmp_path / "in" / folder).mkdir(parents=True)
        copy(planner, tmp_path / "in" / folder / "plan.xlsx")
    code, out = invoke("batch", f"{tmp_path}/in/**/plan.xlsx", "--out", tmp_path / "out", "--workers", "1",
                       "--today", TODAY)
    written = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*.xlsx"))
    assert written == ["a/plan.xlsx", "b/c/plan.xlsx"] and "2 of 2 workbooks recalculated" in out, out


# The output cannot be written ---------------------------------------------------------------------

def test_batch_into_a_folder_that_cannot_be_made_exits_3(planner, tmp_path):
    (tmp_path / "file").write_bytes(b"")
    code, out = invoke("batch", str(planner), "--out", tmp_path / "file" / "out")
    assert code == 3 and "Cannot create the --out folder" in out and "Not a directory" in out


def test_batch_on_a_full_disk_exits_3_and_keeps_nothing(planner, tmp_path, monkeypatch):
    import ilt_xl.engine.recalc as recalc
    for n in range(3):
        copy(planner, tmp_path / f"plan{n}.xlsx")
    real, calls = recalc.recalculate, []

    def filling(source, target, **kw):
        calls.append(source)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(source, target, **kw)
    monkeypatch.setattr(recalc, "recalculate", filling)
    code, out = invoke("batch", f"{tmp_path}/plan*.xlsx", "--out", tmp_path / "out", "--workers", "1")
    assert code == 3 and "No space left" in out, out
    assert list((tmp_path / "out").iterdir()) == []


def test_ics_all_on_a_full_disk_writes_none_and_keeps_the_old_calendars(planner, tmp_path, monkeypatch):
    folder = tmp_path / "cal"
    assert invoke("ics", planner, "--all", folder)[0] == 0
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    written = []
    real = Path.write_bytes

    def filling(self, data):
        written.append(self)
        if len(written) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, data)
    monkeypatch.setattr(Path, "write_bytes", filling)
    code, out = invoke("ics", planner, "--all", folder)
    assert code == 3 and "No space left" in out
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs mounted at a temporary folder (root only; skipped where mounting is not allowed, as
    in most CI containers), unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"cannot mount a tmpfs here ({exc})")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True, timeout=30)


def test_ics_all_on_a_really_full_disk_exits_3_and_leaves_the_old_calendars_alone(planner, small_disk):
    """A real full disk (no monkeypatching): the calendars are written, the disk is then filled to within
    two pages, and the export run again fails with exit 3, naming the cause, leaving the calendars
    there were byte for byte and nothing else (no staging folder, no partial file)."""
    folder = small_disk / "cal"
    code, out = invoke("ics", planner, "--all", folder)
    assert code == 0, out
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert len(before) > 2
    free = os.statvfs(small_disk)
    (small_disk / "filler").write_bytes(b"\0" * (free.f_bavail * free.f_frsize - 2 * free.f_frsize))
    code, out = invoke("ics", planner, "--all", folder)
    assert code == 3 and "No space left" in out, out
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert sorted(p.name for p in small_disk.iterdir()) == ["cal", "filler"]


def test_ics_all_into_a_new_folder_on_a_really_full_disk_writes_nothing(planner, small_disk):
    free = os.statvfs(small_disk)
    (small_disk / "filler").write_bytes(b"\0" * (free.f_bavail * free.f_frsize - 2 * free.f_frsize))
    code, out = invoke("ics", planner, "--all", small_disk / "cal")
    assert code == 3 and "No space left" in out, out
    assert [p.name for p in small_disk.iterdir()] == ["filler"]      # not even the folder it made


@pytest.mark.parametrize("command", ["checklist", "validate", "ics"])
def test_the_output_being_the_input_exits_3(planner, tmp_path, command):
    path = copy(planner, tmp_path / "plan.xlsx")
    link = tmp_path / "link.xlsx"
    link.symlink_to(path)
    before = path.read_bytes()
    for target in (path, link):
        args = ["--instructor", "I1", "-o", target] if command == "ics" else ["-o", target, "--force"]
        code, out = invoke(command, path, *args)
        assert code == 3 and "it is the input" in out, out
    assert path.read_bytes() == before


# Scenario options and CSV --------------------------------------------------------------------------

@pytest.mark.parametrize("option", [["--fx", "XYZ=+10%"], ["--fx", "USD=-150%"], ["--fx", "USD=-100%"],
                                    ["--fx", "EUR=+5%"], ["--cancel-below", "nan"], ["--cancel-below", "50"],
                                    ["--cancel-below", "-0.1"], ["--room-rate", "-150%"], ["--room-rate", "+5"],
                                    ["--fx", "USD=+10%", "--fx", "usd=-5%"], ["--fx", "GBP=+10%", "--fx", "GBP=+10%"]])
def test_bad_scenario_options_exit_2_writing_nothing(planner, tmp_path, option):
    code, out = invoke("scenario", planner, "--out", tmp_path / "s", *option)
    assert code == 2 and "Bad scenario option" in out, out
    assert not (tmp_path / "s").exists()


def test_scenario_copies_are_named_by_their_exact_change():
    """+10.4% and +10% were both ``fx-USD+10%``: a copy is named by the change it holds."""
    from ilt_xl.scenario import percent_label
    assert [percent_label(p) for p in (0.104, 0.1, -0.05, 0.004, 0.0, 1 / 3)] == [
        "+10.4%", "+10%", "-5%", "+0.4%", "+0%", "+33.33333333%"]


def test_csv_cells_that_begin_like_formulas_are_escaped_and_numbers_kept():
    import pandas as pd
    frame = pd.DataFrame({"Key": ["=SALES", "+1", "-x", "@SUM(A1)", "\tx", "\rx", "plain", "-"],
                          "Change": [-1.5, 2.0, -3.0, 0.0, 1.0, 1.0, 1.0, 1.0]})
    safe = safe_frame(frame)
    assert safe["Key"].tolist() == ["'=SALES", "'+1", "'-x", "'@SUM(A1)", "'\tx", "'\rx", "plain", "'-"]
    assert safe["Change"].tolist() == frame["Change"].tolist()


def test_every_problem_line_spells_invisible_characters():
    """Rule 2: whatever message names an id (a duplicate, a frozen figure's session), the printed line
    shows the no-break space or tab that makes it another id, and stays one line."""
    from ilt_xl.workbook.problems import Problem

    p = Problem("plan.xlsx", "Sessions", 3, "FrozenVariableCost", "Y3", 1650.0, "VariableCost as frozen", "warning",
                "closed session S00001\u00a0 (frozen): VariableCost computes 0.00\tnow\ninstead of 1,650.00")
    line = p.line()
    assert "S00001\\xa0 (frozen)" in line and "0.00\\tnow\\ninstead" in line
    assert "\n" not in line and "\u00a0" not in line


@pytest.mark.parametrize("command", ["apply", "scenario", "refresh"])
def test_a_defect_found_when_recalculating_a_staged_copy_names_the_input(planner, tmp_path, command):
    """apply, scenario and refresh recalculate a copy they staged in a hidden folder: a defect the engine
    finds there (a shared formula whose master cell is gone) names the user's file, not the copy."""
    from corpus_cases import edit_parts, sub
    source = edit_parts(tmp_path / "plan.xlsx", planner, {"xl/worksheets/sheet1.xml": sub(
        rb"</sheetData>", b'<row r="30"><c r="H30"><f t="shared" si="9"/><v>1</v></c></row></sheetData>')})
    out = tmp_path / "out"
    out.mkdir()
    args = {"apply": ["-o", out / "plan.xlsx"], "refresh": ["-o", out / "plan.xlsx"],
            "scenario": ["--out", out, "--room-rate", "+5%"]}[command]
    code, said = invoke(command, source, *args, "--today", TODAY)
    assert code == 2, said
    assert f"Cannot use {source}:" in said and "master cell" in said and ".tmp" not in said
    assert list(out.iterdir()) == []


def test_an_output_folder_that_does_not_exist_is_named_not_a_temporary_file(planner, tmp_path):
    code, said = invoke("refresh", planner, "-o", tmp_path / "missing" / "plan.xlsx", "--today", TODAY)
    assert code == 3 and "missing" in said and ".tmp" not in said, said


@pytest.mark.parametrize("command", ["recalc", "refresh", "allocate", "validate", "close", "forecast", "apply"])
def test_every_copy_keeps_the_extension_its_content_needs(planner, tmp_path, command):
    """Rule 21, one rule for every command that writes a copy: macro-enabled content under an .xlsx name
    (or a plain workbook under .xlsm), which Excel refuses to open, is refused with exit 3, nothing written."""
    from corpus_cases import xlsm
    macro = xlsm(tmp_path / "plan.xlsm", planner)
    extra = {"close": ["--through", "2024-01-31"]}.get(command, [])
    for source, target in ((macro, tmp_path / "out.xlsx"), (planner, tmp_path / "out.xlsm")):
        code, said = invoke(command, source, "-o", target, *extra)
        assert code == 3 and "so Excel opens it" in said, said
        assert not target.exists()
    code, said = invoke(command, macro, "-o", tmp_path / "out.xlsm", *extra)
    assert code in (0, 1) and (tmp_path / "out.xlsm").exists(), said


@pytest.mark.parametrize("command", ["recalc", "batch"])
def test_an_infinite_timeout_is_a_bad_option(planner, tmp_path, command):
    """--timeout inf reached the engine's timer: 'unexpected failure (OverflowError ...)'. Exit 2, named."""
    out = ["-o", tmp_path / "out.xlsx"] if command == "recalc" else ["--out", tmp_path / "out", "--workers", "1"]
    code, said = invoke(command, planner, *out, "--timeout", "inf")
    assert code == 2 and "--timeout" in said and "OverflowError" not in said, said
    assert list(tmp_path.iterdir()) == []
