"""The dependency direction holds: the core package (`infinitestories/`: API plumbing, AI
layer, ids) imports no domain app, and the domain apps import each other without a cycle.
Every import counts, those inside functions too (ast, not the runtime import graph)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = "infinitestories"
DOMAIN_APPS = frozenset({"accounts", "heroes", "stories", "media", "usage", "notifications"})


def imports_by_package(root: Path, packages: set[str]) -> dict[str, dict[str, list[str]]]:
    """package -> {imported package -> ["file:line", ...]}, among `packages` only."""
    graph: dict[str, dict[str, list[str]]] = {package: {} for package in packages}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:  # relative imports stay inside their own package
                    continue
                for name in names:
                    target = name.split(".")[0]
                    if target in packages and target != package:
                        where = f"{path.relative_to(root)}:{node.lineno}"
                        graph[package].setdefault(target, []).append(where)
    return graph


def find_cycle(graph: dict[str, dict[str, list[str]]]) -> list[str] | None:
    """A cycle of packages (first package repeated at the end), or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(package: str) -> list[str] | None:
        state[package] = "open"
        path.append(package)
        for target in sorted(graph.get(package, {})):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[package] = "done"
        path.pop()
        return None

    for package in sorted(graph):
        if package not in state and (cycle := visit(package)):
            return cycle
    return None


def test_the_core_package_imports_no_domain_app():
    graph = imports_by_package(ROOT, {CORE, *DOMAIN_APPS})

    assert graph[CORE] == {}, f"{CORE}/ imports domain apps: {graph[CORE]}"


def test_the_domain_apps_import_each_other_without_a_cycle():
    graph = imports_by_package(ROOT, set(DOMAIN_APPS))

    cycle = find_cycle(graph)

    assert cycle is None, " -> ".join(cycle or []) + f": {graph}"


def test_the_check_sees_imports_inside_functions_and_cycles(tmp_path):
    for package, source in {
        "core": "def handler():\n    from shop.models import Order\n",
        "shop": "import billing.api\n",
        "billing": "def charge():\n    import shop\n",
    }.items():
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text(source)

    graph = imports_by_package(tmp_path, {"core", "shop", "billing"})

    assert graph["core"] == {"shop": ["core/__init__.py:2"]}
    assert find_cycle({k: v for k, v in graph.items() if k != "core"}) == [
        "billing",
        "shop",
        "billing",
    ]
