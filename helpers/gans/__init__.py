"""One ``keras.Model`` subclass per GAN, and the pixel-range conversions they all share."""
from __future__ import annotations

import numpy as np


def to_model_range(images, output: str = "tanh"):
    """uint8-valued images -> float32 in the generator's range ("tanh": [-1, 1], "sigmoid": [0, 1])."""
    import tensorflow as tf

    x = tf.cast(images, tf.float32) / 255.0
    return x * 2.0 - 1.0 if output == "tanh" else x


def to_uint8(images, output: str = "tanh") -> np.ndarray:
    """Generator output in its range -> uint8 images."""
    x = np.asarray(images, np.float32)
    x = (x + 1.0) / 2.0 if output == "tanh" else x
    return np.clip(x * 255.0 + 0.5, 0, 255).astype(np.uint8)
