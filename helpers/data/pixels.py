"""Pixel ranges: uint8 faces to and from the [-1, 1] or [0, 1] floats generators work in.
NumPy only on the way back, so generated faces become images without TensorFlow."""
from __future__ import annotations

import numpy as np


def to_model_range(images, output: str = "tanh"):
    """uint8-valued images -> float32 in the generator's range ("tanh": [-1, 1], "sigmoid": [0, 1]).
    A NumPy array stays one (no TensorFlow); a tensor stays a tensor."""
    if isinstance(images, np.ndarray):
        x = images.astype(np.float32) / 255.0
        return x * 2.0 - 1.0 if output == "tanh" else x
    import tensorflow as tf

    x = tf.cast(images, tf.float32) / 255.0
    return x * 2.0 - 1.0 if output == "tanh" else x


def to_uint8(images, output: str = "tanh") -> np.ndarray:
    """Generator output in its range -> uint8 images."""
    x = np.asarray(images, np.float32)
    x = (x + 1.0) / 2.0 if output == "tanh" else x
    return np.clip(x * 255.0 + 0.5, 0, 255).astype(np.uint8)
