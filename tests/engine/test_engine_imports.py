"""The engine's layering: no import circle inside ilt_xl/engine (imports inside functions count
too, since a lazy import is a circle deferred), and nothing imported from the layers above it
(the workbook/planner code, the schema, the command line)."""
from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "ilt_xl" / "engine"
ABOVE = ("ilt_xl.workbook", "ilt_xl.schema", "ilt_xl.cli", "ilt_xl.scenario")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ENGINE.parents[1]).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of its code (``from a import b`` gives ``a.b``
    when ``a.b`` is a module of the engine, else ``a``)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{alias.name}" for alias in node.names)
    return out


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in ENGINE.rglob("*.py")}
    return {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}, \
        {name: _imports(path) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles (each as the path that closes it), by depth-first search."""
    found, state, stack = [], {}, []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                found.append(stack[stack.index(n):] + [n])
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    return found


def test_the_engine_has_no_import_circle():
    graph, _ = _graph()
    assert len(graph) > 20
    assert _cycles(graph) == []


def test_the_engine_imports_nothing_from_the_layers_above_it():
    _, imports = _graph()
    upward = sorted(f"{m} imports {i}" for m, names in imports.items() for i in names if i.startswith(ABOVE))
    assert upward == []


def test_the_walker_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c", "a"]]


def test_only_the_bridge_imports_the_formulas_library():
    """The engine's values, errors included, are its own (values.XlError); the `formulas` library
    (and schedula, its dependency) is imported by formulas_bridge alone, when a function of the
    library is called, which translates its error objects to the engine's and back. An error object
    of the library anywhere else would not be an engine error (isinstance) and would be written as text."""
    _, imports = _graph()
    elsewhere = sorted(f"{m} imports {i}" for m, names in imports.items() if m != "ilt_xl.engine.builtins.formulas_bridge"
                       for i in names if i.split(".")[0] in ("formulas", "schedula"))
    assert elsewhere == []
    assert any(i.startswith("formulas") for i in imports["ilt_xl.engine.builtins.formulas_bridge"])
