"""Shared fixtures: small data files the tests write themselves, FER2013 when present, and the
command-line entry points run inside the test process."""
from __future__ import annotations

import contextlib
import gzip
import importlib
import importlib.util
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from helpers.cli import run_cli
from helpers.data import find_fer2013

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def no_test_leaves_a_dtype_policy_behind():
    """Trainers set Keras' dtype policy only while they build and train
    (:func:`helpers.training.precision.training_precision`): after any test it is float32 again."""
    yield
    if "keras" in sys.modules:
        assert sys.modules["keras"].mixed_precision.global_policy().name == "float32"


@pytest.fixture(scope="session")
def fer2013():
    path = find_fer2013()
    if path is None:
        pytest.skip("FER2013 not found: set FER2013_PATH or put fer2013.csv[.gz] in Data/")
    from helpers.data import load_dataset

    return load_dataset(path)


def pixel_row(rng, n=48 * 48):
    return " ".join(str(v) for v in rng.integers(0, 256, n))


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def tiny_csv(tmp_path, rng):
    """A 5-row Kaggle-format fer2013.csv and its gzip twin."""
    rows = [(3, "Training"), (0, "Training"), (6, "PublicTest"), (5, "PrivateTest"), (2, "Training")]
    text = "emotion,pixels,Usage\n" + "".join(f"{e},{pixel_row(rng)},{u}\n" for e, u in rows)
    path = tmp_path / "fer2013.csv"
    path.write_text(text)
    with gzip.open(tmp_path / "fer2013.csv.gz", "wt") as f:
        f.write(text)
    return path


def write_image(path: Path, array: np.ndarray):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


@dataclass
class Completed:
    """A command's exit status and what it printed, named as in ``subprocess.CompletedProcess``."""
    returncode: int
    stdout: str
    stderr: str


def _entry_point(args: list[str]):
    """The ``main`` function, program name and arguments of ``python -m MODULE ...`` or
    ``python SCRIPT.py ...`` (a script of the repository)."""
    if args[0] == "-m":
        module = importlib.import_module(args[1])
        if not hasattr(module, "main"):  # a package: python -m runs its __main__
            module = importlib.import_module(f"{args[1]}.__main__")
        return module.main, args[1], args[2:]
    spec = importlib.util.spec_from_file_location(f"script_{Path(args[0]).stem}", ROOT / args[0])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main, args[0], args[1:]


@pytest.fixture(scope="session")
def run_python():
    """``run_python(["-m", "helpers.evaluate", ...])`` or ``run_python(["Generative_model/dcgan.py", ...])``
    runs that command inside the test process, from the repository root, as its ``__main__``
    block does (``helpers.cli.run_cli``: a user error is one ``error:`` line and status 2), and
    returns its status and output. It saves the 10 s of TensorFlow start-up that a subprocess pays
    for each call. What only a fresh process shows (TensorFlow's start-up notices, the whole of
    stderr, loading in a clean process) is tested with real subprocesses."""
    def run(args: list[str]) -> Completed:
        main, program, argv = _entry_point(list(args))
        out, err, code, cwd = io.StringIO(), io.StringIO(), 0, os.getcwd()
        os.chdir(ROOT)  # not contextlib.chdir: Python 3.10 is supported
        try:
            with mock.patch.object(sys, "argv", [program, *argv]), \
                    contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                run_cli(main, argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        finally:
            os.chdir(cwd)
        return Completed(code, out.getvalue(), err.getvalue())

    return run
