"""Recognizer builders, the spatial transformer, training with resume, and release export."""
import json
import shlex
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from helpers.models import deep_emotion, discriminator_classifier, fer_vgg, imagenet_weights, vgg16_bn
from helpers.models import recognizers
from helpers.models.spatial_transformer import affine_grid, bilinear_sample


def test_identity_transform_reproduces_the_input():
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(2, 48, 48, 1)).astype("float32")
    theta = np.tile([1, 0, 0, 0, 1, 0], (2, 1)).astype("float32")
    out = bilinear_sample(images, affine_grid(theta, 48, 48)).numpy()
    assert np.allclose(out, images, atol=1e-5)


def test_translation_shifts_and_zero_fills():
    images = np.zeros((1, 5, 5, 1), "float32")
    images[0, 2, 2, 0] = 1.0
    # Sampling x at (x + 0.5) in normalised units = one pixel to the right on a 5-wide grid.
    theta = np.array([[1, 0, 0.5, 0, 1, 0]], "float32")
    out = bilinear_sample(images, affine_grid(theta, 5, 5)).numpy()[0, ..., 0]
    assert out[2, 1] == pytest.approx(1.0) and out.sum() == pytest.approx(1.0)
    far = np.array([[1, 0, 5.0, 0, 1, 0]], "float32")
    assert np.allclose(bilinear_sample(images, affine_grid(far, 5, 5)).numpy(), 0.0)


@pytest.mark.parametrize("build", [fer_vgg, deep_emotion, discriminator_classifier, vgg16_bn])
def test_recognizers_take_uint8_and_name_their_features(build):
    model = build()
    x = np.random.default_rng(0).integers(0, 256, (3, 48, 48, 1), dtype=np.uint8)
    probs = np.asarray(model(x))
    assert probs.shape == (3, 7) and np.allclose(probs.sum(1), 1.0, atol=1e-4)
    assert model.get_layer("features") is not None


def test_auto_imagenet_weights_use_the_cache_then_the_network_then_random(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    fetched = []

    def offline(address, timeout):
        raise OSError("no route")

    def download(filename, origin, cache_subdir):
        fetched.append(origin)
        (tmp_path / cache_subdir).mkdir(exist_ok=True)
        (tmp_path / cache_subdir / filename).touch()

    monkeypatch.setattr(recognizers.socket, "create_connection", offline)
    assert imagenet_weights("vgg16") is None
    assert "using weights=None" in capsys.readouterr().out
    assert imagenet_weights("vgg16", weights="imagenet") == "imagenet"  # explicit choices pass through

    class Connection:
        def close(self):
            pass

    monkeypatch.setattr(recognizers.socket, "create_connection", lambda address, timeout: Connection())
    monkeypatch.setattr(recognizers.keras.utils, "get_file", download)
    assert imagenet_weights("vgg16") == "imagenet"
    assert fetched == [recognizers.KERAS_APPLICATIONS_URL + recognizers.IMAGENET_FILES["vgg16"]]
    monkeypatch.setattr(recognizers.socket, "create_connection", offline)
    assert imagenet_weights("vgg16") == "imagenet"  # now from the cache, with no network


def test_deep_emotion_starts_as_identity_attention():
    model = deep_emotion(width=8, fc_width=16)
    theta = model.get_layer("theta")
    assert np.allclose(theta.get_weights()[1], [1, 0, 0, 0, 1, 0]) and not theta.get_weights()[0].any()


@pytest.mark.slow
def test_train_resume_and_export(tmp_path, tiny_csv, run_python):
    run_dir = tmp_path / "run"
    common = ["-m", "helpers.train_recognizer", "--data", "synthetic", "--model", "deep_emotion",
              "--model-args", json.dumps({"width": 8, "fc_width": 16}), "--subset", "256", "--batch-size", "64",
              "--run-dir", str(run_dir)]
    first = run_python(common + ["--epochs", "3", "--time-limit", "0"])  # stops after its first epoch
    assert first.returncode == 0 and "continue with --resume" in first.stdout, first.stderr[-2000:]
    again = run_python(common + ["--epochs", "3"])
    assert again.returncode == 2 and "--resume" in again.stderr  # never overwrites a run silently
    config_before = (run_dir / "config.json").read_text()
    changed = run_python(common + ["--epochs", "4", "--resume"])  # the saved schedule is for 3 epochs
    assert changed.returncode == 2 and "--epochs 3" in changed.stderr and "--init" in changed.stderr
    assert "Traceback" not in changed.stderr and (run_dir / "config.json").read_text() == config_before
    other_data = [str(tiny_csv) if a == "synthetic" else a for a in common]
    moved = run_python(other_data + ["--epochs", "3", "--resume"])  # same options, other faces
    assert moved.returncode == 2 and "trained on other data" in moved.stderr and "synthetic" in moved.stderr
    assert "Traceback" not in moved.stderr and (run_dir / "config.json").read_text() == config_before
    for _ in range(3):  # the last call finds the run finished: it trains nothing and is not a resume
        resumed = run_python(common + ["--epochs", "3", "--time-limit", "0", "--resume"])
        assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "continue with --resume" not in resumed.stdout
    history = pd.read_csv(run_dir / "history.csv")
    assert history["epoch"].tolist() == [0, 1, 2]  # each call continued, none restarted
    assert history["wall_s"].is_monotonic_increasing
    config = json.loads((run_dir / "config.json").read_text())
    from helpers.training.recipes import read_command

    assert read_command(config["command"]) == read_command(shlex.join(["python", *common, "--epochs", "3"]))
    assert config["resumed_after_epochs"] == [1, 2] and "resume" not in config

    out = tmp_path / "release.keras"
    export = run_python(["-m", "helpers.train_recognizer", "--export", str(run_dir / "best.keras"), "--out", str(out)])
    assert export.returncode == 0, export.stderr[-2000:]
    check = subprocess.run([sys.executable, "-c", (  # the release loads in a clean process
        "import helpers.models, keras, numpy as np\n"
        f"m = keras.models.load_model({str(out)!r}, safe_mode=True)\n"
        "x = np.zeros((2, 48, 48, 1), np.uint8)\n"
        "p = np.asarray(m(x)); assert p.shape == (2, 7) and np.allclose(p.sum(1), 1, atol=1e-4)\n"
        "print(m.get_layer('features').output.shape)")], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr[-2000:]
    provenance = json.loads((tmp_path / "release.json").read_text())
    assert [row["epoch"] for row in provenance["history"]] == [0, 1, 2]
    from helpers.models.provenance import load_history

    pd.testing.assert_frame_equal(load_history(tmp_path / "release.json").drop(columns="stage"), history,
                                  check_dtype=False)
    assert provenance["selected_by"] == "best PublicTest accuracy" and "--model deep_emotion" in provenance["command"]
    assert provenance["selected_epoch_publictest_accuracy"] == round(history["val_accuracy"].max(), 4)
    assert "publictest_accuracy" not in provenance  # the key `helpers.evaluate recognizer --record` writes

    # a second stage from the release continues its lineage in the provenance file
    stage2 = tmp_path / "stage2"
    second = run_python(common[:-1] + [str(stage2), "--epochs", "1", "--init", str(out), "--class-balance", "0.5",
                                         "--augment", "light"])
    assert second.returncode == 0, second.stderr[-2000:]
    assert "class weights:" in second.stdout
    assert json.loads((stage2 / "config.json").read_text())["augment"] == "light"
    export2 = run_python(["-m", "helpers.train_recognizer", "--export", str(stage2 / "best.keras"), "--out", str(out),
                          "--overwrite"])  # the new stage replaces the release, as asked
    assert export2.returncode == 0, export2.stderr[-2000:]
    lineage = json.loads((tmp_path / "release.json").read_text())
    first_stage = provenance["selected_epoch"]
    assert [s["command"] for s in lineage["stages"]] == [provenance["command"], lineage["command"]]
    assert [row["epoch"] for row in lineage["history"]] == list(range(first_stage + 1))
    assert [row["stage"] for row in lineage["history"]] == [1] * first_stage + [2]
    assert lineage["selected_epoch"] == first_stage + 1  # stage 2's only epoch is what best.keras holds
    assert lineage["training_wall_s"] == pytest.approx(provenance["training_wall_s"] + lineage["stages"][1]["wall_s"])
    mismatch = run_python(common[:-1] + [str(tmp_path / "stage3"), "--epochs", "1", "--init", str(out),
                                         "--model-args", json.dumps({"width": 4, "fc_width": 16})])
    assert mismatch.returncode == 2 and "--model-args" in mismatch.stderr and "Traceback" not in mismatch.stderr

    report = tmp_path / "eval.json"
    evaluated = run_python(["-m", "helpers.evaluate", "recognizer", str(out), "--data", "synthetic", "--split", "PrivateTest",
                            "--tta", "shifts", "--json", str(report)])
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    result = json.loads(report.read_text())
    assert result["n"] == 700 and result["tta"] == "shifts" and set(result["per_class_accuracy"]) == {
        "Angry", "Disgust", "Fear", "Happy", "Sad", "Surprise", "Neutral"}
    assert f"{100 * result['accuracy']:6.2f}%" in evaluated.stdout
    missing = run_python(["-m", "helpers.evaluate", "recognizer", str(tmp_path / "nope.keras"), "--data", "synthetic"])
    assert missing.returncode == 2 and "does not exist" in missing.stderr and "Traceback" not in missing.stderr
    lower = run_python(["-m", "helpers.evaluate", "recognizer", str(out), "--data", "synthetic", "--split", "privatetest"])
    assert lower.returncode == 0 and "PrivateTest" in lower.stdout
    for checkpoint, message in (("checkpoints/cwgan_fer2013", "is a folder: a recognizer is a single .keras file"),
                                ("checkpoints/cwgan_fer2013/generator.keras", "is not an expression recognizer")):
        wrong = run_python(["-m", "helpers.evaluate", "recognizer", checkpoint, "--data", "synthetic"])
        assert wrong.returncode == 2 and message in wrong.stderr and "Traceback" not in wrong.stderr


def test_a_missing_split_names_those_there_are():
    from helpers.errors import UserError
    from helpers.evaluation.scores import find_split

    assert find_split({"Training": 0, "PublicTest": 0}, "publictest") == "PublicTest"
    with pytest.raises(UserError, match=r"split 'PublicTest' not in the data; available: Training \(a CSV without a Usage"):
        find_split({"Training": 0}, "PublicTest")
    with pytest.raises(UserError, match="available: Training, Test$"):
        find_split({"Training": 0, "Test": 0}, "PrivateTest")


FIRST_BATCH = """
import argparse, sys
import numpy as np
from helpers.training.recognizer import training_dataset
x = np.random.default_rng(0).integers(0, 256, (96, 48, 48, 1), dtype=np.uint8)
args = argparse.Namespace(seed=0, no_augment=False, augment="full", batch_size=32)
_, labels = next(iter(training_dataset(x, np.arange(96) % 7, args, first_epoch=int(sys.argv[1]))))
print(labels.numpy().argmax(1).tolist())
"""


@pytest.mark.slow
def test_a_resumed_run_draws_new_batches():
    """Each process starts its generators afresh, and a resume is a new process: seeded with
    the epochs done, it does not replay the order of the run's first epoch, and a process
    resuming at the same point draws the same order. (The augmentations are drawn in parallel
    tf.data calls, so only their seed, not their order, is reproducible.)"""
    def first_batch(first_epoch: int) -> str:
        done = subprocess.run([sys.executable, "-c", FIRST_BATCH, str(first_epoch)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.strip().splitlines()[-1]

    resumed = first_batch(3)
    assert first_batch(0) != resumed and first_batch(3) == resumed


def test_test_time_views():
    from helpers.inference.recognition import flips, shifted_views, ten_crops

    x = np.random.default_rng(0).integers(0, 256, (3, 48, 48, 1), dtype=np.uint8)
    mirrored = flips(x)
    assert mirrored.shape == (2, 3, 48, 48, 1) and mirrored.dtype == np.float32
    assert np.array_equal(mirrored[0], x) and np.array_equal(mirrored[1], x[:, :, ::-1])
    shifted = shifted_views(x, shift=2)
    assert shifted.shape == (10, 3, 48, 48, 1)
    assert np.array_equal(shifted[0], x) and np.array_equal(shifted[1], x[:, :, ::-1])
    up = shifted[2]  # dy = -2: the face moves down by two rows; the top rows repeat row 0
    assert np.array_equal(up[:, 2:], x[:, :-2]) and np.array_equal(up[:, :2], np.repeat(x[:, :1], 2, axis=1))
    right = shifted[8]  # dx = +2: the face moves left; the last columns repeat column 47
    assert np.array_equal(right[:, :, :-2], x[:, :, 2:]) and np.array_equal(right[:, :, -1], x[:, :, -1])
    for view in range(0, 10, 2):
        assert np.array_equal(shifted[view + 1], shifted[view][:, :, ::-1])
    crops = np.asarray(ten_crops(x))
    assert crops.shape == (10, 3, 48, 48, 1) and np.allclose(crops[1], crops[0][:, :, ::-1])


def test_predict_proba_averages_the_views():
    import keras

    from helpers.errors import UserError
    from helpers.inference.recognition import TTA_VIEWS, predict_proba

    # Softmax over (left-half mean, right-half mean): a mirror swaps the two, so averaging a
    # face with its mirror gives exactly 1/2 each; one view does not.
    inputs = keras.Input((48, 48, 1))
    halves = keras.layers.Concatenate()([keras.layers.GlobalAveragePooling2D()(keras.layers.Cropping2D(((0, 0), c))(inputs))
                                         for c in ((0, 24), (24, 0))])
    model = keras.Model(inputs, keras.layers.Softmax()(halves))
    x = np.zeros((4, 48, 48, 1), np.uint8)
    x[:, :, :24] = 3
    assert not np.allclose(predict_proba(model, x, batch_size=3), 0.5)
    for tta in TTA_VIEWS:
        assert np.allclose(predict_proba(model, x, batch_size=3, tta=tta), 0.5, atol=1e-6), tta
    with pytest.raises(UserError, match="flip, shifts, ten-crop"):
        predict_proba(model, x, tta="rotate")


def test_record_names_each_protocol_and_is_dropped_with_the_weights(tmp_path):
    from helpers.models.provenance import provenance_without_evaluations
    from helpers.evaluate import record

    checkpoint = tmp_path / "model.keras"
    (tmp_path / "model.json").write_text(json.dumps({"command": "train"}))
    for split, tta in (("PrivateTest", None), ("PrivateTest", "ten-crop"), ("PublicTest", "shifts")):
        record({"checkpoint": str(checkpoint), "split": split, "tta": tta, "accuracy": 0.61234, "macro_accuracy": 0.5,
                "per_class_accuracy": {"Angry": 0.55556, "Fear": 0.4}})
    data = json.loads((tmp_path / "model.json").read_text())
    assert data["privatetest_accuracy"] == 0.6123 and data["privatetest_ten_crop_macro_accuracy"] == 0.5
    assert data["publictest_shifts_per_class_accuracy"] == {"Angry": 0.5556, "Fear": 0.4}
    assert data["evaluation_commands"]["publictest_shifts"].endswith("--split PublicTest --tta shifts")
    assert provenance_without_evaluations(tmp_path / "model.json") == {"command": "train"}


def test_judge_fingerprint_follows_the_weights():
    from helpers.inference.judge import Judge

    model = fer_vgg(widths=(8, 8, 8, 8), first_width=8, head_width=16)
    before = Judge(model=model).fingerprint
    assert Judge(model=model).fingerprint == before and len(before) == 12
    kernel = model.get_layer("probabilities").kernel
    kernel.assign(kernel + 1e-3)
    assert Judge(model=model).fingerprint != before


def test_judge_cache_is_keyed_by_weights_and_images(tmp_path, monkeypatch):
    from helpers.inference.judge import Judge

    monkeypatch.setenv("FER_CACHE_DIR", str(tmp_path))
    model = fer_vgg(widths=(8, 16), first_width=8, head_width=16)
    judge = Judge(model=model)
    x = np.random.default_rng(0).integers(0, 256, (5, 48, 48, 1), dtype=np.uint8)
    probs, features = judge.probs_and_features(x, cache=True)
    files = list((tmp_path / "judged").glob("*.npz"))
    assert len(files) == 1 and files[0].name.startswith(judge.fingerprint)
    assert np.allclose(probs, judge.probs(x), atol=1e-6)
    with np.load(files[0]) as z:  # a second call reads the file: planted values come back
        planted = {"probs": z["probs"] * 0 + 0.5, "features": z["features"]}
    np.savez(files[0], **planted)
    assert np.all(judge.probs_and_features(x, cache=True)[0] == 0.5)
    assert not np.all(judge.probs_and_features(x[:4], cache=True)[0] == 0.5)  # other images: another key
    model.get_layer("probabilities").bias.assign(np.ones(7, np.float32))
    assert not np.all(Judge(model=model).probs_and_features(x, cache=True)[0] == 0.5)  # other weights too
    assert len(list((tmp_path / "judged").glob("*.npz"))) == 3


def test_recorded_command_reproduces_a_programmatic_call():
    from helpers.options import command_for
    from helpers.training.recognizer import RecognizerConfig

    config = RecognizerConfig(model_args='{"width": 8}', epochs=2, resume=True)  # as notebook 02 builds one
    assert shlex.split(command_for(config)) == ["python", "-m", "helpers.train_recognizer", "--model-args",
                                                '{"width": 8}', "--epochs", "2"]  # --resume steers, it is no recipe


def test_class_weights_keep_the_mean_weight_at_one():
    from helpers.errors import UserError
    from helpers.training.recognizer import class_weights

    labels = np.array([0] + [1] * 4)
    assert class_weights(labels, 0.0, num_classes=2) is None
    assert class_weights(labels, 1.0, num_classes=2) == pytest.approx({0: 2.5, 1: 0.625})  # balanced: 1 x 2.5 = 4 x 0.625
    half = class_weights(labels, 0.5, num_classes=2)
    assert half[0] / half[1] == pytest.approx(2.0) and (half[0] + 4 * half[1]) / 5 == pytest.approx(1.0)
    with pytest.raises(UserError, match="every expression"):
        class_weights(labels, 0.5, num_classes=3)


def test_load_history_names_a_missing_file(tmp_path):
    from helpers.models.provenance import load_history
    from helpers.errors import UserError

    with pytest.raises(UserError, match="no training history"):
        load_history(tmp_path / "nope.json")


def test_deep_emotion_cli_forwards_a_second_stage(monkeypatch):
    import helpers.training.recognizer as train_recognizer
    from helpers.deep_emotion import main

    seen = {}
    monkeypatch.setattr(train_recognizer, "train", lambda args: seen.setdefault("args", args))
    main(["--train", "--hparams", "--epochs", "3", "--init", "checkpoints/deep_emotion_fer2013.keras",
          "--class_balance", "0.5", "--dropout", "0.2", "--run_dir", "runs/x", "--time_limit", "170"])
    args = seen["args"]
    assert (args.model, args.epochs, args.init, args.class_balance) == ("deep_emotion", 3, "checkpoints/deep_emotion_fer2013.keras", 0.5)
    assert args.time_limit == 170
    assert json.loads(args.model_args) == {"width": 64, "fc_width": 256, "batch_norm": True, "dropout": 0.2}


def test_a_refused_deep_emotion_resume_names_its_own_flags(tmp_path, monkeypatch):
    import helpers.training.recognizer as train_recognizer
    from helpers.errors import UserError
    from helpers.deep_emotion import main

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    started = {}
    monkeypatch.setattr(train_recognizer, "train", lambda args: started.setdefault("args", args))
    main(["--train", "--hparams", "--learning_rate", "0.02", "--run_dir", str(run_dir)])
    train_recognizer.write_run_config(run_dir, started["args"], "float32", "0123", resumed_after=0)
    monkeypatch.setattr(train_recognizer, "train",
                        lambda args: train_recognizer.check_resume_options(run_dir, args))
    with pytest.raises(UserError, match=r"started with --learning_rate 0.02, not --learning_rate 0.01.*new --run_dir"):
        main(["--train", "--hparams", "--learning_rate", "0.01", "--run_dir", str(run_dir), "--resume"])


def test_light_augmentation_only_flips_and_shifts():
    """``--augment light`` neither rotates nor erases: a face of vertical stripes keeps every
    row identical (flips and shifts move columns, never mix rows), where the full set does not."""
    from helpers.data.pipelines import augmenter
    from helpers.training.recognizer import AUGMENTATIONS

    stripes = np.tile(np.arange(48, dtype=np.uint8) * 5, (64, 48, 1))[..., None]  # (64, 48, 48, 1)

    def rows_identical(name: str) -> bool:
        out = augmenter(seed=0, **AUGMENTATIONS[name])(stripes).numpy()
        return bool(np.allclose(out, out[:, :1], atol=1e-3))

    assert rows_identical("light") and not rows_identical("full")


@pytest.mark.parametrize("modes", [["--export", "a.keras", "--recalibrate-bn", "b.keras"],
                                   ["--benchmark", "5", "--ensemble", "a.keras", "b.keras"]])
def test_train_recognizer_modes_refuse_to_be_combined(modes, run_python):
    done = run_python(["-m", "helpers.train_recognizer", *modes])
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "not allowed with argument" in done.stderr
