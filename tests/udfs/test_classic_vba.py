"""Classic xlwings: the VBA module *Import Functions* writes from udfs.ilt_udfs must load in Excel.

xlwings' own generator (``xlwings.udfs.generate_vba_wrapper``) runs here on Linux
with pywin32 stubbed (it only needs the names at import), in a fresh interpreter
so the stubs and xlwings' Windows decorators never leak into other tests. The
VBA it writes is checked against VBA's reserved words (a keyword as a parameter
name makes the import fail) and the descriptions against ``MacroOptions``' 255
characters (xlwings cuts them there: ``import_udfs`` passes ``doc[:255]``).

Before this check existed, 5 functions had a reserved word as a parameter
(``End`` in ILT_DAYS, ILT_WORKDAYS, ILT_AVAILABLE, ILT_UTILIZATION; ``Date`` in
ILT_FX and ILT_FXRATE) and ILT_UTILIZATION's description had 333 characters.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# VBA's keywords and reserved identifiers (MS-VBAL 3.3.5.2: statement and marker keywords,
# operator identifiers, reserved names, special forms, reserved type and literal identifiers),
# plus the statement names a parameter would shadow (Name, Error, Mid, Line, Width, ...).
VBA_RESERVED = frozenset(w.casefold() for w in """
    Abs AddressOf Alias And Any Append Array As Attribute Base Binary Boolean ByRef Byte ByVal Call Case
    CBool CByte CCur CDate CDbl CDec CInt Circle CLng CLngLng CLngPtr Close Compare Const CSng CStr Currency
    CVar CVErr Database Date Debug Decimal Declare DefBool DefByte DefCur DefDate DefDbl DefDec DefInt DefLng
    DefLngLng DefLngPtr DefObj DefSng DefStr DefVar Dim Do DoEvents Double Each Else ElseIf Empty End EndIf
    Enum Eqv Erase Error Event Exit Explicit False Fix For Friend Function Get Global GoSub GoTo If Imp
    Implements In Input InputB Int Integer Is LBound Len LenB Let Lib Like Line LINEINPUT Load Lock Long
    LongLong LongPtr Loop LSet Me Mid MidB Mod Module Name New Next Not Nothing Null Object On Open Option
    Optional Or Output ParamArray Preserve Print Private Property PSet PtrSafe Public Put Random RaiseEvent
    Read ReDim Rem Reset Resume Return RSet Scale Seek Select Set Sgn Shared Single Spc Static Step Stop
    String Sub Tab Text Then Time To True Type TypeOf UBound Unload Unlock Until Variant Wend While Width
    With WithEvents Write Xor
""".split())

PROBE = r"""
import io, json, sys, types

# pywin32 stand-ins: xlwings.udfs only needs these names to import.
pythoncom = types.ModuleType("pythoncom")
pythoncom.CoInitialize = lambda: None
pywintypes = types.ModuleType("pywintypes")
pywintypes.com_error = type("com_error", (Exception,), {})
win32com = types.ModuleType("win32com")
win32com.client = types.ModuleType("win32com.client")
win32com.client.Dispatch = lambda *a, **k: None
sys.modules.update({"pythoncom": pythoncom, "pywintypes": pywintypes, "win32com": win32com,
                    "win32com.client": win32com.client})

import xlwings as xw
import xlwings.udfs as xl_udfs

# What `import xlwings` binds on Windows: the classic decorators.
xw.func, xw.arg, xw.ret, xw.sub, xw.script = xl_udfs.xlfunc, xl_udfs.xlarg, xl_udfs.xlret, xl_udfs.xlsub, xl_udfs.xlsub
import udfs.ilt_udfs as module

out = io.StringIO()
workbook = types.SimpleNamespace(Name="plan.xlsm")
xl_udfs.generate_vba_wrapper("udfs.ilt_udfs", module, out, workbook)
docs = {}
for attr in dir(module):
    info = getattr(getattr(module, attr), "__xlfunc__", None)
    if info is not None:  # what import_udfs hands to MacroOptions (before its [:255] cut)
        docs[info["name"]] = {"function": info["ret"]["doc"],
                              "arguments": [a["doc"] for a in info["args"] if not a["vba"]]}

# What call_udf does next: the reserved `caller` argument gets the calling Range, whose workbook tells the date
# system (Workbook.Date1904 over COM); the same days as serials of each system (2024-01-01 is 45292 / 43830).
def book(date1904):
    return types.SimpleNamespace(sheet=types.SimpleNamespace(book=types.SimpleNamespace(
        api=types.SimpleNamespace(Date1904=date1904))))
def plain(v):
    return [plain(x) for x in v] if isinstance(v, list) else v.isoformat() if hasattr(v, "isoformat") else v
calls = {}
for date1904 in (False, True):
    s = 43830 if date1904 else 45292
    caller = book(date1904)
    calls[str(date1904)] = plain([
        module.ILT_FXRATE("EUR", "USD", s, [["Date", "Currency", "PerEUR"], [s, "GBP", 0.5]], caller),
        module.ILT_FX(10, "EUR", "GBP", s, [["Date", "Currency", "PerEUR"], [s, "GBP", 0.5]], caller),
        module.ILT_UTILIZATION("I1", s + 4, s + 4, [["I1"]], [[s + 4]], [[s + 4]], None, None, "DE", caller),
        module.ILT_CONFLICTS([["S1"], ["S2"]], [["R1"], ["R1"]], [[s + 1], [s + 2]], [[s + 3], [s + 5]], None, caller),
        module.ILT_DUEDATE(s, -3, "DE", caller),
        module.ILT_DAYS(s, s + 9, caller),
    ])
callers = {name: [a["name"] for a in getattr(module, name).__xlfunc__["args"] if a["vba"] == "Nothing"]
           for name in module.FUNCTIONS}
print(json.dumps({"vba": out.getvalue(), "docs": docs, "calls": calls, "callers": callers}))
"""

SIGNATURE = re.compile(r"^(Function|Sub) (\w+)\((.*)\)$", re.MULTILINE)


@pytest.fixture(scope="module")
def generated() -> dict:
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("XLWINGS_")}
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _parameters(signature_args: str) -> list[str]:
    names = []
    for part in filter(None, (p.strip() for p in signature_args.split(","))):
        words = part.replace("()", "").split()
        names.append(words[-1])  # after Optional / ParamArray
    return names


def test_generator_writes_every_function_and_macro(generated):
    from ilt_xl.functions import SPECS

    found = {name: kind for kind, name, _ in SIGNATURE.findall(generated["vba"])}
    assert {n for n, k in found.items() if k == "Function"} == set(SPECS)
    assert {"ilt_refresh_checklist", "ilt_build_allocation", "ilt_check_conflicts", "ilt_refresh_fx",
            "ilt_refresh_budget", "ilt_refresh_availability", "ilt_validate"} <= {n for n, k in found.items() if k == "Sub"}


def test_no_vba_reserved_word_is_a_parameter_or_procedure_name(generated):
    hits = []
    for _, name, args in SIGNATURE.findall(generated["vba"]):
        if name.casefold() in VBA_RESERVED:
            hits.append(name)
        for parameter in _parameters(args):
            assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,254}", parameter), (name, parameter)
            if parameter.casefold() in VBA_RESERVED:
                hits.append(f"{name}({parameter})")
    assert hits == []


def test_the_checker_sees_a_reserved_word():
    """The parser and the word list catch what broke Import Functions before (so the check can fail)."""
    assert [p for p in _parameters("start, end, Optional date") if p.casefold() in VBA_RESERVED] == ["end", "date"]


def test_descriptions_fit_macro_options(generated):
    from ilt_xl.functions.registry import DESCRIPTION_LIMIT

    assert DESCRIPTION_LIMIT == 255
    too_long = {name: text for name, d in generated["docs"].items()
                for text in (d["function"], *d["arguments"]) if len(text) > DESCRIPTION_LIMIT}
    assert too_long == {}
    # Each worksheet function's description is its own, not xlwings' placeholder.
    from ilt_xl.functions import SPECS

    assert {n: generated["docs"][n]["function"] for n in SPECS} == {n: s.description for n, s in SPECS.items()}


def test_registering_a_too_long_description_is_refused():
    from ilt_xl.functions.registry import Arg, worksheet_function

    with pytest.raises(ValueError, match="255"):
        worksheet_function("ILT_TOOLONG", category="test", description="x" * 256, args=[Arg("x", "number", "x")],
                           returns="number")


def test_the_caller_tells_the_date_system_and_excel_never_sees_it(generated):
    """xlwings passes the calling Range to the reserved ``caller`` (VBA sends Nothing in its place): a 1904
    workbook's date serials, in scalars and in ranges, mean the same days as the 1900 workbook's. Before, its
    serials were read as 1900 ones: ILT_FXRATE took the ECB rate of 2019-12-31 and ILT_UTILIZATION counted
    Saturday 2020-01-04 (#DIV/0!)."""
    from ilt_xl.functions import SPECS

    assert generated["callers"] == {name: ["caller"] for name in SPECS}
    for _, name, args in SIGNATURE.findall(generated["vba"]):
        assert "caller" not in _parameters(args), name
    calls = generated["calls"]
    assert calls["True"][:3] == calls["False"][:3] == [pytest.approx(1.105), 5.0, 1.0]
    # common days of the conflict as serials of each book (2024-01-03 and 04); due date and DAYS as days
    assert calls["False"][3] == [["R1", "S1", "S2", 45294.0, 45295.0]]
    assert calls["True"][3] == [["R1", "S1", "S2", 45294.0 - 1462, 45295.0 - 1462]]
    assert calls["True"][4] == calls["False"][4] == "2023-12-27T00:00:00"   # 3 German workdays before New Year
    assert calls["True"][5] == calls["False"][5] == 10                       # both days counted
