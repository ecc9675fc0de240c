"""The code's layout holds: one-way dependencies, no import circles, modules of a readable
size, and every package shipped by ``pyproject.toml``.

Imports are read from the source (every ``import`` statement, also those inside
functions), so a circle that only shows when a function runs is caught too.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mic_desktop"
LONGEST_MODULE = 500
"""Lines; past this a module is split by responsibility (data modules excepted)."""
DATA_MODULES = {"mic_desktop.services.demo.catalogue"}
QT_PACKAGES = ("PySide6", "shiboken6", "qtawesome", "matplotlib.backends.backend_qt")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.relative_to(PACKAGE).parts
    }


MODULES = _modules()


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:`` (never imported at run time)."""
    nodes: list[ast.AST] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        nodes.append(node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and ast.unparse(child.test).endswith("TYPE_CHECKING"):
                pending.extend(child.orelse)
                continue
            pending.append(child)
    return nodes


def _imports(path: Path) -> set[str]:
    """Every module name that an ``import`` in the file names at run time."""
    names: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:
                package = _module_name(path).split(".")
                if path.name != "__init__.py":
                    package = package[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, node.module])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _graph() -> dict[str, set[str]]:
    return {name: _imports(path) & MODULES.keys() for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles() -> None:
    graph = _graph()
    # A package's __init__ is imported with each of its modules; an edge to it is real.
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("layer", ["mic_desktop.services", "mic_desktop.models"])
def test_no_qt_and_no_ui_below_ui(layer: str) -> None:
    offenders = {
        name: sorted(
            imported
            for imported in _imports(path)
            if imported.startswith(QT_PACKAGES) or imported.startswith("mic_desktop.ui")
        )
        for name, path in MODULES.items()
        if name == layer or name.startswith(layer + ".")
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_models_do_not_reach_up_into_services() -> None:
    offenders = {
        name
        for name, path in MODULES.items()
        if name.startswith("mic_desktop.models")
        and any(i.startswith("mic_desktop.services") for i in _imports(path))
    }
    assert offenders == set()


def test_command_groups_import_only_the_shared_command_module() -> None:
    groups = {
        name: path
        for name, path in MODULES.items()
        if name.startswith("mic_desktop.cli.") and name != "mic_desktop.cli.common"
    }
    assert groups, "the command groups live in mic_desktop/cli/"
    reaching_back = {
        name: sorted(
            i
            for i in _imports(path)
            if i.startswith("mic_desktop.cli") and not i.startswith("mic_desktop.cli.common")
        )
        for name, path in groups.items()
    }
    assert {name: found for name, found in reaching_back.items() if found} == {}


def test_modules_are_of_a_readable_size() -> None:
    long = {
        name: length
        for name, path in MODULES.items()
        if name not in DATA_MODULES
        and (length := len(path.read_text(encoding="utf-8").splitlines())) > LONGEST_MODULE
    }
    assert long == {}


def test_every_package_is_shipped() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = set(config["tool"]["setuptools"]["packages"])
    packages = {_module_name(path.parent / "__init__.py") for path in PACKAGE.rglob("__init__.py")}
    assert packages - shipped == set()


def test_every_module_says_what_it_holds() -> None:
    undocumented = sorted(
        name
        for name, path in MODULES.items()
        if ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) is None
    )
    assert undocumented == []
