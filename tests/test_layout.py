"""The package's layout and import graph: commands are the top-level modules of ``helpers`` (and
``helpers.data.__main__``) and the scripts of ``Generative_model/``; the library lives in
subpackages. No import cycle; the shared top-level modules import only each other; no library
module imports or runs a command, and no command imports another. The graph sees imports inside
functions, ``importlib.import_module`` and ``__import__`` of a named module, and a subprocess that
runs ``-m helpers.X``; a dynamic import of a name the code computes is refused unless listed in
:data:`COMPUTED_IMPORTS` with its reason."""
import ast
from pathlib import Path

import pytest

from helpers.data import REPO_ROOT

PACKAGE = REPO_ROOT / "helpers"
SCRIPTS = REPO_ROOT / "Generative_model"
FOUNDATION = {"helpers", "helpers.arguments", "helpers.errors", "helpers.expressions", "helpers.cli", "helpers.files",
              "helpers.options", "helpers.quiet_import"}
SUBPACKAGES = {"data", "models", "gans", "training", "evaluation", "inference"}
#: dynamic imports of a computed name: module -> why
COMPUTED_IMPORTS = {"helpers.models.files": "a .keras file names the module of each object it holds (Keras' own "
                                            "format); the loader resolves it, and only registered or Keras classes load"}
RUNNERS = {"run", "Popen", "call", "check_call", "check_output", "system", "run_module", "execv", "execvp", "spawnv"}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, package: str, known: set[str]) -> tuple[set[str], list[str]]:
    """The modules of ``known`` that ``source`` (a module of ``package``) imports or runs, and the
    lines of its dynamic imports whose module name it computes."""
    targets, computed = set(), []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            targets |= {f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names}
        elif isinstance(node, ast.Import):
            targets |= {a.name for a in node.names}
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("import_module", "__import__"):
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    targets.add(first.value)
                else:
                    computed.append(f"line {node.lineno}: {ast.unparse(node)}")
            elif name in RUNNERS:  # a module that starts processes: every "-m X" in it may be one of them
                words = [n.value for n in ast.walk(ast.parse(source))
                         if isinstance(n, ast.Constant) and isinstance(n.value, str)]
                targets |= {module for flag, module in zip(words, words[1:]) if flag == "-m"}
                targets |= {w.split()[w.split().index("-m") + 1] for w in words if "-m" in w.split()[:-1]}
    return {t for t in targets if t in known}, computed


def sources() -> dict[str, Path]:
    return {module_name(p): p for p in [*PACKAGE.rglob("*.py"), *SCRIPTS.glob("*.py")]}


def import_graph() -> dict[str, set[str]]:
    """``{module: project modules it imports or runs}`` for every module of the package and script."""
    files = sources()
    graph = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        graph[name] = imports_of(path.read_text(), package, set(files))[0] - {name}
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
    """The modules a user runs: top-level modules other than the foundation, ``__main__``s and
    the scripts."""
    top_level = {f"helpers.{p.stem}" for p in PACKAGE.glob("*.py")} - FOUNDATION
    return {name for name in graph
            if name in top_level or name.endswith(".__main__") or name.startswith("Generative_model.")}


def test_graph_sees_package_and_local_imports():
    graph = import_graph()
    assert "helpers.errors" in graph["helpers.cli"]
    assert "helpers.models" in graph["helpers.models.files"]  # inside a function
    assert "helpers.data.fer2013" in graph["helpers.data"]  # a package's __init__
    assert "helpers.training.sngan" in graph["Generative_model.sngan"]  # a script


def test_graph_sees_dynamic_imports_and_commands_run_as_subprocesses():
    known = {"helpers.evaluate", "helpers.benchmark", "helpers.recognize", "helpers.app", "helpers.data"}
    source = """
import importlib, subprocess, sys
def f(name):
    importlib.import_module("helpers.evaluate")
    __import__("helpers.data")
    command = [sys.executable, "-m", "helpers.benchmark", "--steps", "1"]
    subprocess.run(command)
    subprocess.Popen("python -m helpers.recognize photo.jpg", shell=True)
    importlib.import_module(name)
"""
    targets, computed = imports_of(source, "helpers.training", known)
    assert targets == {"helpers.evaluate", "helpers.data", "helpers.benchmark", "helpers.recognize"}
    assert computed == ["line 9: importlib.import_module(name)"]
    words = 'COMMAND = ["python", "-m", "helpers.app"]  # a recorded command: words, not a run'
    assert imports_of(words, "helpers.training", known) == (set(), [])


def test_every_dynamic_import_of_a_computed_name_is_listed_with_its_reason():
    files = sources()
    found = {name: imports_of(path.read_text(), name, set(files))[1] for name, path in files.items()}
    assert {name for name, lines in found.items() if lines} == set(COMPUTED_IMPORTS)


def test_the_package_is_commands_over_role_subpackages():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == SUBPACKAGES
    files = sources()
    for name in commands(import_graph()):
        source = files[name].read_text()
        has_main = "def main(" in source or "\nmain = " in source
        assert has_main and 'if __name__ == "__main__":' in source, f"{name} is not a command"


def test_cycle_detection_finds_a_planted_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle():
    assert cycles(import_graph()) == []


def test_errors_files_and_arguments_modules_import_nothing_of_the_project_but_the_errors():
    graph = import_graph()
    assert graph["helpers.errors"] == set() and graph["helpers.arguments"] == set()
    assert graph["helpers.files"] == {"helpers.errors"}


def test_the_shared_top_level_modules_import_only_each_other():
    graph = import_graph()
    assert {name: sorted(graph[name] - FOUNDATION) for name in FOUNDATION if graph[name] - FOUNDATION} == {}


def test_no_library_module_imports_or_runs_a_command():
    graph = import_graph()
    run = commands(graph)
    assert {"helpers.train_recognizer", "helpers.evaluate", "helpers.data.__main__", "Generative_model.sngan"} <= run
    offenders = {name: sorted(graph[name] & run) for name in set(graph) - run if graph[name] & run}
    assert offenders == {}


def test_no_command_imports_another_command():
    graph = import_graph()
    run = commands(graph)
    assert {name: sorted(graph[name] & run) for name in run if graph[name] & run} == {}


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


def test_only_commands_use_the_command_line_module():
    graph = import_graph()
    run = commands(graph)
    assert sorted(name for name in set(graph) - run if "helpers.cli" in graph[name]) == []


@pytest.mark.slow
def test_importing_the_library_changes_no_process_wide_setting():
    """Every library module imported in a fresh process changes no environment variable beyond
    what the third-party packages it imports set themselves (TensorFlow sets several), and leaves
    Keras' dtype policy at float32. A command sets TensorFlow's log level; the library does not."""
    import json
    import os
    import subprocess
    import sys

    library = sorted(name for name in import_graph() if name.startswith("helpers.")
                     and name not in commands(import_graph()) and name != "helpers.cli")
    report = ("import json, os, sys\nchanged = {k: v for k, v in os.environ.items() if before.get(k) != v}\n"
              "import keras\npolicy = keras.mixed_precision.global_policy().name\n"
              "others = sorted({m.split('.')[0] for m in sys.modules} - {'helpers', '__main__'})\n"
              "print(json.dumps({'changed': changed, 'policy': policy, 'others': others}))")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}

    def run(imports: list[str]) -> dict:
        code = (f"import importlib, os\nbefore = dict(os.environ)\nfor name in {imports!r}:\n"
                "    try:\n        importlib.import_module(name)\n    except Exception:\n        pass\n" + report)
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO_ROOT,
                              timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout.splitlines()[-1])

    ours = run(library)
    theirs = run(ours["others"])  # the same third-party packages, without the project
    assert ours["policy"] == "float32" and ours["changed"] == theirs["changed"]
