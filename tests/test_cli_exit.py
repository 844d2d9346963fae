"""The ``ilt-xl`` console script imports its libraries with the cycle collector paused, then frozen, and
ends without the interpreter's teardown (ilt_xl.cli.exit_without_teardown), with the same exit status,
its output flushed and the atexit handlers run; a program importing the package or calling main() itself
(tests, drivers) keeps its collector as it was and gets SystemExit as before."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLANNER = ROOT / "workbooks" / "ilt_planner.xlsx"

# what pip writes as the console script, plus an atexit handler and an object whose __del__ shows a teardown
_SCRIPT = """import atexit, gc, sys
from ilt_xl.cli import main
print("collector", gc.isenabled(), "frozen", gc.get_freeze_count() > 0, file=sys.stderr)
class Sentinel:
    def __del__(self):
        print("teardown ran", file=sys.stderr)
keep = Sentinel()
atexit.register(lambda: print("atexit ran", file=sys.stderr))
sys.exit(main())
"""


def _run(tmp_path: Path, name: str, *args: str) -> subprocess.CompletedProcess:
    script = tmp_path / name
    script.write_text(_SCRIPT)
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, cwd=tmp_path)


def test_the_console_script_exits_with_its_status_output_and_atexit_handlers_but_no_teardown(tmp_path):
    out = tmp_path / "out.xlsx"
    done = _run(tmp_path, "ilt-xl", "recalc", str(PLANNER), "-o", str(out), "--today", "2026-11-30", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["cells"] > 400 and out.exists()
    assert "atexit ran" in done.stderr and "teardown ran" not in done.stderr
    assert "collector True frozen True" in done.stderr
    refused = _run(tmp_path, "ilt-xl", "recalc", str(PLANNER), "-o", str(out))
    assert refused.returncode == 3 and "already exists" in refused.stderr
    assert "atexit ran" in refused.stderr and "teardown ran" not in refused.stderr


def test_another_program_calling_main_exits_as_python_does(tmp_path):
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"")
    done = _run(tmp_path, "driver.py", "recalc", str(PLANNER), "-o", str(out))
    assert done.returncode == 3 and "already exists" in done.stderr
    assert "atexit ran" in done.stderr and "teardown ran" in done.stderr
    assert "collector True frozen False" in done.stderr


def test_a_text_status_or_a_running_thread_takes_the_usual_exit(tmp_path):
    code = """import sys, threading
from ilt_xl.cli import exit_without_teardown
exit_without_teardown("a message")
print("returned for a text status")
stop = threading.Event()
worker = threading.Thread(target=stop.wait)
worker.start()
exit_without_teardown(0)
print("returned with a thread running")
stop.set()
worker.join()
exit_without_teardown(7)
print("not reached")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert done.stdout.splitlines() == ["returned for a text status", "returned with a thread running"]
    assert done.returncode == 7
