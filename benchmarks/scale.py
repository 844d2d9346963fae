"""Benchmark: each command's CPU time and peak memory on a large planner (issue 14, item 15: every
command on 200,000 sessions within 2 GB and in linear time).

    python benchmarks/scale.py                          # builds a 20,000-session example first
    python benchmarks/scale.py --sessions 200000        # the issue's size (building it takes minutes)
    python benchmarks/scale.py PLAN.xlsx --commands check ics report

Each command runs in a fresh process (``ilt_xl.cli.main``), one after the other, so its
peak resident memory is its own (``getrusage(RUSAGE_CHILDREN)`` of a process that has only that
child). Prints, per command, the exit code, user+system CPU seconds, microseconds of CPU per
session (equal figures at two sizes mean linear time) and the peak in MB against the 2 GB goal.
Figures measured are kept in ``benchmarks/scale.md``.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

COMMANDS = {
    "check": ["check", "{plan}"],
    "report": ["report", "{plan}"],
    "ics": ["ics", "{plan}", "--all", "{out}/calendars"],
    "conflicts": ["conflicts", "{plan}", "-o", "{out}/conflicts.xlsx"],
    "checklist": ["checklist", "{plan}", "-o", "{out}/checklist.xlsx"],
    "allocate": ["allocate", "{plan}", "-o", "{out}/allocate.xlsx"],
    "recalc": ["recalc", "{plan}", "-o", "{out}/recalc.xlsx"],
    "refresh": ["refresh", "{plan}", "-o", "{out}/refresh.xlsx"],
    # a baseline and one what-if copy, each recalculated
    "scenario": ["scenario", "{plan}", "-o", "{out}/scenario", "--room-rate", "+5%"],
    # the one planner as a batch of one, in one worker process, with no evaluation time limit
    "batch": ["batch", "{plan}", "--out", "{out}/batch", "--workers", "1", "--timeout", "0"],
}
GOAL_MB = 2048


# Run in a process of its own, so that its RUSAGE_CHILDREN is the command's alone: the command's
# exit code, CPU seconds (its worker processes included), the largest process's peak RSS (what
# /usr/bin/time -v reports) and the peak of the sum over the command's process tree, sampled from
# /proc every 50 ms (a command that recalculates in a worker process holds memory in two at once).
_MEASURE = """
import os, resource, subprocess, sys, time

def tree_rss(root):
    children, rss = {}, {}
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open(f'/proc/{pid}/stat') as f:
                parent = int(f.read().rsplit(')', 1)[1].split()[1])
            with open(f'/proc/{pid}/statm') as f:
                rss[int(pid)] = int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(pid))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total

command = subprocess.Popen([sys.executable, '-c', 'from ilt_xl.cli import main; main()', *sys.argv[1:]],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
peak = 0
while command.poll() is None:
    peak = max(peak, tree_rss(command.pid))
    time.sleep(0.05)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(command.returncode, u.ru_utime + u.ru_stime, u.ru_maxrss / 1024, peak / 2 ** 20)
"""


def measure(args: list[str]) -> tuple[int, float, float, float]:
    """(exit code, CPU seconds, largest process's peak MB, process tree's sampled peak MB) of
    ``ilt-xl ARGS`` in a child process of its own."""
    done = subprocess.run([sys.executable, "-c", _MEASURE, *args], capture_output=True, text=True, check=True)
    exit_code, cpu, largest, tree = done.stdout.split()
    return int(exit_code), float(cpu), float(largest), float(tree)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan", nargs="?", type=Path, help="an existing planner (default: build the example)")
    parser.add_argument("--sessions", type=int, default=20_000)
    parser.add_argument("--commands", nargs="+", default=list(COMMANDS), choices=list(COMMANDS))
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        plan = options.plan
        if plan is None:
            plan = Path(folder) / "plan.xlsx"
            code, cpu, peak, tree = measure(["new", str(plan), "--example", "--sessions", str(options.sessions), "-q"])
            print(f"{'new --example':14} exit {code}  {cpu:8.1f} s CPU  {peak:7.0f} MB (processes together {tree:.0f} MB)")
        from ilt_xl.workbook.reader import read_planner

        sessions = len(read_planner(plan, validate=False).tables["Sessions"])
        print(f"{plan}: {sessions:,} sessions")
        for name in options.commands:
            out = Path(tempfile.mkdtemp(dir=folder))
            args = [a.format(plan=plan, out=out) for a in COMMANDS[name]]
            code, cpu, peak, tree = measure(args)
            verdict = "within" if max(peak, tree) <= GOAL_MB else "OVER"
            print(f"{name:14} exit {code}  {cpu:8.1f} s CPU  {cpu / sessions * 1e6:6.0f} us/session  "
                  f"{peak:7.0f} MB, processes together {tree:7.0f} MB ({verdict} {GOAL_MB} MB)")


if __name__ == "__main__":
    main()
