"""What ``ilt-xl recalc`` imports: a planner recalculated from the command line, in a fresh
Python, must not load the heavy libraries it does not need (each adds a fixed cost to every run:
scipy, which `formulas`' statistics module pulls in, 1-2 s of CPU; openpyxl and xlwings ~0.3 s;
the holiday calendars; the `formulas` library itself with schedula and regex, ~0.1 s, as the
planner's functions are all the engine's own; pydantic, which typer would use to coerce the
options), nor the other commands' own modules (the macros and the planner's table writers of
``ilt_xl.workbook``, 0.02-0.03 s). Checked through sys.modules, not by timing."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("scipy", "openpyxl", "xlwings", "holidays", "formulas", "schedula", "regex", "pydantic")
OTHER_COMMANDS = ("ilt_xl.workbook",)

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
    loaded = [m for m in result["modules"] if any(m == h or m.startswith(h + ".") for h in HEAVY + OTHER_COMMANDS)]
    assert loaded == []


def test_the_command_line_has_a_command_for_each_macro_in_their_order():
    """ilt_xl.cli.macros registers its commands without importing the macros (their modules are
    those commands' own): its table of them follows the macros' own list (optimise and merge-advice,
    which take options, are ilt_xl.cli.optimise's)."""
    from ilt_xl.cli.macros import _HELP
    from ilt_xl.workbook.headless import COMMANDS

    assert list(_HELP) == [name for name in COMMANDS if name not in ("optimise", "merge-advice")]


# The console script, up to its imports: the load's helper is forked (for a workbook of any size,
# on any machine) and what was imported at that moment is printed.
_FORKED_AHEAD = """
import json, os, sys
from ilt_xl.engine import second_core
second_core._LEAST = 0
second_core.cores = lambda: 2
imported = []
fork = os.fork

def recorded():
    imported.append([m for m in ("pandas", "typer", "rich") if m in sys.modules])
    return fork()

os.fork = recorded
import ilt_xl.cli
print(json.dumps(imported))
"""


def test_the_command_line_forks_the_loads_helper_before_importing_pandas(tmp_path):
    """The helper scans while this process imports pandas, typer and rich (0.3-0.4 s): the import
    chain of ``scan_ahead`` (workbook_model, the scanner) has none of them at its top."""
    script = tmp_path / "ilt-xl"        # the console script's name: ilt_xl.cli._console_script
    script.write_text(_FORKED_AHEAD)
    done = subprocess.run([sys.executable, str(script), "recalc", str(ROOT / "workbooks" / "ilt_planner_example.xlsx"),
                           "-o", str(tmp_path / "out.xlsx")], capture_output=True, text=True, cwd=ROOT, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [[]]       # one fork, before any of them


_SCANNED = """
import json, sys
from ilt_xl.engine import cell_locator, workbook_model
from ilt_xl.engine.cell_pieces import PlainBudget
from ilt_xl.xlsx import open_xlsx
imported = ["pandas" in sys.modules]
with open_xlsx(sys.argv[1]) as pkg:
    entries = workbook_model._entries(pkg, pkg.rels_of(pkg.workbook_part), pkg.zip.xml(pkg.workbook_part))
    for _, name, kind, part in entries:
        if kind == "worksheet":
            workbook_model._scan(pkg, name, part, PlainBudget())
imported.append("pandas" in sys.modules)
print(json.dumps({"compiled": cell_locator.compiled is not None, "pandas": imported}))
"""


def test_the_scan_of_the_planners_sheets_imports_no_pandas_where_the_locator_is_compiled():
    """What the load's helper runs, forked before pandas is imported: with the compiled locator the
    scan of a planner's sheets groups texts without it (its numpy paths import it when they run)."""
    done = subprocess.run([sys.executable, "-c", _SCANNED, str(ROOT / "workbooks" / "ilt_planner_example.xlsx")],
                          capture_output=True, text=True, cwd=ROOT, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["pandas"][0] is False         # not with the scanner's modules, whichever path runs
    if not result["compiled"]:
        pytest.skip("the compiled locator is not built here: the numpy paths group with pandas")
    assert result["pandas"] == [False, False]
