"""What ``ilt-xl recalc`` imports: a planner recalculated from the command line, in a fresh
Python, must not load the heavy libraries it does not need (each adds a fixed cost to every run:
scipy, which `formulas`' statistics module pulls in, 1-2 s of CPU; openpyxl and xlwings ~0.3 s;
the holiday calendars; the `formulas` library itself with schedula and regex, ~0.1 s, as the
planner's functions are all the engine's own; pydantic, which typer would use to coerce the
options). Checked through sys.modules, not by timing."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("scipy", "openpyxl", "xlwings", "holidays", "formulas", "schedula", "regex", "pydantic")

_RUN = """
import json, sys
sys.argv = ["ilt-xl", "recalc", sys.argv[1], "-o", sys.argv[2], "--today", "2026-12-01"]
from ilt_xl.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def test_recalc_of_the_planner_loads_none_of_the_heavy_libraries(tmp_path):
    out = tmp_path / "out.xlsx"
    done = subprocess.run([sys.executable, "-c", _RUN, str(ROOT / "workbooks" / "ilt_planner.xlsx"), str(out)],
                          capture_output=True, text=True, cwd=ROOT, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] == 0 and out.exists()
    loaded = [m for m in result["modules"] if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert loaded == []
