"""A notebook's TRAIN = True rebuilds what ships: its training parameters equal what the shipped
release recorded, and every recorded stage still parses with today's trainers."""
import ast
import json
from pathlib import Path

import pytest

from helpers.training.recipes import Stage, check_stage, recorded_stages, run_stage

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINTS = ROOT / "checkpoints"
SHIPPED = ["recognizer_fer2013.keras", "deep_emotion_fer2013.keras", "cwgan_fer2013", "ccyclegan_fer2013",
           "dcgan_fer2013", "ccyclegan_synthetic", "sngan_fer2013"]


def parameters(notebook: str) -> dict:
    """The literal assignments of a notebook's papermill ``parameters`` cell."""
    cells = json.loads((ROOT / "notebooks" / notebook).read_text())["cells"]
    (cell,) = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    values = {}
    for node in ast.parse("".join(cell["source"])).body:
        if isinstance(node, ast.Assign):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                continue
            for target in node.targets:
                if isinstance(target, ast.Tuple):
                    values.update(zip((t.id for t in target.elts), value))
                else:
                    values[target.id] = value
    return values


def epochs(name: str) -> list[int]:
    return [stage.epochs for stage in recorded_stages(CHECKPOINTS / name)]


@pytest.mark.parametrize("notebook, shipped", [("02_vgg_recognition.ipynb", "recognizer_fer2013.keras"),
                                               ("03_deep_emotion.ipynb", "deep_emotion_fer2013.keras"),
                                               ("05_conditional_wgan.ipynb", "cwgan_fer2013"),
                                               ("06_ccyclegan.ipynb", "ccyclegan_fer2013"),
                                               ("08_projection_cgan.ipynb", "sngan_fer2013")])
def test_stage_epochs_are_the_releases(notebook, shipped):
    assert parameters(notebook)["STAGE_EPOCHS"] == epochs(shipped)
    assert parameters(notebook)["TRAIN"] is False  # committed notebooks load what ships


def test_the_cwgan_notebook_guides_with_the_weights_the_release_records():
    from helpers.inference.recognition import load_recognizer, weights_fingerprint

    guide = parameters("05_conditional_wgan.ipynb")["GUIDE"]
    recorded = json.loads((CHECKPOINTS / "cwgan_fer2013" / "config.json").read_text())["guide"]["fingerprint"]
    assert weights_fingerprint(load_recognizer(ROOT / guide)) == recorded


def test_ablations_variants_and_the_synthetic_translator_use_the_recorded_budgets():
    ccyclegan, dcgan = parameters("06_ccyclegan.ipynb"), parameters("07_dcgan_inception_score.ipynb")
    assert [dcgan["EPOCHS"]] == epochs("dcgan_fer2013")
    assert [ccyclegan["SYNTHETIC_EPOCHS"]] == epochs("ccyclegan_synthetic")
    for folder, key in ((CHECKPOINTS / "ccyclegan_fer2013" / "ablation", "ABLATION_EPOCHS"),
                        (CHECKPOINTS / "dcgan_fer2013" / "variants", "VARIANT_EPOCHS")):
        records = [json.loads(m.read_text()) for m in sorted(folder.glob("*/metrics.json"))]
        assert records and {r["epoch"] for r in records} == {(ccyclegan | dcgan)[key]}


@pytest.mark.parametrize("name", SHIPPED)
def test_every_recorded_stage_parses_with_todays_trainers(name, tmp_path):
    stages = recorded_stages(CHECKPOINTS / name)
    previous = None
    for i, stage in enumerate(stages):
        check_stage(stage, stage.replay_argv(tmp_path / f"stage{i}", init=previous))
        previous = tmp_path / f"stage{i}"


def test_a_replay_sets_its_own_folder_start_and_epochs():
    stage = Stage("Generative_model/ccyclegan.py", ["--config", "T26", "--init", "checkpoints/x", "--lr", "2e-5",
                                                    "--epochs", "40", "--ckpt-dir", "runs/a", "--resume", "--bf16"], 34)
    argv = stage.replay_argv("runs/b", init="runs/prev", replace={"--lr": "1e-4"}, extra=["--subset", "96"])
    assert argv == ["--config", "T26", "--lr", "1e-4", "--bf16", "--epochs", "34", "--ckpt-dir", "runs/b", "--resume",
                    "--init", "runs/prev", "--subset", "96"]
    recognizer = Stage("helpers.train_recognizer", ["--model", "fer_vgg", "--run-dir", "runs/a"], 25)
    assert recognizer.replay_argv("runs/b", epochs=2)[-5:] == ["--epochs", "2", "--run-dir", "runs/b", "--resume"]


@pytest.mark.fer2013
@pytest.mark.parametrize("name", ["deep_emotion_fer2013.keras", "dcgan_fer2013"])
def test_a_recorded_first_stage_replays_to_a_release(name, tmp_path, fer2013):
    """The notebooks' TRAIN path in miniature: a recognizer command replayed through its main,
    a GAN script through its trainer, each on a few faces for one epoch."""
    stage = recorded_stages(CHECKPOINTS / name)[0]
    release = run_stage(stage, stage.replay_argv(tmp_path / "stage1", epochs=1, extra=["--subset", "128"]))
    assert release.exists() and (release.suffix == ".keras" or (release / "generator.keras").is_file())


def test_a_continuation_that_began_with_a_fresh_discriminator_replays_so():
    cwgan, ccyclegan = recorded_stages(CHECKPOINTS / "cwgan_fer2013"), recorded_stages(CHECKPOINTS / "ccyclegan_fer2013")
    assert [s.fresh_discriminator for s in cwgan] == [False, True]
    assert [s.fresh_discriminator for s in ccyclegan] == [False, True, False, False]
    assert "--fresh-discriminator" in ccyclegan[1].replay_argv("runs/b", init="runs/a")
    assert "--fresh-discriminator" not in ccyclegan[2].replay_argv("runs/c", init="runs/b")
