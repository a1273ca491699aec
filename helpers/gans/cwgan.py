"""Conditional WGAN-GP, keras-io style: one ``keras.Model`` subclass with its own train step."""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from helpers.gans.adversarial import AdversarialModel
from helpers.gans.losses import (classifier_guidance_generator_loss, wasserstein_critic_loss, wasserstein_generator_loss,
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
        self.discriminator_steps = n_critic
        self.gp_weight = gp_weight
        self.ac_weight, self.g_ac_weight = ac_weight, g_ac_weight
        if ac_weight and not self.has_classifier:
            raise ValueError("ac_weight > 0 needs a critic with a class head (cwgan_critic(..., num_classes=7))")
        self.guide, self.guide_weight = guide, guide_weight if guide is not None else 0.0
        if guide is not None:
            guide.trainable = False
        self.tracker("gp")
        self.tracker("w_distance")
        self.tracker("real_class_loss", active=bool(ac_weight))
        self.tracker("fake_class_loss", active=bool(ac_weight and g_ac_weight))
        self.tracker("guide_loss", active=bool(self.guide_weight))

    @property
    def critic(self):
        """The discriminator, by its WGAN name."""
        return self.discriminator

    def _score(self, inputs, training=True):
        return self.discriminate(inputs, training)[0]

    def call(self, inputs, training=False):
        noise, labels = inputs
        return self.generator([noise, tf.gather(self.codes, labels)], training=training)

    def discriminator_step(self, real, labels):
        """One critic update: Wasserstein loss + gradient penalty (+ the auxiliary classifier's
        cross-entropy on the real faces); ``-w_loss`` estimates the Wasserstein distance."""
        codes = tf.gather(self.codes, labels)
        fake = self.generator([tf.random.normal((tf.shape(real)[0], self.noise_dim)), codes], training=True)
        with tf.GradientTape() as tape:
            real_scores, real_logits = self.discriminate([real, codes])
            fake_scores, _ = self.discriminate([fake, codes])
            w_loss = wasserstein_critic_loss(real_scores, fake_scores)
            gp = wasserstein_gradient_penalty_loss(self._score, real, fake, codes, weight=self.gp_weight)
            class_term, terms = self.real_class_term(labels, real_logits, self.ac_weight)
            d_loss = w_loss + gp + class_term
            scaled = self.scaled(d_loss, self.d_optimizer)
        self.update(tape, scaled, self.critic, self.d_optimizer)
        return {"d_loss": d_loss, "w_distance": -w_loss, "gp": gp, **terms}

    def generator_step(self, real, labels):
        """Make the critic score new fakes high (and find the intended expression in them, by its
        own classifier and by the frozen guide's)."""
        codes = tf.gather(self.codes, labels)
        with tf.GradientTape() as tape:
            fake = self.generator([tf.random.normal((tf.shape(real)[0], self.noise_dim)), codes], training=True)
            fake_scores, fake_logits = self.discriminate([fake, codes])
            class_term, terms = self.fake_class_term(labels, fake_logits, self.g_ac_weight if self.ac_weight else 0.0)
            g_loss = wasserstein_generator_loss(fake_scores) + class_term
            if self.guide_weight:
                terms["guide_loss"] = classifier_guidance_generator_loss(labels, self.guide(guide_views(fake),
                                                                                            training=False))
                g_loss += self.guide_weight * terms["guide_loss"]
            scaled = self.scaled(g_loss, self.g_optimizer)
        self.update(tape, scaled, self.generator, self.g_optimizer)
        return {"g_loss": g_loss, **terms}
