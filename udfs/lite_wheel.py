"""Build the pure-Python wheel xlwings Lite installs: ``python -m udfs.lite_wheel [OUT_DIR]``.

xlwings Lite runs in Pyodide, whose micropip installs only pure-Python wheels and the
packages of Pyodide's own lock. ilt-xl's full distribution (``pip install .``) also
needs desktop-only packages (xlwings, openpyxl, formulas, typer, rich, python-calamine,
icalendar, defusedxml) that the worksheet functions and macros never import, so Lite
gets its own light distribution, ``ilt-xl-lite``, built from the same source:

- the same packages, ``ilt_xl`` and ``udfs``, Python files only;
- the same version as ``pyproject.toml``;
- requiring only what the Lite path imports, with ``pyproject.toml``'s own ranges:
  numpy, pandas and scipy (Pyodide's; scipy for the optimise macro), holidays and currencyconverter
  (pure wheels), statsmodels (Pyodide's, for the forecast macro).

The wheel is written directly (a zip with ``*.dist-info``), so building needs no build
backend and no network, and the same source gives the same bytes (fixed timestamps).
"""
from __future__ import annotations

import base64
import hashlib
import re
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = "ilt-xl-lite"
PACKAGES = ("ilt_xl", "udfs")
LITE_DEPENDENCIES = ("numpy", "pandas", "scipy", "holidays", "currencyconverter", "statsmodels")
TAG = "py3-none-any"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the zip epoch: a reproducible wheel


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _requirement_name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0].strip().casefold()


def lite_requirements() -> list[str]:
    """The Lite dependencies as pyproject.toml pins them (one source of truth for the ranges)."""
    pinned = {_requirement_name(r): r for r in project()["dependencies"]}
    missing = [name for name in LITE_DEPENDENCIES if name not in pinned]
    if missing:
        raise ValueError(f"pyproject.toml does not list {missing}")
    return [pinned[name] for name in LITE_DEPENDENCIES]


def wheel_name() -> str:
    return f"{NAME.replace('-', '_')}-{project()['version']}-{TAG}.whl"


def _sources() -> list[Path]:
    files = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")
             if "__pycache__" not in p.parts and p != Path(__file__).resolve()]  # the builder itself stays out
    files.append(ROOT / "ilt_xl" / "py.typed")
    return sorted(files)


def _metadata() -> str:
    meta = project()
    lines = ["Metadata-Version: 2.1", f"Name: {NAME}", f"Version: {meta['version']}",
             "Summary: ilt-xl's worksheet functions and macros for xlwings Lite (Pyodide): pure Python",
             f"License: {meta['license']['text']}", f"Requires-Python: {meta['requires-python']}"]
    lines += [f"Requires-Dist: {r}" for r in lite_requirements()]
    return "\n".join(lines) + "\n"


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build(out_dir: Path) -> Path:
    """Write the wheel into ``out_dir`` (created if needed); returns its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / wheel_name()
    dist_info = f"{NAME.replace('-', '_')}-{project()['version']}.dist-info"
    entries = [(p.relative_to(ROOT).as_posix(), p.read_bytes()) for p in _sources()]
    entries += [(f"{dist_info}/METADATA", _metadata().encode()),
                (f"{dist_info}/WHEEL", f"Wheel-Version: 1.0\nGenerator: udfs.lite_wheel\nRoot-Is-Purelib: true\nTag: {TAG}\n".encode())]
    record = "\n".join([_record_line(n, d) for n, d in entries] + [f"{dist_info}/RECORD,,"]) + "\n"
    entries.append((f"{dist_info}/RECORD", record.encode()))
    tmp = target.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in entries:
            info = zipfile.ZipInfo(name, _FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            wheel.writestr(info, data)
    tmp.replace(target)
    return target


def main(argv: list[str]) -> int:
    out = build(Path(argv[0]) if argv else ROOT / "dist")
    print(f"Wrote {out}\nHost it at an HTTPS address that allows cross-origin requests and put that URL in the "
          f"add-in's requirements.txt (see udfs/lite/requirements.txt).")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
