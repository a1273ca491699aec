"""Saving models for release: float32, standard Keras layers only, no optimizer state."""
from __future__ import annotations

from pathlib import Path

from .cli import UserError


def to_standard_layers(config: dict) -> dict:
    """Rewrite a functional model config for release: every layer in float32, and the
    project's :class:`~helpers.models.layers.FusedBatchNorm` as ``keras.layers.BatchNormalization``
    (same weights in the same order: gamma, beta, moving mean, moving variance)."""
    for layer in config["layers"]:
        cfg = layer.get("config", {})
        if isinstance(cfg.get("dtype"), dict):
            cfg["dtype"] = "float32"
        if layer.get("class_name") == "FusedBatchNorm":
            layer.update(module="keras.layers", class_name="BatchNormalization", registered_name=None)
            layer["config"] = {"name": cfg["name"], "trainable": cfg.get("trainable", True), "dtype": "float32",
                               "momentum": cfg["momentum"], "epsilon": cfg["epsilon"], "axis": -1}
    return config


def export_model(src: str | Path, out: str | Path) -> Path:
    """Load a training checkpoint (possibly mixed precision, with optimizer state) and save a
    float32, standard-layer copy with the same weights at ``out``."""
    import keras

    import helpers.models  # noqa: F401  (registers custom layers)

    if not Path(src).is_file():
        raise UserError(f"{src} does not exist")
    trained = keras.models.load_model(src, compile=False)
    keras.mixed_precision.set_global_policy("float32")
    clean = keras.Model.from_config(to_standard_layers(trained.get_config()))
    clean.set_weights(trained.get_weights())
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    clean.save(out)
    return out
