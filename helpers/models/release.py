"""Saving models for release: float32, standard Keras layers only, no optimizer state; optionally
with the weight matrices stored in float16 (half the file)."""
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

    if not Path(src).is_file():
        raise UserError(f"{src} does not exist")
    out = save_model(float32_copy(load_model(src)), out)
    write_provenance(Path(src).parent, out)
    return out


def write_provenance(run_dir: Path, out: Path) -> None:
    """Write ``<name>.json`` beside the released model: the command, the selected epoch (best
    PublicTest accuracy), the training wall time and the per-epoch history, when the run folder
    has them. A run started from another recognizer (``--init``) continues that model's lineage:
    ``stages`` lists every command in order, and the history, epochs and wall time run on from
    the epoch it started from."""
    import json

    import pandas as pd

    history, config = run_dir / "history.csv", run_dir / "config.json"
    if not (history.exists() and config.exists()):
        return
    run_config = json.loads(config.read_text())
    hist = pd.read_csv(history).assign(stage=1)
    stage = {"command": run_config.get("command"), "epochs": int(len(hist)), "wall_s": float(hist["wall_s"].iloc[-1])}
    stages = [stage]
    earlier = run_dir / "init_provenance.json"
    if earlier.exists():
        prev = json.loads(earlier.read_text())
        prev_hist = pd.DataFrame(prev["history"])
        prev_hist = prev_hist[prev_hist["epoch"] < prev["selected_epoch"]]  # the epoch this run started from
        if "stage" not in prev_hist:
            prev_hist = prev_hist.assign(stage=1)
        hist = hist.assign(epoch=hist["epoch"] + len(prev_hist), wall_s=hist["wall_s"] + prev_hist["wall_s"].iloc[-1],
                           stage=int(prev_hist["stage"].max()) + 1)
        hist = pd.concat([prev_hist, hist], ignore_index=True)
        stages = prev.get("stages") or [{"command": prev["command"], "epochs": prev["epochs_trained"],
                                         "wall_s": prev["training_wall_s"]}]
        stages = [*stages, stage]
    this_stage = hist[hist["stage"] == hist["stage"].max()]
    best = this_stage.loc[this_stage["val_accuracy"].idxmax()]  # what best.keras holds
    out.with_suffix(".json").write_text(json.dumps({
        "command": run_config.get("command"),
        "export_command": f"python -m helpers.train_recognizer --export {run_dir / 'best.keras'} --out {out}",
        "stages": stages,
        "epochs_trained": int(len(hist)),
        "selected_epoch": int(best["epoch"]) + 1,
        "selected_by": "best PublicTest accuracy",
        "selected_epoch_publictest_accuracy": round(float(best["val_accuracy"]), 4),  # as trained (bf16 if it was)
        "training_wall_s": sum(st["wall_s"] for st in stages),
        "config": run_config,
        "history": hist.to_dict(orient="records"),
    }, indent=2))


def provenance_without_evaluations(path: Path) -> dict:
    """A recognizer's provenance (``<name>.json``, empty when there is none) without the
    accuracies ``helpers.evaluate recognizer --record`` stored in it, for a changed model."""
    import json

    data = json.loads(path.read_text()) if path.exists() else {}
    for key in data.pop("evaluation_commands", {}):
        data.pop(f"{key}_accuracy", None)
        data.pop(f"{key}_macro_accuracy", None)
        data.pop(f"{key}_per_class_accuracy", None)
    return data


def load_history(path: str | Path):
    """A training history as a pandas DataFrame, one row per epoch: a GAN run's
    ``training/history.json`` (a list of records), a released recognizer's ``<name>.json``
    (its ``"history"``), or a metrics table written by ``helpers.evaluate --over-epochs``."""
    import json

    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise UserError(f"{path} does not exist: no training history there")
    data = json.loads(path.read_text())
    return pd.DataFrame(data["history"] if isinstance(data, dict) else data)


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
