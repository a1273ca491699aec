"""DCGAN family: the six variants and the DCGAN as configurations of one builder, a smoke
training run, and a per-expression checkpoint refusing other expressions."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers.models.release import float32_copy
from helpers.models.dcgan_nets import VARIANTS, dcgan_discriminator, dcgan_generator
from helpers.training.dcgan import parse_expression_set


def test_there_are_six_variants_and_the_dcgan():
    assert sorted(VARIANTS) == ["dcgan"] + [f"variant{i}" for i in range(1, 7)]


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("num_classes", [0, 7])
def test_variant_shapes_and_ranges(variant, num_classes):
    g, d = dcgan_generator(variant, num_classes=num_classes), dcgan_discriminator(variant, num_classes=num_classes)
    z, labels = tf.random.normal((3, 100)), tf.constant([[0], [3], [6]])
    images = g([z, labels] if num_classes else z)
    assert images.shape == (3, 48, 48, 1)
    low = 0.0 if VARIANTS[variant].output == "sigmoid" else -1.0
    assert float(tf.reduce_min(images)) >= low and float(tf.reduce_max(images)) <= 1.0
    assert d([images, labels] if num_classes else images).shape == (3, 1)


def test_dcgan_follows_radford():
    g, d = dcgan_generator("dcgan"), dcgan_discriminator("dcgan")
    kinds = {type(layer).__name__ for layer in g.layers}
    assert "FusedBatchNorm" in kinds and "ReLU" in kinds and "UpSampling2D" not in kinds
    assert g.get_layer("image").activation.__name__ == "tanh"
    d_kinds = [type(layer).__name__ for layer in d.layers]
    assert "MaxPooling2D" not in d_kinds and "FusedBatchNorm" in d_kinds and "LeakyReLU" in d_kinds
    assert all(layer.strides == (2, 2) for layer in d.layers if type(layer).__name__ == "Conv2D")
    assert [type(layer).__name__ for layer in d.layers].count("Dense") == 1  # no hidden dense layer
    # the release swaps the fused batch norm for Keras' layer, with the same outputs
    release = float32_copy(g)
    assert {type(layer).__name__ for layer in release.layers} == kinds - {"FusedBatchNorm"} | {"BatchNormalization"}
    z = np.random.default_rng(0).standard_normal((4, 100)).astype("float32")
    np.testing.assert_allclose(np.asarray(release(z)), np.asarray(g(z, training=False)), atol=1e-5)


def test_auxiliary_classifier_head():
    d = dcgan_discriminator("dcgan", num_classes=7, auxiliary_classifier=True)
    logit, class_logits = d([tf.zeros((3, 48, 48, 1)), tf.zeros((3, 1), tf.int32)])
    assert logit.shape == (3, 1) and class_logits.shape == (3, 7)


def test_expression_sets():
    assert parse_expression_set("all") == list(range(7))
    assert parse_expression_set("five") == [0, 1, 2, 5, 6]
    assert parse_expression_set("Surprise") == [5] and parse_expression_set("happy, sad") == [3, 4]


@pytest.mark.slow
def test_per_expression_training_and_refusal(tmp_path, run_python):
    ckpt = tmp_path / "surprise"
    command = ["Generative_model/dcgan.py", "--data", "synthetic", "--expressions", "surprise", "--variant", "variant3",
               "--epochs", "2", "--batch-size", "32", "--ckpt-dir", str(ckpt)]
    train = run_python(command + ["--time-limit", "0"])  # stops after its first epoch
    assert train.returncode == 0 and "continue with --resume" in train.stdout, train.stderr[-3000:]
    samples = ckpt / "training" / "samples"
    assert (samples / "epoch_0001.png").exists() and not (samples / "epoch_0002.png").exists()
    resumed = run_python(command + ["--resume"])
    assert resumed.returncode == 0 and (samples / "epoch_0002.png").exists(), resumed.stderr[-3000:]
    gen = ["Generative_model/Expression_generator.py", str(ckpt)]
    ok = run_python(gen + ["Surprise", "4", str(tmp_path / "out")])
    assert ok.returncode == 0 and len(list((tmp_path / "out").glob("Surprise_0*.png"))) == 4
    refused = run_python(gen + ["Happiness", "4", str(tmp_path / "out")])
    assert refused.returncode == 2 and "trained for Surprise only" in refused.stderr and "Traceback" not in refused.stderr


def test_discriminator_arity_comes_from_the_network_not_the_loss_weight():
    from helpers.gans.dcgan import DCGAN

    g = dcgan_generator("dcgan", num_classes=7)
    d = dcgan_discriminator("dcgan", num_classes=7, auxiliary_classifier=True)
    gan = DCGAN(g, d, conditional=True, ac_weight=0.0)
    gan.compile(keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4))
    images = np.random.default_rng(0).integers(0, 256, (4, 48, 48, 1)).astype(np.uint8)
    logs = gan.train_step((tf.constant(images), tf.constant([0, 1, 2, 3])))
    assert np.isfinite(float(logs["d_loss"])) and np.isfinite(float(logs["g_loss"]))
    with pytest.raises(ValueError, match="class head"):
        DCGAN(g, dcgan_discriminator("dcgan", num_classes=7), conditional=True, ac_weight=1.0)


def test_a_trainer_never_replaces_a_release_it_did_not_start(tmp_path, run_python):
    import shutil

    copy = tmp_path / "dcgan_fer2013"
    shutil.copytree("checkpoints/dcgan_fer2013", copy)
    before = {p.relative_to(copy): p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    command = ["Generative_model/dcgan.py", "--data", "synthetic", "--subset", "64", "--batch-size", "32", "--epochs", "1",
               "--ckpt-dir", str(copy)]
    for extra in ([], ["--resume"]):  # a release is there, and no checkpoint of this run to resume
        done = run_python(command + extra)
        assert done.returncode == 2 and "holds a release (generator.keras) that this run did not start" in done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert {p.relative_to(copy): p.read_bytes() for p in copy.rglob("*") if p.is_file()} == before
