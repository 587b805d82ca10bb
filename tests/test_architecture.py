"""The package structure of docs/architecture.md, checked on the import graph (grimp, as ``lint-imports``
reads it: every import, module-level or inside a function).

``lint-imports`` (pyproject.toml's ``[tool.importlinter]``, run by ``make test``) holds the layers. This file
holds what its contracts cannot say: no import cycle anywhere in the project's packages, and no private
name (``_x``) imported from another module.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("common", "lib", "scenes", "pipeline")


@pytest.fixture(scope="module")
def graph():
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return grimp.build_graph(*PACKAGES)


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        found.append(sorted(comp))
    return found


def test_cycle_finder_finds_a_planted_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle(graph):
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    assert cycles(edges) == []


def test_the_packages_are_the_documented_ones(graph):
    """Each sub-package of pipeline/ and scenes/ is named in docs/architecture.md."""
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    subpackages = {
        m
        for m in graph.modules
        if m.count(".") == 1 and m.split(".")[0] in ("pipeline", "scenes") and graph.find_children(m)
    }
    undocumented = sorted(m for m in subpackages if f"{m.split('.')[1]}/" not in doc)
    assert undocumented == []


def private_imports(path: Path, module: str) -> list[str]:
    """``from other import _name`` lines of ``path``: a private name used outside its module."""
    out = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module.split(".")[0] not in PACKAGES or node.module == module:
                continue
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    out.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.module}.{alias.name}")
    return out


def test_private_import_check_sees_one(tmp_path, monkeypatch):
    f = ROOT / "pipeline" / "run.py"
    planted = tmp_path / "x.py"
    planted.write_text("from pipeline.run import _finish\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert private_imports(planted, "x") == ["x.py:1: pipeline.run._finish"]
    assert f.is_file()


def test_no_private_name_crosses_modules():
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found += private_imports(path, module)
    assert found == []
