"""The package's shape, as docs/architecture.md draws it: no import cycle
anywhere in dialplan_compiler/, no module reaching into another's private
names, and no core module importing a product's subpackage.

Imports are read from the source (every `import` and `from … import`,
at the top of a module or inside a function, since a lazy import is still
a dependency), except those under `if TYPE_CHECKING:`, which never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from helpers import ROOT

PACKAGE = ROOT / "dialplan_compiler"
#: Product subpackages: a core module never imports one.
PRODUCTS = {"calls", "menus", "editor", "audio"}
#: Top-level modules that are not the core pipeline: the command line, on
#: top of everything, and the shims that keep documented entry points.
ABOVE_THE_CORE = {"cli", "standin", "server"}
#: A private module imported by the one module that owns it.
OWNED_PRIVATE_MODULES = {("dialplan_compiler.parser", "dialplan_compiler._standalone_parser")}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))
           if "__pycache__" not in p.parts}
#: Lark's code, generated into the package: its relative imports are Lark's
#: own (on paths the parser never takes), not dependencies of ours.
GENERATED = {"dialplan_compiler._standalone_parser"}


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def resolve(importer: str, node: ast.ImportFrom) -> str:
    """The absolute name of the module a `from … import` reads from."""
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    if not is_package(importer):
        base = base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def runtime_nodes(tree: ast.AST):
    """Every node, skipping the bodies of `if TYPE_CHECKING:`."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def imports_of(name: str) -> list[tuple[str, str | None, int]]:
    """(module imported, name taken from it or None, line) for each import
    inside the package."""
    if name in GENERATED:
        return []
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found = []
    for node in runtime_nodes(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, node.lineno) for alias in node.names
                      if alias.name.split(".")[0] == "dialplan_compiler"]
        elif isinstance(node, ast.ImportFrom):
            source = resolve(name, node)
            if source.split(".")[0] != "dialplan_compiler":
                continue
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in MODULES:  # `from . import rules`: the module itself
                    found.append((submodule, None, node.lineno))
                else:
                    found.append((source, alias.name, node.lineno))
    return found


def test_the_probe_sees_the_package():
    assert {"dialplan_compiler.compiler", "dialplan_compiler.calls.campaign",
            "dialplan_compiler.menus.server", "dialplan_compiler.editor.lsp"} <= set(MODULES)
    edges = {m for m, _, _ in imports_of("dialplan_compiler.compiler")}
    assert "dialplan_compiler.parser" in edges and "dialplan_compiler.rules" in edges


def test_no_module_imports_another_modules_private_names():
    offences = []
    for name in MODULES:
        for module, taken, line in imports_of(name):
            if (name, module) in OWNED_PRIVATE_MODULES:
                continue
            private_module = any(part.startswith("_") and not part.startswith("__")
                                 for part in module.split("."))
            private_name = taken is not None and taken.startswith("_") and \
                not taken.startswith("__")
            if private_module or private_name:
                offences.append(f"{MODULES[name].relative_to(ROOT)}:{line}: "
                                f"{module}{'.' + taken if taken else ''}")
    assert offences == []


def test_no_module_reads_a_private_attribute_of_another_module():
    offences = []
    for name, path in MODULES.items():
        if name in GENERATED:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {}  # local names bound to modules of the package
        for node in runtime_nodes(tree):
            if isinstance(node, ast.ImportFrom):
                source = resolve(name, node)
                for alias in node.names:
                    if f"{source}.{alias.name}" in MODULES:
                        aliases[alias.asname or alias.name] = f"{source}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in MODULES and alias.asname:
                        aliases[alias.asname] = alias.name
        for node in runtime_nodes(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                    node.value.id in aliases and node.attr.startswith("_") and \
                    not node.attr.startswith("__") and \
                    (name, aliases[node.value.id]) not in OWNED_PRIVATE_MODULES:
                offences.append(f"{path.relative_to(ROOT)}:{node.lineno}: "
                                f"{node.value.id}.{node.attr}")
    assert offences == []


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    for name in MODULES:
        for module, _taken, _line in imports_of(name):
            if module in MODULES and module != name:
                edges[name].add(module)
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, as the list of modules around it, or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(edges, WHITE)
    trail: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = GREY
        trail.append(node)
        for nxt in sorted(edges[node]):
            if colour[nxt] == GREY:
                return trail[trail.index(nxt):] + [nxt]
            if colour[nxt] == WHITE and (cycle := visit(nxt)):
                return cycle
        trail.pop()
        colour[node] = BLACK
        return None

    for start in sorted(edges):
        if colour[start] == WHITE and (cycle := visit(start)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_inside_the_package():
    assert find_cycle(graph()) is None


@pytest.mark.parametrize("name", sorted(
    n for n in MODULES if n.count(".") == 1 and n.split(".")[1] not in PRODUCTS
    and n.split(".")[1] not in ABOVE_THE_CORE))
def test_no_core_module_imports_a_product(name):
    products = {module for module, _, _ in imports_of(name)
                if module.split(".")[1:2] and module.split(".")[1] in PRODUCTS}
    assert products == set()
