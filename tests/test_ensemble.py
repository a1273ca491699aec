"""The recognizer ensemble (members' features side by side, logits averaged) and float16 storage."""
import json
import zipfile

import h5py
import keras
import numpy as np
import pytest

from helpers.models.release import save_float16
from helpers.models import fer_vgg, recognizer_ensemble
from helpers.inference.judge import Judge
from helpers.inference.recognition import load_recognizer


def _member(seed):
    keras.utils.set_random_seed(seed)
    return fer_vgg(widths=(4, 4, 4, 4), first_width=4, head_width=8)


def _logits(model, x):
    head = keras.Model(model.inputs[0], model.get_layer("features").output)
    kernel, bias = model.get_layer("probabilities").get_weights()
    return np.asarray(head(x)) @ kernel + bias


def test_ensemble_is_the_softmax_of_the_members_mean_logits():
    members = [_member(1), _member(2), _member(3)]
    model = recognizer_ensemble(members)
    x = np.random.default_rng(0).integers(0, 256, (5, 48, 48, 1)).astype("uint8")
    mean_logits = np.mean([_logits(m, x) for m in members], axis=0)
    expected = np.exp(mean_logits - mean_logits.max(1, keepdims=True))
    np.testing.assert_allclose(np.asarray(model(x)), expected / expected.sum(1, keepdims=True), atol=1e-5)
    # its features are the members' side by side, so the judge's feature space is theirs
    assert model.get_layer("features").output.shape == (None, 3 * 8)
    with pytest.raises(ValueError, match="at least two"):
        recognizer_ensemble(members[:1])


@pytest.mark.slow
def test_float16_storage_halves_the_file_and_loads_as_a_float32_recognizer(tmp_path):
    model = recognizer_ensemble([_member(1), _member(2)])
    full, half = tmp_path / "full.keras", tmp_path / "half.keras"
    model.save(full)
    save_float16(model, half)
    with zipfile.ZipFile(half) as archive, h5py.File(archive.open("model.weights.h5"), "r") as weights:
        datasets = []
        weights.visititems(lambda name, obj: datasets.append(obj) if isinstance(obj, h5py.Dataset) else None)
        dtypes = {(d.ndim >= 2, str(d.dtype)) for d in datasets}
    assert dtypes == {(True, "float16"), (False, "float32")}  # matrices half, vectors (BN, biases) full
    loaded = load_recognizer(half)  # safe mode, nothing custom
    assert all(w.dtype == "float32" for w in loaded.weights)
    x = np.random.default_rng(0).integers(0, 256, (8, 48, 48, 1)).astype("uint8")
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), atol=2e-3)
    assert Judge(model=loaded).features(x).shape == (8, 16)
    # the kernels' bytes are halved: the file shrinks by nearly half of the weights' float32 size
    matrices = sum(int(np.prod(w.shape)) for w in model.weights if len(w.shape) >= 2)
    assert full.stat().st_size - half.stat().st_size >= 2 * matrices * 0.95


@pytest.mark.slow
def test_cli_joins_released_recognizers_and_records_the_members(tmp_path, run_python):
    paths = [tmp_path / "a.keras", tmp_path / "b.keras"]
    for seed, path in enumerate(paths):
        _member(seed).save(path)
    paths[0].with_suffix(".json").write_text(json.dumps({
        "command": "python -m helpers.train_recognizer ...", "selected_epoch": 3, "privatetest_accuracy": 0.5,
        "privatetest_macro_accuracy": 0.4, "evaluation_commands": {"privatetest": "python -m helpers.evaluate ..."}}))
    out = tmp_path / "ensemble.keras"
    run = run_python(["-m", "helpers.train_recognizer", "--ensemble", *map(str, paths), "--out", str(out),
                      "--data", "synthetic"])
    assert run.returncode == 0, run.stderr[-2000:]
    assert "-> ensemble" in run.stdout
    provenance = json.loads(out.with_suffix(".json").read_text())
    assert "--ensemble" in provenance["command"] and len(provenance["member_publictest_accuracy"]) == 2
    assert 0 <= provenance["ensemble_publictest_accuracy"] <= 1
    first, second = provenance["members"]
    assert first["file"] == str(paths[0]) and first["selected_epoch"] == 3 and second == {"file": str(paths[1])}
    assert "privatetest_accuracy" not in first  # the member's own evaluations are not the ensemble's
    assert load_recognizer(out).get_layer("features").output.shape == (None, 16)
    # a model without the head an ensemble joins is named, not a traceback
    keras.Sequential([keras.Input((48, 48, 1)), keras.layers.Flatten(), keras.layers.Dense(7, activation="softmax")]
                     ).save(paths[1])
    run = run_python(["-m", "helpers.train_recognizer", "--ensemble", *map(str, paths), "--out", str(out),
                      "--data", "synthetic", "--overwrite"])
    assert run.returncode != 0 and "cannot be joined" in run.stderr and "Traceback" not in run.stderr
    run = run_python(["-m", "helpers.train_recognizer", "--ensemble", str(paths[0]), "--out", str(out), "--overwrite"])
    assert run.returncode != 0 and "two or more" in run.stderr and "Traceback" not in run.stderr


def test_an_array_beyond_float16_range_stays_float32(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="big"), keras.layers.Dense(2, name="small")])
    kernel, bias = model.get_layer("big").get_weights()
    model.get_layer("big").set_weights([np.full_like(kernel, 1e5), bias])
    loaded = keras.models.load_model(save_float16(model, tmp_path / "m.keras"))
    np.testing.assert_array_equal(loaded.get_layer("big").kernel.numpy(), np.full_like(kernel, 1e5))
    np.testing.assert_allclose(loaded.get_layer("small").kernel.numpy(), model.get_layer("small").kernel.numpy(), rtol=1e-3, atol=1e-4)
