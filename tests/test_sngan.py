"""The projection cGAN: DiffAugment's transforms, class-balanced sampling, the EMA generator, the
projection discriminator, and a smoke run through the shared pipeline to Expression_generator.py."""
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers.gans.augment import diff_augment, random_cutout, random_translation
from helpers.models.sngan_nets import sngan_discriminator, sngan_generator
from helpers.training.sngan import balanced_dataset, class_sampling_weights


def test_translation_moves_every_face_by_at_most_an_eighth():
    x = np.zeros((64, 48, 48, 1), "float32")
    x[:, 24, 24, 0] = 1.0
    moved = random_translation(tf.constant(x)).numpy()
    assert moved.shape == x.shape and np.allclose(moved.sum(axis=(1, 2, 3)), 1.0)  # the dot stays inside
    shifts = np.array([np.argwhere(face[..., 0])[0] for face in moved]) - 24
    assert np.abs(shifts).max() <= 6 and len({tuple(s) for s in shifts}) > 10


def test_cutout_blanks_one_square_of_a_quarter_or_less():
    x = tf.ones((256, 48, 48, 1))
    out = random_cutout(x).numpy()
    blanked = (out == 0).mean(axis=(1, 2, 3))
    assert blanked.max() == pytest.approx(0.25) and blanked.min() > 0.0 and set(np.unique(out)) == {0.0, 1.0}


def test_diff_augment_is_differentiable_and_checks_its_policy():
    x = tf.Variable(tf.random.uniform((4, 48, 48, 1), -1, 1))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(diff_augment(x))
    grad = tape.gradient(loss, x)
    assert grad is not None and float(tf.reduce_sum(tf.abs(grad))) > 0
    assert np.array_equal(diff_augment(x, ()).numpy(), x.numpy())
    with pytest.raises(ValueError, match="unknown DiffAugment"):
        diff_augment(x, ("flip",))


def test_class_sampling_weights_go_from_the_data_to_uniform():
    labels = np.repeat(np.arange(7), [400, 40, 400, 800, 400, 400, 0])
    natural, uniform, root = (class_sampling_weights(labels, p) for p in (0.0, 1.0, 0.5))
    np.testing.assert_allclose(natural, np.bincount(labels, minlength=7) / len(labels))
    np.testing.assert_allclose(uniform, [1 / 6] * 6 + [0.0])
    assert root[6] == 0.0 and natural[1] < root[1] < uniform[1] and root.sum() == pytest.approx(1.0)


def test_balanced_batches_draw_the_rare_expression_as_often_as_the_rest():
    labels = np.repeat(np.arange(7), [300, 20, 300, 300, 300, 300, 300])
    faces = labels.astype("uint8")[:, None, None, None] * np.ones((1, 48, 48, 1), "uint8")
    drawn = np.concatenate([y.numpy() for _, y in balanced_dataset(faces, labels, 64, seed=0, power=1.0).take(40)])
    share = np.bincount(drawn, minlength=7) / len(drawn)
    assert abs(share[1] - 1 / 7) < 0.03 and share.min() > 0.1  # the data's share of Disgust is 1/91
    faces_of, _ = next(iter(balanced_dataset(faces, labels, 64, seed=0, power=1.0)))
    assert faces_of.dtype == tf.uint8


def test_spectral_layers_divide_by_the_largest_singular_value_without_touching_the_kernel():
    from helpers.models.layers import SpectralConv2D, SpectralDense

    keras.utils.set_random_seed(0)  # the power iteration's start, and so its convergence in 30 steps
    conv, dense = SpectralConv2D(16, 4, strides=2, padding="same"), SpectralDense(5)
    x, z = tf.random.normal((2, 12, 12, 8)), tf.random.normal((3, 7))
    conv(x), dense(z)
    kernel = conv.kernel.numpy().copy()
    for _ in range(30):  # power iterations, one per training call
        conv(x, training=True)
    np.testing.assert_array_equal(conv.kernel.numpy(), kernel)
    normalised = conv.normalised_kernel(False).numpy().reshape(-1, 16)
    assert np.linalg.svd(normalised, compute_uv=False)[0] == pytest.approx(1.0, abs=0.02)
    for _ in range(30):
        dense(z, training=True)
    with tf.GradientTape() as tape:
        out = dense(z, training=True)
        total = tf.reduce_sum(out)
    grad, kernel = tape.gradient(total, dense.kernel).numpy(), dense.kernel.numpy()
    dense.kernel.assign(kernel * 3.0)  # the output does not depend on the kernel's scale ...
    np.testing.assert_allclose(dense(z).numpy(), out.numpy(), rtol=1e-4, atol=1e-5)
    # ... so, with sigma in the forward pass, the gradient has no component along the kernel
    cosine = np.sum(grad * kernel) / (np.linalg.norm(grad) * np.linalg.norm(kernel))
    assert np.linalg.norm(grad) > 0 and abs(cosine) < 1e-4


def test_a_weights_file_keeps_the_power_iteration(tmp_path):
    d, copy = sngan_discriminator(8), sngan_discriminator(8)
    inputs = [tf.random.uniform((4, 48, 48, 1), -1, 1), tf.constant([[0], [1], [2], [3]])]
    for _ in range(3):
        d(inputs, training=True)
    d.save_weights(tmp_path / "d.weights.h5")
    copy.load_weights(tmp_path / "d.weights.h5")
    for saved, loaded in zip(d.weights, copy.weights):
        np.testing.assert_array_equal(saved.numpy(), loaded.numpy())
    assert sum("vector_u" in w.path for w in copy.weights) == 6


def test_projection_discriminator_scores_the_pair_not_the_face():
    d = sngan_discriminator(8)
    for layer in d.layers:  # perturb the projection so that labels matter from the start
        if "label_projection" in layer.name:
            layer.set_weights([np.random.default_rng(0).normal(size=w.shape).astype("float32") for w in layer.get_weights()])
    face = tf.random.uniform((1, 48, 48, 1), -1, 1)
    scores = [float(d([face, tf.constant([[e]])])[0, 0]) for e in range(7)]
    assert len(set(np.round(scores, 5))) == 7
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in d.layers)


def test_the_generator_follows_the_label_through_conditional_batch_norm():
    g = sngan_generator(16, 8)
    for layer in g.layers:
        if layer.name.endswith("_gamma"):
            layer.set_weights([np.random.default_rng(1).normal(size=w.shape).astype("float32") for w in layer.get_weights()])
    z = tf.random.normal((2, 16))
    happy, sad = g([z, tf.constant([[3], [3]])]), g([z, tf.constant([[4], [4]])])
    assert happy.shape == (2, 48, 48, 1) and float(tf.reduce_max(tf.abs(happy - sad))) > 1e-3


def test_the_sampling_generator_is_a_moving_average():
    from helpers.gans.sngan import ProjectionSNGAN

    gan = ProjectionSNGAN(sngan_generator(16, 8), sngan_discriminator(8), noise_dim=16, ema_decay=0.9)
    gan.compile(d_optimizer=keras.optimizers.Adam(), g_optimizer=keras.optimizers.Adam())
    gan.g_optimizer.build(gan.generator.trainable_variables)
    gan.g_optimizer.iterations.assign(1000)  # past the ramp: the decay is ema_decay
    before = [w.copy() for w in gan.ema_generator.get_weights()]
    shifted = [w + 1.0 for w in gan.generator.get_weights()]
    gan.generator.set_weights(shifted)
    gan.update_ema()
    for average, old, new in zip(gan.ema_generator.get_weights(), before, shifted):
        np.testing.assert_allclose(average, 0.9 * old + 0.1 * new, rtol=1e-5, atol=1e-6)
    assert gan.release_generator is gan.ema_generator and "release_generator" in gan.checkpointed()


def test_the_expression_head_learns_from_real_faces_and_adds_to_the_hinge_loss(monkeypatch):
    import helpers.gans.sngan as module
    from helpers.gans.sngan import ProjectionSNGAN

    with pytest.raises(ValueError, match="class head"):
        ProjectionSNGAN(sngan_generator(16, 8), sngan_discriminator(8), noise_dim=16, ac_weight=0.5)
    gan = ProjectionSNGAN(sngan_generator(16, 8), sngan_discriminator(8, num_classes=7), noise_dim=16, ac_weight=0.5)
    gan.compile(d_optimizer=keras.optimizers.Adam(), g_optimizer=keras.optimizers.Adam())
    real, labels = tf.random.uniform((4, 48, 48, 1), -1, 1, seed=0), tf.constant([0, 1, 5, 6])
    _, logits = gan.discriminator([real, labels[:, None]])
    log_p = np.log(keras.ops.convert_to_numpy(keras.ops.softmax(logits)))
    expected = -np.mean(log_p[np.arange(4), [0, 1, 5, 6]])
    hinge = {}
    original = module.hinge_discriminator_loss
    monkeypatch.setattr(module, "hinge_discriminator_loss", lambda r, f: hinge.setdefault("loss", original(r, f)))
    terms = gan.discriminator_step(real, labels)
    np.testing.assert_allclose(float(terms["real_class_loss"]), expected, rtol=1e-5)
    np.testing.assert_allclose(float(terms["d_loss"]), float(hinge["loss"]) + 0.5 * expected, rtol=1e-5)
    assert {m.name for m in gan.metrics} >= {"real_class_loss", "fake_class_loss"}

    gan.ac_label_smoothing = 0.2  # the head's targets on real faces: 0.8 one-hot + 0.2 spread evenly
    _, logits = gan.discriminator([real, labels[:, None]])
    log_p = np.log(keras.ops.convert_to_numpy(keras.ops.softmax(logits)))
    smoothed = 0.8 * -np.mean(log_p[np.arange(4), [0, 1, 5, 6]]) - 0.2 * log_p.mean()
    np.testing.assert_allclose(float(gan.discriminator_step(real, labels)["real_class_loss"]), smoothed, rtol=1e-5)


def test_the_r1_penalty_is_the_squared_input_gradient_of_the_real_scores_and_moves_the_discriminator(monkeypatch):
    import helpers.gans.sngan as module
    from helpers.gans.sngan import ProjectionSNGAN

    def gan_with(r1_weight, weights=None):
        gan = ProjectionSNGAN(sngan_generator(16, 8), sngan_discriminator(8), noise_dim=16, r1_weight=r1_weight)
        gan.compile(d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.SGD(0.1))
        if weights:
            gan.generator.set_weights(weights[0])
            gan.discriminator.set_weights(weights[1])
        return gan

    real, labels = tf.random.uniform((4, 48, 48, 1), -1, 1, seed=0), tf.constant([0, 1, 5, 6])
    gan = gan_with(2.0)
    start = (gan.generator.get_weights(), gan.discriminator.get_weights())
    with tf.GradientTape() as tape:
        tape.watch(real)
        scores = gan.discriminator([real, labels[:, None]])
    grads = tape.gradient(scores, real).numpy()  # of their sum
    expected = 0.5 * 2.0 * np.mean(np.sum(grads ** 2, axis=(1, 2, 3)))
    hinge = {}
    original = module.hinge_discriminator_loss
    monkeypatch.setattr(module, "hinge_discriminator_loss", lambda r, f: hinge.setdefault("loss", original(r, f)))
    terms = gan.discriminator_step(real, labels)
    assert expected > 0 and "r1_penalty" in {m.name for m in gan.metrics}
    np.testing.assert_allclose(float(terms["r1_penalty"]), expected, rtol=1e-4)
    np.testing.assert_allclose(float(terms["d_loss"]), float(hinge["loss"]) + float(terms["r1_penalty"]), rtol=1e-5)

    monkeypatch.undo()
    stepped = {}  # the same start and noise: only the penalty's own gradient can tell the steps apart
    for name, r1_weight in (("without", 0.0), ("again without", 0.0), ("with", 100.0)):
        other = gan_with(r1_weight, start)
        keras.utils.set_random_seed(3)
        other.discriminator_step(real, labels)
        stepped[name] = np.concatenate([w.ravel() for w in other.discriminator.get_weights()])
    assert "r1_penalty" not in {m.name for m in gan_with(0.0).metrics}
    np.testing.assert_array_equal(stepped["without"], stepped["again without"])
    assert np.abs(stepped["with"] - stepped["without"]).max() > 1e-4


@pytest.mark.parametrize("flag, value, message", [("--ac-label-smoothing", "1", "must be 0 to below 1, got 1"),
                                                   ("--ac-weight", "-1", "must be 0 to 1000, got -1"),
                                                   ("--ac-weight", "nan", "must be 0 to 1000, got nan"),
                                                   ("--class-balance", "2", "must be 0 to 1, got 2"),
                                                   ("--g-lr", "0", "must be above 0 and at most 1, got 0"),
                                                   ("--batch-size", "0", "must be 1 to 65,536, got 0"),
                                                   ("--keep", "-1", "must be 1 to 1,000, got -1"),
                                                   ("--cpu-devices", "-2", "must be 0 to 256, got -2")])
def test_out_of_range_options_are_refused_before_any_data_is_read(flag, value, message, capsys):
    from helpers.cli import config_parser
    from helpers.training.sngan import SNGANConfig

    with pytest.raises(SystemExit) as stop:
        config_parser(SNGANConfig, "").parse_args(["--data", "/nonexistent.csv", flag, value])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1 and f"argument {flag}: {message}" in err


@pytest.mark.slow
def test_smoke_training_writes_a_release_that_generates_on_both_backends(tmp_path, run_python):
    """Resume and the time limit are the shared pipeline's, tested with the other GANs."""
    from helpers.inference.generators import load_generator

    ckpt = tmp_path / "sngan"
    command = ["Generative_model/sngan.py", "--data", "synthetic", "--subset", "128", "--batch-size", "32",
               "--g-width", "8", "--d-width", "8", "--epochs", "1", "--ckpt-dir", str(ckpt)]
    done = run_python(command)
    assert done.returncode == 0, done.stderr[-3000:]
    [row] = json.loads((ckpt / "training" / "history.json").read_text())
    assert row["epoch"] == 1 and np.isfinite(row["d_loss"]) and np.isfinite(row["g_loss"])
    config = json.loads((ckpt / "config.json").read_text())
    assert config["kind"] == "projection_cgan" and config["epoch"] == 1 and len(config["sampling_weights"]) == 7
    released = json.loads(keras.saving.load_model(ckpt / "generator.keras", safe_mode=True).to_json())
    assert "FusedBatchNorm" not in json.dumps(released)  # a release is stock Keras layers only
    keras_faces = load_generator(ckpt, backend="keras").generate(1, 4, seed=0)
    litert_faces = load_generator(ckpt, backend="litert").generate(1, 4, seed=0)  # the twin of a completed run
    assert np.abs(keras_faces.astype(int) - litert_faces.astype(int)).max() <= 1
    out = run_python(["Generative_model/Expression_generator.py", str(ckpt), "Disgust", "3", str(tmp_path / "out")])
    assert out.returncode == 0 and len(list((tmp_path / "out").glob("Disgust_0*.png"))) == 3, out.stderr[-3000:]
    bad = run_python(command + ["--resume", "--augment", "color,flip"])
    assert bad.returncode == 2 and "unknown transform flip" in bad.stderr

    # a new machine continues the release: generator and discriminator from it, epochs counting on
    continued = tmp_path / "continued"
    init = [a if a != str(ckpt) else str(continued) for a in command] + ["--init", str(ckpt), "--epochs", "2"]
    done = run_python(init)
    assert done.returncode == 0, done.stderr[-3000:]
    assert [r["epoch"] for r in json.loads((continued / "training" / "history.json").read_text())] == [1, 2]
    assert json.loads((continued / "config.json").read_text())["init"]["discriminator"] == "from release"
    wider = run_python([a if a != str(continued) else str(tmp_path / "wider") for a in init] + ["--g-width", "16"])
    assert wider.returncode == 2 and "--g-width 8" in wider.stderr
    deeper = tmp_path / "deeper"  # residual blocks added to a release's networks
    done = run_python([a if a != str(continued) else str(deeper) for a in init] + ["--blocks", "1"])
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads((deeper / "config.json").read_text())["init"]["discriminator"] == "from release, with new layers"
    assert load_generator(deeper).generate(0, 2, seed=0).shape == (2, 48, 48, 1)

    # a release without an expression head continued with one: the head is new, the rest carried over
    headed = tmp_path / "headed"
    done = run_python([a if a != str(continued) else str(headed) for a in init] + ["--ac-weight", "1", "--d-warmup-epochs", "0.5"])
    assert done.returncode == 0, done.stderr[-3000:]
    assert "a new expression head on its discriminator" in done.stdout
    [row] = [r for r in json.loads((headed / "training" / "history.json").read_text()) if r["epoch"] == 2]
    assert np.isfinite(row["real_class_loss"]) and np.isfinite(row["fake_class_loss"])
    assert json.loads((headed / "config.json").read_text())["init"]["discriminator"] == "from release, with a new expression head"


@pytest.mark.slow
def test_self_attention_starts_as_the_identity_and_ships_as_stock_keras_on_both_backends(tmp_path):
    from helpers.inference.generators import load_generator
    from helpers.training.gan_release import save_generator
    from helpers.models.release import float32_copy

    g, d = sngan_generator(16, 8, attention=True), sngan_discriminator(8, attention=True)
    z, labels = tf.random.normal((3, 16), seed=0), tf.constant([[0], [3], [6]])
    faces = tf.random.uniform((3, 48, 48, 1), -1, 1, seed=0)
    for model, inputs in ((g, [z, labels]), (d, [faces, labels])):
        block = model.get_layer("attention24_add")
        probe = keras.Model(model.inputs, [block.input[0], block.output])
        before, after = probe(inputs)
        np.testing.assert_array_equal(before.numpy(), after.numpy())  # a fresh block adds nothing...
    out = g.get_layer("attention24_out")
    out.set_weights([np.random.default_rng(0).normal(0, 0.5, w.shape).astype("float32") for w in out.get_weights()])
    before, after = keras.Model(g.inputs, [g.get_layer("attention24_add").input[0], g.get_layer("attention24_add").output])([z, labels])
    assert float(tf.reduce_max(tf.abs(after - before))) > 1e-3  # ...until it learns to

    config = {"kind": "sngan", "image_size": 48, "noise_dim": 16, "conditioning": "label", "output": "tanh",
              "expressions": list(range(7))}
    save_generator(tmp_path, float32_copy(g), config)
    released = json.dumps(json.loads(keras.saving.load_model(tmp_path / "generator.keras", safe_mode=True).to_json()))
    assert "helpers" not in released and "FusedBatchNorm" not in released  # loads without this project's code
    keras_faces = load_generator(tmp_path, backend="keras").generate(5, 4, seed=0)
    litert_faces = load_generator(tmp_path, backend="litert").generate(5, 4, seed=0)
    assert np.abs(keras_faces.astype(int) - litert_faces.astype(int)).max() <= 1


def test_init_refuses_a_release_of_other_networks_and_reads_old_releases_as_without_attention():
    from helpers.errors import UserError
    from helpers.options import replace
    from helpers.training.sngan import SNGANConfig, load_init

    config = replace(SNGANConfig(), init="checkpoints/sngan_fer2013", epochs=60)
    parent = load_init(config)  # recorded no --attention
    assert parent.config["epoch"] == 42
    with pytest.raises(UserError, match=r"trained with --noise-dim 128 --g-width 32 --d-width 32; pass the same"):
        load_init(replace(config, attention=True))


def test_a_release_that_records_the_kind_by_its_other_name_loads_and_reports_as_the_projection_cgan(tmp_path):
    import shutil

    from helpers.evaluation.reports import generator_summary
    from helpers.inference.generators import load_generator

    release = tmp_path / "older"
    shutil.copytree("checkpoints/sngan_fer2013", release, ignore=shutil.ignore_patterns("training", "*.tflite"))
    config = json.loads((release / "config.json").read_text())
    (release / "config.json").write_text(json.dumps({**config, "kind": "sngan"}))
    older, shipped = load_generator(release), load_generator("checkpoints/sngan_fer2013")
    assert older.config["kind"] == shipped.config["kind"] == "projection_cgan"
    np.testing.assert_array_equal(older.generate(2, 3, seed=0), shipped.generate(2, 3, seed=0))
    record = {**json.loads((release / "metrics.json").read_text()), "kind": "sngan"}
    assert generator_summary(record).startswith("projection_cgan epoch 42,")


@pytest.mark.slow
def test_a_release_continues_with_residual_blocks_that_change_neither_its_faces_nor_its_scores(tmp_path):
    import shutil

    from helpers.errors import UserError
    from helpers.options import replace
    from helpers.training.gan_release import DISCRIMINATOR, continue_release
    from helpers.training.sngan import SNGANConfig, build_gan, discriminator, load_init

    release = "checkpoints/sngan_fer2013"
    config = replace(SNGANConfig(), init=release, epochs=500, ac_weight=1.0, blocks=1, ckpt_dir=str(tmp_path / "run"))
    (tmp_path / "run" / "training").mkdir(parents=True)
    parent, gan, released = load_init(config), build_gan(config), discriminator(config, 0, head=True)
    record = {}
    epoch, _ = continue_release(parent, config, gan, None, record, released_discriminator=released)()
    assert epoch == parent.config["epoch"] and record["init"]["discriminator"] == "from release, with new layers"
    assert gan.generator.get_layer("res6_0_add") is not None and gan.discriminator.get_layer("res12_0_add") is not None

    z, labels = tf.random.normal((6, 128), seed=1), tf.constant([[0], [1], [2], [3], [4], [6]])
    np.testing.assert_allclose(gan.generator([z, labels], training=False), parent.model([z, labels], training=False),
                               atol=1e-5)
    released.load_weights(f"{release}/{DISCRIMINATOR}")
    faces = parent.model([z, labels], training=False)
    for grown, before in zip(gan.discriminator([faces, labels]), released([faces, labels])):
        np.testing.assert_allclose(grown, before, atol=1e-4)

    deeper = tmp_path / "deeper"  # a release with more blocks than the run's is refused
    deeper.mkdir()
    shutil.copy(f"{release}/generator.keras", deeper)
    recorded = json.loads(open(f"{release}/config.json").read())
    (deeper / "config.json").write_text(json.dumps({**recorded, "train_args": {**recorded["train_args"], "blocks": 2}}))
    with pytest.raises(UserError, match="was trained with --blocks 2; pass --blocks 2 or more"):
        load_init(replace(config, init=str(deeper)))
