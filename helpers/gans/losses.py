"""GAN losses as pure functions, named ``<family>_<role>_loss`` (TF-GAN style): the family is the
objective, the role the network it trains (critic, discriminator or generator).

Critic/discriminator outputs are raw scores (no sigmoid) unless stated otherwise."""
from __future__ import annotations

import keras
import tensorflow as tf


# ----------------------------------------------------------------------------- Wasserstein
def wasserstein_critic_loss(real_scores, fake_scores):
    """E[D(fake)] - E[D(real)]: the critic maximises the score gap."""
    return tf.reduce_mean(fake_scores) - tf.reduce_mean(real_scores)


def wasserstein_generator_loss(fake_scores):
    """-E[D(G(z))]."""
    return -tf.reduce_mean(fake_scores)


def wasserstein_gradient_penalty_loss(critic, real, fake, *critic_args, weight: float = 10.0, epsilon: float = 1e-12):
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


def r1_discriminator_loss(real_gradients, weight: float):
    """R1 (Mescheder et al. 2018): ``weight / 2 * E[||∇_x D(x)||²]`` over real faces x, from the
    gradients of the discriminator's scores with respect to its real inputs. It penalises a
    discriminator whose score changes steeply around real faces, which keeps the game from
    oscillating around them."""
    grads = tf.cast(real_gradients, tf.float32)
    return 0.5 * weight * tf.reduce_mean(tf.reduce_sum(tf.square(grads), axis=tf.range(1, tf.rank(grads))))


# ------------------------------------------------------------------------------------ hinge
def hinge_discriminator_loss(real_scores, fake_scores):
    """E[max(0, 1 - D(real))] + E[max(0, 1 + D(fake))] (Lim & Ye 2017; SNGAN, BigGAN): real
    scores are pushed above 1 and fake ones below -1, and no further."""
    return tf.reduce_mean(tf.nn.relu(1.0 - real_scores)) + tf.reduce_mean(tf.nn.relu(1.0 + fake_scores))


def hinge_generator_loss(fake_scores):
    """-E[D(G(z))], as the Wasserstein generator loss: the hinge only bounds the discriminator."""
    return -tf.reduce_mean(fake_scores)


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


# ------------------------------------------------------------------- auxiliary classifier
def auxiliary_classifier_discriminator_loss(labels, class_logits, label_smoothing: float = 0.0):
    """AC-GAN (Odena et al. 2017): mean cross-entropy of a discriminator's expression head on
    real faces against their integer labels; ``label_smoothing`` moves that much of each target
    from its label to all classes evenly, so the head stops short of certainty on the faces it
    trains on."""
    labels = tf.reshape(tf.cast(labels, tf.int32), [-1])
    logits = tf.cast(class_logits, tf.float32)
    classes = tf.shape(logits)[-1]
    targets = tf.one_hot(labels, classes) * (1.0 - label_smoothing) + label_smoothing / tf.cast(classes, tf.float32)
    return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=targets, logits=logits))


def auxiliary_classifier_generator_loss(labels, fake_class_logits):
    """AC-GAN: the cross-entropy on the generator's fakes against the intended labels, unsmoothed."""
    return auxiliary_classifier_discriminator_loss(labels, fake_class_logits)


def classifier_guidance_generator_loss(labels, guide_probs, epsilon: float = 1e-7):
    """Mean cross-entropy of a frozen classifier's probabilities for the generator's fakes
    against the intended integer labels (classifier guidance: the generator is pushed towards
    faces that a recognizer trained on real faces calls the intended expression)."""
    labels = tf.reshape(tf.cast(labels, tf.int32), [-1])
    picked = tf.gather(tf.cast(guide_probs, tf.float32), labels, axis=1, batch_dims=1)
    return -tf.reduce_mean(tf.math.log(picked + epsilon))  # finite at 0, and no fake loses its gradient


# ----------------------------------------------------------------- expression (CCycleGAN)
def _expression_cross_entropy(one_hot, outputs, activation: str):
    """Cross-entropy of probability outputs: categorical for a softmax head, per expression
    (binary) for a sigmoid head."""
    if activation == "softmax":
        return tf.reduce_mean(keras.losses.categorical_crossentropy(one_hot, outputs))
    return tf.reduce_mean(keras.losses.binary_crossentropy(one_hot, outputs))


def expression_discriminator_loss(source_one_hot, real_outputs, fake_outputs=None, activation: str = "sigmoid"):
    """The discriminator's expression head learns the expression of real faces; with
    ``fake_outputs`` (the "fake zero" label of the CCycleGAN log, T22 on) every expression output
    is also pushed to 0 for translated faces."""
    loss = _expression_cross_entropy(source_one_hot, real_outputs, activation)
    if fake_outputs is not None:
        loss += tf.reduce_mean(keras.losses.binary_crossentropy(tf.zeros_like(fake_outputs), fake_outputs))
    return loss


def expression_generator_loss(target_one_hot, fake_outputs, activation: str = "sigmoid"):
    """The generator is rewarded when the discriminator's expression head finds the target."""
    return _expression_cross_entropy(target_one_hot, fake_outputs, activation)


# ------------------------------------------------------------------------------ image-space
def _mean_absolute_error(a, b):
    return tf.reduce_mean(tf.abs(tf.cast(a, tf.float32) - tf.cast(b, tf.float32)))


def cycle_consistency_generator_loss(original, reconstructed):
    """CycleGAN's L1 between a face and its round trip (source -> target -> source)."""
    return _mean_absolute_error(original, reconstructed)


def identity_generator_loss(original, kept):
    """L1 between a real face and the generator's output when asked for the face's own
    expression: the generator should leave it unchanged."""
    return _mean_absolute_error(original, kept)


# ------------------------------------------------------------------------------ replicas
def replicas_in_sync() -> int:
    """Replicas that each compute a share of the batch here: the strategy's count inside a
    replica context (a ``train_step`` under ``fit``), 1 in a cross-replica context (a step called
    on whole batches outside ``strategy.run``) and outside any strategy."""
    context = tf.distribute.get_replica_context()
    return 1 if context is None else context.num_replicas_in_sync


def scale_for_replicas(loss):
    """A replica's mean loss scaled for the global batch: divided by the number of replicas in
    sync, since Keras sums their gradients. With one replica it is returned unchanged."""
    n = replicas_in_sync()
    return loss if n == 1 else loss * tf.cast(1.0 / n, loss.dtype)
