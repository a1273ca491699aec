"""A trained recognizer made into a release: its batch-norm statistics re-estimated on clean
faces (PreciseBN, :mod:`.precise_bn`), or several joined into one ensemble; each written with its
provenance and PublicTest accuracy (``python -m helpers.train_recognizer --recalibrate-bn`` and
``--ensemble``)."""
from __future__ import annotations

import shlex
from pathlib import Path

import numpy as np

from helpers.errors import UserError
from helpers.files import write_json
from helpers.training.recognizer import RecognizerConfig


def accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    """One-view accuracy of a recognizer, rounded to 4 digits as the provenance records it."""
    from helpers.inference.recognition import predict_proba

    return round(float(np.mean(predict_proba(model, x).argmax(1) == y)), 4)


def recalibrate(source: str | Path, out: str | Path, data: str | None = None, subset: int = 0, batch_size: int = 128,
                seed: int = 0) -> Path:
    """``--recalibrate-bn``: PreciseBN statistics of ``source`` from the clean Training split
    (its first ``subset`` faces if given), PublicTest accuracy before and after, the model at
    ``out`` and its provenance (the source's, without its now stale evaluations) with a
    ``batch_norm_recalibration`` record."""
    from helpers.models.provenance import provenance_without_evaluations
    from helpers.models.release import float32_copy
    from helpers.data import load_dataset
    from helpers.models.files import save_model
    from helpers.training.precise_bn import recalibrate_batch_norm
    from helpers.inference.recognition import load_recognizer

    src, out = Path(source), Path(out)
    command = ["python", *RecognizerConfig.COMMAND.split(), "--recalibrate-bn", str(src), "--out", str(out)]
    command += [f"--{k.replace('_', '-')}={v}" for k, v in
                {"data": data, "subset": subset, "batch_size": batch_size, "seed": seed}.items()
                if v != RecognizerConfig.__dataclass_fields__[k].default]
    model = float32_copy(load_recognizer(src))  # standard float32 layers, as released
    splits = load_dataset(data)
    x_train = splits["Training"][0][: subset or None]
    x_val, y_val = splits["PublicTest"]

    before = accuracy(model, x_val, y_val)
    batches = recalibrate_batch_norm(model, x_train, batch_size=batch_size, seed=seed)
    after = accuracy(model, x_val, y_val)
    print(f"PublicTest accuracy: {100 * before:.2f}% with the training statistics, {100 * after:.2f}% recalibrated")
    save_model(model, out)
    provenance = provenance_without_evaluations(src.with_suffix(".json"))
    provenance["batch_norm_recalibration"] = {
        "command": shlex.join(command), "training_images": batches * batch_size, "batch_size": batch_size,
        "seed": seed, "publictest_accuracy_before": before, "publictest_accuracy_after": after}
    write_json(out.with_suffix(".json"), provenance, indent=2)
    return out


def ensemble(members: list[str | Path], out: str | Path, data: str | None = None) -> Path:
    """``--ensemble``: the ``members`` (released recognizers), their PublicTest accuracy and the
    ensemble's, the ensemble at ``out`` with float16 weight matrices, and its provenance: the
    command, the accuracies and each member's provenance (without its now stale evaluations)."""
    from helpers.models.provenance import provenance_without_evaluations
    from helpers.models.release import save_float16
    from helpers.data import load_dataset
    from helpers.models import recognizer_ensemble
    from helpers.inference.recognition import load_recognizer

    paths, out = [Path(p) for p in members], Path(out)
    command = ["python", *RecognizerConfig.COMMAND.split(), "--ensemble", *map(str, paths), "--out", str(out)]
    command += [f"--data={data}"] if data else []
    if len(paths) < 2:
        raise UserError(f"--ensemble joins two or more recognizers; got only {paths[0]}")
    networks = [load_recognizer(p) for p in paths]
    try:
        model = recognizer_ensemble(networks)
    except ValueError as exc:
        raise UserError(f"these recognizers cannot be joined ({exc}): each needs a 'features' layer and a "
                        "softmax 'probabilities' layer after it, as helpers.models builds them") from None
    x_val, y_val = load_dataset(data)["PublicTest"]

    accuracies = [accuracy(m, x_val, y_val) for m in networks]
    provenance = {"command": shlex.join(command), "ensemble": "features concatenated, logits averaged",
                  "member_publictest_accuracy": accuracies,
                  "members": [{"file": str(p), **provenance_without_evaluations(p.with_suffix(".json"))} for p in paths]}
    save_float16(model, out)  # --out may be one of the members: all of them are read by now
    provenance["ensemble_publictest_accuracy"] = accuracy(load_recognizer(out), x_val, y_val)  # as stored, in float16
    print("PublicTest accuracy:", ", ".join(f"{p.name} {100 * a:.2f}%" for p, a in zip(paths, accuracies)),
          f"-> ensemble {100 * provenance['ensemble_publictest_accuracy']:.2f}%")
    write_json(out.with_suffix(".json"), provenance, indent=2)
    return out
