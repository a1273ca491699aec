"""Training on several machines (``--strategy multiworker``), tried as two worker processes on
127.0.0.1: a step across workers equals a step on one device, a run's release is the chief's alone,
a killed worker ends the run with one line and ``--resume`` completes it; and the parts that need
no cluster (``TF_CONFIG``, the chief's rule, the workers' scratch folders)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from helpers.errors import UserError
from helpers.expressions import EXPRESSIONS
from helpers.training import distribute, worker_loop

ROOT = Path(__file__).resolve().parent.parent
STEPPED = ("cwgan", "dcgan", "ccyclegan", "sngan", "recognizer", "recognizer, class weights")
DCGAN = [sys.executable, "Generative_model/dcgan.py", "--data", "synthetic", "--expressions", "surprise",
         "--batch-size", "32", "--strategy", "multiworker"]


def start_workers(command: list[str], scratch: Path, workers: int = 2) -> list[subprocess.Popen]:
    """``command`` as each worker of a new cluster on 127.0.0.1, each with its own temporary folder
    under ``scratch`` (``scratch/worker-N``), its output to ``scratch/worker-N.log``."""
    addresses = distribute.local_cluster(workers)
    runs = []
    for index in range(workers):
        tmp = scratch / f"worker-{index}"
        tmp.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "", "TMPDIR": str(tmp),
               "PYTHONPATH": str(ROOT), "TF_CONFIG": distribute.tf_config(addresses, index)}
        with open(scratch / f"worker-{index}.log", "w") as log:
            runs.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True))
    return runs


def finish(runs: list[subprocess.Popen], scratch: Path, timeout: float = 600) -> list[str]:
    """Each worker's output once all have ended; all are killed at ``timeout`` seconds, which fails the test."""
    deadline = time.monotonic() + timeout
    for run in runs:
        try:
            run.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for other in runs:
                other.kill()
            pytest.fail(f"the workers ran past {timeout:.0f} s:\n" + (scratch / "worker-0.log").read_text()[-3000:])
    return [(scratch / f"worker-{i}.log").read_text() for i in range(len(runs))]


@pytest.fixture(scope="module")
def worker_steps(tmp_path_factory):
    """What ``tests/worker_steps.py`` measured on each of two workers."""
    scratch = tmp_path_factory.mktemp("steps")
    runs = start_workers([sys.executable, str(ROOT / "tests" / "worker_steps.py")], scratch)
    outputs = finish(runs, scratch)
    assert all(run.returncode == 0 for run in runs), outputs[0][-3000:] + outputs[1][-3000:]
    return [json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:]) for out in outputs]


@pytest.mark.slow
@pytest.mark.parametrize("name", STEPPED)
def test_a_step_across_two_workers_equals_a_step_on_one_device(worker_steps, name):
    chief, other = worker_steps
    assert chief["replicas"] == 2 and chief["chief"] and not other["chief"]
    step = chief["steps"][name]
    assert step["moved"] > 1e-2  # the step changed the weights...
    assert step["difference"] < 1e-5  # ...and the two workers changed them as one device does
    assert other["steps"][name] == step  # and both hold the same weights


@pytest.mark.slow
def test_the_equivalence_catches_a_loss_term_left_unscaled_across_workers(worker_steps):
    step = worker_steps[0]["steps"]["cwgan, unscaled"]
    assert step["difference"] > 0.5 * step["moved"]


@pytest.mark.slow
def test_a_killed_worker_ends_the_run_with_one_line_and_resume_completes_it_with_the_chiefs_release(tmp_path):
    ckpt = tmp_path / "dcgan"
    command = DCGAN + ["--epochs", "3", "--subset", "256", "--ckpt-dir", str(ckpt)]
    runs = start_workers(command, tmp_path / "first")
    deadline = time.monotonic() + 300
    while not (ckpt / "training" / "ckpt-0001").exists() and runs[0].poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    runs[1].kill()
    chief, _ = finish(runs, tmp_path / "first", timeout=300)
    assert runs[0].returncode == 2, chief[-3000:]
    assert chief.rstrip().splitlines()[-1].startswith("error: worker 1 stopped answering")

    resumed = start_workers(command + ["--resume"], tmp_path / "second")
    chief, other = finish(resumed, tmp_path / "second")
    assert [run.returncode for run in resumed] == [0, 0], chief[-3000:] + other[-3000:]
    assert "2 replicas" in chief and "this is worker 0" in chief and "this is worker 1" in other
    assert all("resumed" in out and "Epoch 3/3" in out for out in (chief, other))
    logs = [re.findall(r"(\w+_(?:loss|prob)): ([-\d.e+]+)", out) for out in (chief, other)]
    assert len(logs[0]) == 2 * 4 and logs[0] == logs[1]  # the same losses every epoch on both workers
    history = json.loads((ckpt / "training" / "history.json").read_text())
    assert [row["epoch"] for row in history] == [1, 2, 3]
    assert list((tmp_path / "second" / "worker-1").iterdir()) == []  # worker 1's folder was temporary, now removed
    from helpers.inference.generators import load_generator

    faces = load_generator(ckpt).generate(EXPRESSIONS.index("Surprise"), 3, seed=0)
    assert faces.shape == (3, 48, 48, 1) and faces.dtype == np.uint8 and faces.std() > 0


def test_multiworker_needs_tf_config_and_says_how_to_set_it(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(UserError, match="TF_CONFIG, which is not set: set TF_CONFIG on every worker"):
        distribute.make_strategy(distribute.ScaleOut(strategy="multiworker"))
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(UserError, match="not a cluster with this worker's task"):
        distribute.this_worker()
    monkeypatch.setenv("TF_CONFIG", distribute.tf_config(["a:1", "b:2"], 2))
    with pytest.raises(UserError, match="task index 2 is not one of its 2 worker addresses"):
        distribute.this_worker()


@pytest.mark.parametrize("option", [{"jit_compile": True}, {"cpu_devices": 2}])
def test_multiworker_refuses_xla_and_split_cpus(monkeypatch, option):
    monkeypatch.setenv("TF_CONFIG", distribute.tf_config(["a:1", "b:2"], 0))
    with pytest.raises(UserError, match="cannot be used with --strategy multiworker"):
        distribute.make_strategy(distribute.ScaleOut(strategy="multiworker", **option))


@pytest.mark.parametrize("cluster_spec, task, chief", [
    ({"worker": ["a:1", "b:2"]}, ("worker", 0), True),
    ({"worker": ["a:1", "b:2"]}, ("worker", 1), False),
    ({"chief": ["c:0"], "worker": ["a:1"]}, ("worker", 0), False),
    ({"chief": ["c:0"], "worker": ["a:1"]}, ("chief", 0), True),
])
def test_the_chief_is_tensorflows(monkeypatch, cluster_spec, task, chief):
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster_spec, "task": {"type": task[0], "index": task[1]}}))
    assert distribute.is_chief() is chief


def test_a_lost_worker_is_named():
    message = ("Collective ops is aborted by: Error reported from /job:worker/task:1: The following tasks are "
               "unhealthy (stopped sending heartbeats):\n/job:worker/replica:0/task:1\nThe tasks have crashed.")
    assert worker_loop.lost_worker(message) == "worker 1"
    assert worker_loop.lost_worker("Socket closed") == "another worker"


def scratch_trainer(seen: list):
    """A stand-in trainer that records the folder it was given and writes a release into it."""
    @distribute.chief_writes("ckpt_dir")
    def train(config):
        folder = Path(config.ckpt_dir)
        seen.append((folder, sorted(p.name for p in folder.iterdir()) if folder.exists() else []))
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "generator.keras").write_text("written")
        return folder

    return train


@pytest.mark.parametrize("index, resume", [(0, False), (1, False), (1, True)])
def test_only_the_chief_keeps_what_a_run_writes(monkeypatch, tmp_path, index, resume):
    from helpers.training.sngan import SNGANConfig

    monkeypatch.setenv("TF_CONFIG", distribute.tf_config(["a:1", "b:2"], index))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    own = tmp_path / "run"
    (own / "training" / "ckpt-0003").mkdir(parents=True)
    (own / "training" / "samples").mkdir()
    seen = []
    config = SNGANConfig(ckpt_dir=str(own), resume=resume, scale=distribute.ScaleOut(strategy="multiworker"))
    assert scratch_trainer(seen)(config) == own  # the chief's folder, whichever worker this is
    folder, held = seen[0]
    if index == 0:
        assert folder == own and (own / "generator.keras").exists()
    else:
        assert folder != own and not (own / "generator.keras").exists()  # the chief's folder untouched
        assert held == (["training"] if resume else [])  # a copy of the chief's to resume from
        assert list((tmp_path / "tmp").iterdir()) == []  # and removed at the end
