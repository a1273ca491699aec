"""Training throughput, in images per second, of every trainer under each strategy, precision and
XLA setting a machine offers (``python -m helpers.benchmark``).

A measurement builds a trainer's model as the trainer does, through the trainer's own builder
(:func:`helpers.training.recognizer.compiled_recognizer`, each GAN trainer's ``build_gan``), from
the trainer's own default options, inside the strategy's scope. It then fits random faces: a
fixed number of warm-up steps (tracing, XLA compilation), then a fixed number of timed steps.
An image is a real face of the global batch, so a cWGAN step counts its batch once, for all of its
critic steps. Each measurement runs in a process of its own, because the precision policy and the
logical devices are fixed for a process once TensorFlow starts."""
from __future__ import annotations

import multiprocessing
import os
import re
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass

import keras
import numpy as np

from helpers.expressions import NUM_EXPRESSIONS
from helpers.training.distribute import NO_XLA_ACROSS_REPLICAS, ScaleOut

TRAINERS = ("fer_vgg", "deep_emotion", "cwgan", "dcgan", "ccyclegan", "sngan")
GANS = ("cwgan", "dcgan", "ccyclegan", "sngan")


@dataclass
class Measurement:
    """One row of the benchmark: a trainer under a strategy, a precision and an XLA setting, and
    what it gave (``images_per_s``, or why it failed in ``error``)."""

    trainer: str
    strategy: str
    precision: str
    xla: bool
    batch_size: int = 0
    replicas: int = 0
    images_per_s: float | None = None
    seconds_per_step: float | None = None
    error: str | None = None


class StepTimer(keras.callbacks.Callback):
    """Times the steps of one ``fit`` after its first ``warmup`` steps. Each step waits for its logs
    (the losses), so the clock reads when the step's work is done."""

    def __init__(self, warmup: int):
        super().__init__()
        self.warmup = warmup
        self.times: list[float] = []

    def on_train_batch_end(self, batch, logs=None):
        for value in (logs or {}).values():
            float(value)
        if batch + 1 >= self.warmup:
            self.times.append(time.perf_counter())


def random_batches(batch_size: int, one_hot: bool, seed: int = 0):
    """An endless ``tf.data`` stream of global batches of random uint8 48x48x1 faces and labels
    (one-hot for a recognizer, integer ids for a GAN), as the trainers' pipelines feed them."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    n = 4 * batch_size
    faces = rng.integers(0, 256, (n, 48, 48, 1), dtype=np.uint8)
    labels = rng.integers(0, NUM_EXPRESSIONS, n).astype(np.int32)
    targets = np.eye(NUM_EXPRESSIONS, dtype=np.float32)[labels] if one_hot else labels
    return tf.data.Dataset.from_tensor_slices((faces, targets)).repeat().batch(batch_size, drop_remainder=True)


def images_per_second(model, batches, batch_size: int, warmup: int, steps: int) -> tuple[float, float]:
    """Images per second and seconds per step of training ``model`` (``fit``, or the loop across
    workers) on ``batches`` over ``steps`` steps, after ``warmup`` untimed ones (at least one: the
    first step traces the function)."""
    if warmup < 1 or steps < 1:
        raise ValueError("warm-up and timed steps must each be at least 1")
    from helpers.training.worker_loop import fit

    timer = StepTimer(warmup)
    fit(model, batches, epochs=1, steps_per_epoch=warmup + steps, callbacks=[timer], verbose=0, shuffle=False)
    per_step = (timer.times[-1] - timer.times[0]) / steps
    return batch_size / per_step, per_step


def trainer_config(trainer: str, scale: ScaleOut):
    """``trainer``'s config with its own defaults and the scale-out options ``scale``."""
    from helpers.training.ccyclegan import CCycleGANConfig
    from helpers.training.cwgan import CWGANConfig
    from helpers.training.dcgan import DCGANConfig
    from helpers.training.deep_emotion import DeepEmotionConfig
    from helpers.training.recognizer import RecognizerConfig
    from helpers.training.sngan import SNGANConfig

    if trainer == "deep_emotion":
        return DeepEmotionConfig(scale=scale).recognizer_config()
    if trainer == "fer_vgg":
        return RecognizerConfig(model="fer_vgg", scale=scale)
    gans = {"cwgan": CWGANConfig, "dcgan": DCGANConfig, "ccyclegan": CCycleGANConfig, "sngan": SNGANConfig}
    return gans[trainer](scale=scale)


def build_model(trainer: str, config):
    """``trainer``'s model from its ``config``, compiled by the trainer's own builder; call it
    inside the strategy's scope. Any trainer but a GAN is a recognizer (``config.model``)."""
    if trainer not in GANS:
        from helpers.training.recognizer import compiled_recognizer

        return compiled_recognizer(config, steps_per_epoch=1000)
    if trainer == "cwgan":
        from helpers.training.cwgan import build_gan

        codes = np.random.default_rng(0).standard_normal((NUM_EXPRESSIONS, config.k)).astype(np.float32)
        return build_gan(config, codes / np.linalg.norm(codes, axis=1, keepdims=True))[0]
    if trainer == "dcgan":
        from helpers.training.dcgan import build_gan

        return build_gan(config)
    if trainer == "ccyclegan":
        from helpers.training.ccyclegan import build_gan

        return build_gan(config)
    from helpers.training.sngan import build_gan

    return build_gan(config)


def measure(trainer: str, config, warmup: int, steps: int) -> Measurement:
    """One measurement of ``trainer`` in this process, from its ``config`` (with the scale-out
    options set); this process must not have started TensorFlow's devices yet when
    ``config.scale.cpu_devices`` splits the CPU."""
    from helpers.training.distribute import make_strategy
    from helpers.training.precision import training_precision

    scale = config.scale
    distribution = make_strategy(scale)
    with training_precision(scale.precision, force=True):  # measure what was asked for, emulated or not
        with distribution.scope():
            model = build_model(trainer, config)
        rate, per_step = images_per_second(model, random_batches(config.batch_size, trainer not in GANS),
                                           config.batch_size, warmup, steps)
    return Measurement(trainer, scale.strategy, scale.precision, scale.jit_compile, config.batch_size,
                       distribution.num_replicas_in_sync, round(rate, 1), round(per_step, 4))


def available_strategies(gpus: int) -> list[str]:
    """``one`` always; ``mirrored`` over 2+ GPUs, or, without GPUs, over logical CPU devices
    (which shows its cost, since they share the cores); with one GPU there is nothing to mirror.
    And ``multiworker``: two worker processes on this machine, talking over 127.0.0.1."""
    return (["one", "mirrored"] if gpus != 1 else ["one"]) + ["multiworker"]


def available_precisions(native_bf16: bool, gpu_float16: bool) -> list[str]:
    """``float32`` always, and each mixed precision the hardware runs natively."""
    return ["float32"] + ["mixed_float16"] * gpu_float16 + ["mixed_bfloat16"] * native_bf16


def machine_offers() -> tuple[list[str], list[str], int]:
    """The strategies and precisions this machine offers, and its number of GPUs."""
    import tensorflow as tf

    from helpers.training.precision import gpus_have_float16, native_bfloat16

    gpus = len(tf.config.list_physical_devices("GPU"))
    return available_strategies(gpus), available_precisions(native_bfloat16(), gpus_have_float16()), gpus


def measure_in_subprocess(trainer: str, strategy: str, precision: str, xla: bool, cpu_devices: int, warmup: int,
                          steps: int, timeout: float) -> Measurement:
    """:func:`measure` in a fresh Python process (the precision policy and the logical devices
    are fixed for a process once TensorFlow starts), or for ``multiworker`` in two, the workers of
    a cluster on 127.0.0.1, whose chief's row is kept; a failure or a timeout becomes the row's error."""
    from helpers.training.distribute import local_cluster, tf_config

    context = multiprocessing.get_context("spawn")
    scale = ScaleOut(strategy=strategy, precision=precision, jit_compile=xla,
                     cpu_devices=cpu_devices if strategy == "mirrored" else 0)
    addresses = local_cluster(2) if strategy == "multiworker" else []
    processes, receivers = [], []
    for index in range(max(1, len(addresses))):
        receiver, sender = context.Pipe(duplex=False)
        cluster = tf_config(addresses, index) if addresses else None
        processes.append(context.Process(target=measure_and_send, args=(sender, trainer, scale, warmup, steps, cluster),
                                         daemon=True))
        processes[-1].start()
        sender.close()
        receivers.append(receiver)
    row = Measurement(trainer, strategy, precision, xla)
    answered = receivers[0].poll(timeout)
    try:
        if not answered:
            row.error = f"no result within {timeout:g} s"
            return row
        try:
            result = receivers[0].recv()
        except EOFError:  # the process died without a word (killed, out of memory)
            result = {"stderr": ""}
        processes[0].join()
        if "stderr" not in result:
            return Measurement(**result)
        row.error = failure_reason(result["stderr"]) or f"exit status {processes[0].exitcode}"
        return row
    finally:  # the other workers end with the chief; a measurement that timed out is killed at once
        for process in processes:
            process.join(timeout=30 if answered else 0)
            if process.is_alive():
                process.kill()
                process.join()


def measure_and_send(sender, trainer: str, scale: ScaleOut, warmup: int, steps: int, cluster: str | None = None) -> None:
    """In a measurement's own process (as a worker of ``cluster``, a ``TF_CONFIG``, if given):
    :func:`measure`, and its row sent back through ``sender``, or, if it fails, what the process
    wrote to its standard error."""
    if cluster is not None:
        os.environ["TF_CONFIG"] = cluster
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            sender.send(asdict(measure(trainer, trainer_config(trainer, scale), warmup, steps)))
        except Exception:
            traceback.print_exc()
            sys.stderr.flush()
            captured.seek(0)
            sender.send({"stderr": captured.read().decode(errors="replace")})


def failure_reason(stderr: str) -> str | None:
    """One line saying why a measurement failed, from its process's standard error: the ops XLA
    cannot compile, the one-line error of a refused option, or the last exception's message."""
    if unsupported := sorted(set(re.findall(r"XLA_\w+_JIT: (\w+) \(No registered", stderr))):
        return f"XLA cannot compile {', '.join(unsupported)}"
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith("error: "):
            return lines[i][len("error: "):]
        if re.match(r"^[\w.]*(Error|Exception): ", lines[i]):
            message = lines[i].split(": ", 1)[1]
            return (message + " " + lines[i + 1] if message.endswith(":") and i + 1 < len(lines) else message)[:240]
    return None


def markdown_table(rows: list[Measurement]) -> str:
    """The rows as a Markdown table, one line per trainer, strategy and precision, with XLA off and
    on side by side and their ratio."""
    cells = {}
    for r in rows:
        cells.setdefault((r.trainer, r.strategy, r.precision), {})[r.xla] = r
    lines = ["| trainer | strategy | precision | batch | images/s, no XLA | images/s, XLA | XLA / no XLA |",
             "|---|---|---|---|---|---|---|"]

    notes: list[str] = []

    def shown(r, strategy):
        if r is None:
            return "refused (see below)" if strategy in ("mirrored", "multiworker") else "not run"
        if r.error is None:
            return f"{r.images_per_s:g}"
        if r.error not in notes:
            notes.append(r.error)
        return f"fails ({notes.index(r.error) + 1})"

    for (trainer, strategy, precision), by_xla in cells.items():
        off, on = by_xla.get(False), by_xla.get(True)
        ratio = (f"{on.images_per_s / off.images_per_s:.2f}×" if off and on and off.images_per_s and on.images_per_s
                 else "")
        batch = next(r.batch_size for r in by_xla.values())
        replicas = next((r.replicas for r in by_xla.values() if r.replicas), 0)
        where = f"{strategy} ({replicas} replicas)" if strategy != "one" and replicas else strategy
        lines.append(f"| {trainer} | {where} | {precision} | {batch or ''} | {shown(off, strategy)} | {shown(on, strategy)} | {ratio} |")
    lines += [""] * bool(notes) + [f"({i}) {note}" for i, note in enumerate(notes, 1)]
    if any(r.strategy in ("mirrored", "multiworker") for r in rows):
        lines += ["", "XLA across replicas: " + NO_XLA_ACROSS_REPLICAS + "."]
    return "\n".join(lines)
