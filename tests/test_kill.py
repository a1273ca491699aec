"""Kills at any moment: a short training is killed with SIGKILL again and again, at random moments
and while its release is being written, and resumed each time. No epoch may be lost or repeated
in its history, its release must load and generate after every kill, and a reader polling the
release the whole time must never fail."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
EPOCHS = 5
KILLS = 3  # 2 at random moments, 1 while a release is being written

READER = """
import json, sys, time
from pathlib import Path
from helpers.errors import UserError
from helpers.inference.generators import load_generator

release, stop = Path(sys.argv[1]), Path(sys.argv[2])
loads, failures = 0, []
while not stop.exists():
    try:
        faces = load_generator(release).generate(3, 2, seed=0)
        assert faces.shape == (2, 48, 48, 1) and faces.dtype.name == "uint8"
        loads += 1
    except UserError as exc:
        if loads or "does not exist" not in str(exc) and "incomplete" not in str(exc):
            failures.append(str(exc))  # before the first release, "not there yet" is the right answer
    except Exception as exc:
        failures.append(f"{exc.__class__.__name__}: {exc}")
    time.sleep(0.02)
print(json.dumps({"loads": loads, "failures": failures}))
"""


def _train(ckpt_dir: Path, resume: bool) -> subprocess.Popen:
    args = [sys.executable, "Generative_model/dcgan.py", "--data", "synthetic", "--subset", "96", "--batch-size", "32",
            "--epochs", str(EPOCHS), "--keep", "2", "--ckpt-dir", str(ckpt_dir), "--seed", "3"] + ["--resume"] * resume
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _epochs_done(ckpt_dir: Path) -> int:
    history = ckpt_dir / "training" / "history.json"
    return len(json.loads(history.read_text())) if history.exists() else 0


def _kill_while_writing(proc: subprocess.Popen, ckpt_dir: Path, timeout: float = 240) -> bool:
    """SIGKILL ``proc`` the moment a temporary file of the release appears (a release write in
    progress); False if the run ended first."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if ckpt_dir.is_dir() and any(name.startswith((".generator.keras.", ".config.json.")) for name in os.listdir(ckpt_dir)):
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.001)
    return False


def _kill_at_random(proc: subprocess.Popen, rng: random.Random, ckpt_dir: Path) -> bool:
    """SIGKILL ``proc`` at a random moment after its first epoch of this start (start-up, an epoch,
    a checkpoint or a release write); False if the run ended first."""
    start = _epochs_done(ckpt_dir)
    while proc.poll() is None and _epochs_done(ckpt_dir) <= start:
        time.sleep(0.05)
    time.sleep(rng.uniform(0.0, 2.0))
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return True


@pytest.mark.slow
def test_a_training_killed_at_any_moment_resumes_without_losing_or_repeating_an_epoch(tmp_path):
    from helpers.inference.generators import load_generator

    ckpt_dir, stop = tmp_path / "run", tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(ckpt_dir), str(stop)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rng, kills, starts = random.Random(7), [], 0
    try:
        while True:
            proc = _train(ckpt_dir, resume=starts > 0)
            starts += 1
            if len(kills) < KILLS:
                during_write = len(kills) % 3 == 2
                killed = (_kill_while_writing(proc, ckpt_dir) if during_write else _kill_at_random(proc, rng, ckpt_dir))
                if killed:
                    kills.append(("during a release write" if during_write else "at random", _epochs_done(ckpt_dir)))
                    if (ckpt_dir / "config.json").exists():  # the release left by the kill loads and generates
                        assert load_generator(ckpt_dir).generate(0, 1, seed=0).shape == (1, 48, 48, 1)
                    continue
            output, _ = proc.communicate(timeout=600)
            assert proc.returncode == 0, output[-3000:]
            break
    finally:
        stop.touch()
        report, errors = reader.communicate(timeout=120)
    assert len(kills) == KILLS, f"the run ended before {KILLS} kills: {kills}"
    history = json.loads((ckpt_dir / "training" / "history.json").read_text())
    assert [row["epoch"] for row in history] == list(range(1, EPOCHS + 1)), kills
    read = json.loads(report.strip().splitlines()[-1]) if report.strip() else {"loads": 0, "failures": [errors[-2000:]]}
    assert read["failures"] == [] and read["loads"] > 0, read
    release = load_generator(ckpt_dir)
    assert release.config["epoch"] == EPOCHS and (ckpt_dir / "generator.tflite").exists()
    faces = release.generate(3, 4, seed=0)
    assert faces.shape == (4, 48, 48, 1) and np.ptp(faces) > 0
    visible = {p.name for p in ckpt_dir.iterdir() if not p.name.startswith(".")}  # a kill leaves only hidden names
    assert {"config.json", "generator.keras", "generator.tflite", "training"} <= visible
    assert visible <= {"config.json", "generator.keras", "generator.tflite", "training", "discriminator.weights.h5"}
    hidden = [p.name for p in (*ckpt_dir.iterdir(), *(ckpt_dir / "training").iterdir()) if p.name.startswith(".")]
    assert hidden == [".generator.previous.keras"], hidden  # the resumed runs removed what the kills left


KILLED_BETWEEN_WRITES = """
import os, signal, sys
import keras, numpy as np
from helpers.training import callbacks

run_dir = sys.argv[1]
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, kernel_initializer="zeros")])
model.compile(optimizer="sgd", loss="mse")
save = callbacks.SaveLast(run_dir)
save.set_model(model)
for epoch in range(3):
    model.layers[0].kernel.assign(np.full((3, 1), epoch + 1.0, np.float32))
    if epoch == 2:  # killed after the new last.keras, before the last.json that goes with it
        callbacks.write_json = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)
    save.on_epoch_end(epoch, {"wall_s": float(epoch)})
"""


@pytest.mark.slow
def test_a_recognizer_run_killed_between_its_two_resume_files_resumes_from_the_previous_epoch(tmp_path):
    import keras

    from helpers.training.callbacks import LAST, LAST_PREVIOUS, last_model_file
    from helpers.training.recognizer import completed_epochs

    done = subprocess.run([sys.executable, "-c", KILLED_BETWEEN_WRITES, str(tmp_path)], cwd=ROOT)
    assert done.returncode == -signal.SIGKILL
    assert completed_epochs(tmp_path)[0] == 2 and last_model_file(tmp_path) == tmp_path / LAST_PREVIOUS
    kernel = keras.models.load_model(last_model_file(tmp_path)).layers[0].kernel.numpy()
    assert np.all(kernel == 2.0)  # epoch 2's weights, with epoch 2's state: nothing trained twice
    assert np.all(keras.models.load_model(tmp_path / LAST).layers[0].kernel.numpy() == 3.0)
