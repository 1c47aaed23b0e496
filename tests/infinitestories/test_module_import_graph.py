"""No import cycle among the modules of the core package (`infinitestories/`).

The package-level check (test_import_graph) cannot see a cycle inside one package: the AI layer
was one (the OpenAI provider imported the use cases that build their prompts, the use cases
import the chain that builds the providers). Every import counts, those inside functions too
(ast, not the runtime graph), except those under `if TYPE_CHECKING:`, which never run. Importing
`a.b.c` is an edge to `a.b.c` only: a package's `__init__` runs first, but a cycle through it is
not one the code can see or fix in its own modules.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = "infinitestories"


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of the import nodes under `if TYPE_CHECKING:`."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = getattr(test, "id", None) or getattr(test, "attr", None)
            if name == "TYPE_CHECKING":
                for child in node.body:
                    skipped.update(id(n) for n in ast.walk(child))
    return skipped


def module_graph(root: Path, package: str) -> dict[str, dict[str, list[str]]]:
    """module -> {imported module -> ["file:line", ...]}, among the modules of `package`."""
    paths = sorted((root / package).rglob("*.py"))
    modules = {module_name(root, path): path for path in paths}
    graph: dict[str, dict[str, list[str]]] = {name: {} for name in modules}

    def resolve(name: str) -> str | None:
        """The module of `package` that `name` (a module or a name in one) is, if any."""
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    for source, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        skipped = _type_checking_only(tree)
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = source.split(".")
                    drop = node.level - 1 if is_package else node.level
                    anchor = anchor[: len(anchor) - drop] if drop else anchor
                    base = ".".join([*anchor, *([base] if base else [])])
                # `from a import b`: b may be a module of its own, else a name in a.
                targets = [f"{base}.{alias.name}" for alias in node.names] or [base]
            for target in targets:
                found = resolve(target)
                if found and found != source and found.startswith(package):
                    where = f"{path.relative_to(root)}:{node.lineno}"
                    graph[source].setdefault(found, []).append(where)
    return graph


def find_cycle(graph: dict[str, dict[str, list[str]]]) -> list[str] | None:
    """A cycle of modules (first one repeated at the end), or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        path.append(module)
        for target in sorted(graph.get(module, {})):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[module] = "done"
        path.pop()
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def test_the_core_package_has_no_import_cycle_among_its_modules():
    graph = module_graph(ROOT, CORE)

    cycle = find_cycle(graph)

    where = [graph[a][b][0] for a, b in zip(cycle or [], (cycle or [])[1:], strict=False)]
    assert cycle is None, " -> ".join(cycle or []) + f" (at {', '.join(where)})"


def test_the_check_finds_a_cycle_through_relative_and_function_level_imports(tmp_path):
    # given a package like the old AI layer: a provider importing a use case, which imports
    # the chain, which builds the provider inside a function
    package = tmp_path / "core"
    (package / "ai").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for name, source in {
        "__init__": "",
        "base": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import chain\n",
        "chain": "from .base import Usage\ndef build():\n    from .provider import Provider\n",
        "story": "from . import chain\n",
        "provider": "from . import story\nfrom core.ai.base import Usage\n",
    }.items():
        (package / "ai" / f"{name}.py").write_text(source)

    graph = module_graph(tmp_path, "core")

    # then every edge is seen, the TYPE_CHECKING one is not, and the cycle is named
    assert set(graph["core.ai.base"]) == set()
    assert set(graph["core.ai.provider"]) == {"core.ai.story", "core.ai.base"}
    assert find_cycle(graph) == [
        "core.ai.chain",
        "core.ai.provider",
        "core.ai.story",
        "core.ai.chain",
    ]

    # and without the provider's import of the use case there is none
    (package / "ai" / "provider.py").write_text("from core.ai.base import Usage\n")
    assert find_cycle(module_graph(tmp_path, "core")) is None
