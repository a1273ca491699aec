"""The frozen judge: one file, one fingerprint, refused in any other form and as a guide."""

import json

import numpy as np
import pytest

from helpers.data import REPO_ROOT
from helpers.errors import UserError
from helpers.inference import judge as judge_module
from helpers.inference.judge import JUDGE_FILE, JUDGE_FINGERPRINT, JUDGE_NAME, Judge, refuse_as_guide


@pytest.fixture(scope="module")
def judge():
    return Judge()


def test_the_judge_is_the_frozen_file_with_its_fingerprint(judge):
    assert judge.fingerprint == JUDGE_FINGERPRINT and judge.name == JUDGE_NAME
    x = np.random.default_rng(0).integers(0, 256, (4, 48, 48, 1), dtype=np.uint8)
    probs, features = judge.probs_and_features(x)
    assert probs.shape == (4, 7) and features.shape == (4, 256)
    assert JUDGE_FILE.stat().st_size <= 10 * 1024 * 1024


def test_another_file_in_the_judges_place_is_refused(tmp_path, monkeypatch):
    from helpers.models.files import load_model, save_model

    model = load_model(JUDGE_FILE)
    weights = model.get_weights()
    weights[-1] = weights[-1] + 0.01  # one bias moves: another network
    model.set_weights(weights)
    impostor = tmp_path / "judge.keras"
    save_model(model, impostor, litert=False)
    monkeypatch.setattr(judge_module, "JUDGE_FILE", impostor)
    with pytest.raises(UserError, match=f"not the judge's {JUDGE_FINGERPRINT}"):
        Judge()
    monkeypatch.setattr(judge_module, "JUDGE_FILE", tmp_path / "missing.keras")
    with pytest.raises(UserError, match="is missing"):
        Judge()


def test_the_judge_cannot_guide_a_generator_but_another_recognizer_can(judge):
    from helpers.inference.recognition import load_recognizer

    with pytest.raises(UserError, match="is the judge"):
        refuse_as_guide(judge.model)
    guide = load_recognizer(JUDGE_FILE.parents[1] / "deep_emotion_fer2013.keras")
    assert refuse_as_guide(guide) != JUDGE_FINGERPRINT


def test_the_evaluation_cli_has_no_other_judge(run_python):
    result = run_python(["-m", "helpers.evaluate", "generator", "checkpoints/dcgan_fer2013", "--judge", "x.keras"])
    assert result.returncode == 2 and "unrecognized arguments: --judge" in result.stderr


def test_every_shipped_generator_and_translator_figure_comes_from_the_judge():
    checkpoints = REPO_ROOT / "checkpoints"
    judges = {str(path.relative_to(checkpoints)): json.loads(path.read_text()).get("judge")
              for path in sorted(checkpoints.rglob("metrics*.json"))}
    judged = {name: j for name, j in judges.items() if j != "synthetic read-out"}
    assert len(judged) >= 9  # the cWGAN, the DCGAN and its variants, the CCycleGAN and its ablation
    assert {name: j for name, j in judged.items() if j != JUDGE_FINGERPRINT} == {}
