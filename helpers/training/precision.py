"""Training precision, chosen per device: ``mixed_bfloat16`` only where the hardware runs bfloat16
natively, ``mixed_float16`` with loss scaling on GPUs that have float16 but not bfloat16 units.

On a CPU with AMX or AVX512_BF16 (or an Arm CPU with BF16) ``mixed_bfloat16`` about doubles the
training speed of the project's conv nets, and Ampere or newer GPUs have bfloat16 units too. On a
CPU without them TensorFlow emulates bfloat16, and the same nets train about ten times *slower*
(docs/results.md gives the measured throughputs). So ``--bf16`` asks for bfloat16 where it helps
and falls back to float32, with a notice, where it would not; ``--precision auto`` also takes
``mixed_float16`` on a T4 or V100, the common Colab and cloud GPUs without bfloat16."""
from __future__ import annotations

import contextlib
import platform
from pathlib import Path

PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")
BF16_HELP = ("mixed_bfloat16 where the hardware runs it natively (an Ampere-or-newer GPU, or a CPU with AMX/AVX512_BF16: "
             "about 2x faster); float32 elsewhere, where emulated bfloat16 is about 10x slower (helpers.training.precision)")
CPU_BF16_FLAGS = {"amx_bf16", "avx512_bf16", "bf16"}  # x86 AMX, x86 AVX-512, Armv8.6 (Linux flag names)


def cpu_flags(cpuinfo: str) -> set[str]:
    """The feature flags in the text of ``/proc/cpuinfo`` (x86 ``flags``, Arm ``Features``)."""
    flags = set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() in ("flags", "features"):
            flags.update(value.split())
    return flags


def cpu_has_bf16(cpuinfo: str) -> bool:
    """Whether the CPU described by ``cpuinfo`` (the text of ``/proc/cpuinfo``) has bfloat16 instructions."""
    return bool(cpu_flags(cpuinfo) & CPU_BF16_FLAGS)


def gpu_has_bf16(details: dict) -> bool:
    """Whether a GPU (``tf.config.experimental.get_device_details``) runs bfloat16 natively:
    NVIDIA compute capability 8.0 (Ampere) or newer; older ones emulate it."""
    return tuple(details.get("compute_capability") or (0, 0)) >= (8, 0)


def native_bfloat16() -> bool:
    """Whether this machine trains in bfloat16 natively: a visible Ampere-or-newer GPU, or a Linux
    CPU with one of :data:`CPU_BF16_FLAGS`. Where the CPU flags cannot be read, the answer is no."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        return any(gpu_has_bf16(tf.config.experimental.get_device_details(gpu)) for gpu in gpus)
    cpuinfo = Path("/proc/cpuinfo")
    return platform.system() == "Linux" and cpuinfo.exists() and cpu_has_bf16(cpuinfo.read_text())


def gpu_has_float16(details: dict) -> bool:
    """Whether a GPU has float16 tensor cores (compute capability 7.0 or newer: V100, T4 and later),
    where ``mixed_float16`` with loss scaling is the fast path."""
    return tuple(details.get("compute_capability") or (0, 0)) >= (7, 0)


def gpus_have_float16() -> bool:
    """Whether there are GPUs and every one has float16 tensor cores (:func:`gpu_has_float16`)."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return bool(gpus) and all(gpu_has_float16(tf.config.experimental.get_device_details(gpu)) for gpu in gpus)


def auto_precision() -> str:
    """``--precision auto``: ``mixed_bfloat16`` where the hardware runs bfloat16 natively,
    ``mixed_float16`` on a GPU with float16 tensor cores but no bfloat16 (T4, V100), else ``float32``."""
    if native_bfloat16():
        return "mixed_bfloat16"
    if gpus_have_float16():
        return "mixed_float16"
    return "float32"


def resolve_precision(precision: str, force: bool = False) -> str:
    """The Keras dtype policy that ``precision`` (one of :data:`PRECISIONS`) trains in here:
    ``auto`` resolves by :func:`auto_precision`; ``mixed_bfloat16`` (``--bf16``) falls back to
    ``float32``, with a one-line notice, where the hardware would emulate bfloat16, unless
    ``force`` (the benchmark measures what it is asked)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    policy = auto_precision() if precision == "auto" else precision
    if policy == "mixed_bfloat16" and not (force or native_bfloat16()):
        print("[precision] no native bfloat16 here (no AMX/AVX512_BF16 CPU, no Ampere-or-newer GPU): "
              "training in float32, which is faster here than emulated mixed_bfloat16")
        policy = "float32"
    return policy


@contextlib.contextmanager
def training_precision(precision: str, force: bool = False):
    """Inside the block, Keras' dtype policy is the one ``precision`` resolves to
    (:func:`resolve_precision`), whose name the block receives; afterwards the policy that was
    set before. Networks built inside keep their policy after the block."""
    import keras

    before = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(resolve_precision(precision, force))
    try:
        yield keras.mixed_precision.global_policy().name
    finally:
        keras.mixed_precision.set_global_policy(before)
