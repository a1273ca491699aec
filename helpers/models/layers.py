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
            # The fused kernel returns the Bessel-corrected (n - 1) batch variance, where Keras' layer averages the
            # biased one: over the n = batch x height x width values of a channel the two differ by n / (n - 1).
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


class _SpectrallyNormalised:
    """The kernel divided by its largest singular value σ, estimated by one power iteration per
    training call (Miyato et al. 2018). σ is part of the forward pass, so gradients flow through
    it, and the stored kernel is never overwritten: Adam's steps then shrink relative to a kernel
    that grows, as in the paper. (Keras' ``SpectralNormalization`` writes W/σ back into the kernel
    on every training call, which keeps the kernel's scale, and Adam's relative step, fixed.)"""

    def build(self, input_shape):
        super().build(input_shape)
        self.vector_u = self.add_weight(shape=(1, self.kernel.shape[-1]), name="vector_u", trainable=False,
                                        initializer=keras.initializers.RandomNormal(stddev=1.0), autocast=False)

    def save_own_variables(self, store):
        for i, variable in enumerate(self._stored_variables()):
            store[str(i)] = variable

    def load_own_variables(self, store):
        variables = self._stored_variables()
        if len(store.keys()) != len(variables):
            raise ValueError(f"Layer '{self.name}' expected {len(variables)} variables "
                             f"({', '.join(v.name for v in variables)}), but received {len(store.keys())}")
        for i, variable in enumerate(variables):
            variable.assign(store[str(i)])

    def _stored_variables(self):
        """What a weights file holds: Keras' own layer saves only the kernel and bias, and the
        power iteration's ``vector_u`` is part of the state too."""
        return [self._kernel, *([self.bias] if self.use_bias else []), self.vector_u]

    def call(self, inputs, training=False):
        outputs = self.apply_kernel(inputs, self.normalised_kernel(training))
        if self.use_bias:
            outputs = outputs + tf.cast(self.bias, outputs.dtype)
        return self.activation(outputs) if self.activation is not None else outputs

    def normalised_kernel(self, training):
        kernel = tf.cast(self.kernel, tf.float32)
        matrix = tf.reshape(kernel, (-1, kernel.shape[-1]))
        v = tf.math.l2_normalize(tf.matmul(self.vector_u, matrix, transpose_b=True))
        u = tf.math.l2_normalize(tf.matmul(v, matrix))
        u, v = tf.stop_gradient(u), tf.stop_gradient(v)
        if training:
            self.vector_u.assign(u)
        sigma = tf.reduce_sum(tf.matmul(v, matrix) * u)
        return tf.cast(kernel / sigma, self.compute_dtype)


@keras.saving.register_keras_serializable(package="helpers")
class SpectralConv2D(_SpectrallyNormalised, keras.layers.Conv2D):
    """``Conv2D`` with a spectrally normalised kernel (see :class:`_SpectrallyNormalised`)."""

    def apply_kernel(self, inputs, kernel):
        return self.convolution_op(inputs, kernel)


@keras.saving.register_keras_serializable(package="helpers")
class SpectralDense(_SpectrallyNormalised, keras.layers.Dense):
    """``Dense`` with a spectrally normalised kernel (see :class:`_SpectrallyNormalised`)."""

    def apply_kernel(self, inputs, kernel):
        return tf.matmul(inputs, kernel)


@keras.saving.register_keras_serializable(package="helpers")
class LearnedScale(keras.layers.Layer):
    """``x`` times one trainable scalar that starts at ``initial`` (SAGAN's γ: a self-attention
    branch that starts at 0 and lets the network learn how much of it to use)."""

    def __init__(self, initial: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.initial = initial

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(), initializer=keras.initializers.Constant(self.initial), name="scale")

    def call(self, x):
        return x * tf.cast(self.scale, x.dtype)

    def get_config(self):
        return {**super().get_config(), "initial": self.initial}
