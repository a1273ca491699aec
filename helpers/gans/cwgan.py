"""Conditional WGAN-GP, keras-io style: one ``keras.Model`` subclass with its own train step."""
from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from . import to_model_range
from ..losses import auxiliary_classifier_loss, gradient_penalty, wasserstein_critic_loss, wasserstein_generator_loss


class ConditionalWGAN(keras.Model):
    """WGAN-GP (Gulrajani et al. 2017) conditioned on per-expression codes.

    ``codes`` is the (7, k) table of expression representations; a batch of labels is
    turned into codes inside the step, so the data pipeline yields ``(uint8 images, labels)``.
    With ``ac_weight > 0`` the critic has an auxiliary expression classifier (it returns
    ``[score, class_logits]``), trained on real faces; the generator is also rewarded, with
    ``g_ac_weight``, when the critic's classifier finds the intended expression in its fakes
    (AC-WGAN-GP, as in the paper's conditional CIFAR-10 model)."""

    def __init__(self, generator, critic, codes, noise_dim: int = 100, n_critic: int = 5,
                 gp_weight: float = 10.0, ac_weight: float = 0.0, g_ac_weight: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.critic = critic
        self.codes = tf.constant(np.asarray(codes, np.float32))
        self.noise_dim = noise_dim
        self.n_critic = n_critic
        self.gp_weight = gp_weight
        self.ac_weight, self.g_ac_weight = ac_weight, g_ac_weight
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.gp_tracker = keras.metrics.Mean(name="gp")
        self.w_distance_tracker = keras.metrics.Mean(name="w_distance")
        self.class_loss_tracker = keras.metrics.Mean(name="real_class_loss")
        self.g_class_loss_tracker = keras.metrics.Mean(name="fake_class_loss")

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    @property
    def metrics(self):
        trackers = [self.d_loss_tracker, self.g_loss_tracker, self.gp_tracker, self.w_distance_tracker]
        return trackers + ([self.class_loss_tracker, self.g_class_loss_tracker] if self.ac_weight else [])

    def _critic(self, inputs, training=True):
        """``(score, class_logits or None)`` whether or not the critic has a classifier head."""
        out = self.critic(inputs, training=training)
        return (out[0], out[1]) if self.ac_weight else (out, None)

    def _score(self, inputs, training=True):
        return self._critic(inputs, training)[0]

    def call(self, inputs, training=False):
        noise, labels = inputs
        return self.generator([noise, tf.gather(self.codes, labels)], training=training)

    def train_step(self, data):
        # 1. Real images to [-1, 1]; their expressions to codes.
        images, labels = data
        real = to_model_range(images)
        labels = tf.reshape(tf.cast(labels, tf.int32), [-1])
        codes = tf.gather(self.codes, labels)
        batch = tf.shape(real)[0]

        # 2. Train the critic n_critic times: Wasserstein loss + gradient penalty
        #    (+ the auxiliary classifier's cross-entropy on the real faces).
        for _ in range(self.n_critic):
            noise = tf.random.normal((batch, self.noise_dim))
            with tf.GradientTape() as tape:
                fake = self.generator([noise, codes], training=True)
                real_scores, real_logits = self._critic([real, codes])
                fake_scores, _ = self._critic([fake, codes])
                w_loss = wasserstein_critic_loss(real_scores, fake_scores)
                gp = gradient_penalty(self._score, real, fake, codes, weight=self.gp_weight)
                d_loss = w_loss + gp
                if self.ac_weight:
                    class_loss = auxiliary_classifier_loss(labels, real_logits)
                    d_loss += self.ac_weight * class_loss
            grads = tape.gradient(d_loss, self.critic.trainable_variables)
            self.d_optimizer.apply_gradients(zip(grads, self.critic.trainable_variables))

        # 3. Train the generator once: make the critic score its fakes high
        #    (and find the intended expression in them).
        noise = tf.random.normal((batch, self.noise_dim))
        with tf.GradientTape() as tape:
            fake = self.generator([noise, codes], training=True)
            fake_scores, fake_logits = self._critic([fake, codes])
            g_loss = wasserstein_generator_loss(fake_scores)
            if self.ac_weight:
                fake_class_loss = auxiliary_classifier_loss(labels, fake_logits)
                g_loss += self.g_ac_weight * fake_class_loss
        grads = tape.gradient(g_loss, self.generator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_variables))

        # 4. Track the losses (-w_loss estimates the Wasserstein distance).
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.gp_tracker.update_state(gp)
        self.w_distance_tracker.update_state(-w_loss)
        if self.ac_weight:
            self.class_loss_tracker.update_state(class_loss)
            self.g_class_loss_tracker.update_state(fake_class_loss)
        return {m.name: m.result() for m in self.metrics}
