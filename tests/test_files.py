"""One way to write a file (helpers.files): whole or not at all, never over someone else's file,
and concurrent runs of the main command into one folder keep every face."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers.files import atomic_path, claim, write_json

ROOT = Path(__file__).resolve().parent.parent


def test_an_atomic_write_replaces_the_file_whole(tmp_path):
    target = tmp_path / "config.json"
    write_json(target, {"epoch": 1})
    write_json(target, {"epoch": 2})
    assert target.read_text() == '{\n "epoch": 2\n}' and [p.name for p in tmp_path.iterdir()] == ["config.json"]
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "generator.keras"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            assert tmp.parent == tmp_path and tmp.name.endswith(".keras") and tmp.name.startswith(".generator.keras.")
            tmp.write_bytes(b"half a mod")
            raise RuntimeError("killed mid-write")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["generator.keras"]


def test_a_claim_takes_the_first_free_name_and_never_replaces_one(tmp_path):
    (tmp_path / "Fear_0001.png").write_bytes(b"mine")
    names = [tmp_path / f"Fear_{i:04d}.png" for i in range(1, 4)]
    assert claim(b"a", names) == names[1] and claim(b"b", names) == names[2]
    assert [p.read_bytes() for p in names] == [b"mine", b"a", b"b"]
    with pytest.raises(FileExistsError, match="every name offered"):
        claim(b"c", names)
    assert sorted(p.name for p in tmp_path.iterdir()) == [p.name for p in names]  # no temporary file left


def test_eight_concurrent_runs_into_one_folder_keep_every_face(tmp_path):
    from PIL import Image

    out = tmp_path / "out"
    command = [sys.executable, str(ROOT / "Generative_model" / "Expression_generator.py"), "checkpoints/sngan_fer2013",
               "Happy", "16", str(out)]
    runs = [subprocess.Popen(command + ["--seed", str(seed)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for seed in range(8)]
    for run in runs:
        _, stderr = run.communicate(timeout=600)
        assert run.returncode == 0, stderr[-2000:]
    faces = sorted(out.glob("Happiness_[0-9]*.png"))
    grids = sorted(out.glob("Happiness_grid*.png"))
    assert [p.name for p in faces] == [f"Happiness_{i:04d}.png" for i in range(1, 129)] and len(grids) == 8
    for path in faces + grids:
        with Image.open(path) as image:
            image.load()
    pixels = {np.asarray(Image.open(p)).tobytes() for p in faces}
    assert len(pixels) == 128  # eight seeds' faces, none written over another's
