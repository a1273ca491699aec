"""Test-session set-up shared by tests/ and the nbval notebook run."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Notebooks run in smoke mode under pytest (their kernels inherit this environment).
os.environ.setdefault("SMOKE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
# nbval kernels: no fd-level capture, so TensorFlow's C++ log lines never reach cell outputs.
os.environ.setdefault("IPYTHONDIR", str(Path(__file__).resolve().parent / "tests" / "ipython"))


NOTEBOOKS_NEEDING_FER = ("01_", "02_", "03_", "04_", "05_", "06_", "07_")


def pytest_collection_modifyitems(config, items):
    """Every notebook cell is ``slow`` (the fast lane, ``-m "not slow"``, leaves the notebooks out).
    Without the FER2013 CSV, skip what needs it (tests marked fer2013 and the notebooks)."""
    from helpers.data import find_fer2013

    for item in items:
        if Path(str(item.fspath)).suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)
    if find_fer2013() is not None:
        return
    skip = pytest.mark.skip(reason="FER2013 not found: set FER2013_PATH or put fer2013.csv[.gz] in Data/")
    for item in items:
        path = Path(str(item.fspath))
        if "fer2013" in item.keywords or (path.suffix == ".ipynb" and path.name.startswith(NOTEBOOKS_NEEDING_FER)):
            item.add_marker(skip)


