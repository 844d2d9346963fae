"""Engine tests import the shared helpers of tests/ (``libreoffice``) by module name."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import xml.parsers.expat  # noqa: E402
import zipfile  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def every_output_is_well_formed(monkeypatch):
    """Every workbook the engine writes in these tests is checked: each XML part parses, with its
    namespace prefixes bound (write-back writes cells in the part's own prefix)."""
    from ilt_xl.engine import writeback
    original = writeback.write_values

    def checked(source, output, *args, **kwargs):
        original(source, output, *args, **kwargs)
        with zipfile.ZipFile(output) as z:
            for name in z.namelist():
                if name.endswith((".xml", ".rels")):
                    try:
                        xml.parsers.expat.ParserCreate(namespace_separator=" ").Parse(z.read(name), True)
                    except xml.parsers.expat.ExpatError as exc:
                        raise AssertionError(f"{output}: part {name} is not well-formed ({exc})") from exc

    monkeypatch.setattr(writeback, "write_values", checked)
