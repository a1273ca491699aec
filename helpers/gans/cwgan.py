"""Conditional WGAN-GP, keras-io style: one ``keras.Model`` subclass with its own train step."""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from helpers.data.pixels import to_model_range
from helpers.gans.adversarial import AdversarialModel
from helpers.gans.losses import (auxiliary_classifier_discriminator_loss, auxiliary_classifier_generator_loss,
                                 classifier_guidance_generator_loss, wasserstein_critic_loss, wasserstein_generator_loss,
                                 wasserstein_gradient_penalty_loss)


def guide_views(fake, max_shift: int = 3):
    """What a frozen guide classifier sees of a batch of fakes in [-1, 1]: uint8-valued floats
    (0..255, as recognizers take them), each face mirrored at random and the batch shifted by up
    to ``max_shift`` pixels (reflect-padded). Differentiable; the random views keep the generator
    from drawing features that only one exact crop of one classifier responds to."""
    x = (tf.cast(fake, tf.float32) + 1.0) * 127.5
    flip = tf.random.uniform([tf.shape(x)[0], 1, 1, 1]) < 0.5
    x = tf.where(flip, tf.reverse(x, axis=[2]), x)
    size = x.shape[1]
    padded = tf.pad(x, [[0, 0], [max_shift, max_shift], [max_shift, max_shift], [0, 0]], mode="REFLECT")
    dy, dx = tf.unstack(tf.random.uniform([2], 0, 2 * max_shift + 1, dtype=tf.int32))
    return tf.ensure_shape(padded[:, dy:dy + size, dx:dx + size, :], [None, size, size, x.shape[-1]])


class ConditionalWGAN(AdversarialModel):
    """WGAN-GP (Gulrajani et al. 2017) conditioned on per-expression codes.

    ``codes`` is the (7, k) table of expression representations; a batch of labels is
    turned into codes inside the step, so the data pipeline yields ``(uint8 images, labels)``.
    With ``ac_weight > 0`` the critic has an auxiliary expression classifier (it returns
    ``[score, class_logits]``), trained on real faces; the generator is also rewarded, with
    ``g_ac_weight``, when the critic's classifier finds the intended expression in its fakes
    (AC-WGAN-GP, as in the paper's conditional CIFAR-10 model). With a ``guide`` (a frozen,
    already trained recognizer: uint8-valued images in, probabilities out) the generator is also
    rewarded, with ``guide_weight``, when that classifier finds the intended expression in
    random views of its fakes (:func:`guide_views`): classifier guidance from a network that
    learned expressions on real faces without any of the GP critic's constraints."""

    def __init__(self, generator, critic, codes, noise_dim: int = 100, n_critic: int = 5,
                 gp_weight: float = 10.0, ac_weight: float = 0.0, g_ac_weight: float = 0.0,
                 guide=None, guide_weight: float = 0.0, **kwargs):
        super().__init__(generator, critic, **kwargs)
        self.codes = tf.constant(np.asarray(codes, np.float32))
        self.noise_dim = noise_dim
        self.n_critic = n_critic
        self.gp_weight = gp_weight
        self.ac_weight, self.g_ac_weight = ac_weight, g_ac_weight
        if ac_weight and not self.has_classifier:
            raise ValueError("ac_weight > 0 needs a critic with a class head (cwgan_critic(..., num_classes=7))")
        self.guide, self.guide_weight = guide, guide_weight if guide is not None else 0.0
        if guide is not None:
            guide.trainable = False
        self.gp_tracker = self.tracker("gp")
        self.w_distance_tracker = self.tracker("w_distance")
        self.class_loss_tracker = self.tracker("real_class_loss", active=bool(ac_weight))
        self.g_class_loss_tracker = self.tracker("fake_class_loss", active=bool(ac_weight))
        self.guide_loss_tracker = self.tracker("guide_loss", active=bool(self.guide_weight))

    @property
    def critic(self):
        """The discriminator, by its WGAN name."""
        return self.discriminator

    def _score(self, inputs, training=True):
        return self.discriminate(inputs, training)[0]

    def call(self, inputs, training=False):
        noise, labels = inputs
        return self.generator([noise, tf.gather(self.codes, labels)], training=training)

    def critic_step(self, real, labels, codes):
        """One critic update: Wasserstein loss + gradient penalty (+ the auxiliary classifier's
        cross-entropy on the real faces). Returns ``(d_loss, w_loss, gp, class_loss or 0)``."""
        noise = tf.random.normal((tf.shape(real)[0], self.noise_dim))
        with tf.GradientTape() as tape:
            fake = self.generator([noise, codes], training=True)
            real_scores, real_logits = self.discriminate([real, codes])
            fake_scores, _ = self.discriminate([fake, codes])
            w_loss = wasserstein_critic_loss(real_scores, fake_scores)
            gp = wasserstein_gradient_penalty_loss(self._score, real, fake, codes, weight=self.gp_weight)
            class_loss = auxiliary_classifier_discriminator_loss(labels, real_logits) if self.ac_weight else tf.constant(0.0)
            d_loss = w_loss + gp + self.ac_weight * class_loss
            scaled = self.scaled(d_loss, self.d_optimizer)
        self.update(tape, scaled, self.critic, self.d_optimizer)
        return d_loss, w_loss, gp, class_loss

    def warm_up_discriminator(self, images, labels):
        """One critic update while the generator waits (a fresh critic for ``--init``); its losses by name."""
        labels = tf.reshape(tf.cast(labels, tf.int32), [-1])
        _, w_loss, gp, class_loss = self.critic_step(to_model_range(images), labels, tf.gather(self.codes, labels))
        return {"w_distance": -w_loss, "gp": gp, **({"real_class_loss": class_loss} if self.ac_weight else {})}

    def train_step(self, data):
        # 1. Real images to [-1, 1]; their expressions to codes.
        images, labels = data
        real = to_model_range(images)
        labels = tf.reshape(tf.cast(labels, tf.int32), [-1])
        codes = tf.gather(self.codes, labels)
        batch = tf.shape(real)[0]

        # 2. Train the critic n_critic times (critic_step).
        for _ in range(self.n_critic):
            d_loss, w_loss, gp, class_loss = self.critic_step(real, labels, codes)

        # 3. Train the generator once: make the critic score its fakes high (and find the
        #    intended expression in them, by its own classifier and by the frozen guide's).
        noise = tf.random.normal((batch, self.noise_dim))
        with tf.GradientTape() as tape:
            fake = self.generator([noise, codes], training=True)
            fake_scores, fake_logits = self.discriminate([fake, codes])
            g_loss = wasserstein_generator_loss(fake_scores)
            if self.ac_weight:
                fake_class_loss = auxiliary_classifier_generator_loss(labels, fake_logits)
                g_loss += self.g_ac_weight * fake_class_loss
            if self.guide_weight:
                guide_loss = classifier_guidance_generator_loss(labels, self.guide(guide_views(fake), training=False))
                g_loss += self.guide_weight * guide_loss
            scaled = self.scaled(g_loss, self.g_optimizer)
        self.update(tape, scaled, self.generator, self.g_optimizer)

        # 4. Track the losses (-w_loss estimates the Wasserstein distance).
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.gp_tracker.update_state(gp)
        self.w_distance_tracker.update_state(-w_loss)
        if self.ac_weight:
            self.class_loss_tracker.update_state(class_loss)
            self.g_class_loss_tracker.update_state(fake_class_loss)
        if self.guide_weight:
            self.guide_loss_tracker.update_state(guide_loss)
        return self.results()
