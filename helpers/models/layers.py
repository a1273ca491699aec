"""Custom layers shared by the builders (registered on ``import helpers``)."""
from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="helpers")
class FusedBatchNorm(keras.layers.Layer):
    """Batch normalisation over the last axis through TF's fused kernel.

    Same weights and maths as ``keras.layers.BatchNormalization`` (gamma, beta, moving mean,
    moving variance; the same ``momentum``/``epsilon``), but under ``mixed_bfloat16`` it keeps
    the bf16 speed-up on CPU, where Keras' generic batch norm casts to float32 and loses it (the
    README's precision notes give the measured throughputs). Statistics stay in float32 (``autocast=False``).
    :func:`helpers.models.release.to_standard_layers` swaps it for the Keras layer on export."""

    def __init__(self, momentum: float = 0.99, epsilon: float = 1e-3, **kwargs):
        super().__init__(autocast=False, **kwargs)
        self.momentum = momentum
        self.epsilon = epsilon

    def build(self, input_shape):
        channels = input_shape[-1]
        self.gamma = self.add_weight(shape=(channels,), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(channels,), initializer="zeros", name="beta")
        self.moving_mean = self.add_weight(shape=(channels,), initializer="zeros", name="moving_mean", trainable=False)
        self.moving_variance = self.add_weight(shape=(channels,), initializer="ones", name="moving_variance",
                                               trainable=False)

    def call(self, x, training=False):
        if training:
            y, mean, var = tf.compat.v1.nn.fused_batch_norm(x, self.gamma, self.beta, epsilon=self.epsilon,
                                                            is_training=True)
            # The fused kernel returns the Bessel-corrected variance, as Keras' layer uses.
            self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
            self.moving_variance.assign(self.moving_variance * self.momentum + var * (1.0 - self.momentum))
            return y
        # TF's CPU inference kernel has no bf16 variant outside graph rewrites: compute in float32.
        y, _, _ = tf.compat.v1.nn.fused_batch_norm(tf.cast(x, tf.float32), self.gamma, self.beta,
                                                   mean=self.moving_mean, variance=self.moving_variance,
                                                   epsilon=self.epsilon, is_training=False)
        return tf.cast(y, x.dtype)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon}
