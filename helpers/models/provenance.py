"""What a released model records of how it was made: a recognizer's ``<name>.json`` (its
stages' commands, the epoch chosen and the per-epoch history), read back as a history table."""
from __future__ import annotations

import json
from pathlib import Path

from helpers.errors import UserError


def write_provenance(run_dir: Path, out: Path) -> None:
    """Write ``<name>.json`` beside the released model: the command, the selected epoch (best
    PublicTest accuracy), the training wall time and the per-epoch history, when the run folder
    has them. A run started from another recognizer (``--init``) continues that model's lineage:
    ``stages`` lists every command in order, and the history, epochs and wall time run on from
    the epoch it started from."""
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
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise UserError(f"{path} does not exist: no training history there")
    data = json.loads(path.read_text())
    return pd.DataFrame(data["history"] if isinstance(data, dict) else data)
