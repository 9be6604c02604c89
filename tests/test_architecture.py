"""The layout's promise: the top-level folders depend one way, never back (ARCHITECTURE.md).

    crawler (and its cli) -> pipelines -> dedup -> storage -> extractor,   everyone -> settings

Every import in every module counts, including the ones inside functions (a late import is still a
dependency). The demo site is a tool beside the flow: only the CLI's `demo` command reaches it, and it
uses only the report schema and renderer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("crawler", "pipelines", "dedup", "storage", "extractor", "settings", "demo_site")

# What each folder may import (besides itself and third-party packages).
ALLOWED: dict[str, set[str]] = {
    "settings": set(),
    "extractor": {"settings"},
    "storage": {"extractor", "settings"},
    "dedup": {"storage", "extractor", "settings"},
    "pipelines": {"extractor", "dedup", "storage", "settings"},
    "crawler": {"pipelines", "extractor", "dedup", "storage", "settings", "demo_site"},
    "demo_site": {"extractor", "settings"},
}


def imported_folders(path: Path) -> set[tuple[str, int]]:
    """(our top-level folder, line) for every import statement of one module."""
    found: set[tuple[str, int]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".", 1)[0]
            if top in FOLDERS:
                found.add((top, node.lineno))
    return found


def folder_graph() -> dict[str, dict[str, list[str]]]:
    """folder -> {imported folder: ["path:line", ...]} over the whole tree."""
    graph: dict[str, dict[str, list[str]]] = {folder: {} for folder in FOLDERS}
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for target, line in imported_folders(path):
                if target != folder:
                    graph[folder].setdefault(target, []).append(f"{path.relative_to(ROOT)}:{line}")
    return graph


def cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Every elementary cycle's folder list found by a depth-first walk (empty when the graph is a DAG)."""
    found: list[list[str]] = []

    def walk(node: str, trail: list[str]) -> None:
        for nxt in graph.get(node, {}):
            if nxt in trail:
                found.append([*trail[trail.index(nxt):], nxt])
            elif nxt > trail[0]:  # each cycle reported once, from its smallest folder
                walk(nxt, [*trail, nxt])

    for start in sorted(graph):
        walk(start, [start])
    return [c for c in found if c[0] == min(c)]


def test_the_walkers_find_a_cycle_and_a_forbidden_edge() -> None:
    graph = {"a": {"b": ["a.py:1"]}, "b": {"c": ["b.py:1"]}, "c": {"a": ["c.py:3"]}}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b": []}, "b": {}}) == []


def test_imports_inside_functions_count(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import os\n\ndef f():\n    from crawler.items import x\n    import pipelines.parse\n")
    assert imported_folders(module) == {("crawler", 4), ("pipelines", 5)}


def test_no_cycle_between_top_level_folders() -> None:
    graph = folder_graph()
    found = cycles(graph)
    detail = [" -> ".join(c) + "  (" + "; ".join(graph[c[0]][c[1]][:3]) + ")" for c in found]
    assert not found, "import cycles between folders:\n" + "\n".join(detail)


@pytest.mark.parametrize("folder", FOLDERS)
def test_dependencies_point_one_way(folder: str) -> None:
    graph = folder_graph()
    forbidden = {target: where for target, where in graph[folder].items() if target not in ALLOWED[folder]}
    assert not forbidden, f"{folder}/ imports what it must not: " + "; ".join(
        f"{target} at {', '.join(where[:5])}" for target, where in sorted(forbidden.items()))
