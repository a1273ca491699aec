"""DCGAN (unconditional or label-conditioned), keras-io style."""
from __future__ import annotations

import keras
import tensorflow as tf

from . import to_model_range
from ..losses import minimax_discriminator_loss, minimax_generator_loss


class DCGAN(keras.Model):
    """Minimax GAN with the non-saturating generator loss. ``conditional=True`` feeds the label
    to both networks; the data pipeline yields ``(uint8 images, labels)`` either way."""

    def __init__(self, generator, discriminator, noise_dim: int = 100, conditional: bool = False,
                 output: str = "tanh", label_smoothing: float = 0.1, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.noise_dim = noise_dim
        self.conditional = conditional
        self.output_range = output
        self.label_smoothing = label_smoothing
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real_prob")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake_prob")

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.d_real_tracker, self.d_fake_tracker]

    def _in(self, x, labels):
        return [x, labels] if self.conditional else x

    def call(self, inputs, training=False):
        noise, labels = inputs
        return self.generator(self._in(noise, tf.reshape(tf.cast(labels, tf.int32), (-1, 1))), training=training)

    def train_step(self, data):
        # 1. Real images to the generator's range; labels as (B, 1) ints; fresh noise.
        images, labels = data
        real = to_model_range(images, self.output_range)
        labels = tf.reshape(tf.cast(labels, tf.int32), (-1, 1))
        noise = tf.random.normal((tf.shape(real)[0], self.noise_dim))

        # 2. Discriminator step: real -> 1 (smoothed), fake -> 0.
        with tf.GradientTape() as tape:
            fake = self.generator(self._in(noise, labels), training=True)
            real_logits = self.discriminator(self._in(real, labels), training=True)
            fake_logits = self.discriminator(self._in(fake, labels), training=True)
            d_loss = minimax_discriminator_loss(real_logits, fake_logits, self.label_smoothing)
        grads = tape.gradient(d_loss, self.discriminator.trainable_variables)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_variables))

        # 3. Generator step: make the discriminator call new fakes real.
        noise = tf.random.normal((tf.shape(real)[0], self.noise_dim))
        with tf.GradientTape() as tape:
            fake = self.generator(self._in(noise, labels), training=True)
            g_loss = minimax_generator_loss(self.discriminator(self._in(fake, labels), training=True))
        grads = tape.gradient(g_loss, self.generator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_variables))

        # 4. Track losses and the discriminator's mean beliefs.
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.d_real_tracker.update_state(tf.reduce_mean(tf.sigmoid(real_logits)))
        self.d_fake_tracker.update_state(tf.reduce_mean(tf.sigmoid(fake_logits)))
        return {m.name: m.result() for m in self.metrics}
