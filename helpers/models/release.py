"""Saving models for release: float32, standard Keras layers only, no optimizer state; optionally
with the weight matrices stored in float16 (half the file). What a release records of how it
was made is :mod:`helpers.models.provenance`."""
from __future__ import annotations

from pathlib import Path

from helpers.errors import UserError


def to_standard_layers(config: dict) -> dict:
    """Rewrite a functional model config for release: every layer in float32, nested models
    (such as a generator's encoder and decoder) included, and the project's
    :class:`~helpers.models.layers.FusedBatchNorm` as ``keras.layers.BatchNormalization``
    (same weights in the same order: gamma, beta, moving mean, moving variance)."""
    for layer in config["layers"]:
        cfg = layer.get("config", {})
        if isinstance(cfg.get("dtype"), dict):
            cfg["dtype"] = "float32"
        if "layers" in cfg:
            to_standard_layers(cfg)
        if layer.get("class_name") == "FusedBatchNorm":
            layer.update(module="keras.layers", class_name="BatchNormalization", registered_name=None)
            layer["config"] = {"name": cfg["name"], "trainable": cfg.get("trainable", True), "dtype": "float32",
                               "momentum": cfg["momentum"], "epsilon": cfg["epsilon"], "axis": -1}
    return config


def export_model(src: str | Path, out: str | Path) -> Path:
    """Load a training checkpoint (possibly mixed precision, with optimizer state) and save a
    float32, standard-layer copy with the same weights at ``out``."""
    from helpers.models.files import load_model, save_model
    from helpers.models.provenance import write_provenance

    if not Path(src).is_file():
        raise UserError(f"{src} does not exist")
    out = save_model(float32_copy(load_model(src)), out)
    write_provenance(Path(src).parent, out)
    return out


def float32_copy(model):
    """A float32 copy of a (possibly mixed-precision) functional model, for release."""
    import keras

    policy = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("float32")
    try:
        clean = keras.Model.from_config(to_standard_layers(model.get_config()))
    finally:
        keras.mixed_precision.set_global_policy(policy)
    clean.set_weights(model.get_weights())
    return clean


def save_float16(model, out: str | Path) -> Path:
    """Save ``model`` as a standard ``.keras`` file whose weight matrices and kernels (every float32
    array of two or more dimensions) are stored in float16, half their size; biases and
    batch-norm statistics stay float32, as does any array with a value beyond float16's range.
    The model still computes in float32: ``load_model`` creates float32 variables and casts the
    stored values into them, so the file needs nothing custom to load, and the only change is the
    float16 rounding of those weights (a relative error of at most 2**-11 above 6e-5 in size)."""
    import io

    import h5py
    import numpy as np

    from helpers.models.files import WEIGHTS_ENTRY, read_entries, save_model, write_entries

    out = save_model(model, out)
    entries = read_entries(out)
    half = io.BytesIO()
    with h5py.File(io.BytesIO(entries[WEIGHTS_ENTRY]), "r") as src, h5py.File(half, "w") as dst:
        dst.attrs.update(src.attrs)

        def copy(name, obj):
            if isinstance(obj, h5py.Dataset):
                value = obj[()]
                if (value.dtype == np.float32 and value.ndim >= 2
                        and np.abs(value).max(initial=0) <= np.finfo(np.float16).max):
                    value = value.astype(np.float16)
                dst.create_dataset(name, data=value).attrs.update(obj.attrs)
            else:
                dst.require_group(name).attrs.update(obj.attrs)

        src.visititems(copy)
    entries[WEIGHTS_ENTRY] = half.getvalue()
    write_entries(out, entries)
    return out
