"""Training under tf.distribute: one step over two replicas equals one step on one device, for
every GAN and a recognizer; mixed_float16 steps are loss-scaled; every trainer takes the options."""
from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from helpers.errors import UserError
from helpers.expressions import EXPRESSIONS
from helpers.gans.losses import replicas_in_sync
from helpers.training import distribute

ROOT = Path(__file__).resolve().parent.parent
STEPPED = ("cwgan", "dcgan", "ccyclegan", "sngan", "recognizer")


@pytest.fixture(scope="module")
def replica_steps():
    """What ``tests/replica_steps.py`` measured, in a process with two logical CPU devices."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run([sys.executable, str(ROOT / "tests" / "replica_steps.py")], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("name", STEPPED)
def test_a_step_over_two_replicas_equals_a_step_on_one_device(replica_steps, name):
    step = replica_steps["mirrored"][name]
    assert step["moved"] > 1e-2  # the step changed the weights...
    assert step["difference"] < 1e-5  # ...and the two replicas changed them as one device does


@pytest.mark.slow
def test_the_equivalence_catches_a_loss_term_left_unscaled(replica_steps):
    step = replica_steps["mirrored"]["cwgan, unscaled"]
    assert step["difference"] > 0.5 * step["moved"]


@pytest.mark.slow
def test_replicas_draw_their_own_noise(replica_steps):
    assert replica_steps["apart"] == {"normal": True, "uniform": True}


@pytest.mark.slow
@pytest.mark.parametrize("name", STEPPED)
def test_a_mixed_float16_step_is_loss_scaled_finite_and_close_to_float32(replica_steps, name):
    step = replica_steps["mixed_float16"][name]
    assert step["loss_scaled"] and step["finite"]
    assert step["difference"] < 0.1 * step["moved"]  # a skipped or unscaled step would be as far as the step itself


@pytest.mark.slow
def test_xla_is_refused_over_two_replicas_with_the_reason(replica_steps):
    assert "keras-team/keras#19005" in replica_steps["xla_refused"]


def test_one_device_is_the_default_strategy():
    import tensorflow as tf

    assert distribute.make_strategy(distribute.ScaleOut(strategy="one")) is tf.distribute.get_strategy()
    assert distribute.make_strategy(distribute.ScaleOut(strategy="auto")) is tf.distribute.get_strategy()  # no GPUs
    assert replicas_in_sync() == 1


@pytest.mark.parametrize("command", ["helpers.train_recognizer", "helpers.deep_emotion", "conditional_WGAN", "dcgan",
                                     "ccyclegan", "sngan"])
def test_every_trainer_takes_the_scale_out_options(command):
    """Each training command's options, read into the config its trainer takes."""
    from helpers.options import from_flat
    from helpers.training.recipes import read_command

    program = ["-m", command] if command.startswith("helpers.") else [f"Generative_model/{command}.py"]
    program += ["--train"] if command == "helpers.deep_emotion" else []
    sep = "_" if command == "helpers.deep_emotion" else "-"

    def scale(*flags):
        return read_command(shlex.join(["python", *program, *flags])).scale

    assert scale() == distribute.ScaleOut()
    chosen = scale("--strategy", "mirrored", "--precision", "mixed_float16", f"--jit{sep}compile", f"--cpu{sep}devices", "2")
    assert chosen == distribute.ScaleOut(strategy="mirrored", precision="mixed_float16", jit_compile=True, cpu_devices=2)
    assert scale("--bf16").precision == "mixed_bfloat16"
    assert scale("--strategy", "multiworker").strategy == "multiworker"
    assert from_flat(distribute.ScaleOut, {"precision": "auto", "other": 1}) == distribute.ScaleOut(precision="auto")


@pytest.mark.slow
def test_a_mirrored_run_killed_and_resumed_ends_with_a_release_that_generates(tmp_path):
    ckpt = tmp_path / "mirrored"
    command = [sys.executable, "Generative_model/dcgan.py", "--data", "synthetic", "--expressions", "surprise",
               "--epochs", "3", "--batch-size", "32", "--subset", "128", "--ckpt-dir", str(ckpt),
               "--strategy", "mirrored", "--cpu-devices", "2"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    run = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    first = ckpt / "training" / "ckpt-0001"
    deadline = time.monotonic() + 600
    while not first.exists() and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    run.kill()
    output = run.communicate()[0]
    assert first.exists() and run.returncode == -9, output[-3000:]  # killed after its first epoch, before its end
    resumed = subprocess.run(command + ["--resume"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resumed" in resumed.stdout and "2 replicas" in resumed.stdout and "Epoch 3/3" in resumed.stdout
    from helpers.inference.generators import load_generator

    faces = load_generator(ckpt).generate(EXPRESSIONS.index("Surprise"), 3, seed=0)
    assert faces.shape == (3, 48, 48, 1) and faces.dtype == np.uint8


def test_cpu_devices_are_refused_once_tensorflow_has_started():
    import tensorflow as tf

    tf.constant(0)  # TensorFlow's devices are fixed from here on
    with pytest.raises(UserError, match="before TensorFlow starts"):
        distribute.split_cpu(3)
