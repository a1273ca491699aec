"""GAN losses on analytic cases."""
import numpy as np
import pytest
import tensorflow as tf
import keras

from helpers.gans.losses import (auxiliary_classifier_discriminator_loss, auxiliary_classifier_generator_loss,
                                 classifier_guidance_generator_loss, cycle_consistency_generator_loss,
                                 expression_discriminator_loss, expression_generator_loss, hinge_discriminator_loss,
                                 hinge_generator_loss, identity_generator_loss,
                                 least_squares_discriminator_loss, least_squares_generator_loss, minimax_discriminator_loss,
                                 minimax_generator_loss, r1_discriminator_loss, wasserstein_critic_loss,
                                 wasserstein_generator_loss, wasserstein_gradient_penalty_loss)


def test_wasserstein_losses():
    real, fake = tf.constant([2.0, 4.0]), tf.constant([1.0, -1.0])
    assert float(wasserstein_critic_loss(real, fake)) == pytest.approx(0.0 - 3.0)
    assert float(wasserstein_generator_loss(fake)) == pytest.approx(0.0)


def test_hinge_losses_match_numpy():
    real, fake = np.array([2.0, 0.5, -1.0], "float32"), np.array([-2.0, -0.5, 1.0], "float32")
    expected = np.maximum(0, 1 - real).mean() + np.maximum(0, 1 + fake).mean()  # (0 + .5 + 2)/3 + (0 + .5 + 2)/3
    assert float(hinge_discriminator_loss(tf.constant(real), tf.constant(fake))) == pytest.approx(expected)
    assert expected == pytest.approx(5 / 3)
    assert float(hinge_discriminator_loss(tf.constant([3.0]), tf.constant([-3.0]))) == 0.0  # beyond the margins
    assert float(hinge_generator_loss(tf.constant(fake))) == pytest.approx(-fake.mean())


def test_r1_penalty_is_half_gamma_times_the_mean_squared_gradient_norm():
    grads = np.random.default_rng(0).normal(size=(3, 4, 4, 1)).astype("float32")
    expected = 0.5 * 10.0 * np.mean(np.sum(grads ** 2, axis=(1, 2, 3)))
    assert float(r1_discriminator_loss(tf.constant(grads), 10.0)) == pytest.approx(expected, rel=1e-6)
    assert float(r1_discriminator_loss(tf.zeros((2, 4, 4, 1)), 10.0)) == 0.0


def _linear_critic(w):
    x = keras.Input((4, 4, 1))
    y = keras.layers.Dense(1, use_bias=False)(keras.layers.Flatten()(x))
    model = keras.Model(x, y)
    model.layers[-1].set_weights([w.reshape(16, 1)])
    return model


def test_gradient_penalty_of_a_linear_critic_is_closed_form():
    # D(x) = w·x has gradient w everywhere, so GP = λ (||w|| - 1)² whatever the α.
    w = np.arange(16, dtype="float32") / 10
    critic = _linear_critic(w)
    real, fake = tf.random.normal((8, 4, 4, 1)), tf.random.normal((8, 4, 4, 1))
    expected = 10.0 * (np.linalg.norm(w) - 1.0) ** 2
    assert float(wasserstein_gradient_penalty_loss(critic, real, fake)) == pytest.approx(expected, rel=1e-5)
    unit = _linear_critic(np.eye(16, dtype="float32")[0])
    assert float(wasserstein_gradient_penalty_loss(unit, real, fake)) == pytest.approx(0.0, abs=1e-6)


def test_gradient_penalty_is_finite_with_zero_gradients():
    zero = _linear_critic(np.zeros(16, "float32"))
    real, fake = tf.zeros((4, 4, 4, 1)), tf.zeros((4, 4, 4, 1))
    with tf.GradientTape() as tape:
        gp = wasserstein_gradient_penalty_loss(zero, real, fake)
    grads = tape.gradient(gp, zero.trainable_variables)
    assert float(gp) == pytest.approx(10.0, rel=1e-5)
    assert all(np.isfinite(g.numpy()).all() for g in grads)


def test_gradient_penalty_interpolates_per_sample():
    # A critic whose output records x̂: with real = 1 and fake = 0, x̂ = α, constant per sample.
    seen = {}

    class Probe(keras.Model):
        def call(self, x, training=False):
            seen["x"] = x
            return tf.reduce_sum(x, axis=[1, 2, 3])

    tf.random.set_seed(0)
    wasserstein_gradient_penalty_loss(Probe(), tf.ones((256, 3, 3, 1)), tf.zeros((256, 3, 3, 1)))
    x = seen["x"].numpy()
    assert np.allclose(x, x[:, :1, :1, :1])  # the same α over a sample's pixels
    alphas = x[:, 0, 0, 0]
    assert alphas.min() >= 0 and alphas.max() <= 1 and len(np.unique(alphas)) > 200
    assert abs(alphas.mean() - 0.5) < 0.06 and abs(alphas.std() - np.sqrt(1 / 12)) < 0.04  # uniform, not normal


def test_least_squares_and_minimax():
    assert float(least_squares_discriminator_loss(tf.ones(3), tf.zeros(3))) == pytest.approx(0.0)
    assert float(least_squares_generator_loss(tf.zeros(3))) == pytest.approx(0.5)
    big = tf.constant([20.0])
    assert float(minimax_discriminator_loss(big, -big)) == pytest.approx(0.0, abs=1e-6)
    assert float(minimax_generator_loss(tf.constant([0.0]))) == pytest.approx(np.log(2), rel=1e-6)


def test_cycle_and_identity_losses_are_l1():
    a = tf.zeros((2, 4, 4, 1))
    assert float(cycle_consistency_generator_loss(a, a + 0.25)) == pytest.approx(0.25)
    assert float(identity_generator_loss(a - 0.5, a)) == pytest.approx(0.5)


def test_auxiliary_classifier_loss_matches_numpy_cross_entropy():
    logits = np.random.default_rng(0).normal(size=(5, 7)).astype("float32")
    labels = np.array([[0], [3], [6], [1], [3]])  # (B, 1), as the DCGAN passes them
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected = -log_softmax[np.arange(5), labels[:, 0]].mean()
    assert float(auxiliary_classifier_discriminator_loss(labels, logits)) == pytest.approx(expected, rel=1e-5)
    smoothed = 0.9 * expected - 0.1 * log_softmax.mean(axis=1).mean()  # 0.1 of the target spread over 7 classes
    assert float(auxiliary_classifier_discriminator_loss(labels, logits, 0.1)) == pytest.approx(smoothed, rel=1e-5)


def test_classifier_guidance_loss_is_the_cross_entropy_of_the_intended_class():
    probs = np.random.default_rng(1).dirichlet(np.ones(7), size=4).astype("float32")
    labels = np.array([2, 0, 6, 3])
    expected = -np.log(probs[np.arange(4), labels]).mean()
    assert float(classifier_guidance_generator_loss(labels, probs)) == pytest.approx(expected, rel=1e-5)
    certain = np.eye(7, dtype="float32")[labels]
    assert float(classifier_guidance_generator_loss(labels, certain)) == pytest.approx(0.0, abs=1e-6)
    assert np.isfinite(float(classifier_guidance_generator_loss(labels, 1.0 - certain)))  # zero probability: finite
    # A confidently wrong fake (intended class at 1e-9) still gets a push towards that class.
    wrong = tf.Variable(np.full((1, 7), (1.0 - 1e-9) / 6, "float32") * (1 - np.eye(7, dtype="float32")[[2]])
                        + 1e-9 * np.eye(7, dtype="float32")[[2]])
    with tf.GradientTape() as tape:
        loss = classifier_guidance_generator_loss(np.array([2]), wrong)
    assert float(tape.gradient(loss, wrong)[0, 2]) < -1e5


def test_auxiliary_classifier_generator_loss_is_the_same_cross_entropy_on_fakes():
    labels, logits = np.array([0, 3]), np.random.default_rng(1).standard_normal((2, 7)).astype("float32")
    assert float(auxiliary_classifier_generator_loss(labels, logits)) == float(auxiliary_classifier_discriminator_loss(labels, logits))


def _bce(target, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(np.mean(-(target * np.log(p) + (1 - target) * np.log(1 - p))))


def test_expression_losses_match_numpy_cross_entropies():
    rng = np.random.default_rng(2)
    one_hot = np.eye(7, dtype="float32")[[1, 4, 6]]
    real, fake = rng.uniform(0.05, 0.95, (2, 3, 7)).astype("float32")
    sigmoid = _bce(one_hot, real)
    assert float(expression_discriminator_loss(one_hot, real)) == pytest.approx(sigmoid, rel=1e-5)
    assert float(expression_discriminator_loss(one_hot, real, fake)) == pytest.approx(sigmoid + _bce(0 * fake, fake), rel=1e-5)
    assert float(expression_generator_loss(one_hot, fake)) == pytest.approx(_bce(one_hot, fake), rel=1e-5)
    softmax = real / real.sum(1, keepdims=True)
    expected = float(np.mean(-np.log((one_hot * softmax).sum(1))))
    assert float(expression_generator_loss(one_hot, softmax, "softmax")) == pytest.approx(expected, rel=1e-5)
