"""The shipped models on LiteRT: the commands choose the backend, the LiteRT path runs without
TensorFlow, and its answers are the Keras path's (the per-model agreement on recorded inputs is
in test_release_outputs.py)."""
import json
import subprocess
import sys

import numpy as np
import pytest

from helpers.data import REPO_ROOT
from helpers.errors import UserError
from helpers.inference.litert import LiteRTModel, choose_backend, keras_input_names

GENERATOR = REPO_ROOT / "checkpoints" / "cwgan_fer2013"
MAIN_GENERATOR = REPO_ROOT / "checkpoints" / "sngan_fer2013"  # the README's main command


def test_the_litert_commands_never_import_tensorflow(tmp_path):
    """The main command, the translator and recognize, end to end in a fresh process."""
    script = f"""
import runpy, sys
sys.argv = ["Expression_generator.py", {str(MAIN_GENERATOR)!r}, "Fear", "3", {str(tmp_path / "faces")!r}, "--backend", "litert"]
try:
    runpy.run_path("Generative_model/Expression_generator.py", run_name="__main__")
except SystemExit as stop:
    assert not stop.code, stop.code
from helpers.inference.translation import load_translator
from helpers.inference.recognition import load_recognizer, predict_proba
faces = load_translator("checkpoints/ccyclegan_fer2013", backend="litert").translate(
    __import__("numpy").full((2, 48, 48, 1), 128, "uint8"), 3)
predict_proba(load_recognizer("checkpoints/recognizer_fer2013.keras", backend="litert"), faces, tta="shifts")
import helpers.recognize
print(sorted(m for m in ("tensorflow", "keras") if m in sys.modules))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]" and done.stderr == ""
    assert len(list((tmp_path / "faces").glob("Fear_0*.png"))) == 3


def test_generator_faces_agree_between_backends():
    from helpers.inference.generators import load_generator

    keras_faces = load_generator(GENERATOR, backend="keras").generate(2, 12, seed=5)
    litert_faces = load_generator(GENERATOR, backend="litert").generate(2, 12, seed=5, batch_size=5)  # any batch size
    assert keras_faces.shape == litert_faces.shape == (12, 48, 48, 1)
    assert np.abs(keras_faces.astype(int) - litert_faces.astype(int)).max() <= 1


def test_backend_choice(tmp_path, monkeypatch):
    missing = tmp_path / "model.tflite"
    assert choose_backend("keras", GENERATOR / "generator.tflite") == "keras"
    assert choose_backend("auto", GENERATOR / "generator.tflite") == "litert"
    assert choose_backend("auto", missing) == "keras"
    with pytest.raises(UserError, match="model.tflite does not exist: write it with python -m helpers.model_files --litert"):
        choose_backend("litert", missing)
    monkeypatch.setattr("helpers.inference.litert.litert_available", lambda: False)
    assert choose_backend("auto", GENERATOR / "generator.tflite") == "keras"
    with pytest.raises(UserError, match="pip install ai-edge-litert"):
        choose_backend("litert", GENERATOR / "generator.tflite")


def test_inputs_are_fed_in_the_keras_model_order(tmp_path):
    assert keras_input_names(GENERATOR / "generator.keras") == ["noise", "code"]
    model = LiteRTModel(GENERATOR / "generator.tflite")
    assert model.input_names == ["noise", "code"]
    with pytest.raises(ValueError, match="takes 2 inputs, got 1"):
        model(np.zeros((1, 100), np.float32))
    broken = tmp_path / "generator.tflite"
    broken.write_bytes(b"not a flatbuffer")
    with pytest.raises(UserError, match="not a loadable LiteRT model"):
        LiteRTModel(broken)


def test_recognize_gives_the_same_answer_on_both_backends(tmp_path, run_python):
    from PIL import Image
    from skimage import data

    photo = tmp_path / "astronaut.png"
    Image.fromarray(data.astronaut()).save(photo)
    answers = {}
    for backend in ("keras", "litert"):
        records = tmp_path / f"{backend}.json"
        done = run_python(["-m", "helpers.recognize", str(photo), "--out", str(tmp_path / backend), "--json", str(records),
                           "--backend", backend])
        assert done.returncode == 0, done.stderr
        answers[backend] = json.loads(records.read_text())
    [keras_face], [litert_face] = answers["keras"], answers["litert"]
    assert keras_face["box"] == litert_face["box"] and keras_face["label"] == litert_face["label"] == "Happy"
    for name, p in keras_face["probabilities"].items():
        assert litert_face["probabilities"][name] == pytest.approx(p, abs=1e-3)


def test_a_run_completed_on_a_keras_too_old_to_export_keeps_its_release_without_a_twin(tmp_path, monkeypatch):
    import helpers.models.files as files
    from helpers.training.gan_release import save_litert_release

    monkeypatch.setattr(files, "litert_export_supported", lambda: False)  # Keras before 3.13 (the oldest stack)
    (tmp_path / "generator.keras").write_bytes(b"")  # never read: nothing is exported
    assert save_litert_release(tmp_path) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generator.keras"]
