"""Recalculate a workbook with LibreOffice headless: the independent oracle for native formulas.

LibreOffice keeps the cached values of an .xlsx by default, so a plain ``--convert-to`` proves
nothing. Here a private user profile sets ``/org.openoffice.Office.Calc/Formula/Load``
``OOXMLRecalcMode`` to 0 ("always recalculate"), so the converted copy holds values LibreOffice
computed itself.

API:
    soffice_available() -> bool
    recalculate_with_libreoffice(path, outdir, timeout=300) -> Path   # the recalculated .xlsx in outdir
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

_REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice_available() -> bool:
    """True when a ``soffice`` executable is on PATH."""
    return shutil.which("soffice") is not None


def _profile_dir() -> Path:
    """A private LibreOffice profile forcing full recalculation on load (one per process, reused)."""
    root = Path(tempfile.gettempdir()) / f"ilt_xl_lo_profile_{os.getpid()}"
    user = root / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(_REGISTRY, encoding="utf-8")
    return root


def recalculate_with_libreoffice(path: str | Path, outdir: str | Path, timeout: float = 300) -> Path:
    """Open ``path`` in LibreOffice headless, recalculate every formula, save as .xlsx in ``outdir``.

    Returns the path of the written copy (``outdir/<stem>.xlsx``; ``outdir`` must differ from the
    input's folder when the input is itself an .xlsx). Raises ``RuntimeError`` with LibreOffice's
    output when the conversion fails or times out.
    """
    path = Path(path).resolve()
    outdir = Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    if outdir == path.parent and path.suffix.lower() == ".xlsx":
        raise ValueError("outdir must differ from the input's folder (the input would be overwritten)")
    profile = _profile_dir()
    cmd = [
        "soffice", "--headless", "--norestore", "--nolockcheck",
        f"-env:UserInstallation={profile.as_uri()}",
        "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(outdir), str(path),
    ]
    # its own session, so that a timeout ends soffice.bin too, not only the soffice script
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise RuntimeError(f"LibreOffice timed out after {timeout} s on {path}") from exc
    out = outdir / (path.stem + ".xlsx")
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"LibreOffice failed on {path}: rc={proc.returncode}\n{stdout}\n{stderr}")
    return out
