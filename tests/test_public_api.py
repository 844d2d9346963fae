"""The flat public API resolves every name, and ``import ilt_xl`` stays light."""
import subprocess
import sys

import ilt_xl


def test_every_public_name_resolves():
    for name in ilt_xl.__all__:
        assert getattr(ilt_xl, name) is not None, name


def test_import_loads_no_edge_module():
    code = "import sys, ilt_xl; print(sorted(m for m in sys.modules if m.startswith(('ilt_xl.', 'openpyxl', 'python_calamine', 'formulas'))))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
