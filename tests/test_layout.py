"""The package's layout and import graph: commands are the top-level modules of ``helpers`` (and
``helpers.data.__main__``), the library lives in subpackages; no import cycle, the errors module
below everything, and no library module that imports a command (imports inside functions count)."""
import ast
from pathlib import Path

from helpers.data import REPO_ROOT

PACKAGE = REPO_ROOT / "helpers"
FOUNDATION = {"helpers", "helpers.arguments", "helpers.errors", "helpers.expressions", "helpers.cli", "helpers.files",
              "helpers.quiet_import"}
SUBPACKAGES = {"data", "models", "gans", "training", "evaluation", "inference"}


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


def commands(graph) -> set[str]:
    """The modules a user runs: top-level modules other than the foundation, and ``__main__``s."""
    top_level = {f"helpers.{p.stem}" for p in PACKAGE.glob("*.py")} - FOUNDATION
    return {name for name in graph if name in top_level or name.endswith(".__main__")}


def test_graph_sees_package_and_local_imports():
    graph = import_graph()
    assert "helpers.errors" in graph["helpers.cli"]
    assert "helpers.models" in graph["helpers.models.files"]  # inside a function
    assert "helpers.data.fer2013" in graph["helpers.data"]  # a package's __init__


def test_the_package_is_commands_over_role_subpackages():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == SUBPACKAGES
    for name in commands(import_graph()):
        source = (REPO_ROOT / (name.replace(".", "/") + ".py")).read_text()
        assert "def main(" in source and 'if __name__ == "__main__":' in source, f"{name} is not a command"


def test_cycle_detection_finds_a_planted_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle():
    assert cycles(import_graph()) == []


def test_errors_files_and_arguments_modules_import_nothing_of_the_project_but_the_errors():
    graph = import_graph()
    assert graph["helpers.errors"] == set() and graph["helpers.arguments"] == set()
    assert graph["helpers.files"] == {"helpers.errors"}


def test_no_library_module_imports_a_command():
    graph = import_graph()
    run = commands(graph)
    assert {"helpers.train_recognizer", "helpers.evaluate", "helpers.data.__main__"} <= run
    offenders = {name: sorted(graph[name] & run) for name in set(graph) - run if graph[name] & run}
    assert offenders == {}


def test_each_subpackage_imports_only_those_before_it():
    """The order ``helpers/__init__.py`` gives: data, models, gans, inference, evaluation, training."""
    order = ["data", "models", "gans", "inference", "evaluation", "training"]
    assert set(order) == SUBPACKAGES
    rank = {name: i for i, name in enumerate(order)}

    def package(module):
        parts = module.split(".")
        return parts[1] if len(parts) > 1 and parts[1] in rank else None

    upward = sorted(f"{m} -> {t}" for m, targets in import_graph().items() if package(m)
                    for t in targets if package(t) and rank[package(t)] > rank[package(m)])
    assert upward == []
