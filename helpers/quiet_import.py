"""Import TensorFlow without its C++ start-up chatter.

TensorFlow 2.21 writes its CUDA probe and CPU-feature notices straight to file descriptor 2,
before ``absl`` logging is set up, so ``TF_CPP_MIN_LOG_LEVEL`` cannot hide them: a command-line
error would reach the user as five lines of noise and one line of message. While TensorFlow is
imported, :func:`import_tensorflow_quietly` sends descriptor 2 to a temporary file, then writes
back every line that is not such a notice (and everything, if the import fails). The LiteRT
runtime announces its CPU delegate the same way (:data:`LITERT_CHATTER`)."""
from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile

CHATTER = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IW]\d{4} [\d:.]+ +\d+ (cudart_stub|cpu_feature_guard|cuda_\w+|port)\.cc:\d+\] .*"
    r"|E\d{4} [\d:.]+ +\d+ cuda_\w+\.cc:\d+\] Unable to register cu\w+ factory: .*"  # TF 2.18's CUDA probes
    r"|E\d{4} [\d:.]+ +\d+ cuda_platform\.cc:\d+\] failed call to cuInit: .*"  # a CUDA build on a machine without GPU
    r"|To enable the following instructions: .* rebuild TensorFlow with the appropriate compiler flags\.)$")


LITERT_CHATTER = re.compile(r"^INFO: Created TensorFlow Lite XNNPACK delegate for CPU\.$")


def without_chatter(text: str, chatter: re.Pattern = CHATTER) -> str:
    """``text`` without the lines ``chatter`` matches (by default TensorFlow's start-up notices)."""
    return "".join(line for line in text.splitlines(keepends=True) if not chatter.match(line.rstrip("\n")))


@contextlib.contextmanager
def stderr_without(chatter: re.Pattern = CHATTER):
    """Inside the block, file descriptor 2 goes to a temporary file; afterwards every line that
    does not match ``chatter`` is written back (everything, if the block raised)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        failed = True
        try:
            yield
            failed = False
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode(errors="replace")
            sys.stderr.write(text if failed else without_chatter(text, chatter))
            sys.stderr.flush()


def import_tensorflow_quietly() -> None:
    """Import TensorFlow with its start-up notices filtered out of stderr. Nothing is done when
    it is already imported, or when ``TF_CPP_MIN_LOG_LEVEL`` is set to 0 (the user wants the notices)."""
    if "tensorflow" in sys.modules or os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0":
        return
    with stderr_without(CHATTER):
        import tensorflow as tf

        tf.config.list_physical_devices("GPU")  # the CUDA probe, and its complaint on a machine without a GPU, now
