"""Shared fixtures: small data files the tests write themselves, and FER2013 when present."""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from helpers.data import find_fer2013


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
