"""Release files that every supported Keras reads, and the one-line message for one it cannot."""
import json
import shutil
import zipfile

import keras
import numpy as np
import pytest

from helpers.models.release import float32_copy
from helpers.errors import UserError
from helpers.data import REPO_ROOT
from helpers.models.files import (litert_export_supported, load_model, make_portable, portable_config, save_model,
                                  written_by)


def _small_model():
    inputs = keras.Input((4,))
    x = keras.layers.Dense(3, use_bias=False, name="hidden")(inputs)
    outputs = keras.layers.Dense(2, activation="softmax", name="out")(keras.layers.LeakyReLU(0.2)(x))
    return keras.Model(inputs, outputs)


def _layer_configs(config):
    return {layer["config"]["name"]: layer["config"] for layer in config["config"]["layers"]}


def _archive_config(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))


def test_portable_config_keeps_only_arguments_away_from_their_defaults():
    layers = _layer_configs(portable_config(keras.saving.serialize_keras_object(_small_model())))
    assert layers["hidden"]["use_bias"] is False and layers["hidden"]["units"] == 3
    assert "quantization_config" not in layers["hidden"] and "kernel_regularizer" not in layers["hidden"]
    assert layers["hidden"]["kernel_initializer"]["config"] == {}  # no seed, no axes: nested objects too
    leaky = next(cfg for name, cfg in layers.items() if name.startswith("leaky"))
    assert leaky["negative_slope"] == pytest.approx(0.2)  # not the default 0.3


def test_saved_release_round_trips_with_the_same_outputs(tmp_path):
    model = _small_model()
    path = save_model(model, tmp_path / "m.keras")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras", "m.tflite"][: 2 if litert_export_supported() else 1]
    assert written_by(path) == keras.__version__  # and no temporary file is left beside it
    assert "quantization_config" not in json.dumps(_archive_config(path))
    x = np.random.default_rng(0).standard_normal((5, 4)).astype("float32")
    np.testing.assert_array_equal(np.asarray(load_model(path)(x)), np.asarray(model(x)))


def test_make_portable_leaves_the_weights_untouched(tmp_path):
    path = tmp_path / "m.keras"
    _small_model().save(path)
    with zipfile.ZipFile(path) as archive:
        weights = archive.read("model.weights.h5")
    make_portable(path)
    with zipfile.ZipFile(path) as archive:
        assert archive.read("model.weights.h5") == weights


def _from_a_newer_keras(src, dst, version="99.1.0"):
    """A copy of the .keras file ``src`` as a future Keras might write it: an argument this Keras
    does not know, and that version in its metadata."""
    with zipfile.ZipFile(src) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(entries["config.json"])
    next(layer for layer in config["config"]["layers"] if layer["class_name"] == "Dense")["config"]["future_option"] = 1
    entries["config.json"] = json.dumps(config).encode()
    entries["metadata.json"] = json.dumps({"keras_version": version}).encode()
    with zipfile.ZipFile(dst, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return dst


def test_a_file_from_a_newer_keras_names_both_versions_and_the_fix(tmp_path):
    path = _from_a_newer_keras(save_model(_small_model(), tmp_path / "m.keras"), tmp_path / "new.keras")
    with pytest.raises(UserError) as err:
        load_model(path)
    message = str(err.value)
    assert "\n" not in message
    assert "written by Keras 99.1.0" in message and f"Keras {keras.__version__} cannot read it" in message
    assert "pip install 'keras>=99.1.0'" in message


def test_a_file_that_is_no_model_says_so(tmp_path):
    path = tmp_path / "broken.keras"
    path.write_bytes(b"not a zip archive")
    with pytest.raises(UserError, match=r"is not a loadable Keras model"):
        load_model(path)


def test_main_command_refuses_a_newer_keras_checkpoint_in_one_line(tmp_path, run_python):
    ckpt = tmp_path / "cwgan"
    shutil.copytree(REPO_ROOT / "checkpoints" / "cwgan_fer2013", ckpt, ignore=shutil.ignore_patterns("training"))
    _from_a_newer_keras(ckpt / "generator.keras", ckpt / "generator.keras.new")
    (ckpt / "generator.keras.new").replace(ckpt / "generator.keras")
    out = tmp_path / "out"
    done = run_python(["Generative_model/Expression_generator.py", str(ckpt), "Fear", "4", str(out), "--backend", "keras"])
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "written by Keras 99.1.0" in done.stderr
    assert not out.exists()  # nothing is written before the checkpoint loads
    litert = run_python(["Generative_model/Expression_generator.py", str(ckpt), "Fear", "4", str(out)])
    assert litert.returncode == 0, litert.stderr  # the LiteRT twin beside it does not depend on Keras' version


def _dtypes(config, found):
    if isinstance(config, dict):
        if config.get("class_name") == "DTypePolicy":
            found.add(config["config"]["name"])
        for value in config.values():
            _dtypes(value, found)
    elif isinstance(config, list):
        for value in config:
            _dtypes(value, found)
    return found


def test_release_copy_is_float32_in_nested_models_too():
    from helpers.models.ccyclegan_nets import CONFIGS, ccyclegan_generator

    policy = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        trained = ccyclegan_generator(CONFIGS["T26"], width=8)
    finally:
        keras.mixed_precision.set_global_policy(policy)
    assert "mixed_bfloat16" in _dtypes(trained.get_config(), set())  # its encoder and decoder are nested models
    release = float32_copy(trained)
    assert _dtypes(release.get_config(), set()) == {"float32"}
    x = np.random.default_rng(0).uniform(-1, 1, (2, 48, 48, 1)).astype("float32")
    t = np.eye(7, dtype="float32")[[1, 5]]
    np.testing.assert_allclose(np.asarray(release([x, t])), np.asarray(trained([x, t])), atol=0.05)


def test_the_command_rewrites_a_file_or_writes_its_litert_twin(tmp_path, run_python):
    model = _small_model()
    path = save_model(model, tmp_path / "small.keras", litert=False)
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    rewritten = run_python(["-m", "helpers.model_files", str(path)])
    assert rewritten.returncode == 0 and f"{path}: rewritten" in rewritten.stdout
    np.testing.assert_allclose(load_model(path).predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    if litert_export_supported():
        twin = run_python(["-m", "helpers.model_files", "--litert", str(path)])
        assert twin.returncode == 0 and path.with_suffix(".tflite").is_file()
    missing = run_python(["-m", "helpers.model_files", str(tmp_path / "none.keras")])
    assert missing.returncode == 2 and missing.stderr.strip() == f"error: {tmp_path / 'none.keras'} does not exist"
