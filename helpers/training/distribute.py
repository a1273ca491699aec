"""Where a trainer runs, through ``tf.distribute``: one device, or every local GPU (or the logical
devices of one CPU); and what hand-written losses must do about it.

- ``--strategy one`` is TensorFlow's default strategy: the single-device path, unchanged.
- ``--strategy mirrored`` is ``MirroredStrategy`` over all local GPUs, or over the logical CPU
  devices when there is no GPU (``--cpu-devices N`` makes N of them).
- ``--strategy auto`` takes every local GPU when there is more than one, else one device.

Several machines (``MultiWorkerMirroredStrategy``) are not offered: Keras 3's ``fit`` fails under
that strategy before its first step, for any model (keras-team/keras#20585);
``tools/multiworker_probe.py`` tells whether a stack's Keras has been fixed.

The batch size a user sets is the global batch: each of N replicas gets 1/N of it. Keras sums the
replicas' gradients, so a loss term that is a mean over one replica's share must be divided by N
before its gradient is taken (:func:`helpers.gans.losses.scale_for_replicas`); Keras' built-in
losses do this themselves. Batch norm is not synchronised: each replica normalises by its own share's statistics,
as on one device with that share as the batch (see docs/training-on-gpus.md)."""
from __future__ import annotations

from helpers.errors import UserError
from helpers.options import config_class, option
from helpers.training.precision import BF16_HELP, PRECISIONS

STRATEGIES = ("auto", "one", "mirrored")
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
                                  "auto: mirrored when there are 2+ GPUs", choices=STRATEGIES)
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


def announced(strategy):
    """``strategy``, after one line saying what it trains on."""
    print(f"[strategy] {type(strategy).__name__}: {strategy.num_replicas_in_sync} replicas "
          f"({', '.join(strategy.extended.worker_devices)})", flush=True)
    return strategy
