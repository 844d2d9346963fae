"""Every corpus case (tests/corpus/manifest.json) x every ilt-xl command that exists.

Each command runs out of process (``corpus_driver.py``, one interpreter per case, with a
2 GiB address-space limit and a timeout) on its own copy of the case, writing into its own
empty folder. For each run: the documented exit code, a message naming where the problem
is, no traceback, the input byte-identical, no temporary or partial file left, and no
output at all when the command refused. Files dropped into tests/corpus/ without a
manifest entry (hostile files of a reviewer's own) get the same properties with any
documented exit code. Rebuild the corpus with ``python tests/corpus_cases.py``.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
MEMORY_LIMIT = 2 << 30
TODAY = "2024-06-01"
EXIT_CODES = {0, 1, 2, 3}


def registered_commands() -> set[str]:
    from ilt_xl.cli import app
    return {c.name or c.callback.__name__ for c in app.registered_commands}


FAMILY_OF = {command: family for family, commands in MANIFEST["families"].items() for command in commands}
PRESENT = sorted(c for c in FAMILY_OF if c in registered_commands())
ABSENT = sorted(c for c in FAMILY_OF if c not in registered_commands())
CASES = {case["file"]: case for case in MANIFEST["cases"]}
UNLISTED = sorted(p.name for p in CORPUS.iterdir() if p.is_file() and p.name != "manifest.json" and p.name not in CASES)

# Cases a command fails today, with why; strict, so that a fix shows up as XPASS and is removed here.
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def argv(command: str, source: Path, out: Path) -> list[str]:
    """The command line of ``command`` on ``source``, writing into the folder ``out``."""
    if command == "check":
        return ["check", str(source)]
    if command == "recalc":
        return ["recalc", str(source), "-o", str(out / f"recalc{source.suffix}"), "--today", TODAY]
    if command == "batch":
        return ["batch", str(source), "--out", str(out), "--workers", "1", "--today", TODAY]
    if command == "ics":
        return ["ics", str(source), "--all", str(out / "calendars")]
    if command == "scenario":
        return ["scenario", str(source), "--out", str(out / "scenarios"), "--room-rate", "+5%", "--today", TODAY]
    return [command, str(source), "-o", str(out / f"{command}{source.suffix}")]


def run_driver(jobs: list[dict], workdir: Path, timeout: float) -> dict:
    """Run ``jobs`` in one child interpreter bounded in memory and time; per-job results by id."""
    jobs_file, results_file = workdir / "jobs.json", workdir / "results.json"
    jobs_file.write_text(json.dumps(jobs), encoding="utf-8")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    proc = subprocess.run([sys.executable, str(HERE / "corpus_driver.py"), str(jobs_file), str(results_file)],
                          capture_output=True, text=True, timeout=timeout, preexec_fn=limit,
                          env=os.environ | {"COLUMNS": "200"})
    assert proc.returncode == 0 and results_file.exists(), f"driver died: {proc.stderr[-2000:]}"
    return json.loads(results_file.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """Run every (file, command) once, lazily per file; returns a getter."""
    cache: dict[str, dict] = {}

    def get(file: str, command: str) -> dict:
        if file not in cache:
            root = tmp_path_factory.mktemp(Path(file).stem)
            jobs, dirs = [], {}
            for c in PRESENT:
                source, out = root / c / "in" / file, root / c / "out"
                source.parent.mkdir(parents=True)
                out.mkdir()
                shutil.copyfile(CORPUS / file, source)
                dirs[c] = (source, out)
                jobs.append({"id": c, "argv": argv(c, source, out)})
            results = run_driver(jobs, root, timeout=60 + 30 * len(jobs))
            cache[file] = {c: results[c] | {"source": dirs[c][0], "out": dirs[c][1]} for c in PRESENT}
        return cache[file][command]
    return get


def expectation(case: dict, command: str) -> dict | None:
    """What the manifest expects of ``command``; None for a command that landed after the corpus was
    written (scenario so far): it gets the safety properties only until its expectations are added."""
    expect = case["expect"]
    return expect.get(command) or expect.get(FAMILY_OF[command])


def flat(text: str) -> str:
    return re.sub(r"[\s│┃]+", " ", text).casefold()


def output_files(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.is_file())


def sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return "".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist() if n.startswith("xl/worksheets/"))


def assert_safe_run(r: dict, original_hash: str) -> None:
    """The properties every run must have, whatever the case: no traceback, documented code,
    input unchanged, nothing temporary or partial left behind."""
    text = r["stdout"] + r["stderr"]
    assert r["crash"] is None, f"crashed:\n{r['crash'][-3000:]}"
    assert "Traceback" not in text
    assert r["exit"] in EXIT_CODES, r["exit"]
    source, out = r["source"], r["out"]
    assert sha(source) == original_hash, "the input was modified"
    assert [p.name for p in source.parent.iterdir()] == [source.name], "files appeared next to the input"
    written = output_files(out)
    leftovers = [p.name for p in written if p.name.startswith((".", "~")) or p.suffix in (".tmp", ".part")]
    assert not leftovers, f"temporary files left: {leftovers}"
    if r["exit"] in (2, 3):
        assert not written, f"refused (exit {r['exit']}) but wrote {[p.name for p in written]}"
    for p in written:
        if p.suffix in (".xlsx", ".xlsm"):
            assert_well_formed(p)


def assert_well_formed(path: Path) -> None:
    """An output workbook: an undamaged zip whose every XML part parses (no raw control character,
    no unbalanced element: what Excel would call unreadable content)."""
    from xml.etree import ElementTree

    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None, f"{path.name} is damaged"
        for name in zf.namelist():
            if name.endswith((".xml", ".rels")):
                try:
                    ElementTree.fromstring(zf.read(name))
                except ElementTree.ParseError as exc:
                    raise AssertionError(f"{path.name}: part {name} is not well-formed XML ({exc})") from None


PARAMS = [pytest.param(f, c, id=f"{f}-{c}",
                       marks=[pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[(f, c)])]
                       if (f, c) in KNOWN_FAILURES else [])
          for f in CASES for c in PRESENT]


@pytest.mark.parametrize("file, command", PARAMS)
def test_corpus_case(outcomes, file, command):
    case, r = CASES[file], outcomes(file, command)
    assert_safe_run(r, sha(CORPUS / file))
    want = expectation(case, command)
    if want is None:
        return
    codes = want["exit"] if isinstance(want["exit"], list) else [want["exit"]]
    text = r["stdout"] + r["stderr"]
    assert r["exit"] in codes, f"exit {r['exit']}, expected {codes}:\n{text[-1500:]}"
    if command == "check":
        assert not output_files(r["out"])
    said = flat(text)
    if command == "validate" and r["exit"] == 1:   # validate's located messages go to its Problems sheet
        said += flat(sheet_xml(r["out"] / f"validate{Path(file).suffix}"))
    assert flat(want["message"]) in said, f"no {want['message']!r} in:\n{text[-1500:]}"
    if file.endswith(".xlsm") and r["exit"] in (0, 1):
        for p in output_files(r["out"]):
            if p.suffix == ".xlsm":
                with zipfile.ZipFile(CORPUS / file) as a, zipfile.ZipFile(p) as b:
                    assert b.read("xl/vbaProject.bin") == a.read("xl/vbaProject.bin"), "VBA project not kept"
    if case["category"] == "injection":
        assert_injection_neutral(r["out"])


def assert_injection_neutral(out: Path) -> None:
    """Text that looks like a formula or an iCalendar property stays text wherever it was copied."""
    for p in output_files(out):
        if p.suffix in (".xlsx", ".xlsm"):
            xml = sheet_xml(p)
            formulas = re.findall(r"<f[^>]*>([^<]*)</f>", xml)
            assert not [f for f in formulas if "INJ" in f], "an injected text became a formula"
            for cell in re.findall(r"<c [^>]*>(?:(?!</c>).)*INJ(?:(?!</c>).)*</c>", xml, flags=re.S):
                assert re.match(r'<c [^>]*t="(inlineStr|s|str)"', cell), f"injected text not stored as text: {cell}"
        elif p.suffix == ".ics":
            text = p.read_text(encoding="utf-8")
            unfolded = text.replace("\r\n ", "")
            assert not re.search(r"^X-INJ", unfolded, flags=re.M), "a cell injected an iCalendar property"
            assert "\t" not in unfolded and not re.search(r"\r(?!\n)", unfolded)
        elif p.suffix == ".csv":
            import csv
            with open(p, newline="", encoding="utf-8") as f:
                for field in (field for row in csv.reader(f) for field in row):
                    try:
                        float(field)           # a number (a negative change) is no formula
                    except ValueError:
                        assert not field.startswith(("=", "+", "-", "@", "\t", "\r")), f"{p.name}: {field!r}"


@pytest.mark.skipif(not ABSENT, reason="every command of the manifest exists")
def test_commands_not_yet_in_the_cli():
    pytest.skip(f"not registered in the CLI yet, so not run on the corpus: {', '.join(ABSENT)}")


@pytest.mark.parametrize("file", UNLISTED or [pytest.param(None, marks=pytest.mark.skip(reason="no unlisted files"))])
def test_unlisted_corpus_file(tmp_path, file):
    """A hostile file added to tests/corpus without an expectation: safe behaviour from every command."""
    jobs, dirs = [], {}
    for c in PRESENT:
        source, out = tmp_path / c / "in" / file, tmp_path / c / "out"
        source.parent.mkdir(parents=True)
        out.mkdir()
        shutil.copyfile(CORPUS / file, source)
        dirs[c] = (source, out)
        jobs.append({"id": c, "argv": argv(c, source, out)})
    results = run_driver(jobs, tmp_path, timeout=60 + 30 * len(jobs))
    for c in PRESENT:
        r = results[c] | {"source": dirs[c][0], "out": dirs[c][1]}
        text = r["stdout"] + r["stderr"]
        assert_safe_run(r, sha(CORPUS / file))
        assert text.strip(), f"{c} said nothing"


# Targets that cannot be written: a read-only folder, a file already there --------------------------

WRITERS = [c for c in PRESENT if c not in ("check", "scenario")]   # scenario writes a new folder of copies
CLEAN_CASE = "non_ascii_rtl.xlsx"


@pytest.fixture(scope="module")
def target_runs(tmp_path_factory):
    """Every writing command on a clean planner into (a) a read-only folder, (b) a folder holding its target."""
    root = tmp_path_factory.mktemp("targets")
    jobs, dirs = [], {}
    for situation in ("read-only", "target-present"):
        for c in WRITERS:
            source, out = root / situation / c / "in" / CLEAN_CASE, root / situation / c / "out"
            source.parent.mkdir(parents=True)
            out.mkdir()
            shutil.copyfile(CORPUS / CLEAN_CASE, source)
            args = argv(c, source, out)
            if situation == "target-present":   # a dry run tells which files the command writes
                for name in ("recalc.xlsx", f"{c}.xlsx", CLEAN_CASE):
                    (out / name).write_bytes(b"precious")
                (out / "calendars").mkdir()
            dirs[(situation, c)] = (source, out)
            jobs.append({"id": f"{situation}|{c}", "argv": args})
    for situation, c in dirs:
        if situation == "read-only":
            dirs[(situation, c)][1].chmod(0o555)
    try:
        results = run_driver(jobs, root, timeout=60 + 30 * len(jobs))
    finally:
        for situation, c in dirs:
            dirs[(situation, c)][1].chmod(0o755)
    return {k: results[f"{k[0]}|{k[1]}"] | {"source": v[0], "out": v[1]} for k, v in dirs.items()}


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
@pytest.mark.parametrize("command", WRITERS)
def test_read_only_target_folder(target_runs, command):
    r = target_runs[("read-only", command)]
    assert_safe_run(r, sha(CORPUS / CLEAN_CASE))
    assert r["exit"] == 3, r["stdout"] + r["stderr"]
    assert "cannot write" in flat(r["stdout"] + r["stderr"]) or "permission" in flat(r["stdout"] + r["stderr"])


@pytest.mark.parametrize("command", [pytest.param(c, marks=[pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[
    ("target-present", c)])] if ("target-present", c) in KNOWN_FAILURES else []) for c in WRITERS])
def test_target_already_present(target_runs, command):
    r = target_runs[("target-present", command)]
    text = r["stdout"] + r["stderr"]
    assert r["crash"] is None and "Traceback" not in text
    assert sha(r["source"]) == sha(CORPUS / CLEAN_CASE)
    if command == "ics":
        assert r["exit"] == 0      # calendars are exports, replaced on purpose (ilt_xl/cli/ics.py)
        return
    assert r["exit"] == 3, text
    assert all(p.read_bytes() == b"precious" for p in r["out"].iterdir() if p.is_file()), "an existing file was replaced"
    assert "exists" in flat(text) or "already" in flat(text)


@pytest.mark.skipif("recalc" not in PRESENT, reason="recalc not in the CLI yet")
def test_volatile_functions_are_deterministic_with_today(tmp_path):
    """TODAY() and NOW() follow --today, so two runs write the same values (RAND excepted: D4 is left out)."""
    file = "volatile_functions.xlsx"
    jobs = []
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        shutil.copyfile(CORPUS / file, tmp_path / run / file)
        jobs.append({"id": run, "argv": ["recalc", str(tmp_path / run / file), "-o", str(tmp_path / run / "out.xlsx"),
                                         "--today", TODAY]})
    results = run_driver(jobs, tmp_path, timeout=120)
    assert all(results[k]["crash"] is None for k in results)

    def cells(run: str) -> dict:
        with zipfile.ZipFile(tmp_path / run / "out.xlsx") as zf:
            xml = zf.read("xl/worksheets/sheet1.xml").decode()
        return dict(re.findall(r'<c r="(D[23])"[^>]*>.*?<v>([^<]*)</v>', xml))
    a, b = cells("a"), cells("b")
    assert a == b and float(a["D2"]) == 45444      # 2024-06-01 as an Excel serial
