"""Expression translation with a trained CCycleGAN generator: loading, translating, sheets."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from helpers.expressions import NUM_EXPRESSIONS
from helpers.data.pixels import to_model_range, to_uint8
from helpers.inference.generators import check_model_fits, load_checkpoint


class Translator:
    """``translate(uint8 images (N,48,48,1), target ids) -> uint8 images``."""

    def __init__(self, model, config: dict, path: Path):
        self.model, self.config, self.path = model, config, path

    def translate(self, images: np.ndarray, targets, batch_size: int = 256) -> np.ndarray:
        images = np.asarray(images)
        targets = np.broadcast_to(np.asarray(targets, np.int64), (len(images),))
        out = []
        for i in range(0, len(images), batch_size):
            x = np.asarray(to_model_range(images[i:i + batch_size]))
            t = np.eye(NUM_EXPRESSIONS, dtype=np.float32)[targets[i:i + batch_size]]
            out.append(np.asarray(self.model([x, t], training=False)))
        y = np.concatenate(out) if out else np.zeros((0, 48, 48, 1), np.float32)
        return to_uint8(y)

    def sheet(self, images: np.ndarray) -> np.ndarray:
        """(N, 8, 48, 48, 1): each source followed by its translation to all 7 expressions."""
        columns = [np.asarray(images)] + [self.translate(images, e) for e in range(NUM_EXPRESSIONS)]
        return np.stack(columns, axis=1)


def load_translator(path: str | Path, backend: str = "keras") -> Translator:
    """Load a translator checkpoint folder (or its ``.keras`` file), on Keras or LiteRT; a model
    that does not take faces and target expressions is a one-line UserError."""
    model, config, path = load_checkpoint(path, kinds=("ccyclegan",), required=("expressions",),
                                          example="checkpoints/ccyclegan_fer2013", backend=backend)
    size = config.get("image_size", 48)
    check_model_fits(model, [(None, size, size, 1), (None, NUM_EXPRESSIONS)], (None, size, size, 1), path)
    return Translator(model, config, path)
