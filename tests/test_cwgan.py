"""Conditional WGAN-GP: training script (smoke, resume), the NaN guard, the generator CLI."""
import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers.models.provenance import load_history
from helpers.errors import UserError
from helpers.training.callbacks import GANCheckpoints, TrainingDiverged, epoch_callbacks
from helpers.training.representations import fit_expression_codes

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["--data", "synthetic", "--subset", "256", "--ae-epochs", "1", "--batch-size", "32", "--n-critic", "2",
         "--g-width", "32", "--d-width", "8", "--k", "8", "--snapshot-every", "1"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, run_python):
    ckpt = tmp_path_factory.mktemp("cwgan")
    first = run_python(["Generative_model/conditional_WGAN.py", *SMALL, "--epochs", "1", "--ckpt-dir", str(ckpt)])
    assert first.returncode == 0, first.stderr[-3000:]
    return ckpt, first


@pytest.mark.slow
def test_training_writes_release_samples_logs(trained):
    ckpt, _ = trained
    for rel in ("generator.keras", "config.json", "representation/expression_codes.npz", "training/history.json",
                "training/samples/epoch_0001.png", "training/ckpt-0001/state.json",
                "training/generators/epoch_0001/generator.keras"):
        assert (ckpt / rel).exists(), rel
    assert list((ckpt / "training" / "tensorboard").iterdir())
    config = json.loads((ckpt / "config.json").read_text())
    assert config["command"].startswith("python Generative_model/conditional_WGAN.py --data synthetic")
    assert json.loads((ckpt / "training/generators/epoch_0001/config.json").read_text())["epoch"] == 1
    assert {"real_class_loss", "fake_class_loss"} <= set(load_history(ckpt / "training" / "history.json").columns)


@pytest.mark.parametrize("features, width", [("flatten", 6 * 6 * 32), ("gap", 32)])
def test_critic_features_keep_or_pool_the_layout(features, width):
    from helpers.models import cwgan_critic

    critic = cwgan_critic(code_dim=8, width=8, num_classes=7, features=features)
    assert critic.get_layer("features").output.shape[-1] == width
    assert critic.get_layer("code_embedding").output.shape[-1] == width  # projection pairs with every feature
    score, logits = critic([np.zeros((2, 48, 48, 1), "float32"), np.zeros((2, 8), "float32")])
    assert score.shape == (2, 1) and logits.shape == (2, 7)
    with pytest.raises(ValueError, match="flatten"):
        cwgan_critic(features="max")


@pytest.mark.slow
def test_projection_only_critic_trains_without_the_classifier(tmp_path, run_python):
    proc = run_python(["Generative_model/conditional_WGAN.py", *SMALL, "--epochs", "1", "--ac-weight", "0",
                       "--d-features", "gap", "--ckpt-dir", str(tmp_path)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    history = load_history(tmp_path / "training" / "history.json")
    assert "real_class_loss" not in history.columns and np.isfinite(history["w_distance"]).all()


@pytest.mark.slow
def test_evaluate_generator_cli(trained, tmp_path, run_python):
    ckpt, _ = trained
    proc = run_python(["-m", "helpers.evaluate", "generator", str(ckpt), "--data", "synthetic", "--json", str(tmp_path / "r.json"),
                       "--over-epochs", str(tmp_path / "epochs.json")])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "conditional accuracy (macro)" in proc.stdout and "floor" in proc.stdout
    over = load_history(tmp_path / "epochs.json")
    assert over["epoch"].iloc[0] == 1 and over["epoch"].is_monotonic_increasing and (over["IS"] >= 1.0).all()
    r = json.loads((tmp_path / "r.json").read_text())
    assert r["n"] == 700 and sum(1 for _ in r["conditional_accuracy"]) == 7
    assert r["inception_score"][0] >= 1.0 and r["fid"] > r["fid_floor"] >= 0.0


@pytest.mark.slow
def test_refuses_to_overwrite_then_resumes(trained, run_python):
    ckpt, _ = trained
    again = run_python(["Generative_model/conditional_WGAN.py", *SMALL, "--epochs", "2", "--ckpt-dir", str(ckpt)])
    assert again.returncode == 2 and "--resume" in again.stderr
    other_critic = run_python(["Generative_model/conditional_WGAN.py", *SMALL, "--epochs", "2", "--ckpt-dir", str(ckpt),
                               "--resume", "--d-features", "gap"])
    assert other_critic.returncode == 2 and "--d-features flatten" in other_critic.stderr
    assert "Traceback" not in other_critic.stderr
    resumed = run_python(["Generative_model/conditional_WGAN.py", *SMALL, "--epochs", "2", "--ckpt-dir", str(ckpt), "--resume"])
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resumed" in resumed.stdout and "Epoch 2/2" in resumed.stdout and "Epoch 1/2" not in resumed.stdout
    history = load_history(ckpt / "training" / "history.json")
    assert history["epoch"].tolist() == [1, 2] and history["wall_s"].is_monotonic_increasing


@pytest.mark.slow
def test_generator_cli_writes_faces_and_keeps_files(trained, tmp_path, run_python):
    ckpt, _ = trained
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    cli = ["Generative_model/Expression_generator.py", str(ckpt)]
    first = run_python(cli + ["fear", "5", str(out), "--seed", "3"])
    assert first.returncode == 0, first.stderr[-3000:]
    assert sorted(p.name for p in out.glob("Fear_*.png")) == [f"Fear_{i:04d}.png" for i in range(1, 6)] + ["Fear_grid.png"]
    from PIL import Image

    assert Image.open(out / "Fear_0001.png").size == (48, 48) and Image.open(out / "Fear_0001.png").mode == "L"
    second = run_python(cli + ["Fear", "2", str(out), "--seed", "3", "--size", "96"])
    assert second.returncode == 0
    assert (out / "keep.txt").read_text() == "mine" and (out / "Fear_0007.png").exists()
    assert Image.open(out / "Fear_0006.png").size == (96, 96)
    # --seed reproduces: the same faces again
    third = tmp_path / "again"
    run_python(cli + ["Fear", "5", str(third), "--seed", "3"])
    assert (third / "Fear_0003.png").read_bytes() == (out / "Fear_0003.png").read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("args,message", [
    (["Bored", "3"], "unknown expression 'Bored'; valid names: Anger, Disgust, Fear, Happiness, Sadness, Surprise, Neutral"),
    (["Fear", "0"], "argument amount: must be 1 to 100,000, got 0"),
    (["Fear", "1000000000"], "argument amount: must be 1 to 100,000, got 1000000000"),
    (["Fear", "many"], "argument amount: must be a whole number, 1 to 100,000; got 'many'"),
    (["Fear", "3", "--seed", "-1"], "argument --seed: must be 0 to 4,294,967,295, got -1"),
])
def test_generator_cli_errors_are_one_line(trained, tmp_path, args, message, run_python):
    ckpt, _ = trained
    proc = run_python(["Generative_model/Expression_generator.py", str(ckpt), args[0], args[1], str(tmp_path / "o"), *args[2:]])
    assert proc.returncode == 2 and not (tmp_path / "o").exists()
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0] and "Traceback" not in proc.stderr


def test_generator_cli_bad_checkpoint_and_output(tmp_path, run_python):
    bad = tmp_path / "broken"
    bad.mkdir()
    (bad / "generator.keras").write_bytes(b"nope")
    (bad / "config.json").write_text('{"kind": "cwgan", "noise_dim": 4, "expressions": [0]}')
    translator = tmp_path / "translator"
    translator.mkdir()
    (translator / "generator.keras").write_bytes(b"nope")
    (translator / "config.json").write_text('{"kind": "ccyclegan", "expressions": [0]}')
    shipped = "checkpoints/sngan_fer2013"  # the main command's generator
    for ckpt, out, message in ((tmp_path / "missing", tmp_path / "o", "does not exist"),
                               (bad, tmp_path / "o", "not a loadable Keras model"),
                               (translator, tmp_path / "o", "is a ccyclegan checkpoint, an expression translator, not a "
                                "face generator (cwgan/dcgan/projection_cgan): use it with Generative_model/Expression_translator.py"),
                               ("checkpoints/recognizer_fer2013.keras", tmp_path / "o", "is a lone model file"),
                               (shipped, Path("/proc/forbidden"), "cannot be written")):
        proc = run_python(["Generative_model/Expression_generator.py", str(ckpt), "Fear", "2", str(out)])
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()  # nothing is created before the checkpoint has loaded
    proc = run_python(["Generative_model/Expression_generator.py", shipped, "Fear", "2", str(tmp_path / "o"), "--size", "100"])
    assert proc.returncode == 2 and "--size must be a multiple of 48" in proc.stderr and not (tmp_path / "o").exists()
    proc = run_python(["Generative_model/Expression_generator.py", shipped, "Fear", "1", str(tmp_path / "o"), "--size", "96"])
    assert proc.returncode == 0 and "wrote 1 Fear face to" in proc.stdout


def test_generation_in_batches_draws_the_same_faces():
    from helpers.inference.generators import load_generator

    generator = load_generator("checkpoints/cwgan_fer2013")
    whole = generator.generate(3, 5, seed=7)
    assert whole.shape == (5, 48, 48, 1) and np.array_equal(generator.generate(3, 5, seed=7, batch_size=2), whole)
    assert generator.generate(3, 0).shape == (0, 48, 48, 1)


def test_nan_guard_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    class Exploding(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)
            self.explode = tf.Variable(False, trainable=False)

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            return {"g_loss": tf.where(self.explode, float("nan"), 1.0)}

    model = Exploding()
    model(np.zeros((1, 2), "float32"))
    model.compile(optimizer=keras.optimizers.Adam())
    checkpoints = GANCheckpoints(tmp_path, {"net": model}, {})
    data = tf.data.Dataset.from_tensor_slices(np.zeros((4, 2), "float32")).batch(2)
    explode_after_first = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: model.explode.assign(True))
    callbacks = epoch_callbacks(tmp_path, wall=0.0, time_limit=None, kept=checkpoints.describe_last,
                                saving=[checkpoints, explode_after_first])
    with pytest.raises(TrainingDiverged, match=r"epoch 2: g_loss became NaN/inf; stopped. The last good checkpoint \(ckpt-0001\)"):
        model.fit(data, epochs=3, verbose=0, callbacks=callbacks, shuffle=False)
    assert [p.name for p in checkpoints.checkpoints()] == ["ckpt-0001"]


def test_restored_run_continues_exactly_like_the_uninterrupted_one(tmp_path):
    """Weights and Adam moments come back in the right order: one more step after a restore
    lands on the same weights as that step without the interruption."""
    def make():
        keras.utils.set_random_seed(0)
        net = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.LayerNormalization(),
                                keras.layers.Dense(1)])
        return net, keras.optimizers.Adam(1e-2, beta_1=0.5, beta_2=0.9)

    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")

    def step(net, opt):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(net(x) - 1.0))
        opt.apply_gradients(zip(tape.gradient(loss, net.trainable_variables), net.trainable_variables))

    net, opt = make()
    for _ in range(3):
        step(net, opt)
    GANCheckpoints(tmp_path, {"net": net}, {"net": opt}).save({"epoch": 1, "wall_s": 0.0})
    step(net, opt)

    fresh, fresh_opt = make()
    assert GANCheckpoints(tmp_path, {"net": fresh}, {"net": fresh_opt}).restore()["epoch"] == 1
    assert int(fresh_opt.iterations) == 3
    step(fresh, fresh_opt)
    for a, b in zip(net.get_weights(), fresh.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_a_resumed_run_is_seeded_past_its_completed_epochs(tmp_path):
    """A fresh process restarts every generator: a resume must not replay the first epochs' batches."""
    from helpers.training.cwgan import CWGANConfig
    from helpers.training.gan_pipeline import begin_run

    def run(resume):
        return CWGANConfig(seed=5, ckpt_dir=str(tmp_path), resume=resume)

    net = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    assert begin_run(run(resume=True)) == 5  # nothing to resume: the run's own seed
    draws = np.random.rand(3)
    assert begin_run(run(resume=False)) == 5 and np.array_equal(np.random.rand(3), draws)
    GANCheckpoints(tmp_path / "training", {"net": net}, {}).save({"epoch": 4, "wall_s": 0.0})
    with pytest.raises(UserError, match="already holds checkpoints: pass --resume"):
        begin_run(run(resume=False))
    assert begin_run(run(resume=True)) == 9
    keras.utils.set_random_seed(9)
    after_four = np.random.rand(3)
    begin_run(run(resume=True))
    assert np.array_equal(np.random.rand(3), after_four) and not np.array_equal(after_four, draws)


def test_restoring_into_a_different_network_is_one_clear_error(tmp_path):
    def net(width):
        return keras.Sequential([keras.Input((3,)), keras.layers.Dense(width), keras.layers.Dense(1)])

    GANCheckpoints(tmp_path, {"generator": net(4)}, {}).save({"epoch": 1, "wall_s": 0.0})
    with pytest.raises(UserError, match="saved 'generator' network does not fit"):
        GANCheckpoints(tmp_path, {"generator": net(5)}, {}).restore()


def test_expression_codes_recipe():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(7), 30)
    codes = rng.normal(size=(210, 20)) + 3 * np.eye(7, 20)[labels]
    reps, pca = fit_expression_codes(codes, labels, k=6)
    assert reps.shape == (7, 6) and np.allclose(np.linalg.norm(reps, axis=1), 1.0, atol=1e-5)
    # class means of the whitened projections, rescaled
    proj = pca.transform(codes)
    mean3 = proj[labels == 3].mean(0)
    assert np.allclose(reps[3], mean3 / np.linalg.norm(mean3), atol=1e-5)


@pytest.mark.slow
def test_init_continues_a_release_with_a_guide(trained, tmp_path, run_python):
    """--init copies the release's generator, warms up a fresh critic where the release has none
    (and continues with the saved one where it has), and --guide adds the frozen recognizer's loss."""
    import shutil

    from helpers.training.gan_release import DISCRIMINATOR
    from helpers.inference.recognition import load_recognizer, weights_fingerprint

    ckpt, _ = trained
    release = tmp_path / "release"
    shutil.copytree(ckpt / "training" / "generators" / "epoch_0001", release)
    (release / DISCRIMINATOR).unlink()
    guide = "checkpoints/deep_emotion_fer2013.keras"
    first = run_python(["Generative_model/conditional_WGAN.py", *SMALL, "--epochs", "2", "--init", str(release),
                        "--guide", guide, "--ckpt-dir", str(tmp_path / "a")])
    assert first.returncode == 0, first.stderr[-3000:]
    assert "discriminator-only steps" in first.stdout  # the release has no critic: a fresh one, warmed up
    assert "Epoch 2/2" in first.stdout and "Epoch 1/2" not in first.stdout
    config = json.loads((tmp_path / "a" / "config.json").read_text())
    assert config["epoch"] == 2 and config["init"]["epoch"] == 1 and config["init"]["discriminator"] == "fresh"
    assert config["guide"]["fingerprint"] == weights_fingerprint(load_recognizer(guide))
    history = load_history(tmp_path / "a" / "training" / "history.json")
    assert history["epoch"].tolist() == [2] and np.isfinite(history["guide_loss"]).all()
    assert (tmp_path / "a" / DISCRIMINATOR).exists()

    second = run_python(["Generative_model/conditional_WGAN.py", *SMALL, "--epochs", "3", "--init", str(tmp_path / "a"),
                         "--ckpt-dir", str(tmp_path / "b")])
    assert second.returncode == 0, second.stderr[-3000:]
    assert "generator and discriminator from" in second.stdout and "Epoch 3/3" in second.stdout
    assert json.loads((tmp_path / "b" / "config.json").read_text())["init"]["discriminator"] == "from release"
    assert load_history(tmp_path / "b" / "training" / "history.json")["epoch"].tolist() == [2, 3]

    # Resumed without repeating --init: the run keeps the release's codes and its lineage.
    third = run_python(["Generative_model/conditional_WGAN.py", *SMALL, "--epochs", "4", "--ckpt-dir", str(tmp_path / "b"),
                        "--resume"])
    assert third.returncode == 0, third.stderr[-3000:]
    before, after = config, json.loads((tmp_path / "b" / "config.json").read_text())
    assert after["epoch"] == 4 and after["codes"] == before["codes"] and after["init"]["epoch"] == 2
    unguided = run_python(["Generative_model/conditional_WGAN.py", *SMALL, "--epochs", "3", "--ckpt-dir", str(tmp_path / "a"),
                           "--resume"])
    assert unguided.returncode == 2 and f"--guide {guide} --guide-weight 1.0" in unguided.stderr


@pytest.mark.slow
@pytest.mark.parametrize("options, message", [
    (["--epochs", "1"], "--epochs must be larger"),
    (["--epochs", "3", "--g-width", "16"], "was trained with --noise-dim 100 --g-width 32"),
    (["--epochs", "30", "--init", str(ROOT / "checkpoints" / "dcgan_fer2013")], "is a dcgan release, not a cwgan one"),
    (["--epochs", "3", "--guide", "checkpoints/judge/fer_judge_v1.keras"], "is the judge"),
    (["--epochs", "3", "--d-width", "16"], "does not fit this run's discriminator"),
])
def test_init_and_guide_mistakes_are_one_clear_error(trained, tmp_path, options, message):
    from helpers.options import parse_config
    from helpers.training.cwgan import CWGANConfig, train

    ckpt, _ = trained
    config = parse_config(CWGANConfig, [*SMALL, "--init", str(ckpt), "--ckpt-dir", str(tmp_path / "run"), *options])
    with pytest.raises(UserError, match=message):
        train(config)


def test_guide_views_are_differentiable_uint8_valued_faces():
    from helpers.gans.cwgan import guide_views

    fake = tf.Variable(tf.random.uniform((4, 48, 48, 1), -1.0, 1.0))
    with tf.GradientTape() as tape:
        views = guide_views(fake)
        total = tf.reduce_sum(views)
    assert views.shape == (4, 48, 48, 1)
    assert float(tf.reduce_min(views)) >= 0.0 and float(tf.reduce_max(views)) <= 255.0
    grad = tape.gradient(total, fake)
    assert grad is not None and float(tf.reduce_sum(grad)) > 0.0
    still = tf.zeros((2, 48, 48, 1))  # a flat face looks the same from every view
    np.testing.assert_allclose(guide_views(still).numpy(), 127.5)


def test_a_release_can_set_its_default_truncation(tmp_path, run_python):
    """``python -m helpers.generation CKPT --truncation T`` makes T the release's default: samples
    without their own --truncation stay within ±T; ``inf`` removes it again."""
    import math
    import shutil

    from helpers.inference.generators import load_generator

    release = tmp_path / "release"
    shutil.copytree(ROOT / "checkpoints" / "cwgan_fer2013", release, ignore=shutil.ignore_patterns("*.tflite"))
    assert run_python(["-m", "helpers.generation", str(release), "--truncation", "inf"]).returncode == 0
    assert load_generator(release).truncation() == math.inf
    proc = run_python(["-m", "helpers.generation", str(release), "--truncation", "1.0"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    gen = load_generator(release)
    assert gen.config["truncation"] == 1.0 and np.abs(gen.noise(500, seed=0)).max() <= 1.0
    assert np.abs(gen.noise(500, seed=0, truncation=math.inf)).max() > 1.0  # asked for none
    assert np.abs(gen.noise(500, seed=0, truncation=2.0)).max() > 1.0
    with pytest.raises(UserError, match="must be at least 0.1"):
        gen.noise(4, truncation=0)
    with pytest.raises(UserError, match="must be at least 0.1"):  # a bound, not minutes of redrawing
        gen.noise(4, truncation=1e-6)
    assert np.abs(gen.noise(16, seed=0, truncation=0.1)).max() <= 0.1
    assert run_python(["-m", "helpers.generation", str(release), "--truncation", "inf"]).returncode == 0
    assert "truncation" not in load_generator(release).config
    bad = run_python(["-m", "helpers.generation", str(release), "--truncation", "-1"])
    assert bad.returncode != 0 and "0.1 or more, or inf" in bad.stderr and "Traceback" not in bad.stderr


def test_critic_arity_comes_from_the_network_not_the_loss_weight():
    """A critic with a class head and a zero weight still trains on its score alone; a weight
    without a head is refused when the model is built."""
    from helpers.gans.cwgan import ConditionalWGAN
    from helpers.models import cwgan_critic, cwgan_generator

    codes = np.eye(7, 4, dtype=np.float32)
    generator, critic = cwgan_generator(8, 4, width=8), cwgan_critic(4, width=4, num_classes=7)
    gan = ConditionalWGAN(generator, critic, codes, noise_dim=8, n_critic=1, ac_weight=0.0)
    gan.compile(keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4))
    images = np.random.default_rng(0).integers(0, 256, (4, 48, 48, 1)).astype(np.uint8)
    logs = gan.train_step((tf.constant(images), tf.constant([0, 1, 2, 3])))
    assert np.isfinite(float(logs["d_loss"])) and np.isfinite(float(logs["w_distance"]))
    with pytest.raises(ValueError, match="class head"):
        ConditionalWGAN(generator, cwgan_critic(4, width=4), codes, noise_dim=8, ac_weight=1.0)


def test_a_continuation_can_start_its_discriminator_afresh(tmp_path):
    from types import SimpleNamespace

    from helpers.training.gan_release import DISCRIMINATOR, init_discriminator

    release = SimpleNamespace(path=tmp_path)
    assert init_discriminator(release, fresh=False) == "fresh"  # a release that kept none
    (tmp_path / DISCRIMINATOR).write_bytes(b"")
    assert init_discriminator(release, fresh=False) == "from release"
    assert init_discriminator(release, fresh=True) == "fresh"
