"""Bounded fuzzing of ``ilt-xl check``, every macro twin, ``recalc``, ``scenario`` and ``ics`` on mutated valid planners.

Hypothesis draws mutations of the small valid planner: a cell value replaced in the
sheet XML (text, numbers, NaN, huge, markup), random bytes flipped in a sheet part,
zip entries dropped, duplicated or truncated. Each mutant goes through the commands in
process (Typer's CliRunner) and must: exit with a documented code, print no traceback,
leave the input byte-identical and leave nothing partial in the output folder; a twin or
scenario, when it refuses a planner with errors (exit 1), writes nothing at all; every workbook
written is a zip whose XML parts are all well-formed.
The whole module shares one time budget: 60 s by default, ``pytest --fuzz-seconds N``
for longer. Iterations are printed at the end of the session.
"""
from __future__ import annotations

import hashlib
import io
import re
import time
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
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
    budget = max(1.0, (deadline - time.monotonic()) / (len(FUZZED) - FUZZED.index(command)))
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
