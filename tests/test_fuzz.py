"""Bounded fuzzing of ``ilt-xl check``, every macro twin, ``recalc``, ``scenario`` and ``ics`` on mutated valid
planners, and of the macro scripts of xlwings (Lite and classic share udfs/book_io) against their twins.

Hypothesis draws mutations of the small valid planner: a cell value replaced in the
sheet XML (text, numbers, NaN, huge, markup), random bytes flipped in a sheet part,
zip entries dropped, duplicated or truncated. Each mutant goes through the commands in
process (Typer's CliRunner) and must: exit with a documented code, print no traceback,
leave the input byte-identical and leave nothing partial in the output folder; a twin or
scenario, when it refuses a planner with errors (exit 1), writes nothing at all; every workbook
written is a zip whose XML parts are all well-formed.
The scripts run on planners with cells, settings and structure mutated (written by openpyxl, sent as
Office.js sends them) in one xlwings server-side interpreter per round (tests/udfs/lite_probe.py): each
either refuses clearly (PlannerHasErrors, ValueError: no other exception) or writes; on cell and setting
mutants it refuses exactly when its command-line twin refuses, and otherwise writes the twin's rows.
The whole module shares one time budget: 60 s by default, ``pytest --fuzz-seconds N``
for longer. Iterations are printed at the end of the session.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import time
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from typer.testing import CliRunner

import broken_workbooks as bw
from ilt_xl.cli import app

pytestmark = pytest.mark.filterwarnings("ignore:Duplicate name")   # duplicated zip entries are a mutation
COUNTS: dict[str, int] = {}
RUNNER = CliRunner()
TODAY = "2024-06-01"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> bytes:
    return bw.write_planner(tmp_path_factory.mktemp("fuzz") / "valid.xlsx").read_bytes()


@pytest.fixture(scope="module")
def deadline(request) -> float:
    return time.monotonic() + request.config.getoption("--fuzz-seconds")


def parts_of(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(n, zf.read(n)) for n in zf.namelist()]


def zipped(parts: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts:
            zf.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


CELL_VALUES = st.one_of(
    st.text(max_size=40).map(lambda t: ("inlineStr", t)),
    st.sampled_from(["NaN", "INF", "-INF", "1E+400", "", "1e-400", "-0", "TRUE", "#REF!", "0x10", "9" * 40,
                     "<b>", "&amp;", "45444.5"]).map(lambda v: ("n", v)),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda x: ("n", repr(x))),
    st.integers(-(10 ** 20), 10 ** 20).map(lambda i: ("n", str(i))),
    st.sampled_from(["#N/A", "#DIV/0!", "#VALUE!", "bogus"]).map(lambda v: ("e", v)),
    st.sampled_from(["0", "1", "2", "x"]).map(lambda v: ("b", v)),
)


def _xml_text(text: str) -> str:
    from xml.sax.saxutils import escape
    return escape("".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 32 and not 0xD800 <= ord(ch) <= 0xDFFF
                          and ch not in "\ufffe\uffff"))


@st.composite
def mutants(draw, base_fixture):
    parts = parts_of(base_fixture)
    sheets = [i for i, (n, _) in enumerate(parts) if n.startswith("xl/worksheets/sheet")]
    kind = draw(st.sampled_from(["cell", "cell", "bytes", "drop", "duplicate", "truncate_part", "truncate_zip"]))
    if kind == "cell":
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.sampled_from(sheets))
            name, xml = parts[i]
            cells = list(re.finditer(rb'<c r="([A-Z]+[0-9]+)"[^>]*?(?:/>|>.*?</c>)', xml, flags=re.S))
            if not cells:
                continue
            cell = cells[draw(st.integers(0, len(cells) - 1))]
            t, v = draw(CELL_VALUES)
            ref = cell.group(1).decode()
            new = (f'<c r="{ref}" t="inlineStr"><is><t>{_xml_text(v)}</t></is></c>' if t == "inlineStr"
                   else f'<c r="{ref}" t="{t}"><v>{_xml_text(v)}</v></c>').encode()
            parts[i] = (name, xml[:cell.start()] + new + xml[cell.end():])
        return zipped(parts)
    if kind == "bytes":
        i = draw(st.sampled_from(sheets + [j for j, (n, _) in enumerate(parts) if n.endswith(".xml")]))
        name, data = parts[i]
        data = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        parts[i] = (name, bytes(data))
        return zipped(parts)
    if kind == "drop":
        del parts[draw(st.integers(0, len(parts) - 1))]
        return zipped(parts)
    if kind == "duplicate":
        parts.append(parts[draw(st.integers(0, len(parts) - 1))])
        return zipped(parts)
    if kind == "truncate_part":
        i = draw(st.integers(0, len(parts) - 1))
        name, data = parts[i]
        parts[i] = (name, data[: draw(st.integers(0, len(data)))])
        return zipped(parts)
    return base_fixture[: draw(st.integers(0, len(base_fixture) - 1))]


def run_safely(command: list[str], source: Path, out: Path) -> int:
    """Run one command in process and assert the properties; returns its exit code."""
    before = hashlib.sha256(source.read_bytes()).digest()
    result = RUNNER.invoke(app, command, catch_exceptions=True)
    text = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{command[0]} raised {type(result.exception).__name__}: {result.exception}")
    assert "Traceback" not in text
    assert result.exit_code in (0, 1, 2, 3), result.exit_code
    assert hashlib.sha256(source.read_bytes()).digest() == before, "the input was modified"
    written = [p for p in out.rglob("*") if p.is_file()]
    assert not [p for p in written if p.name.startswith(".") or p.suffix == ".tmp"], "temporary file left"
    if result.exit_code in (2, 3):
        assert not written, "refused but wrote output"
    for p in written:
        if p.suffix == ".xlsx":
            assert_not_damaged(p, command[0])
    COUNTS[command[0]] = COUNTS.get(command[0], 0) + 1
    return result.exit_code


def assert_not_damaged(output: Path, command: str) -> None:
    """Every XML part ``command`` wrote is well-formed (every command refuses a package with a damaged
    part, issue 14 item 19, rather than copy it)."""
    with zipfile.ZipFile(output) as zf:
        for name in zf.namelist():
            if name.endswith((".xml", ".rels")):
                assert _well_formed(zf.read(name)), f"{command} wrote {output.name} with {name} not well-formed"


def _well_formed(data: bytes) -> bool:
    try:
        ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return False
    return True


def _commands() -> set[str]:
    return {c.name or c.callback.__name__ for c in app.registered_commands}


MACROS = ["checklist", "allocate", "conflicts", "fx", "budget", "availability", "validate"]
FUZZED = ["check", *MACROS, "recalc", "scenario", "ics"]
SHARES = len(FUZZED) + 1        # the scripts (test_fuzz_scripts) take one share of the budget too
ROUND = 6                       # planners per run of the scripts' interpreter (two scripts each)


def arguments(command: str, source: Path, out: Path) -> list[str]:
    if command == "check":
        return ["check", str(source)]
    if command == "recalc":
        return ["recalc", str(source), "-o", str(out / "r.xlsx"), "--today", TODAY]
    if command == "scenario":
        return ["scenario", str(source), "--out", str(out / "s"), "--fx", "GBP=+10%", "--cancel-below", "0.5",
                "--today", TODAY]
    if command == "ics":
        return ["ics", str(source), "--all", str(out / "calendars")]
    return [command, str(source), "-o", str(out / f"{command}.xlsx")]


@pytest.mark.parametrize("command", FUZZED)
def test_fuzz(base, deadline, tmp_path_factory, command):
    if command not in _commands():
        pytest.skip(f"{command} not in the CLI yet")
    # each command gets an equal part of what is left of the budget
    budget = max(1.0, (deadline - time.monotonic()) / (SHARES - FUZZED.index(command)))
    stop = time.monotonic() + budget
    work = tmp_path_factory.mktemp(f"fuzz-{command}")

    @settings(max_examples=20, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def some(data):
        mutant = data.draw(mutants(base))
        if time.monotonic() > stop and COUNTS.get(command):   # the first mutant runs whatever the load
            return
        source = work / "mutant.xlsx"
        source.write_bytes(mutant)
        out = work / "out"
        if out.exists():
            for p in sorted(out.rglob("*"), reverse=True):
                p.rmdir() if p.is_dir() else p.unlink()
        out.mkdir(exist_ok=True)
        code = run_safely(arguments(command, source, out), source, out)
        if command in MACROS and command != "validate" and code == 1 or command == "scenario" and code == 1:
            assert not any(out.iterdir()), f"{command} refused the planner but wrote output"

    while time.monotonic() < stop:   # rounds of 20 fresh random examples until the budget is spent
        some()
    assert COUNTS.get(command, 0) > 0


# The macro scripts (xlwings Lite and classic) ---------------------------------------------------

SCRIPT_VALUES = st.one_of(
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=20),    # what openpyxl can write
    st.none(), st.booleans(), st.integers(-(10 ** 12), 10 ** 12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.dates(dt.date(1900, 3, 1), dt.date(9999, 12, 31)), st.times(),
    st.datetimes(dt.datetime(1950, 1, 1), dt.datetime(2199, 12, 31)),
    st.sampled_from(["#N/A", " S1 ", "s1", "I1", "C2", "EUR", "XYZ", "DE", "2024-06-01", "Planned", "Cancelled",
                     "equal", "Yes", "0", "-5", "1e308"]),
)


@st.composite
def script_mutants(draw) -> tuple[dict, bool]:
    """(``write_planner`` arguments, whether the twin's outcome must be matched exactly): 1-3 cells and
    perhaps a setting changed; or a structural change (a sheet, table column or name dropped), where
    the script need only refuse clearly or write."""
    from ilt_xl.schema import PLANNER

    rows = bw.planner_rows()
    settings = bw.planner_settings()
    filled = [t for t in rows if rows[t]]
    for _ in range(draw(st.sampled_from([1, 1, 2, 3]))):
        table = draw(st.sampled_from(filled))
        row = draw(st.integers(0, len(rows[table]) - 1))
        column = draw(st.sampled_from([c.name for c in PLANNER.table(table).input_columns]))
        rows[table][row][column] = draw(SCRIPT_VALUES)
    if draw(st.sampled_from([False, False, True])):
        settings[draw(st.sampled_from(sorted(settings)))] = draw(SCRIPT_VALUES)
    kind = draw(st.sampled_from(["cells"] * 3 + ["drop_sheet", "drop_column", "drop_name"]))
    arguments: dict = {"rows": rows, "settings": settings}
    if kind == "drop_sheet":
        arguments["drop_sheets"] = (draw(st.sampled_from(PLANNER.table_names)),)
    elif kind == "drop_column":
        table = draw(st.sampled_from(PLANNER.table_names))
        arguments["drop_columns"] = {table: (draw(st.sampled_from([c.name for c in PLANNER.table(table).columns])),)}
    elif kind == "drop_name":
        arguments["drop_names"] = (draw(st.sampled_from([s.name for s in PLANNER.settings])),)
    return arguments, kind == "cells"


def _twin(command: str, path: Path, folder: Path) -> tuple[str, object]:
    """What the command-line twin does with ``path``: ("refused", errors), ("value", message) or ("wrote", rows)."""
    from ilt_xl.workbook.problems import PlannerHasErrors
    from tests.udfs.test_lite_runtime import _twin_rows

    try:
        return "wrote", _twin_rows(path, command, folder)
    except PlannerHasErrors as exc:
        return "refused", sum(p.is_error for p in exc.problems)
    except ValueError as exc:
        return "value", str(exc)


def test_fuzz_scripts(deadline, tmp_path_factory):
    from tests.udfs.office_js import payload
    from tests.udfs.test_lite_runtime import SCRIPTS, _after, _compare, run_probe
    from ilt_xl.workbook import macros

    stop = time.monotonic() + max(1.0, deadline - time.monotonic())     # the last share: what is left
    work = tmp_path_factory.mktemp("fuzz-scripts")
    names = sorted(SCRIPTS)

    batch: list = []

    # Hypothesis's first example of a run is its simplest: a round draws several, then runs them at once
    @settings(max_examples=ROUND, deadline=None, database=None, derandomize=False, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(mutant=script_mutants(), chosen=st.lists(st.sampled_from(names), min_size=2, max_size=2, unique=True))
    def draw_round(mutant, chosen):
        batch.append((mutant, chosen))

    def run_round():
        batch.clear()
        draw_round()
        folder = work / f"round{len(list(work.iterdir()))}"
        folder.mkdir()
        books, files, exact = {}, {}, {}
        for i, ((arguments, matched), _) in enumerate(batch):
            files[str(i)] = bw.write_planner(folder / f"m{i}.xlsx", **arguments)
            books[str(i)], exact[str(i)] = payload(files[str(i)]), matched
        result = run_probe({"books": books, "only": {str(i): chosen for i, (_, chosen) in enumerate(batch)},
                            "calls": []}, folder)
        for label, runs in result["scripts"].items():
            for script, run in runs.items():
                where = f"{script} on {files[label]} ({batch[int(label)][0][0]})"
                COUNTS["scripts"] = COUNTS.get("scripts", 0) + 1
                error = run.get("error", "")
                assert not error or error.startswith(("PlannerHasErrors: ", "ValueError: ")), f"{where}: {error}"
                if not exact[label]:
                    continue
                twin, got = _twin(SCRIPTS[script], files[label], folder)
                COUNTS["twin-" + twin] = COUNTS.get("twin-" + twin, 0) + 1
                if twin == "refused":        # refusing must agree; the errors listed may not all (the book
                    # reader sees what Office.js sends: a time of day as a datetime, say)
                    assert error.startswith("PlannerHasErrors: "), (where, got, error)
                elif twin == "value":
                    assert error == f"ValueError: {got}", (where, got, error)
                else:
                    assert not error, (where, error)
                    table = macros.MACROS[SCRIPTS[script]].table
                    _compare(_after(books[label], run["actions"]).table(table), got, table)

    while time.monotonic() < stop or not COUNTS.get("scripts"):   # one round runs whatever the budget
        run_round()
