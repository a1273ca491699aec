"""Conditional WGAN-GP, keras-io style: one ``keras.Model`` subclass with its own train step."""
from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from . import to_model_range
from ..losses import gradient_penalty, wasserstein_critic_loss, wasserstein_generator_loss


class ConditionalWGAN(keras.Model):
    """WGAN-GP (Gulrajani et al. 2017) conditioned on per-expression codes.

    ``codes`` is the (7, k) table of expression representations; a batch of labels is
    turned into codes inside the step, so the data pipeline yields ``(uint8 images, labels)``."""

    def __init__(self, generator, critic, codes, noise_dim: int = 100, n_critic: int = 5,
                 gp_weight: float = 10.0, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.critic = critic
        self.codes = tf.constant(np.asarray(codes, np.float32))
        self.noise_dim = noise_dim
        self.n_critic = n_critic
        self.gp_weight = gp_weight
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.gp_tracker = keras.metrics.Mean(name="gp")
        self.w_distance_tracker = keras.metrics.Mean(name="w_distance")

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.gp_tracker, self.w_distance_tracker]

    def call(self, inputs, training=False):
        noise, labels = inputs
        return self.generator([noise, tf.gather(self.codes, labels)], training=training)

    def train_step(self, data):
        # 1. Real images to [-1, 1]; their expressions to codes.
        images, labels = data
        real = to_model_range(images)
        codes = tf.gather(self.codes, tf.reshape(tf.cast(labels, tf.int32), [-1]))
        batch = tf.shape(real)[0]

        # 2. Train the critic n_critic times: Wasserstein loss + gradient penalty.
        for _ in range(self.n_critic):
            noise = tf.random.normal((batch, self.noise_dim))
            with tf.GradientTape() as tape:
                fake = self.generator([noise, codes], training=True)
                real_scores = self.critic([real, codes], training=True)
                fake_scores = self.critic([fake, codes], training=True)
                w_loss = wasserstein_critic_loss(real_scores, fake_scores)
                gp = gradient_penalty(self.critic, real, fake, codes, weight=self.gp_weight)
                d_loss = w_loss + gp
            grads = tape.gradient(d_loss, self.critic.trainable_variables)
            self.d_optimizer.apply_gradients(zip(grads, self.critic.trainable_variables))

        # 3. Train the generator once: make the critic score its fakes high.
        noise = tf.random.normal((batch, self.noise_dim))
        with tf.GradientTape() as tape:
            fake = self.generator([noise, codes], training=True)
            g_loss = wasserstein_generator_loss(self.critic([fake, codes], training=True))
        grads = tape.gradient(g_loss, self.generator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_variables))

        # 4. Track the losses (-w_loss estimates the Wasserstein distance).
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.gp_tracker.update_state(gp)
        self.w_distance_tracker.update_state(-w_loss)
        return {m.name: m.result() for m in self.metrics}
