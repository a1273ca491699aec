"""CCycleGAN: the experiment-log configurations, the pairing procedure, training and the translator CLI."""
from pathlib import Path

import numpy as np
import pytest
import keras
import tensorflow as tf

from helpers.gans.ccyclegan import translation_pairs
from helpers.models.ccyclegan_nets import CONFIGS, ccyclegan_discriminator, ccyclegan_generator


def test_the_log_rows_are_configurations():
    assert list(CONFIGS) == ["T1", "T17", "T20", "T21", "T22", "T24", "T26"]
    t1, t26 = CONFIGS["T1"], CONFIGS["T26"]
    assert t1.identity_weight == pytest.approx(0.1 * t1.cycle_weight) and not t1.split_generator
    assert t26.cycle_weight == pytest.approx(0.5 * t26.adversarial_weight) == pytest.approx(0.5 * t26.classification_weight)
    assert t26.learning_rate == 1e-4 and t26.all_targets and t26.fake_zero_label and t26.expression_activation == "sigmoid"
    # each row adds exactly what the log says
    assert CONFIGS["T20"].transform_layer and not CONFIGS["T17"].transform_layer
    assert CONFIGS["T21"].expression_activation == "sigmoid" and CONFIGS["T20"].expression_activation == "softmax"
    assert CONFIGS["T22"].fake_zero_label and not CONFIGS["T21"].fake_zero_label
    assert CONFIGS["T24"].all_targets and not CONFIGS["T22"].all_targets


def test_generator_structure_follows_the_configuration():
    t1, t26 = ccyclegan_generator(CONFIGS["T1"]), ccyclegan_generator(CONFIGS["T26"])
    names26 = {layer.name for layer in t26.layers}
    assert {"G_enc", "G_dec", "transform_dense", "transform_lrelu", "transform_1x1", "transform_residual"} <= names26
    assert t26.get_layer("G_enc").output.shape[1:3] == (12, 12)  # two stride-2 convolutions
    assert "image_and_label" in {layer.name for layer in t1.layers} and "transform_dense" not in {l.name for l in t1.layers}
    x, t = tf.zeros((2, 48, 48, 1)), tf.one_hot([1, 5], 7)
    assert t26([x, t]).shape == (2, 48, 48, 1) and t1([x, t]).shape == (2, 48, 48, 1)
    realness, expression = ccyclegan_discriminator(CONFIGS["T26"])(x)
    assert expression.shape == (2, 7) and realness.shape[-1] == 1
    assert np.all((np.asarray(expression) > 0) & (np.asarray(expression) < 1))


def test_discriminator_expression_head_sees_what_differs_between_faces():
    """The head's input must vary with the image. Averaging the map after instance norm gave it
    a near-constant (spread 4% of its size) and the head learned only the class frequencies."""
    d = ccyclegan_discriminator(CONFIGS["T26"])
    features = keras.Model(d.input, d.get_layer("features").output)
    images = tf.random.stateless_uniform((16, 48, 48, 1), seed=(1, 2), minval=-1.0, maxval=1.0)
    images = images * tf.linspace(0.1, 1.0, 16)[:, None, None, None]  # faint to strong contrast
    f = np.asarray(features(images))
    spread = f.std(axis=0).mean() / np.abs(f).mean()
    assert spread > 0.3, spread


def test_all_targets_pairs_every_face_with_the_six_others():
    images = tf.reshape(tf.range(3, dtype=tf.float32), (3, 1, 1, 1))
    x, source, target = translation_pairs(images, tf.constant([0, 3, 6]), all_targets=True)
    assert x.shape[0] == 18
    for i, label in enumerate([0, 3, 6]):
        block = target.numpy()[6 * i: 6 * i + 6]
        assert sorted(block.tolist()) == sorted(set(range(7)) - {label})
        assert (source.numpy()[6 * i: 6 * i + 6] == label).all() and (x.numpy()[6 * i: 6 * i + 6] == i).all()
    _, src, tgt = translation_pairs(images, tf.constant([0, 3, 6]), all_targets=False)
    assert (src.numpy() != tgt.numpy()).all()


@pytest.fixture(scope="module")
def translator_ckpt(tmp_path_factory, run_python):
    ckpt = tmp_path_factory.mktemp("ccyclegan")
    proc = run_python(["Generative_model/ccyclegan.py", "--data", "synthetic", "--subset", "64",
                       "--config", "T26", "--epochs", "1", "--batch-size", "16", "--ckpt-dir", str(ckpt)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return ckpt


@pytest.mark.slow
@pytest.mark.parametrize("with_discriminator", [True, False])
def test_init_continues_the_release(translator_ckpt, tmp_path, with_discriminator):
    """--init copies the release's generator and the discriminator saved with it; a release without
    one (made before it was saved) gets a fresh discriminator, warmed up while the generator waits."""
    import json
    import shutil

    from helpers.gans.ccyclegan import CCycleGAN
    from helpers.data.synthetic import make_synthetic_faces
    from helpers.training.gan_release import DISCRIMINATOR, release_warm_start_fn
    from helpers.options import parse_config
    from helpers.training.ccyclegan import CCycleGANConfig, load_init

    release = tmp_path / "release"
    shutil.copytree(translator_ckpt, release)
    if not with_discriminator:
        (release / DISCRIMINATOR).unlink()
    parent = load_init(parse_config(CCycleGANConfig, ["--init", str(release), "--epochs", "2"]))
    config = CONFIGS["T26"]
    gan = CCycleGAN(ccyclegan_generator(config, 32, 2), ccyclegan_discriminator(config, 32), config)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    gan((np.zeros((1, 48, 48, 1), np.float32), np.zeros(1, np.int32)))
    d_fresh = [w.copy() for w in gan.discriminator.get_weights()]
    faces = make_synthetic_faces(32)
    dataset = tf.data.Dataset.from_tensor_slices((faces.images, faces.labels)).batch(16)
    history = tmp_path / "history.json"

    epoch, wall = release_warm_start_fn(parent, gan, dataset, history, warmup_epochs=1.0)()
    rows = json.loads(history.read_text())
    assert epoch == 1 and [row["epoch"] for row in rows] == [1]
    assert wall == rows[-1]["wall_s"] if with_discriminator else wall > rows[-1]["wall_s"]  # + the warm-up
    for copied, released in zip(gan.generator.get_weights(), parent.model.get_weights(), strict=True):
        np.testing.assert_array_equal(copied, released)
    if with_discriminator:
        saved = ccyclegan_discriminator(config, 32)
        saved.load_weights(release / DISCRIMINATOR)
        for copied, released in zip(gan.discriminator.get_weights(), saved.get_weights(), strict=True):
            np.testing.assert_array_equal(copied, released)
    assert any(not np.array_equal(a, b) for a, b in zip(gan.discriminator.get_weights(), d_fresh))


@pytest.mark.slow
@pytest.mark.parametrize("options, message", [
    (["--epochs", "1"], "--epochs must be larger"),
    (["--epochs", "3", "--width", "16"], "was trained with --config T26 --width 32 --downsamplings 2"),
])
def test_init_mismatches_are_one_clear_error(translator_ckpt, tmp_path, options, message):
    from helpers.errors import UserError
    from helpers.options import parse_config
    from helpers.training.ccyclegan import CCycleGANConfig, train

    config = parse_config(CCycleGANConfig, ["--data", "synthetic", "--subset", "32", "--init", str(translator_ckpt),
                                            "--ckpt-dir", str(tmp_path / "run"), *options])
    with pytest.raises(UserError, match=message):
        train(config)

def _faces(folder: Path, n=3):
    from PIL import Image

    from helpers.data.synthetic import make_synthetic_faces

    folder.mkdir()
    for i, img in enumerate(make_synthetic_faces(n).images):
        Image.fromarray(img[..., 0]).resize((100, 100)).convert("RGB").save(folder / f"face{i}.jpg")
    return folder


@pytest.mark.slow
def test_translator_cli(translator_ckpt, tmp_path, run_python):
    faces = _faces(tmp_path / "faces")
    (faces / "broken.png").write_bytes(b"not an image")
    out = tmp_path / "out"
    proc = run_python(["Generative_model/Expression_translator.py", str(translator_ckpt), str(faces),
                       "surprised", str(out), "--grid"])
    assert proc.returncode == 1  # one image was skipped
    assert "broken.png" in proc.stderr and "Traceback" not in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["face0.png", "face1.png", "face2.png", "translation_sheet.png"]
    from PIL import Image

    assert Image.open(out / "face0.png").size == (48, 48)
    assert Image.open(out / "translation_sheet.png").size[0] > 8 * 48  # source + 7 expressions per row
    assert (translator_ckpt / "training" / "samples" / "epoch_0001.png").exists()
    # A second run into the same folder replaces nothing unless asked to.
    before = (out / "face0.png").read_bytes()
    again = run_python(["Generative_model/Expression_translator.py", str(translator_ckpt), str(faces), "happy", str(out)])
    assert again.returncode == 2 and "already holds" in again.stderr and "--overwrite" in again.stderr
    assert (out / "face0.png").read_bytes() == before


@pytest.mark.slow
def test_translator_keeps_inputs_that_share_a_name_apart_and_never_opens_a_fifo(translator_ckpt, tmp_path, run_python):
    import os

    from PIL import Image

    faces = _faces(tmp_path / "faces", 1)
    Image.open(faces / "face0.jpg").save(faces / "face0.png")
    os.mkfifo(faces / "pipe.png")  # opening it would wait for a writer forever
    out = tmp_path / "out"
    proc = run_python(["Generative_model/Expression_translator.py", str(translator_ckpt), str(faces), "Fear", str(out)])
    assert proc.returncode == 0 and "translated 2 faces" in proc.stdout, proc.stderr[-2000:]
    assert sorted(p.name for p in out.iterdir()) == ["face0_jpg.png", "face0_png.png"]


@pytest.mark.slow
@pytest.mark.parametrize("inputs,expression,message", [
    ("missing", "Fear", "does not exist"), ("empty", "Fear", "no PNG or JPG images"), ("faces", "Bored", "unknown expression"),
])
def test_translator_cli_errors(translator_ckpt, tmp_path, inputs, expression, message, run_python):
    (tmp_path / "empty").mkdir()
    _faces(tmp_path / "faces", 1)
    proc = run_python(["Generative_model/Expression_translator.py", str(translator_ckpt),
                       str(tmp_path / inputs), expression, str(tmp_path / "out")])
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_translator_refuses_a_generator_checkpoint(tmp_path):
    from helpers.errors import UserError
    from helpers.inference.translation import load_translator

    (tmp_path / "generator.keras").write_bytes(b"not read: the kind is checked first")
    (tmp_path / "config.json").write_text('{"kind": "cwgan", "noise_dim": 4, "expressions": [0]}')
    with pytest.raises(UserError, match="is a cwgan checkpoint, a face generator, not an expression translator "
                                        r"\(ccyclegan\): use it with Generative_model/Expression_generator.py"):
        load_translator(tmp_path)


def _unchanged_translator(path):
    """A 'translator' that returns every face as it came: the reference case for the metrics."""
    from helpers.inference.translation import Translator

    return Translator(lambda inputs, training=False: inputs[0], {"kind": "ccyclegan", "config": {"name": "none"}}, path)


@pytest.mark.slow
def test_translation_metrics_of_a_translator_that_changes_nothing(tmp_path):
    from helpers.evaluation.scores import TranslationEvaluation

    r = TranslationEvaluation("synthetic", "PrivateTest", sources=140)(_unchanged_translator(tmp_path))
    assert r["translations"] == 6 * 140
    assert r["source_l1"] == 0 and r["cycle_l1"] == 0 and r["source_ssim"] == pytest.approx(1.0)
    # Nothing changed: the judge's verdicts are the untouched sources' (low: each target is another expression's face).
    assert r["target_accuracy_macro"] == pytest.approx(r["unchanged_target_accuracy_macro"])
    assert r["target_accuracy_macro"] < 0.1
    # The identity read from an untouched face is the read-out's floor, well under chance.
    assert r["identity_error_mean"] == pytest.approx(r["identity_error_floor_mean"], rel=0.05)
    assert r["identity_error_floor_mean"] < 0.5 * r["identity_error_chance_mean"]


@pytest.mark.slow
def test_translation_metrics_of_a_trained_checkpoint(translator_ckpt):
    from helpers.evaluation.reports import format_translator
    from helpers.evaluation.scores import TranslationEvaluation

    r = TranslationEvaluation("synthetic", "PrivateTest", sources=70)(translator_ckpt)
    assert r["config"] == "T26" and r["epoch"] == 1
    assert set(r["target_accuracy"]) == {"Angry", "Disgust", "Fear", "Happy", "Sad", "Surprise", "Neutral"}
    assert 0 < r["source_l1"] < 1 and -1 <= r["source_ssim"] <= 1 and 0 < r["cycle_l1"] < 1
    assert "identity-factor error" in format_translator(r)


@pytest.mark.slow
def test_loss_weight_overrides_reach_the_model_and_the_release(tmp_path):
    import json

    from helpers.training.ccyclegan import CCycleGANConfig, train

    ckpt = train(CCycleGANConfig(data="synthetic", subset=32, batch_size=16, epochs=1, cycle_weight=3,
                                 identity_weight=0.5, ckpt_dir=str(tmp_path / "run")))
    config = json.loads((ckpt / "config.json").read_text())
    assert config["loss_weights"] == {"adversarial": 2.0, "classification": 2.0, "cycle": 3.0, "identity": 0.5}
    assert (ckpt / "discriminator.weights.h5").exists()
