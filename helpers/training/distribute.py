"""Where a trainer runs, through ``tf.distribute``: one device, or every local GPU (or the logical
devices of one CPU); and what hand-written losses must do about it.

- ``--strategy one`` is TensorFlow's default strategy: the single-device path, unchanged.
- ``--strategy mirrored`` is ``MirroredStrategy`` over all local GPUs, or over the logical CPU
  devices when there is no GPU (``--cpu-devices N`` makes N of them).
- ``--strategy auto`` takes every local GPU when there is more than one, else one device.
- ``--strategy multiworker`` is ``MultiWorkerMirroredStrategy``: several processes (machines),
  each over its local GPUs (or its CPU), the cluster and this process's place in it read from
  ``TF_CONFIG``. Keras 3's ``fit`` fails under it (keras-team/keras#20585), so trainers then run
  :func:`helpers.training.worker_loop.fit_across_workers`; only the chief keeps what it writes
  (:func:`chief_writes`).

The batch size a user sets is the global batch: each of N replicas gets 1/N of it. Keras sums the
replicas' gradients, so a loss term that is a mean over one replica's share must be divided by N
before its gradient is taken (:func:`helpers.gans.losses.scale_for_replicas`); Keras' built-in
losses do this themselves. Batch norm is not synchronised: each replica normalises by its own share's statistics,
as on one device with that share as the batch (see docs/training-on-gpus.md)."""
from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
from pathlib import Path

from helpers.errors import UserError
from helpers.options import config_class, option, replace
from helpers.training.precision import BF16_HELP, PRECISIONS

STRATEGIES = ("auto", "one", "mirrored", "multiworker")
NO_XLA_ACROSS_REPLICAS = ("Keras 3 compiles the step of every replica into one XLA program, which cannot reach the "
                          "variables of the other devices (keras-team/keras#19005); train without XLA, or on one device")


def split_cpu(devices: int) -> None:
    """Make the CPU ``devices`` logical devices (``--cpu-devices``), so that ``mirrored`` can be
    tried, and tested, on a machine without GPUs. It is not faster: the devices share the cores."""
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * devices)
    except RuntimeError:  # TensorFlow has started: its devices are fixed
        if len(tf.config.list_logical_devices("CPU")) != devices:
            raise UserError("--cpu-devices must be set before TensorFlow starts: run the trainer in a new process "
                            "(a notebook: restart the kernel)") from None


@config_class
class ScaleOut:
    """Where a trainer runs and in what precision; without these options a trainer runs as it
    always has: one device, float32, no XLA. Call :func:`make_strategy` before anything else
    touches TensorFlow's devices (``cpu_devices`` must precede them)."""

    strategy: str = option("one", "one device (default); mirrored: every local GPU, or the logical CPU devices; "
                                  "auto: mirrored when there are 2+ GPUs; multiworker: several machines, the cluster "
                                  "read from TF_CONFIG (docs/training-on-gpus.md)", choices=STRATEGIES)
    precision: str = option("float32", "auto: mixed_bfloat16 where native, mixed_float16 (with loss scaling) on a "
                                       "T4/V100-class GPU, float32 elsewhere", choices=PRECISIONS,
                            aliases={"--bf16": ("mixed_bfloat16", "the same as --precision mixed_bfloat16: " + BF16_HELP)})
    jit_compile: bool = option(False, "compile each training step with XLA (off by default: see docs/training-on-gpus.md)")
    cpu_devices: int = option(0, "split the CPU into N logical devices, to try --strategy mirrored without GPUs "
                                 "(not faster: they share the cores; 0: don't split)", low=0, high=256, metavar="N")


def make_strategy(scale: ScaleOut):
    """The ``tf.distribute`` strategy ``scale.strategy`` names (see the module docstring), over
    ``scale.cpu_devices`` logical CPU devices if given; refused with ``scale.jit_compile`` (XLA)
    when it has more than one replica (:data:`NO_XLA_ACROSS_REPLICAS`)."""
    import tensorflow as tf

    name, cpu_devices, jit_compile = scale.strategy, scale.cpu_devices, scale.jit_compile
    if name not in STRATEGIES:
        raise UserError(f"--strategy {name!r} is not one of {', '.join(STRATEGIES)}")
    if name == "multiworker":
        task_type, index = this_worker()
        if cpu_devices:
            raise UserError("--cpu-devices cannot be used with --strategy multiworker: each worker trains on its own "
                            "GPUs, or on its CPU as one device")
        if jit_compile:
            raise UserError("--jit-compile cannot be used with --strategy multiworker: " + NO_XLA_ACROSS_REPLICAS)
        # before anything lists devices: the strategy configures TensorFlow's collective ops at start-up
        return announced(tf.distribute.MultiWorkerMirroredStrategy(), f"{task_type} {index}")
    if cpu_devices:
        split_cpu(cpu_devices)
    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    if name == "auto":
        name = "mirrored" if len(gpus) > 1 else "one"
    if name == "one":
        return tf.distribute.get_strategy()
    devices = gpus or [d.name for d in tf.config.list_logical_devices("CPU")]
    if jit_compile and len(devices) > 1:
        raise UserError(f"--jit-compile cannot be used with --strategy mirrored over {len(devices)} devices: "
                        + NO_XLA_ACROSS_REPLICAS)
    return announced(tf.distribute.MirroredStrategy(devices))


def announced(strategy, worker: str = ""):
    """``strategy``, after one line saying what it trains on (and which ``worker`` this is)."""
    print(f"[strategy] {type(strategy).__name__}: {strategy.num_replicas_in_sync} replicas "
          f"({', '.join(strategy.extended.worker_devices)}){', this is ' + worker if worker else ''}", flush=True)
    return strategy


TF_CONFIG_HELP = ('set TF_CONFIG on every worker, such as {"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                  '"task": {"type": "worker", "index": 0}} (docs/training-on-gpus.md, "Several machines")')


def this_worker() -> tuple[str, int]:
    """This process's task in the cluster ``TF_CONFIG`` describes: ``(type, index)``."""
    text = os.environ.get("TF_CONFIG", "")
    if not text.strip():
        raise UserError("--strategy multiworker reads the cluster from TF_CONFIG, which is not set: " + TF_CONFIG_HELP)
    try:
        spec = json.loads(text)
        task_type, index = spec["task"]["type"], int(spec["task"]["index"])
        hosts = spec["cluster"][task_type]
    except (ValueError, KeyError, TypeError):
        raise UserError("TF_CONFIG is not a cluster with this worker's task in it: " + TF_CONFIG_HELP) from None
    if not 0 <= index < len(hosts):
        raise UserError(f"TF_CONFIG's task index {index} is not one of its {len(hosts)} {task_type} addresses")
    return task_type, index


def local_cluster(workers: int) -> list[str]:
    """Addresses for ``workers`` worker processes on this machine: free ports of 127.0.0.1 (for
    the tests and the benchmark; a port is free when chosen, not reserved)."""
    import socket

    ports = []
    for _ in range(workers):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    return [f"127.0.0.1:{port}" for port in ports]


def tf_config(addresses: list[str], index: int) -> str:
    """The ``TF_CONFIG`` of worker ``index`` in the cluster of ``addresses`` (worker 0 is the chief)."""
    return json.dumps({"cluster": {"worker": addresses}, "task": {"type": "worker", "index": index}})


def is_chief() -> bool:
    """Whether this worker is the one that keeps what training writes: the ``chief`` task, or worker
    0 of a cluster without one (TensorFlow's rule)."""
    task_type, index = this_worker()
    has_chief = "chief" in json.loads(os.environ["TF_CONFIG"])["cluster"]
    return task_type == "chief" or (task_type == "worker" and index == 0 and not has_chief)


def chief_writes(folder_option: str):
    """Decorate a trainer's ``train(config)`` whose outputs all go under ``config.<folder_option>``:
    under ``--strategy multiworker`` a worker other than the chief trains with that folder moved
    to a temporary one, removed when it ends, so that only the chief's outputs are kept (every
    worker still writes, since saving can read variables through the strategy's collective ops).
    With ``--resume`` the temporary folder starts as a copy of the chief's, so every worker
    continues from the chief's last checkpoint: the folder must be on storage every worker sees."""
    def wrap(train):
        @functools.wraps(train)
        def run(config):
            if config.scale.strategy != "multiworker" or is_chief():
                return train(config)
            own = Path(getattr(config, folder_option))
            with tempfile.TemporaryDirectory(prefix="worker-") as scratch:
                folder = Path(scratch) / own.name
                if config.resume and own.is_dir():
                    shutil.copytree(own, folder, ignore=shutil.ignore_patterns("samples", "tensorboard", "generators"))
                result = Path(train(replace(config, **{folder_option: str(folder)})))
                return own / result.relative_to(folder)
        return run
    return wrap
