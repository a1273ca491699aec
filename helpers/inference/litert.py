"""Released models on LiteRT: the same inputs and outputs as their ``.keras`` files, run by the
``ai-edge-litert`` runtime with NumPy only. Loading and running one does not import TensorFlow,
so a command on this path starts in a fraction of a second instead of TensorFlow's ten.

Every release writes both files (:func:`helpers.models.files.save_litert`); ``backend="auto"``
uses the ``.tflite`` file when the runtime is installed and the file is there, Keras otherwise."""
from __future__ import annotations

import importlib.util
import json
import os
import zipfile
from pathlib import Path

import numpy as np

from helpers.errors import UserError

BACKENDS = ("auto", "keras", "litert")
SUFFIX = ".tflite"


def litert_available() -> bool:
    return importlib.util.find_spec("ai_edge_litert") is not None


def choose_backend(backend: str, litert_file: Path) -> str:
    """``keras`` or ``litert`` for a model whose LiteRT file would be ``litert_file``: ``auto``
    takes LiteRT when the runtime is installed and the file exists; ``litert`` insists on both."""
    if backend not in BACKENDS:
        raise UserError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend == "keras":
        return "keras"
    if backend == "auto":
        return "litert" if litert_available() and litert_file.is_file() else "keras"
    if not litert_available():
        raise UserError("--backend litert needs the LiteRT runtime: pip install ai-edge-litert")
    if not litert_file.is_file():
        raise UserError(f"{litert_file} does not exist: write it with python -m helpers.model_files --litert "
                        f"{litert_file.with_suffix('.keras')}, or use --backend keras")
    return "litert"


def load_twin(keras_file: str | Path, backend: str):
    """The LiteRT twin of ``keras_file`` (same name, :data:`SUFFIX`) when ``backend`` chooses it
    (:func:`choose_backend`), else ``None``: the caller loads the Keras file."""
    twin = Path(keras_file).with_suffix(SUFFIX)
    return LiteRTModel(twin) if choose_backend(backend, twin) == "litert" else None


def keras_input_names(keras_file: Path) -> list[str]:
    """The input names of a ``.keras`` file in the model's order, read from its config (no Keras);
    a file that is not a readable ``.keras`` archive is a one-line UserError."""
    try:
        with zipfile.ZipFile(keras_file) as archive:
            layers = json.loads(archive.read("config.json"))["config"]["input_layers"]
        layers = layers if isinstance(layers[0], list) else [layers]  # one input: a single [name, 0, 0]
        return [str(name) for name, *_ in layers]
    except (OSError, zipfile.BadZipFile, KeyError, IndexError, TypeError, ValueError) as exc:
        raise UserError(f"{keras_file} is not a readable Keras model ({exc.__class__.__name__}), so the inputs of "
                        f"the LiteRT file beside it cannot be ordered: copy both files from one release") from None


def model_shapes(model) -> tuple[list[tuple], tuple]:
    """The input shapes and the output shape of a Keras model or a :class:`LiteRTModel` (``None``
    for a size the model takes any of, such as the batch)."""
    def shape(dims) -> tuple:
        return tuple(None if d is None else int(d) for d in dims)

    if isinstance(model, LiteRTModel):
        return [shape(s) for s in model.input_shapes], shape(model.output_shape)
    return [shape(t.shape) for t in model.inputs], shape(model.outputs[0].shape)


def _shape(detail: dict) -> tuple:
    return tuple(None if d < 0 else int(d) for d in detail.get("shape_signature", detail["shape"]))


class LiteRTModel:
    """A ``.tflite`` model called like the Keras model it was exported from: ``model(inputs)``
    (one array, or a list in the Keras model's input order) and ``model.predict_on_batch(x)``
    return its output as a NumPy array, for any batch size. The input order is read from the
    ``.keras`` file beside it (the signature's inputs are named, not ordered)."""

    def __init__(self, path: str | Path):
        from ai_edge_litert.interpreter import Interpreter

        from helpers.quiet_import import LITERT_CHATTER, stderr_without

        self.path = Path(path)
        try:
            with stderr_without(LITERT_CHATTER):
                interpreter = Interpreter(model_path=str(self.path), num_threads=os.cpu_count() or 1)
                interpreter.allocate_tensors()  # applies the CPU delegate, which announces itself
                self._runner = interpreter.get_signature_runner()
        except ValueError as err:
            raise UserError(f"{self.path} is not a loadable LiteRT model ({err})") from None
        details = self._runner.get_input_details()
        keras_file = self.path.with_suffix(".keras")
        self.input_names = keras_input_names(keras_file) if len(details) > 1 else list(details)
        if sorted(self.input_names) != sorted(details):
            raise UserError(f"{self.path} does not match {keras_file.name} beside it (inputs {sorted(details)}, not "
                            f"{self.input_names}): export it again")
        self.input_dtypes = [details[name]["dtype"] for name in self.input_names]
        self.output_name, output = next(iter(self._runner.get_output_details().items()))
        self.input_shapes = [_shape(details[name]) for name in self.input_names]  # as Keras' model.inputs: None for any size
        self.output_shape = _shape(output)

    def __call__(self, inputs, training: bool = False) -> np.ndarray:
        arrays = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(arrays) != len(self.input_names):
            raise ValueError(f"{self.path.name} takes {len(self.input_names)} inputs, got {len(arrays)}")
        feed = {name: np.ascontiguousarray(a, dtype=dtype)
                for name, a, dtype in zip(self.input_names, arrays, self.input_dtypes)}
        return self._runner(**feed)[self.output_name]

    def predict_on_batch(self, x) -> np.ndarray:
        return self(x)
