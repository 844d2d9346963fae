"""Conformance of the engine with Microsoft Excel on workbooks Excel saved (their cached values).

Every workbook of ``../shared/excel-conformance/`` (beside the repository; see its SOURCES.md) was
saved by Excel, so each formula cell carries the value Excel computed. For each file this module
loads the workbook, recalculates it with the engine, and compares every formula cell (array
formula areas included) with Excel's value: numbers to 1e-9 relative, text exactly, errors by
code, booleans as booleans. A cell the engine could not evaluate (listed in the report's
problems) counts as not matching, whatever value it holds. Each file runs in a child process
with a time limit, so a hang or a crash is reported for that file and the others still run.

    python -m tests.engine.conformance                 # the per-file table and the overall figure
    python -m tests.engine.conformance --details NAME  # the mismatching cells of files matching NAME
    python -m tests.engine.conformance --functions     # mismatches counted by function name

Used by tests/engine/test_excel_conformance.py; other tests and benchmarks can call
:func:`run_corpus` or :func:`check_file`.
"""
from __future__ import annotations

import argparse
import datetime as dt
import math
import multiprocessing
import re
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:       # run as a script: make ilt_xl importable from the checkout
    sys.path.insert(0, str(ROOT))

TIME_LIMIT = 60.0       # seconds per file: the largest file of the corpus takes a few
REL_TOL = 1e-9
# TODAY()/NOW()/RAND() cannot match a cache written on another day; they are evaluated as of this day
TODAY = dt.date(2024, 1, 1)


def corpus_folder(start: Path = ROOT) -> Path | None:
    """``shared/excel-conformance`` beside the repository (CI clones the repo next to ``shared/``);
    a checkout deeper in a workspace looks beside each of its parent folders. None when absent."""
    for parent in [start, *start.parents]:
        folder = parent.parent / "shared" / "excel-conformance"
        if folder.is_dir():
            return folder
    return None


def corpus_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".xlsx", ".xlsm"))


@dataclass
class Mismatch:
    cell: str           # Sheet!A1
    formula: str
    ours: object
    excel: object
    reason: str = ""    # the engine's problem for the cell, when it could not evaluate it

    def __str__(self) -> str:
        why = f"  [{self.reason}]" if self.reason else ""
        return f"{self.cell} ={self.formula}: ours {self.ours!r}, Excel {self.excel!r}{why}"


@dataclass
class FileResult:
    name: str
    cells: int = 0                  # formula cells compared (array areas included)
    matched: int = 0
    not_computed: int = 0           # cells in the engine's problems (counted as not matching)
    refused: str | None = None      # the engine refused the file (WorkbookError): its message
    crashed: str | None = None      # a traceback out of the engine, or the time limit
    seconds: float = 0.0
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def percent(self) -> float:
        return 100.0 * self.matched / self.cells if self.cells else 100.0


# ---- values -------------------------------------------------------------------------------------------

def _value(block, i: int, j: int):
    """One grid element as a comparable Python value: float, str, bool, ('error', code) or None."""
    from ilt_xl.engine.values import BOOL, EMPTY, ERR, NUM
    k = block.kind[i, j]
    if k == NUM:
        return float(block.num[i, j])
    if k == BOOL:
        return bool(block.num[i, j])
    if k == ERR:
        return ("error", str(block.obj[i, j]))
    if k == EMPTY:
        return None
    return block.obj[i, j]


def same(ours, excel, rel: float = REL_TOL) -> bool:
    """Excel's value and ours agree: numbers to ``rel`` relative, the rest exactly (types included)."""
    if isinstance(excel, float) and isinstance(ours, float):
        return math.isclose(ours, excel, rel_tol=rel, abs_tol=1e-300)
    if excel is None or excel == "":        # Excel caches an empty text result as "" or nothing
        return ours is None or ours == ""
    return type(ours) is type(excel) and ours == excel


def _formula_cells(sheet) -> list[tuple[int, int, str]]:
    """(row, col, formula) of each formula cell of a sheet, every cell of an array formula's area."""
    from ilt_xl.engine.workbook_model import parse_area
    f = sheet.formulas
    out = []
    for r, c, text, area in zip(f.rows.tolist(), f.cols.tolist(), f.texts, f.array_refs):
        if area:
            r0, c0, r1, c1 = parse_area(area)
            out += [(rr, cc, "{" + text + "}") for rr in range(r0, r1 + 1) for cc in range(c0, c1 + 1)]
        elif text:              # an empty <f/> is a cell of an array formula's area, listed with it
            out.append((r, c, text))
    return out


def _namespace(root) -> str:
    """``{uri}`` of ``root``'s element name: Transitional and Strict Open XML name the same elements
    in different namespaces."""
    return root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""


def excel_values(path: Path, part: str) -> dict[tuple[int, int], object]:
    """Cached values of the cells of one worksheet part, read with ElementTree (not the engine's
    scanner, so that the truth does not depend on the code under test): (row, col) -> value."""
    import xml.etree.ElementTree as ET
    import zipfile
    from ilt_xl.xlsx import column_index
    with zipfile.ZipFile(path) as z:
        strings = []
        if "xl/sharedStrings.xml" in z.namelist():
            root = ET.fromstring(z.read("xl/sharedStrings.xml"))
            ns = _namespace(root)
            strings = [_unescape("".join(t.text or "" for t in si.iter(ns + "t") if not _in_phonetic(si, t, ns)))
                       for si in root if si.tag in (ns + "si", ns + "sstItem")]   # sstItem: Excel 2007 beta
        root = ET.fromstring(z.read(part))
        workbook = ET.fromstring(z.read("xl/workbook.xml")) if "xl/workbook.xml" in z.namelist() else None
    pr = workbook.find(_namespace(workbook) + "workbookPr") if workbook is not None else None
    date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
    ns = _namespace(root)
    out = {}
    for c in root.iter(ns + "c"):
        m = re.match(r"([A-Z]+)([0-9]+)", c.get("r", ""))
        if not m:
            continue
        t, v = c.get("t", "n"), c.find(ns + "v")
        text = v.text if v is not None else None
        if t == "inlineStr":
            value = _unescape("".join(x.text or "" for x in c.iter(ns + "t")))
        elif text is None:
            value = None
        elif t == "s":
            value = strings[int(text)]
        elif t == "str":
            value = _unescape(text)
        elif t == "b":
            value = text.strip() in ("1", "true")
        elif t == "e":
            value = ("error", text)
        elif t == "d":
            value = _iso_serial(text, date1904)
        else:
            value = float(text)
        out[(int(m.group(2)), column_index(m.group(1)))] = value
    return out


def _iso_serial(text: str, date1904: bool) -> float:
    """An ISO 8601 date-time (``t="d"``, as Strict Open XML stores dates) as the serial Excel shows:
    days since 1904-01-01, or since 1899-12-30 with Excel's phantom 1900-02-29 below 1 March 1900."""
    text = text.strip()
    moment = dt.datetime.fromisoformat(text if "-" in text[:5] else "1899-12-30T" + text.lstrip("T"))
    days = (moment - dt.datetime(1904, 1, 1) if date1904 else moment - dt.datetime(1899, 12, 30)).total_seconds() / 86400
    return days - 1 if not date1904 and 1 <= days < 61 else days


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    """OOXML's escape of characters XML cannot hold (``_x0001_`` is U+0001; ``_x005F_`` a literal _)."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def _in_phonetic(si, t, ns: str) -> bool:
    return any(t in list(rph.iter()) for rph in si.findall(ns + "rPh"))


_CELL = re.compile(r"^(.*)!([A-Z]+)([0-9]+)$")


def _problem_cells(report) -> dict[tuple[str, int, int], str]:
    """(sheet, row, col) -> reason of every cell the engine reports it could not evaluate."""
    from ilt_xl.xlsx import column_index
    out = {}
    for p in report.problems:
        m = _CELL.match(p.cell)
        if not m:
            continue
        sheet, col, row = m.group(1), column_index(m.group(2)), int(m.group(3))
        for k in range(p.cells):
            out[(sheet, row + k, col)] = p.reason
    return out


# ---- one file -----------------------------------------------------------------------------------------

def check_file(path: Path) -> FileResult:
    """Recalculate ``path`` in this process and compare with Excel's cached values."""
    from ilt_xl.engine.recalc import RecalcReport, compute
    from ilt_xl.engine.workbook_model import load_workbook_model
    from ilt_xl.xlsx import WorkbookError, column_letter
    result = FileResult(path.name)
    t0 = time.perf_counter()
    try:
        model = load_workbook_model(path)
    except WorkbookError as exc:
        result.refused = str(exc)
        result.cells = _count_formula_cells(path)
        result.seconds = time.perf_counter() - t0
        return result
    cells = {s.name: _formula_cells(s) for s in model.sheets}
    excel = {s.name: excel_values(path, s.part) for s in model.sheets if cells[s.name]}
    report = compute(model, TODAY, RecalcReport(str(path), None))
    failed = _problem_cells(report)
    for sheet in model.sheets:
        for r, c, text in cells[sheet.name]:
            theirs = excel[sheet.name].get((r, c))
            ours = _value(sheet.grid, r - 1, c - 1)
            reason = failed.get((sheet.name, r, c), "")
            result.cells += 1
            if reason:
                result.not_computed += 1
            elif same(ours, theirs):
                result.matched += 1
                continue
            result.mismatches.append(Mismatch(f"{sheet.name}!{column_letter(c)}{r}", text, ours, theirs, reason))
    result.seconds = time.perf_counter() - t0
    return result


def _count_formula_cells(path: Path) -> int:
    """Formula cells of a file the engine refused (openpyxl, independent of the engine's reader)."""
    import openpyxl
    try:
        wb = openpyxl.load_workbook(path)
    except Exception:
        return 0
    return sum(1 for ws in wb.worksheets for row in ws.iter_rows() for c in row
               if isinstance(c.value, str) and c.value.startswith("=") or type(c.value).__name__ == "ArrayFormula")


def _child(path: Path, conn) -> None:
    try:
        conn.send(check_file(path))
    except BaseException:
        conn.send(FileResult(path.name, crashed=traceback.format_exc()))
    finally:
        conn.close()


def check_file_isolated(path: Path, time_limit: float = TIME_LIMIT) -> FileResult:
    """:func:`check_file` in a child process: a crash or a hang past ``time_limit`` is reported."""
    ctx = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(path, child), daemon=True)
    t0 = time.perf_counter()
    proc.start()
    child.close()
    try:
        if parent.poll(time_limit):
            result = parent.recv()
        else:
            result = FileResult(path.name, crashed=f"did not finish within {time_limit:.0f} s",
                                cells=_count_formula_cells(path))
    except EOFError:
        result = FileResult(path.name, crashed=f"the child process died (exit code {proc.exitcode})",
                            cells=_count_formula_cells(path))
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        parent.close()
    if result.crashed and not result.cells:
        result.cells = _count_formula_cells(path)
    result.seconds = time.perf_counter() - t0
    return result


def _import_once() -> None:
    """Import the engine and the `formulas` function modules before forking, so that each child
    does not import them again (seconds per file otherwise)."""
    import importlib

    import formulas.functions as ff

    import ilt_xl.engine.recalc  # noqa: F401
    for mod in ff.SUBMODULES:
        importlib.import_module(mod, ff.__name__)


def run_corpus(folder: Path, time_limit: float = TIME_LIMIT, only: str | None = None) -> list[FileResult]:
    """Every workbook of ``folder`` (those whose name contains ``only``), each isolated."""
    _import_once()
    return [check_file_isolated(p, time_limit) for p in corpus_files(folder) if only is None or only in p.name]


@dataclass
class Summary:
    files: int
    cells: int
    matched: int
    refused: int
    crashed: int

    @property
    def percent(self) -> float:
        return 100.0 * self.matched / self.cells if self.cells else 100.0


def summarise(results: list[FileResult]) -> Summary:
    return Summary(len(results), sum(r.cells for r in results), sum(r.matched for r in results),
                   sum(r.refused is not None for r in results), sum(r.crashed is not None for r in results))


# ---- report ---------------------------------------------------------------------------------------

_FUNC = re.compile(r"([A-Z][A-Z0-9.]*)\(")


def mismatch_functions(results: list[FileResult]) -> Counter:
    """How many mismatching cells use each function (a cell counts once per distinct function)."""
    out: Counter = Counter()
    for r in results:
        for m in r.mismatches:
            names = {n.replace("_XLFN.", "").replace("_XLWS.", "") for n in _FUNC.findall(m.formula.upper())}
            out.update(names or {"(no function)"})
    return out


def table(results: list[FileResult]) -> str:
    lines = [f"{'file':58} {'cells':>6} {'match':>6} {'%':>7} {'n/c':>5} {'s':>6}  status"]
    for r in sorted(results, key=lambda r: (r.percent, r.name)):
        status = ("REFUSED: " + r.refused.splitlines()[0][:80]) if r.refused else \
                 ("CRASHED: " + r.crashed.strip().splitlines()[-1][:80]) if r.crashed else ""
        lines.append(f"{r.name[:58]:58} {r.cells:6d} {r.matched:6d} {r.percent:7.2f} {r.not_computed:5d} "
                     f"{r.seconds:6.1f}  {status}")
    s = summarise(results)
    lines.append(f"overall: {s.matched}/{s.cells} formula cells match Excel ({s.percent:.2f}%) in {s.files} files; "
                 f"{s.refused} refused, {s.crashed} crashed or timed out")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--folder", type=Path, default=None, help="the corpus folder (default: ../shared/excel-conformance)")
    ap.add_argument("--only", help="only files whose name contains this text")
    ap.add_argument("--details", metavar="NAME", help="list the mismatching cells of files whose name contains NAME")
    ap.add_argument("--functions", action="store_true", help="count mismatching cells by function")
    ap.add_argument("--limit", type=int, default=40, help="mismatches listed per file with --details")
    ap.add_argument("--time-limit", type=float, default=TIME_LIMIT)
    args = ap.parse_args(argv)
    folder = args.folder or corpus_folder()
    if folder is None or not folder.is_dir():
        print("the conformance corpus (shared/excel-conformance beside the repository) is not there", file=sys.stderr)
        return 2
    results = run_corpus(folder, args.time_limit, args.only or args.details)
    print(table(results))
    if args.functions:
        for name, n in mismatch_functions(results).most_common(40):
            print(f"{n:6d}  {name}")
    if args.details:
        for r in results:
            if r.crashed:
                print(f"\n== {r.name}: crashed\n{r.crashed}")
            if r.mismatches:
                print(f"\n== {r.name}: {len(r.mismatches)} mismatches")
                for m in r.mismatches[:args.limit]:
                    print("  " + str(m))
    return 0


if __name__ == "__main__":
    sys.exit(main())
