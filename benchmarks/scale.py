"""Benchmark: each command's CPU time and peak memory on a large planner (issue 14, item 15: every
command on 200,000 sessions within 2 GB and in linear time).

    python benchmarks/scale.py                          # builds a 20,000-session example first
    python benchmarks/scale.py --sessions 200000        # the issue's size (building it takes minutes)
    python benchmarks/scale.py PLAN.xlsx --commands check ics report

Each command runs in a fresh process (``ilt_xl.cli.main``), one after the other, its process tree
(worker processes included) sampled from /proc. Prints, per command, the exit code, user+system
CPU seconds of every process, microseconds of CPU per session (equal figures at two sizes mean
linear time), the largest process's peak and the peak of all its processes together, in MB,
against the 2 GB goal, then each process's own peak in the order they started (the command, the
resource tracker, the fork server, then each worker), so a step's worker can be told from another's.
Every command that reads the planner is listed, and ``new`` (the example of the planner's size).
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
    # the example of the planner's size, made, built and recalculated (reads no planner)
    "new": ["new", "{out}/new.xlsx", "--example", "--sessions", "{sessions}", "--seed", "1"],
    "budget": ["budget", "{plan}", "-o", "{out}/budget.xlsx"],
    "fx": ["fx", "{plan}", "-o", "{out}/fx.xlsx"],
    "holidays": ["holidays", "{plan}", "-o", "{out}/holidays.xlsx"],
    "availability": ["availability", "{plan}", "-o", "{out}/availability.xlsx"],
    "validate": ["validate", "{plan}", "-o", "{out}/validate.xlsx"],
    "close": ["close", "{plan}", "--through", "2025-12-31", "--today", "2026-01-15", "-o", "{out}/close.xlsx"],
    "forecast": ["forecast", "{plan}", "-o", "{out}/forecast.xlsx"],
    "optimise": ["optimise", "{plan}", "-o", "{out}/optimise.xlsx"],
    "merge-advice": ["merge-advice", "{plan}", "-o", "{out}/merge.xlsx"],
    "apply": ["apply", "{plan}", "-o", "{out}/apply.xlsx"],
}
GOAL_MB = 2048


# The command's exit code, CPU seconds, the largest process's peak RSS and the peak of the RSS
# summed over its process tree, sampled from /proc every 50 ms: a command that runs steps in worker
# processes (ilt_xl.workers) holds memory in several at once, and its workers are children of a
# fork server the command never waits for, so neither getrusage nor /usr/bin/time -v sees them.
_MEASURE = """
import os, subprocess, sys, time

TICK = os.sysconf('SC_CLK_TCK')

def tree(root):
    children, seen = {}, {}
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open(f'/proc/{pid}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
            with open(f'/proc/{pid}/statm') as f:
                rss = int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
        except (OSError, IndexError, ValueError):
            continue
        seen[int(pid)] = (rss, (int(fields[11]) + int(fields[12])) / TICK)
        children.setdefault(int(fields[1]), []).append(int(pid))
    out, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in seen:
            out[pid] = seen[pid]
        todo += children.get(pid, [])
    return out

command = subprocess.Popen([sys.executable, '-c', 'from ilt_xl.cli import main; main()', *sys.argv[1:]],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
cpu, largest, peak, each = {}, 0, 0, {}
while command.poll() is None:
    now = tree(command.pid)
    for pid, (rss, seconds) in now.items():
        cpu[pid], largest = max(cpu.get(pid, 0.0), seconds), max(largest, rss)
        each[pid] = max(each.get(pid, 0), rss)
    peak = max(peak, sum(rss for rss, _ in now.values()))
    time.sleep(0.05)
print(command.returncode, sum(cpu.values()), largest / 2 ** 20, peak / 2 ** 20)
# each process's own peak (pid order is start order), so a step's worker can be told from another's
print(' '.join(f'{each[pid] / 2 ** 20:.0f}' for pid in sorted(each)))
"""


def measure(args: list[str]) -> tuple[int, float, float, float, str]:
    """(exit code, CPU seconds, largest process's peak MB, process tree's sampled peak MB, each
    process's peak MB in start order) of ``ilt-xl ARGS`` in a child process of its own."""
    done = subprocess.run([sys.executable, "-c", _MEASURE, *args], capture_output=True, text=True, check=True)
    figures, each = done.stdout.splitlines()[:2]
    exit_code, cpu, largest, tree = figures.split()
    return int(exit_code), float(cpu), float(largest), float(tree), each


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan", nargs="?", type=Path, help="an existing planner (default: build the example)")
    parser.add_argument("--sessions", type=int, default=None,
                        help="sessions of the example built (default 20,000); with PLAN, its sessions (not read again)")
    parser.add_argument("--commands", nargs="+", default=list(COMMANDS), choices=list(COMMANDS))
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        plan = options.plan
        if plan is None:
            plan = Path(folder) / "plan.xlsx"
            code, cpu, peak, tree, _ = measure(["new", str(plan), "--example", "--sessions", str(options.sessions or 20_000),
                                                "-q"])
            print(f"{'new --example':14} exit {code}  {cpu:8.1f} s CPU  {peak:7.0f} MB (processes together {tree:.0f} MB)")
        sessions = options.sessions or (None if options.plan else 20_000)
        if sessions is None:
            from ilt_xl.workbook.reader import read_planner

            sessions = len(read_planner(plan, validate=False).tables["Sessions"])
        print(f"{plan}: {sessions:,} sessions")
        for name in options.commands:
            out = Path(tempfile.mkdtemp(dir=folder))
            args = [a.format(plan=plan, out=out, sessions=sessions) for a in COMMANDS[name]]
            code, cpu, peak, tree, each = measure(args)
            verdict = "within" if max(peak, tree) <= GOAL_MB else "OVER"
            print(f"{name:14} exit {code}  {cpu:8.1f} s CPU  {cpu / sessions * 1e6:6.0f} us/session  "
                  f"{peak:7.0f} MB, processes together {tree:7.0f} MB ({verdict} {GOAL_MB} MB); "
                  f"each process, MB: {each}", flush=True)


if __name__ == "__main__":
    main()
