"""Recognizers in use: loading, batched prediction, test-time augmentation (TTA), the model that
returns probabilities and features together, and the weights' fingerprint. The frozen judge that
scores generators is :mod:`helpers.inference.judge`."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from helpers.data import REPO_ROOT
from helpers.errors import UserError
from helpers.expressions import NUM_EXPRESSIONS

SHIPPED_RECOGNIZER = REPO_ROOT / "checkpoints" / "recognizer_fer2013.keras"
FEATURE_LAYER = "features"


def load_recognizer(path: str | Path = SHIPPED_RECOGNIZER, backend: str = "keras"):
    """Load a recognizer ``.keras`` file (safe mode), or with ``backend`` the LiteRT file beside it
    (:func:`helpers.inference.litert.choose_backend`), which predicts the same way without
    TensorFlow; a missing or broken file is a UserError."""
    from helpers.inference.litert import load_twin, model_shapes

    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path} is a folder: a recognizer is a single .keras file such as {SHIPPED_RECOGNIZER.name} "
                        "(generator and translator folders are scored with python -m helpers.evaluate generator/translator)")
    if not path.is_file():
        raise UserError(f"recognizer checkpoint {path} does not exist (the shipped one is {SHIPPED_RECOGNIZER})")
    model = load_twin(path, backend)
    if model is None:
        from helpers.models.files import load_model

        model = load_model(path)
    inputs, output = model_shapes(model)
    if (shapes := [*inputs, output]) != [(None, 48, 48, 1), (None, NUM_EXPRESSIONS)]:
        raise UserError(f"{path} is not an expression recognizer: its inputs and outputs have shapes "
                        f"{', '.join(map(str, shapes))}, a recognizer's are (None, 48, 48, 1) faces and "
                        f"(None, {NUM_EXPRESSIONS}) expression probabilities")
    return model


def flips(images):
    """The 2 test-time views of a batch: the faces and their mirror images. Float32 (2, N, H, W, C)."""
    x = np.asarray(images, np.float32)
    return np.stack([x, x[:, :, ::-1]])


def shifted_views(images, shift: int = 2):
    """The 10 test-time views of a batch: the faces and their translations by ``shift`` pixels up,
    down, left and right (the border repeats the edge pixels), each also mirrored. Unlike
    :func:`ten_crops` no view is rescaled, so faces keep the scale the model was trained on.
    Float32 (10, N, H, W, C)."""
    x = np.asarray(images, np.float32)
    h, w = x.shape[1], x.shape[2]
    padded = np.pad(x, ((0, 0), (shift, shift), (shift, shift), (0, 0)), mode="edge")
    views = []
    for dy, dx in ((0, 0), (-shift, 0), (shift, 0), (0, -shift), (0, shift)):
        view = padded[:, shift + dy:shift + dy + h, shift + dx:shift + dx + w]
        views += [view, view[:, :, ::-1]]
    return np.stack(views)


def ten_crops(images, crop: int = 42):
    """The 10 test-time views of a batch: 4 corner and 1 centre ``crop``×``crop`` crops, each also
    mirrored, resized back to the input size. Returns float32 (10, N, H, W, C)."""
    import tensorflow as tf

    x = tf.cast(images, tf.float32)
    h, w = x.shape[1], x.shape[2]
    offsets = [(0, 0), (0, w - crop), (h - crop, 0), (h - crop, w - crop), ((h - crop) // 2, (w - crop) // 2)]
    views = []
    for dy, dx in offsets:
        view = tf.image.resize(x[:, dy:dy + crop, dx:dx + crop, :], (h, w), method="bilinear")
        views += [view, tf.reverse(view, axis=[2])]
    return tf.stack(views)


TTA_VIEWS = {"flip": flips, "shifts": shifted_views, "ten-crop": ten_crops}


def predict_proba(model, images: np.ndarray, batch_size: int = 512, tta: str | None = None) -> np.ndarray:
    """Softmax probabilities (N, 7); with ``tta`` (a key of :data:`TTA_VIEWS`) the mean over
    those views. Batches go through Keras' compiled ``predict_on_batch``: faster than eager calls
    on CPU, with the same numbers."""
    if tta is not None and tta not in TTA_VIEWS:
        raise UserError(f"unknown test-time augmentation {tta!r}; choose one of {', '.join(TTA_VIEWS)}")
    images = np.asarray(images)
    out = []
    for start in range(0, len(images), batch_size):
        batch = images[start:start + batch_size]
        if tta:
            probs = np.mean([model.predict_on_batch(view) for view in TTA_VIEWS[tta](batch)], axis=0)
        else:
            probs = model.predict_on_batch(batch)
        out.append(np.asarray(probs))
    return np.concatenate(out) if out else np.zeros((0, NUM_EXPRESSIONS), np.float32)


def probs_and_features_model(model, layer: str = FEATURE_LAYER):
    """A model from the recognizer's input to its probabilities and its named penultimate layer."""
    import keras

    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    return keras.Model(inputs, [model.outputs[0], model.get_layer(layer).output], name=f"{model.name}_{layer}")


def weights_fingerprint(model) -> str:
    """The first 12 hex digits of a SHA-256 over a model's weights (as float32)."""
    import hashlib

    digest = hashlib.sha256()
    for weight in model.weights:
        digest.update(np.ascontiguousarray(np.asarray(weight), dtype=np.float32).tobytes())
    return digest.hexdigest()[:12]
