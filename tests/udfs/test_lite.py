"""xlwings Lite: udfs/lite/main.py imports with pure Python plus numpy and pandas.

Lite runs in Pyodide, which accepts pure-Python wheels only (numpy and pandas come
with it). The import runs in a fresh interpreter with a stand-in ``xlwings`` module
offering Lite's decorators (Lite brings its own xlwings, not the PyPI one), then
every loaded module's file is checked for compiled extensions.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, sys, sysconfig, types

lite = types.ModuleType("xlwings")
def func(f=None, **kw):
    return f if f is not None else (lambda g: g)
def arg(name, *a, **kw):
    return lambda f: f
def ret(*a, **kw):
    return lambda f: f
def script(f=None, **kw):
    return f if f is not None else (lambda g: g)
lite.func, lite.arg, lite.ret, lite.script = func, arg, ret, script
lite.Book = lite.BookAsync = type("Book", (), {})  # annotations of the scripts
sys.modules["xlwings"] = lite

import runpy
namespace = runpy.run_path(sys.argv[1], run_name="lite_main")
import ilt_xl.workbook.validate  # imported when a script runs: it validates the book first (udfs.book_io.refuse_errors)
stdlib = {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]}
compiled = sorted(
    m.__file__ for m in list(sys.modules.values())
    if getattr(m, "__file__", None) and m.__file__.endswith((".so", ".pyd"))
)
print(json.dumps({"functions": namespace["FUNCTIONS"], "compiled": compiled,
                  "stdlib": sorted(stdlib), "has_openpyxl": "openpyxl" in sys.modules,
                  "has_calamine": any(k.startswith("python_calamine") for k in sys.modules),
                  "occupancy": namespace["ILT_OCCUPANCY"]([[1, 2]], 4)}))
"""


def _allowed(path: str, stdlib: list[str]) -> bool:
    parts = Path(path).parts
    return ("numpy" in parts or "pandas" in parts or any(path.startswith(s + "/") for s in stdlib))


def test_lite_main_imports_without_compiled_extras():
    out = subprocess.run([sys.executable, "-c", PROBE, str(ROOT / "udfs" / "lite" / "main.py")],
                         capture_output=True, text=True, cwd=ROOT, timeout=300, check=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    from ilt_xl.functions import SPECS

    assert report["functions"] == list(SPECS)
    assert report["occupancy"] == [[0.25, 0.5]]
    assert not report["has_openpyxl"] and not report["has_calamine"]
    offenders = [p for p in report["compiled"] if not _allowed(p, report["stdlib"])]
    assert offenders == [], f"compiled modules outside numpy, pandas and the standard library: {offenders}"
    assert report["compiled"], "the probe must see numpy's own extensions (else it checks nothing)"

