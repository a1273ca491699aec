"""Check the project on each supported stack, each in a virtual environment of its own.

    python tools/check_stacks.py                      # every stack in tools/stacks/
    python tools/check_stacks.py --stack oldest       # one (CI runs this one)
    python tools/check_stacks.py --notebooks          # also run every notebook in smoke mode
    python tools/check_stacks.py --multiworker        # also train across two workers on 127.0.0.1

A stack is a file ``tools/stacks/NAME.txt``: pinned requirements, with the Python version on its
first line (``# python 3.11``). For each stack the script

1. builds ``.stacks/NAME/`` from that Python (``python3.X`` on PATH, or pyenv's) and installs the
   stack's packages: what a user's machine or Colab runtime already has;
2. installs the project the way the notebooks' Colab cell does (:data:`helpers.colab.COLAB_INSTALL`),
   and checks that this changed none of the packages Colab warns about (TensorFlow, Keras, NumPy,
   ipykernel, ipython, jupyter_client, tornado, pyzmq), and on the Colab stack that it added
   nothing but the project and the LiteRT runtime (:data:`NEW_ON_COLAB`);
3. loads every shipped model and compares its outputs with the recorded ones, then does the same
   with their LiteRT twins (``python -m helpers.release_check [--backend litert]``);
4. runs the README's main command (on LiteRT where the runtime installs) and counts the faces it writes;
5. with ``--notebooks``, runs every notebook top to bottom through papermill with ``-p SMOKE True``;
6. with ``--multiworker``, runs ``tests/test_multiworker.py`` (``--strategy multiworker`` over two
   worker processes on 127.0.0.1, slow tests included) with pytest.

It prints the versions, each check with its time, and a summary; it exits with status 1 when a
check fails. Creating a stack the first time downloads its packages (about 1 GB each)."""
from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from helpers.colab import COLAB_INSTALL  # noqa: E402  (the notebooks' install command, run in each stack)

STACKS = ROOT / "tools" / "stacks"
VENVS = ROOT / ".stacks"
PROTECTED = ("tensorflow", "keras", "numpy", "ipykernel", "ipython", "jupyter-client", "tornado", "pyzmq")
MAIN_COMMAND = ["Generative_model/Expression_generator.py", "checkpoints/sngan_fer2013", "Fear", "16"]
# What the Colab cell may add: the LiteRT runtime, which Colab is not known to ship, and its one
# dependency Colab lacks. Adding them changes none of Colab's packages.
NEW_ON_COLAB = {"ai-edge-litert", "backports-strenum"}
PIP = ["-m", "pip", "--disable-pip-version-check"]


def find_python(version: str) -> str:
    """An interpreter of ``version`` (e.g. ``3.11``) that runs: pyenv's, else ``python3.11`` on PATH
    (a pyenv shim on PATH fails for a version that is installed but not selected)."""
    candidates = [*sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python")), reverse=True),
                  shutil.which(f"python{version}")]
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "-c", "import venv"], capture_output=True).returncode == 0:
            return candidate
    sys.exit(f"error: no Python {version} here (install it, e.g. pyenv install {version})")


def stack_python_version(requirements: Path) -> str:
    match = re.match(r"#\s*python\s+(\d+\.\d+)", requirements.read_text())
    if not match:
        sys.exit(f"error: {requirements} must start with a line '# python 3.X'")
    return match.group(1)


def run(cmd, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, capture_output=True, text=True, **kwargs)


def installed(python: Path) -> dict[str, str]:
    """``{normalised name: version}`` of everything installed in the environment of ``python``."""
    out = run([python, *PIP, "list", "--format=freeze"]).stdout
    return {re.sub(r"[-_.]+", "-", name).lower(): version
            for name, _, version in (line.partition("==") for line in out.splitlines() if "==" in line)}


class Report:
    def __init__(self, stack: str):
        self.stack, self.rows = stack, []

    def check(self, name: str, ok: bool, seconds: float, detail: str = "") -> bool:
        self.rows.append((name, ok, seconds, detail))
        print(f"  {'ok  ' if ok else 'FAIL'} {name:34s} {seconds:7.1f} s  {detail}", flush=True)
        return ok

    @property
    def ok(self) -> bool:
        return all(ok for _, ok, _, _ in self.rows)


def timed(cmd, env=None):
    start = time.perf_counter()
    done = run(cmd, env=env)
    return done, time.perf_counter() - start


def last_lines(done: subprocess.CompletedProcess, n: int = 3) -> str:
    return " | ".join((done.stdout + done.stderr).strip().splitlines()[-n:])


def check_stack(name: str, notebooks: bool, multiworker: bool = False) -> Report:
    requirements = STACKS / f"{name}.txt"
    version = stack_python_version(requirements)
    venv = VENVS / name
    python = venv / "bin" / "python"
    report = Report(name)
    print(f"\n== stack {name} (Python {version}, {requirements.relative_to(ROOT)})", flush=True)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg"}
    env.pop("SMOKE", None)  # the notebooks get smoke mode from papermill's -p, as a user's would

    start = time.perf_counter()
    if not python.exists():
        subprocess.run([find_python(version), "-m", "venv", str(venv)], check=True)
    done = run([python, *PIP, "install", "-q", "-r", requirements])
    if not report.check("install the stack", done.returncode == 0, time.perf_counter() - start,
                        last_lines(done) if done.returncode else ""):
        return report
    before = installed(python)
    print("  " + ", ".join(f"{p} {before[p]}" for p in PROTECTED if p in before), flush=True)

    done, seconds = timed([python, *COLAB_INSTALL])
    after = installed(python)
    changed = [f"{p} {before.get(p)} -> {after.get(p)}" for p in PROTECTED if before.get(p) != after.get(p)]
    added = sorted(set(after) - set(before) - {"expression-faces"})
    ok = done.returncode == 0 and not changed and (name != "colab" or set(added) <= NEW_ON_COLAB)
    report.check("install the project (Colab cell)", ok, seconds,
                 last_lines(done) if done.returncode else "; ".join(changed) or
                 (f"added {', '.join(added)}" if added else "changed none of " + ", ".join(PROTECTED)))

    for backend in ("keras", "litert"):
        done, seconds = timed([python, "-m", "helpers.release_check", "--backend", backend], env)
        report.check(f"shipped models: recorded outputs ({backend})", done.returncode == 0, seconds,
                     done.stdout.strip().splitlines()[-1] if done.returncode == 0 else last_lines(done))

    with tempfile.TemporaryDirectory() as out:
        done, seconds = timed([python, *MAIN_COMMAND, out], env)
        faces = len(list(Path(out).glob("Fear_*.png")))
        report.check("main command: 16 Fear faces", done.returncode == 0 and faces == 17, seconds,
                     f"{faces - 1} faces and a grid" if done.returncode == 0 else last_lines(done))

    if notebooks:
        done, seconds = timed([python, *PIP, "install", "-q", "papermill", "ipykernel"])
        if report.check("install papermill", done.returncode == 0, seconds, last_lines(done) if done.returncode else ""):
            with tempfile.TemporaryDirectory() as out:
                for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
                    done, seconds = timed([python, "-m", "papermill", "-p", "SMOKE", "True", "--cwd", "notebooks",
                                           "-k", "python3", notebook, Path(out) / notebook.name], env)
                    report.check(f"notebook {notebook.stem} (smoke)", done.returncode == 0, seconds,
                                 "" if done.returncode == 0 else last_lines(done, 2))

    if multiworker:
        done, seconds = timed([python, *PIP, "install", "-q", "pytest"])
        if report.check("install pytest", done.returncode == 0, seconds, last_lines(done) if done.returncode else ""):
            done, seconds = timed([python, "-m", "pytest", "-q", "-o", "addopts=", "-p", "no:cacheprovider",
                                   "tests/test_multiworker.py"], env)
            summary = [line for line in done.stdout.splitlines() if re.search(r"\d+ (passed|failed)", line)]
            report.check("two workers (tests/test_multiworker.py)", done.returncode == 0, seconds,
                         summary[-1].strip("= ") if summary else last_lines(done))
    return report


def main(argv=None) -> int:
    stacks = sorted(p.stem for p in STACKS.glob("*.txt"))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stack", action="append", choices=stacks, help="check only this stack (repeatable; default: all)")
    p.add_argument("--notebooks", action="store_true", help="also run every notebook in smoke mode (needs FER2013)")
    p.add_argument("--multiworker", action="store_true",
                   help="also run tests/test_multiworker.py: training across two workers on 127.0.0.1")
    args = p.parse_args(argv)
    start = time.perf_counter()
    reports = [check_stack(name, args.notebooks, args.multiworker) for name in args.stack or stacks]
    print("\n== summary")
    for r in reports:
        failed = [name for name, ok, _, _ in r.rows if not ok]
        print(f"  {r.stack:8s} {'passed' if r.ok else 'FAILED: ' + ', '.join(failed)} "
              f"({len(r.rows)} checks, {sum(s for _, _, s, _ in r.rows):.0f} s)")
    print(f"  total {time.perf_counter() - start:.0f} s")
    return 0 if all(r.ok for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
