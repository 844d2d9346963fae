"""Benchmark: full recalculation (load, compute, save) of the same planner by three engines.

    python benchmarks/recalc.py                 # builds the 20,000-session example first
    python benchmarks/recalc.py PLAN.xlsx       # or times an existing workbook
    python benchmarks/recalc.py --sessions 5000 --formulas-cap 300

The floor first: a plain ``zipfile`` copy of the same file (inflate and deflate every part, as
any tool that rewrites a workbook must), timed side by side with ilt-xl in the same run, in
process and from the command line (a fresh Python for each), with the ratio recalc / copy and the
command line's peak memory: the sum of its processes' proportional set sizes (PSS), pages they share
copy-on-write counted once, as they use the machine's memory (the helpers forked for the load and
for compute share most of their pages with the command); the sum of their resident sets, which
counts each shared page once per process (an upper bound), is printed beside it (see _MEASURED).
Engines: ilt-xl (in process: its first call, then the best of
--warm-runs more as a batch worker sees it; and the ``ilt-xl recalc`` command line in a fresh
process including Python start-up),
``formulas.ExcelModel`` (load, calculate, write; in a subprocess capped at ``--formulas-cap``
seconds, reported as "> cap"; it cannot read structured references, so it is given an A1 twin of
the workbook whose formulas are the same cells with their references rewritten), and LibreOffice headless forced to recalculate everything
(``--convert-to`` with a profile setting OOXMLRecalcMode to 0; the first run is cold, the
second warm, with --lo-runs 2). Prints seconds and the ratios of the other engines to ilt-xl.
As formulas does not finish the 20,000-session file within its cap, the same comparison is also
run on a --same-size example small enough for it to finish, so one ratio is measured, not bounded.
"""
from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_FORMULAS_SCRIPT = """
import sys, formulas
xl = formulas.ExcelModel().loads(sys.argv[1]).finish()
xl.calculate()
xl.write(dirpath=sys.argv[2])
"""


def zip_copy(source: str | Path, target: str | Path) -> None:
    """A plain zipfile copy: every part inflated and deflated again (zlib's default level)."""
    import zipfile
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info), compress_type=zipfile.ZIP_DEFLATED)


def time_zip_copy(path: Path, out: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of :func:`zip_copy` in this process."""
    t, c = time.perf_counter(), time.process_time()
    zip_copy(path, out)
    return time.perf_counter() - t, time.process_time() - c


# Runs a command and prints its peak memory (MB), CPU seconds and peak summed resident memory
# (MB). A child's peak memory as its parent sees it includes the parent's own size when the child
# was started (Linux counts the memory the child shared before exec), so the command is started
# from this small process, not from the benchmark, which holds workbooks of its own.
#
# The command may run helper processes forked from it (ilt_xl/engine/second_core.py for the load,
# compute_share.py for compute), which share most of their pages with it copy-on-write. The peak
# getrusage reports is the largest single process's, not their sum; summing their resident sets
# counts every shared page once per process: an upper bound, not what they take (a helper forked
# from a 380 MB process adds ~130 MB to the machine's memory but ~380 MB to the sum of resident
# sets). What they take together is the sum of their proportional set sizes (PSS: each page
# divided among the processes sharing it; /proc/PID/smaps_rollup), so the memory figure is the
# larger of the largest process's peak and the peak of the summed PSS (sampled every 20 ms, on
# Linux); the peak of the summed resident sets is printed beside it, so nothing is hidden.
_MEASURED = """
import os, resource, subprocess, sys, time
def tree(pid):
    try:
        kids = [int(c) for t in os.listdir(f"/proc/{pid}/task") for c in open(f"/proc/{pid}/task/{t}/children").read().split()]
    except OSError:
        return [pid]
    return [pid] + [p for k in kids for p in tree(k)]
def resident(pid):
    try:
        return int(open(f"/proc/{pid}/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0
def proportional(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("Pss:"))
    except (OSError, ValueError, IndexError, StopIteration):
        return resident(pid)    # no smaps_rollup (kernels before 4.14): the upper bound
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
rss = pss = 0
while child.poll() is None:     # recalc exits 1 when cells are kept: still timed
    if os.path.exists("/proc/self/statm"):
        pids = tree(child.pid)
        rss = max(rss, sum(resident(p) for p in pids))
        pss = max(pss, sum(proportional(p) for p in pids))
    time.sleep(0.02)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(max(u.ru_maxrss / 1024, pss / 2**20), u.ru_utime + u.ru_stime, max(u.ru_maxrss / 1024, rss / 2**20))
"""


def run_measured(command: list[str]) -> tuple[float, float, float, float]:
    """(wall seconds, CPU seconds, peak memory in MB, peak summed resident memory in MB) of
    ``command`` in a process of its own (see _MEASURED: the memory figure counts pages the
    processes share once, the resident sum once per process)."""
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _MEASURED, *command], check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t
    peak, cpu, resident = map(float, done.stdout.split())
    return wall, cpu, peak, resident


def time_zip_copy_cli(path: Path, out: Path) -> tuple[float, float, float, float]:
    """(wall seconds, CPU seconds, peak MB, summed resident MB) of :func:`zip_copy` in a fresh Python, as a command-line tool would run it."""
    code = f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import recalc; recalc.zip_copy(*sys.argv[1:])"
    return run_measured([sys.executable, "-c", code, str(path), str(out)])


def compile_package() -> None:
    """Compile ilt_xl's bytecode, as ``pip install`` does for an installed copy. In a checkout run
    with PYTHONDONTWRITEBYTECODE set (as on the shared development machine), every fresh ``ilt-xl``
    process would otherwise compile the package's sources again (~0.2 s CPU of its start-up), which
    no installed copy pays. Python reads these files whatever that setting says."""
    import compileall

    import ilt_xl
    compileall.compile_dir(Path(ilt_xl.__file__).parent, quiet=1)


def cpu_with_helpers() -> float:
    """CPU seconds of this process and of the child processes it has waited for: the load's
    helper (ilt_xl/engine/second_core.py) scans sheets on a second core in a process of its own."""
    import resource
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def floor_ratios(path: Path, folder: Path, rounds: int = 3) -> None:
    """recalc / plain copy, in process and from the command line, interleaved so both see the same
    machine; the best of ``rounds`` each, wall time and CPU time (all threads and the load's helper
    process; on a machine shared with other work the CPU time moves less), and each command line's peak memory. The package's
    bytecode is compiled first (:func:`compile_package`)."""
    compile_package()
    copy_in, ours_in, copy_cli, ours_cli = [], [], [], []
    for _ in range(rounds):
        copy_in.append(time_zip_copy(path, folder / "copy.xlsx"))
        c = cpu_with_helpers()
        ours_in.append((time_ilt_xl(path, folder / "ours.xlsx")[0], cpu_with_helpers() - c))
        copy_cli.append(time_zip_copy_cli(path, folder / "copy_cli.xlsx"))
        ours_cli.append(time_ilt_xl_cli(path, folder / "ours_cli.xlsx"))

    def line(what: str, copy: list, ours: list) -> None:
        (cw, cc), (ow, oc) = [(min(r[0] for r in runs), min(r[1] for r in runs)) for runs in (copy, ours)]
        peaks = "" if len(ours[0]) < 3 else \
            (f"; peak memory (PSS summed over its processes): copy {max(r[2] for r in copy):.0f} MB, recalc "
             f"{max(r[2] for r in ours):.0f} MB (resident sets summed: {max(r[3] for r in ours):.0f} MB)")
        print(f"{what}: copy {cw:.2f} s (CPU {cc:.2f} s), recalc {ow:.2f} s (CPU {oc:.2f} s): "
              f"ratio {ow / cw:.2f} wall, {oc / cc:.2f} CPU{peaks}")
    line("plain zip copy vs ilt-xl recalc, in process", copy_in, ours_in)
    line("plain zip copy vs ilt-xl recalc, command line (a fresh Python each)", copy_cli, ours_cli)


def build_example(folder: Path, sessions: int) -> Path:
    path = folder / f"example_{sessions}.xlsx"
    subprocess.run(["ilt-xl", "new", str(path), "--example", "--sessions", str(sessions), "--force"],
                   check=True, capture_output=True, text=True)
    return path


def time_ilt_xl(path: Path, out: Path) -> tuple[float, object]:
    from ilt_xl.engine.recalc import recalculate
    t = time.perf_counter()
    report = recalculate(path, out, today=dt.date.today())
    return time.perf_counter() - t, report


def time_ilt_xl_warm(path: Path, out: Path, runs: int) -> tuple[float, float]:
    """Best and median seconds of ``runs`` more recalculations in this process: the steady state
    of a batch worker, with modules and calendars already loaded."""
    times = sorted(time_ilt_xl(path, out)[0] for _ in range(runs))
    return times[0], times[len(times) // 2]


def time_ilt_xl_cli(path: Path, out: Path) -> tuple[float, float, float, float]:
    """(wall seconds, CPU seconds, peak MB, summed resident MB) of ``ilt-xl recalc`` in a fresh process."""
    script = Path(sys.executable).with_name("ilt-xl")        # this environment's, whatever PATH says
    return run_measured([str(script) if script.exists() else "ilt-xl", "recalc", str(path), "-o", str(out), "--force"])


def a1_twin(path: Path, target: Path) -> Path:
    """A copy whose formulas use A1 references only (``formulas`` cannot read structured references):
    each cell's structured references rewritten for its row, data validations dropped."""
    import html
    import re
    import zipfile
    from xml.sax.saxutils import escape

    from ilt_xl.engine.structured_refs import rewrite
    from ilt_xl.engine.workbook_model import load_workbook_model
    from ilt_xl.xlsx import column_index

    model = load_workbook_model(path)
    parts = {s.part: s.name for s in model.sheets}
    cell_f = re.compile(rb'(<c r="([A-Z]+)([0-9]+)"[^>]*><f[^>]*>)([^<]*)(</f>)')

    def fix(sheet: str):
        def repl(m):
            text = html.unescape(m.group(4).decode())
            new = rewrite(text, model.tables, sheet, int(m.group(3)), column_index(m.group(2).decode()))
            return m.group(1) + escape(new).encode() + m.group(5)
        return repl

    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename in parts:
                data = cell_f.sub(fix(parts[info.filename]), data)
                data = re.sub(rb"<dataValidations.*?</dataValidations>", b"", data, flags=re.S)
            elif info.filename == "xl/workbook.xml":
                data = re.sub(rb"<definedName [^>]*>[^<]*\[[^<]*</definedName>", b"", data)
            zout.writestr(info, data)
    return target


def time_formulas(path: Path, outdir: Path, cap: float) -> float | None:
    outdir.mkdir(exist_ok=True)
    t = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-c", _FORMULAS_SCRIPT, str(path), str(outdir)],
                              capture_output=True, text=True, timeout=cap)
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0:
        print(f"  formulas failed: {proc.stderr.strip().splitlines()[-1:]}")
        return float("nan")
    return time.perf_counter() - t


def time_libreoffice(path: Path, outdir: Path, cap: float) -> float | None:
    """Seconds LibreOffice takes, or None past ``cap``."""
    sys.path.insert(0, str(ROOT / "tests"))
    from libreoffice import recalculate_with_libreoffice
    t = time.perf_counter()
    try:
        recalculate_with_libreoffice(path, outdir, timeout=cap)
    except RuntimeError as exc:
        if "timed out" in str(exc):
            return None
        raise
    return time.perf_counter() - t


def _seconds(value: float | None, cap: float) -> str:
    return f"> {cap:.0f} s" if value is None else f"{value:.2f} s"


def _ratio(value: float | None, cap: float, ours: float) -> str:
    return f"> x{cap / ours:.0f}" if value is None else f"x{value / ours:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workbook", nargs="?", help="workbook to time (default: build the example)")
    parser.add_argument("--sessions", type=int, default=20000)
    parser.add_argument("--formulas-cap", type=float, default=300.0)
    parser.add_argument("--skip-formulas", action="store_true", help="do not run formulas.ExcelModel")
    parser.add_argument("--floor-only", action="store_true", help="only recalc against the plain zip copy")
    parser.add_argument("--lo-cap", type=float, default=900.0, help="seconds before LibreOffice is given up")
    parser.add_argument("--lo-runs", type=int, default=1, choices=(1, 2), help="1: cold only; 2: cold then warm")
    parser.add_argument("--warm-runs", type=int, default=3, help="in-process runs after the first (best is reported)")
    parser.add_argument("--same-size", type=int, default=600, metavar="SESSIONS",
                        help="also time formulas and ilt-xl on an example this small (0: skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.workbook:
            path = Path(args.workbook)
        else:
            t = time.perf_counter()
            path = build_example(tmp, args.sessions)
            print(f"built {path.name} ({args.sessions} sessions) in {time.perf_counter() - t:.1f} s")
        print(f"workbook: {path} ({path.stat().st_size / 1e6:.1f} MB)")
        floor_ratios(path, tmp)
        if args.floor_only:
            return
        first, report = time_ilt_xl(path, tmp / "ours.xlsx")
        print(f"ilt-xl (in process, first call): {first:6.2f} s   load {report.seconds_load:.2f}, compute "
              f"{report.seconds_compute:.2f}, write {report.seconds_write:.2f}; {report.cells_computed} formula "
              f"cells, {report.runs} runs ({report.runs_vectorised} vectorised), {len(report.problems)} problems")
        ours, median = time_ilt_xl_warm(path, tmp / "ours.xlsx", args.warm_runs)
        print(f"ilt-xl (in process, warm):       {ours:6.2f} s   best of {args.warm_runs} (median {median:.2f} s), "
              "as in a batch worker")
        cli = time_ilt_xl_cli(path, tmp / "ours_cli.xlsx")[0]
        print(f"ilt-xl recalc (CLI):             {cli:6.2f} s   (a fresh process: Python start-up and imports included)")
        for run in ("cold", "warm")[: args.lo_runs]:
            lo = time_libreoffice(path, tmp / f"lo_{run}", args.lo_cap)
            print(f"LibreOffice ({run}):              {_seconds(lo, args.lo_cap):>8}   ({_ratio(lo, args.lo_cap, ours)} "
                  f"ilt-xl warm, {_ratio(lo, args.lo_cap, cli)} ilt-xl CLI)")
        if args.skip_formulas:
            return
        twin = a1_twin(path, tmp / "a1_twin.xlsx")
        f = time_formulas(twin, tmp / "formulas", args.formulas_cap)
        print(f"formulas ExcelModel:             {_seconds(f, args.formulas_cap):>8}   ({_ratio(f, args.formulas_cap, ours)} "
              f"ilt-xl warm, {_ratio(f, args.formulas_cap, cli)} ilt-xl CLI; given an A1 twin, see above)")
        if args.same_size and not args.workbook:
            same_size(tmp, args.same_size, args.formulas_cap)


def same_size(folder: Path, sessions: int, cap: float) -> None:
    """formulas and ilt-xl on a smaller example that formulas can finish: a measured ratio, not a bound."""
    path = build_example(folder, sessions)
    ours, _ = time_ilt_xl_warm(path, folder / f"ours_{sessions}.xlsx", 3)
    cli = time_ilt_xl_cli(path, folder / f"ours_cli_{sessions}.xlsx")[0]
    f = time_formulas(a1_twin(path, folder / f"a1_twin_{sessions}.xlsx"), folder / f"formulas_{sessions}", cap)
    print(f"same workbook at {sessions} sessions: formulas {_seconds(f, cap)}, ilt-xl warm {ours:.2f} s "
          f"({_ratio(f, cap, ours)}), ilt-xl CLI {cli:.2f} s ({_ratio(f, cap, cli)})")


if __name__ == "__main__":
    main()
