"""Run udfs/lite/main.py through xlwings' own server-side machinery, as xlwings Lite does.

Usage (the environment must say ``XLWINGS_ON_SERVER=true`` and carry a licence key before
xlwings is imported, so it runs in its own interpreter)::

    python tests/udfs/lite_probe.py JOB.json RESULT.json

JOB: ``{"books": {label: office.js payload}, "only": {label: [scripts]}, "calls": [custom-function call data]}``
(a book not in ``only`` runs every script).
RESULT: ``{"today": [date before, date after the scripts ran], "functions_meta", "scripts_meta", "scripts": {label: {script: {"actions"} or {"error"}}},
"calls": [{"result"} or {"error"}]}``. Every script runs on a fresh ``xw.Book(json=payload)``.
"""
from __future__ import annotations

import asyncio
import copy
import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path

import xlwings as xw
from xlwings import server

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # this checkout's udfs and ilt_xl, whatever else is installed


def load_main():
    spec = importlib.util.spec_from_file_location("main", ROOT / "udfs" / "lite" / "main.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_script(module, name: str, payload: dict) -> dict:
    book = xw.Book(json=copy.deepcopy(payload))
    try:
        returned = asyncio.run(server.custom_scripts_call(module, name, typehint_to_value={xw.Book: book}))
    except Exception as exc:  # reported, not raised: the test names the script and the error
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"actions": returned.json()["actions"]}


def call_function(module, data: dict) -> dict:
    data = {"version": xw.__version__, "client": "Office.js", "runtime": "1.4", "culture_info_name": "en-US",
            "date_format": "yyyy-mm-dd", **data}
    try:
        return {"result": asyncio.run(server.custom_functions_call(data, module))}
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def main(job_path: str, result_path: str) -> None:
    job = json.loads(Path(job_path).read_text())
    module = load_main()
    scripts_meta = server.custom_scripts_meta(module)
    today = dt.date.today().isoformat()  # the close script records today (ClosedOn): the twin is run at it
    result = {
        "today": [today],
        "functions_meta": server.custom_functions_meta(module),
        "scripts_meta": scripts_meta,
        "scripts": {label: {s["function_name"]: run_script(module, s["function_name"], payload) for s in scripts_meta
                            if s["function_name"] in job.get("only", {}).get(label, [s["function_name"]])}
                    for label, payload in job["books"].items()},
        "calls": [call_function(module, data) for data in job["calls"]],
    }
    result["today"].append(dt.date.today().isoformat())  # a run across midnight: ClosedOn is either day
    Path(result_path).write_text(json.dumps(result, default=str))


if __name__ == "__main__":
    main(*sys.argv[1:3])
