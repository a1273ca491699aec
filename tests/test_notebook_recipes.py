"""A notebook's TRAIN = True rebuilds what ships: its training parameters equal what the shipped
release recorded, and every recorded stage still reads as today's trainers' configs."""
import ast
import json
from pathlib import Path

import pytest

from helpers.options import command_for, record, replace
from helpers.training.recipes import read_command, recorded_stages, run_stage

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
def test_every_recorded_stage_reads_as_a_config_that_replays_it(name, tmp_path):
    """Each stage's command reads into its trainer's config, whose own command reads back the
    same; a replay changes only the folder, the start, the epochs and what it is told to."""
    previous = None
    for i, stage in enumerate(recorded_stages(CHECKPOINTS / name)):
        steering = {"resume": False, "time_limit": None}  # options of one run, not of its recipe
        assert read_command(command_for(stage.config)) == replace(stage.config, **steering)
        replayed = stage.replay(tmp_path / f"stage{i}", init=previous, subset=96)
        changed = {k for k, v in record(replayed).items() if record(stage.config)[k] != v}
        assert changed <= {"ckpt_dir", "run_dir", "init", "resume", "epochs", "subset", "fresh_discriminator"}
        assert replayed.resume and replayed.epochs == stage.epochs and replayed.subset == 96
        previous = tmp_path / f"stage{i}"


def test_a_replay_sets_its_own_folder_start_and_epochs():
    stage = recorded_stages(CHECKPOINTS / "ccyclegan_fer2013")[1]
    assert stage.config.warm_start.init == str(ROOT / "checkpoints/ccyclegan_fer2013")  # found from any folder
    assert stage.config.lr == 2e-5
    config = stage.replay("runs/b", init="runs/prev", lr=1e-4, subset=96)
    assert (config.ckpt_dir, config.warm_start.init, config.epochs, config.resume) == ("runs/b", "runs/prev", stage.epochs, True)
    assert (config.lr, config.subset, config.d_lr, config.scale.precision) == (1e-4, 96, 1e-4, "mixed_bfloat16")
    recognizer = recorded_stages(CHECKPOINTS / "recognizer_fer2013.keras")[0]
    assert recognizer.replay("runs/b", epochs=2).run_dir == "runs/b" and recognizer.replay("runs/b", epochs=2).epochs == 2
    with pytest.raises(TypeError, match="no option lrate"):
        stage.replay("runs/b", lrate=1)


def test_a_command_that_no_trainer_reads_is_one_clear_error():
    from helpers.errors import UserError

    with pytest.raises(UserError, match="no longer parses: unrecognized arguments: --gone"):
        read_command("python Generative_model/sngan.py --gone 3")
    with pytest.raises(UserError, match="not one of the project's trainers"):
        read_command("python train.py --epochs 3")


@pytest.mark.slow
@pytest.mark.fer2013
@pytest.mark.parametrize("name", ["deep_emotion_fer2013.keras", "dcgan_fer2013"])
def test_a_recorded_first_stage_replays_to_a_release(name, tmp_path, fer2013):
    """The notebooks' TRAIN path in miniature: a recognizer's first stage (recorded by the
    Deep-Emotion front end) and a GAN's, each replayed on a few faces for one epoch."""
    stage = recorded_stages(CHECKPOINTS / name)[0]
    release = run_stage(stage.replay(tmp_path / "stage1", epochs=1, subset=128))
    assert release.exists() and (release.suffix == ".keras" or (release / "generator.keras").is_file())


def test_a_continuation_that_began_with_a_fresh_discriminator_replays_so():
    cwgan, ccyclegan = recorded_stages(CHECKPOINTS / "cwgan_fer2013"), recorded_stages(CHECKPOINTS / "ccyclegan_fer2013")
    assert [s.fresh_discriminator for s in cwgan] == [False, True]
    assert [s.fresh_discriminator for s in ccyclegan] == [False, True, False, False]
    assert ccyclegan[1].replay("runs/b", init="runs/a").warm_start.fresh_discriminator
    assert not ccyclegan[2].replay("runs/c", init="runs/b").warm_start.fresh_discriminator
    assert not ccyclegan[1].replay("runs/b").warm_start.fresh_discriminator  # a first stage has nothing to continue
