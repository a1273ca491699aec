"""The package's import graph: no cycle, the errors module below everything, and no library module
that imports a command module (imports inside functions count too)."""
import ast
from pathlib import Path

from helpers.data import REPO_ROOT

PACKAGE = REPO_ROOT / "helpers"
COMMANDS = {"helpers.train_recognizer", "helpers.deep_emotion", "helpers.evaluate",
            "helpers.train_cwgan", "helpers.train_dcgan", "helpers.train_ccyclegan"}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """``{module: project modules it imports}`` for every module of the package."""
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parent + ([node.module] if node.module else []))
                targets |= {f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names}
            elif isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
        graph[name] = {t for t in targets if t in files and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of ``graph``: each a path that returns to where it started."""
    found, done = [], set()

    def visit(node, path):
        if node in path:
            found.append(path[path.index(node):] + [node])
            return
        if node in done:
            return
        for target in sorted(graph[node]):
            visit(target, path + [node])
        done.add(node)

    for node in sorted(graph):
        visit(node, [])
    return found


def test_graph_sees_relative_and_local_imports():
    graph = import_graph()
    assert "helpers.errors" in graph["helpers.cli"]  # from .errors import UserError
    assert "helpers.models" in graph["helpers.model_files"]  # inside a function


def test_cycle_detection_finds_a_planted_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle():
    assert cycles(import_graph()) == []


def test_errors_module_imports_nothing_of_the_project():
    assert import_graph()["helpers.errors"] == set()


def test_no_library_module_imports_a_command():
    graph = import_graph()
    assert COMMANDS <= set(graph)
    offenders = {name: sorted(graph[name] & COMMANDS) for name in set(graph) - COMMANDS if graph[name] & COMMANDS}
    assert offenders == {}
