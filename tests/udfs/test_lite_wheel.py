"""The Lite distribution: a pure-Python wheel, and requirements micropip can resolve in Pyodide 314.

Resolution is checked offline against two recorded sources (tests/udfs/data/):

- ``pyodide-314.0.7-lock.json``: every package of ``pyodide-lock.json`` in the npm package
  ``pyodide@314.0.7`` (what current xlwings Lite runs), with its version and dependencies;
- ``pure-wheels.json``: the wheels ``pip download --no-deps`` picked for holidays and
  currencyconverter in our ranges, with their tags (``py3-none-any``) and requirements.

Every package micropip must install must be in the lock at a version the pins accept, or be a
pure-Python wheel. The full distribution's dependencies fail that check (xlwings, openpyxl,
formulas, ...), which is why Lite gets ``ilt-xl-lite``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from udfs import lite_wheel

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
LOCK = json.loads((DATA / "pyodide-314.0.7-lock.json").read_text())
PURE = json.loads((DATA / "pure-wheels.json").read_text())["wheels"]
PYODIDE = {"python_version": "3.14", "python_full_version": LOCK["info"]["python"], "sys_platform": "emscripten",
           "platform_system": "Emscripten", "platform_machine": "wasm32", "os_name": "posix",
           "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": ""}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return lite_wheel.build(tmp_path_factory.mktemp("dist"))


def _metadata(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as z:
        name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        return z.read(name).decode().splitlines()


def resolve(requirements: list[Requirement]) -> dict[str, str]:
    """name -> version micropip would install in Pyodide 314; AssertionError for what it cannot install."""
    chosen: dict[str, str] = {}
    todo = list(requirements)
    while todo:
        req = todo.pop()
        if req.marker is not None and not req.marker.evaluate(PYODIDE):
            continue
        name = canonicalize_name(req.name)
        lock = {canonicalize_name(n): p for n, p in LOCK["packages"].items()}
        if name in lock:
            version, depends = lock[name]["version"], [Requirement(d) for d in lock[name]["depends"]]
        elif name in PURE:
            wheel = PURE[name]
            assert wheel["tag"].endswith("-none-any"), f"{name}: {wheel['file_name']} is not pure Python"
            assert Version(LOCK["info"]["python"]) in SpecifierSet(wheel["requires_python"]), name
            version, depends = wheel["version"], [Requirement(d) for d in wheel["requires_dist"]]
        else:
            raise AssertionError(f"micropip cannot install {req}: not in Pyodide's lock and no pure wheel recorded")
        assert req.specifier.contains(version, prereleases=True), f"{req} does not accept the available {version}"
        if name not in chosen:
            chosen[name] = version
            todo.extend(depends)
    return chosen


def _requirements_txt() -> list[str]:
    lines = (ROOT / "udfs" / "lite" / "requirements.txt").read_text().splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def test_wheel_is_pure_python_with_only_the_lite_dependencies(wheel):
    assert wheel.name == lite_wheel.wheel_name() == "ilt_xl_lite-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        tags = [l for l in z.read(next(n for n in names if n.endswith("WHEEL"))).decode().splitlines() if l.startswith("Tag:")]
    assert tags == ["Tag: py3-none-any"]
    assert not [n for n in names if not n.endswith((".py", "py.typed")) and ".dist-info/" not in n]
    assert "udfs/wrappers.py" in names and "ilt_xl/functions/registry.py" in names and "udfs/book_io.py" in names
    requires = [l.split(": ", 1)[1] for l in _metadata(wheel) if l.startswith("Requires-Dist:")]
    assert [canonicalize_name(Requirement(r).name) for r in requires] == ["numpy", "pandas", "scipy", "holidays", "currencyconverter",
                                                                           "statsmodels"]
    pyproject = {canonicalize_name(Requirement(r).name): str(Requirement(r).specifier) for r in lite_wheel.project()["dependencies"]}
    assert all(str(Requirement(r).specifier) == pyproject[canonicalize_name(Requirement(r).name)] for r in requires)


def test_wheel_builds_reproducibly(wheel, tmp_path):
    assert lite_wheel.build(tmp_path).read_bytes() == wheel.read_bytes()


def test_pip_installs_the_wheel_and_lite_main_imports_from_it(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(target),
                    str(wheel)], check=True, capture_output=True, timeout=300)
    probe = (
        "import sys, types, runpy\n"
        "lite = types.ModuleType('xlwings')\n"
        "lite.func = lite.script = lambda f=None, **k: f if f is not None else (lambda g: g)\n"
        "lite.arg = lite.ret = lambda *a, **k: (lambda f: f)\n"
        "lite.Book = lite.BookAsync = type('Book', (), {})\n"
        "sys.modules['xlwings'] = lite\n"
        "ns = runpy.run_path(sys.argv[1])\n"
        "import ilt_xl, udfs\n"
        "print(ilt_xl.__file__, udfs.__file__, ns['ILT_OCCUPANCY']([[1, 2]], 4))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", probe, str(ROOT / "udfs" / "lite" / "main.py")], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    ilt, udfs_file, occupancy = out.stdout.split(" ", 2)
    assert ilt.startswith(str(target)) and udfs_file.startswith(str(target))
    assert occupancy.strip() == "[[0.25, 0.5]]"


def test_requirements_name_a_pinned_wheel_url_and_published_pure_packages():
    lines = _requirements_txt()
    urls = [l for l in lines if "://" in l]
    assert len(urls) == 1 and urls[0].startswith("https://")
    assert urls[0].rsplit("/", 1)[1] == lite_wheel.wheel_name()  # the version is pinned by the file name
    names = {canonicalize_name(Requirement(l).name) for l in lines if "://" not in l}
    assert names == {"holidays", "currencyconverter"}  # published on PyPI; never a bare ilt-xl
    assert not names & {canonicalize_name(n) for n in LOCK["packages"]}, "Pyodide's own packages are not pinned"


def test_lite_requirements_resolve_in_pyodide_314(wheel):
    lines = _requirements_txt()
    requirements = [Requirement(l) for l in lines if "://" not in l]
    requirements += [Requirement(l.split(": ", 1)[1]) for l in _metadata(wheel) if l.startswith("Requires-Dist:")]
    chosen = resolve(requirements)
    assert chosen["pandas"] == "3.0.2" and chosen["numpy"] == "2.4.6"
    assert set(chosen) == {"numpy", "pandas", "python-dateutil", "pytz", "six", "holidays", "currencyconverter",
                           "statsmodels", "scipy", "patsy", "packaging"}  # statsmodels: the forecast macro


def test_the_full_distribution_would_not_resolve():
    """The check can fail: ilt-xl's desktop dependencies are neither in the lock nor recorded as pure wheels."""
    with pytest.raises(AssertionError, match="micropip cannot install"):
        resolve([Requirement(r) for r in lite_wheel.project()["dependencies"]])
    with pytest.raises(AssertionError, match="does not accept"):
        resolve([Requirement("pandas<3")])  # the pin this project had: Pyodide 314 ships pandas 3.0.2
    assert Marker("sys_platform == 'emscripten'").evaluate(PYODIDE)
