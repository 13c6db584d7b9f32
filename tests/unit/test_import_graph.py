"""The import graph of the project runs one way: no cycles, and the core never imports its shells.

The graph is built from the source with `ast`, not by importing anything, so it sees every import:
module-level, inside functions, under `TYPE_CHECKING`, and relative ones (resolved against the
importing module's package). An edge goes to the most specific module that exists in the tree:
`from gladiator.warehouse import loader` is an edge to `gladiator.warehouse.loader`,
`from gladiator.contracts import get_contract` an edge to the package `gladiator.contracts`.
Parent packages that Python initialises on the way are not edges (they run first and never
re-enter the child), so `gladiator.contracts` importing its own submodules is no cycle.

Two properties, both from issue 13:
- no cycle between modules (a failure prints every cycle as a path `a -> b -> a`);
- `gladiator/` (the domain package shipped to Lambda and Glue) imports nothing from the shells:
  `gladiator_cli/`, `local_emulation/`, `streaming/`, `glue_jobs/`, `lambdas/`, `infra/`.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("gladiator", "gladiator_cli", "streaming", "local_emulation", "lambdas", "glue_jobs", "infra")
SHELLS = ("gladiator_cli", "local_emulation", "streaming", "glue_jobs", "lambdas", "infra")
CORE = "gladiator"


def module_name(path: Path, root: Path) -> str:
    """`gladiator/warehouse/__init__.py` -> `gladiator.warehouse`; `lambdas/x/app.py` -> `lambdas.x.app`."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    """Every module of the given top-level folders, by dotted name."""
    return {
        module_name(path, root): path
        for package in packages
        for path in sorted((root / package).rglob("*.py"))
        if "node_modules" not in path.parts and "cdk.out" not in path.parts
    }


def _imported_names(tree: ast.AST, module: str, is_package: bool) -> list[str]:
    """Every dotted name the module imports (`from a import b` gives `a.b`; relative names resolved)."""
    names: list[str] = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                base = node.module or ""
            names.extend(f"{base}.{alias.name}" for alias in node.names)
    return names


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The most specific project module a dotted import name refers to (None for third-party)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def import_graph(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, set[str]]:
    """module -> the project modules it imports (self-imports ignored)."""
    modules = source_modules(root, packages)
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets = (_resolve(n, modules) for n in _imported_names(tree, module, path.name == "__init__.py"))
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle path per strongly connected component with a loop (Tarjan, then a shortest loop)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:  # recursion depth is bounded by the module count (a few hundred)
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component: set[str] = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_shortest_loop(graph, component) for component in components]


def _shortest_loop(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A shortest path start -> ... -> start inside one strongly connected component."""
    start = min(component)
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for succ in sorted(graph[node] & component):
                if succ == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [*reversed(path), start]
                if succ not in parents:
                    parents[succ] = node
                    following.append(succ)
        frontier = following
    raise AssertionError(f"not a cycle: {sorted(component)}")


def wrong_way_imports(graph: dict[str, set[str]]) -> list[str]:
    """`core -> shell` edges: the domain package importing one of its callers."""
    return sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if module.split(".")[0] == CORE
        for target in targets
        if target.split(".")[0] in SHELLS
    )


def test_the_graph_covers_every_deployable_folder() -> None:
    graph = import_graph()
    assert {m.split(".")[0] for m in graph} == set(PACKAGES)
    # A known edge of each kind, so a parser that sees nothing cannot pass.
    assert "gladiator.config" in graph["gladiator.spark"]  # module level
    assert "gladiator.warehouse.postgres" in graph["gladiator.warehouse.loader"]  # inside make_loader
    assert any(t.startswith("gladiator.") for t in graph["lambdas.on_landing_object.app"])


def test_there_is_no_import_cycle() -> None:
    cycles = find_cycles(import_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_core_never_imports_its_shells() -> None:
    wrong = wrong_way_imports(import_graph())
    assert not wrong, "gladiator/ imports its callers:\n" + "\n".join(wrong)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_a_cycle_through_relative_and_function_level_imports_is_found(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "gladiator/__init__.py": "",
            "gladiator/warehouse/__init__.py": "",
            "gladiator/warehouse/loader.py": "def load():\n    from .postgres import connect\n",
            "gladiator/warehouse/postgres.py": "from gladiator.warehouse import loader\n",
            "gladiator/warehouse/base.py": "import json\n",
        },
    )
    graph = import_graph(tmp_path, ("gladiator",))
    assert graph["gladiator.warehouse.loader"] == {"gladiator.warehouse.postgres"}
    assert find_cycles(graph) == [
        ["gladiator.warehouse.loader", "gladiator.warehouse.postgres", "gladiator.warehouse.loader"]
    ]


def test_a_package_importing_its_own_submodules_is_no_cycle(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "gladiator/__init__.py": "",
            "gladiator/contracts/__init__.py": "from .entities import CONTRACTS\n",
            "gladiator/contracts/entities.py": "from gladiator.contracts.model import Contract\n",
            "gladiator/contracts/model.py": "",
        },
    )
    assert find_cycles(import_graph(tmp_path, ("gladiator",))) == []


def test_a_core_module_importing_a_shell_inside_a_function_is_found(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "gladiator/__init__.py": "",
            "gladiator/ingest.py": "def run():\n    from local_emulation import stack\n",
            "local_emulation/__init__.py": "",
            "local_emulation/stack.py": "from gladiator import ingest\n",
            "streaming/__init__.py": "from gladiator import ingest\n",
        },
    )
    graph = import_graph(tmp_path, ("gladiator", "local_emulation", "streaming"))
    assert wrong_way_imports(graph) == ["gladiator.ingest -> local_emulation.stack"]
