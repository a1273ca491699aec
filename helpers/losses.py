"""GAN losses as pure functions, named ``<family>_<role>_loss`` (TF-GAN style).

Critic/discriminator outputs are raw scores (no sigmoid) unless stated otherwise."""
from __future__ import annotations

import tensorflow as tf


# ----------------------------------------------------------------------------- Wasserstein
def wasserstein_critic_loss(real_scores, fake_scores):
    """E[D(fake)] - E[D(real)]: the critic maximises the score gap."""
    return tf.reduce_mean(fake_scores) - tf.reduce_mean(real_scores)


def wasserstein_generator_loss(fake_scores):
    """-E[D(G(z))]."""
    return -tf.reduce_mean(fake_scores)


def gradient_penalty(critic, real, fake, *critic_args, weight: float = 10.0, epsilon: float = 1e-12):
    """WGAN-GP penalty (Gulrajani et al. 2017): ``weight * E[(||∇_x̂ D(x̂)||₂ - 1)²]`` at
    x̂ = α·real + (1-α)·fake with α ~ U[0, 1] drawn **per sample**. The norm is
    ``sqrt(sum g² + epsilon)``, whose gradient stays finite when g = 0. Extra arguments (the
    condition) are passed to the critic unchanged."""
    real = tf.cast(real, tf.float32)
    fake = tf.cast(fake, tf.float32)
    alpha_shape = tf.concat([tf.shape(real)[:1], tf.ones(tf.rank(real) - 1, tf.int32)], axis=0)
    alpha = tf.random.uniform(alpha_shape, 0.0, 1.0)
    mixed = alpha * real + (1.0 - alpha) * fake
    with tf.GradientTape() as tape:
        tape.watch(mixed)
        scores = critic([mixed, *critic_args] if critic_args else mixed, training=True)
    grads = tf.cast(tape.gradient(scores, mixed), tf.float32)
    norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=tf.range(1, tf.rank(grads))) + epsilon)
    return weight * tf.reduce_mean(tf.square(norms - 1.0))


# --------------------------------------------------------------------------- least squares
def least_squares_discriminator_loss(real_scores, fake_scores):
    """LSGAN (Mao et al. 2017): ½E[(D(real) - 1)²] + ½E[D(fake)²]."""
    return 0.5 * tf.reduce_mean(tf.square(real_scores - 1.0)) + 0.5 * tf.reduce_mean(tf.square(fake_scores))


def least_squares_generator_loss(fake_scores):
    """½E[(D(G(x)) - 1)²]."""
    return 0.5 * tf.reduce_mean(tf.square(fake_scores - 1.0))


# ------------------------------------------------------------------------------- minimax
def minimax_discriminator_loss(real_logits, fake_logits, label_smoothing: float = 0.0):
    """Binary cross-entropy on logits: real -> 1 - label_smoothing, fake -> 0."""
    bce = tf.nn.sigmoid_cross_entropy_with_logits
    real = bce(labels=tf.fill(tf.shape(real_logits), 1.0 - label_smoothing), logits=real_logits)
    fake = bce(labels=tf.zeros_like(fake_logits), logits=fake_logits)
    return tf.reduce_mean(real) + tf.reduce_mean(fake)


def minimax_generator_loss(fake_logits):
    """The non-saturating generator loss: -E[log D(G(z))] on logits."""
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.ones_like(fake_logits), logits=fake_logits))


# ------------------------------------------------------------------------------ image-space
def auxiliary_classifier_loss(labels, class_logits):
    """AC-GAN (Odena et al. 2017): mean cross-entropy of a discriminator's expression head
    against the (real or intended) integer labels."""
    labels = tf.reshape(tf.cast(labels, tf.int32), [-1])
    logits = tf.cast(class_logits, tf.float32)
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))


def classifier_guidance_generator_loss(labels, guide_probs, epsilon: float = 1e-7):
    """Mean cross-entropy of a frozen classifier's probabilities for the generator's fakes
    against the intended integer labels (classifier guidance: the generator is pushed towards
    faces that a recognizer trained on real faces calls the intended expression)."""
    labels = tf.reshape(tf.cast(labels, tf.int32), [-1])
    picked = tf.gather(tf.cast(guide_probs, tf.float32), labels, axis=1, batch_dims=1)
    return -tf.reduce_mean(tf.math.log(picked + epsilon))  # finite at 0, and no fake loses its gradient


def cycle_loss(original, reconstructed):
    """Mean absolute error between an image and its round trip (CycleGAN's L1)."""
    return tf.reduce_mean(tf.abs(tf.cast(original, tf.float32) - tf.cast(reconstructed, tf.float32)))
