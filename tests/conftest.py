"""Shared pytest options."""
from __future__ import annotations


def pytest_addoption(parser):
    parser.addoption("--fuzz-seconds", type=float, default=60.0,
                     help="time budget of tests/test_fuzz.py in seconds (default 60)")


def pytest_terminal_summary(terminalreporter):
    """Print how many mutants the fuzzer ran per command (the README's Reliability table cites them)."""
    import sys
    fuzz = sys.modules.get("test_fuzz")
    if fuzz is not None and fuzz.COUNTS:
        counts = ", ".join(f"{command} {n}" for command, n in sorted(fuzz.COUNTS.items()))
        terminalreporter.write_line(f"fuzz iterations: {counts} (all: {sum(fuzz.COUNTS.values())})")
