"""The convention every GAN follows (docs/layout.md, "Writing a GAN"), checked on each of them
through its trainer's own builder, so that a fifth GAN gets these checks by being listed here:
it compiles with one optimizer per network and its loss weights in the constructor; one step on
a tiny batch moves both networks and logs exactly its trackers; the discriminator's warm-up
moves the discriminator alone; a run of one epoch writes a release that loads and draws; and
the run resumes to a second epoch."""
import json

import numpy as np
import pytest
import tensorflow as tf

from helpers.data.synthetic import make_synthetic_faces
from helpers.gans.adversarial import AdversarialModel
from helpers.options import replace

SMALL = {"data": "synthetic", "subset": 32, "batch_size": 16, "epochs": 1}


def sngan():
    from helpers.training import sngan

    return sngan, sngan.SNGANConfig(**SMALL, g_width=4, d_width=4, noise_dim=8, ac_weight=1.0)


def cwgan():
    from helpers.training import cwgan

    return cwgan, cwgan.CWGANConfig(**SMALL, g_width=8, d_width=8, noise_dim=8, n_critic=2, k=4, ae_epochs=1)


def dcgan():
    from helpers.training import dcgan

    return dcgan, dcgan.DCGANConfig(**SMALL, noise_dim=8)


def ccyclegan():
    from helpers.training import ccyclegan

    return ccyclegan, ccyclegan.CCycleGANConfig(**SMALL, width=8, config="T22")


GANS = {"sngan": sngan, "cwgan": cwgan, "dcgan": dcgan, "ccyclegan": ccyclegan}


def built(name):
    trainer, config = GANS[name]()
    if name == "cwgan":
        codes = np.eye(7, 4, dtype=np.float32)
        return trainer.build_gan(config, codes / np.maximum(np.linalg.norm(codes, axis=1, keepdims=True), 1e-6))[0]
    return trainer.build_gan(config)


def batch(n=8):
    faces = make_synthetic_faces(n, seed=1)
    return tf.constant(faces.images), tf.constant(faces.labels.astype(np.int32))


def weights(network):
    return [w.numpy() for w in network.trainable_weights]


def moved(before, network):
    return any(not np.array_equal(a, b.numpy()) for a, b in zip(before, network.trainable_weights))


@pytest.mark.parametrize("name", GANS)
def test_a_gan_compiles_with_one_optimizer_per_network(name):
    gan = built(name)
    assert isinstance(gan, AdversarialModel) and gan.compiled and gan.built
    assert gan.d_optimizer is not gan.g_optimizer
    assert {"d_loss", "g_loss"} <= {m.name for m in gan.metrics}


@pytest.mark.parametrize("name", GANS)
def test_one_step_moves_both_networks_and_logs_exactly_its_trackers(name):
    gan = built(name)
    generator, discriminator = weights(gan.generator), weights(gan.discriminator)
    logs = gan.train_step(batch())
    assert list(logs) == [m.name for m in gan.metrics]
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert moved(generator, gan.generator) and moved(discriminator, gan.discriminator)
    assert int(gan.d_optimizer.iterations) == gan.discriminator_steps and int(gan.g_optimizer.iterations) == 1


@pytest.mark.parametrize("name", GANS)
def test_the_warm_up_moves_the_discriminator_alone(name):
    gan = built(name)
    generator, discriminator = weights(gan.generator), weights(gan.discriminator)
    terms = gan.warm_up_discriminator(*batch())
    assert "d_loss" in terms and set(terms) <= {m.name for m in gan.metrics}
    assert moved(discriminator, gan.discriminator) and not moved(generator, gan.generator)


@pytest.mark.slow
@pytest.mark.parametrize("name", GANS)
def test_a_run_writes_a_release_that_draws_and_resumes(name, tmp_path):
    from helpers.inference.generators import load_generator
    from helpers.inference.translation import load_translator

    trainer, config = GANS[name]()
    config = replace(config, ckpt_dir=str(tmp_path / "run"))
    release = trainer.train(config)
    if name == "ccyclegan":
        faces = load_translator(release).translate(make_synthetic_faces(2).images, 3)
    else:
        generator = load_generator(release)
        faces = generator.generate(generator.config["expressions"][0], 2, seed=0)
    assert faces.shape == (2, 48, 48, 1) and faces.dtype == np.uint8
    assert (release / "discriminator.weights.h5").is_file() and (release / "generator.tflite").is_file()
    trainer.train(replace(config, epochs=2, resume=True))
    history = json.loads((release / "training" / "history.json").read_text())
    assert [row["epoch"] for row in history] == [1, 2]
    assert json.loads((release / "config.json").read_text())["epoch"] == 2
