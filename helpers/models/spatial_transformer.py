"""A spatial transformer (Jaderberg et al. 2015) with a bilinear sampler written in TF ops."""
from __future__ import annotations

import keras
import tensorflow as tf


def affine_grid(theta: tf.Tensor, height: int, width: int) -> tf.Tensor:
    """Sampling coordinates for a batch of 2x3 affine maps on the normalised [-1, 1] grid.

    ``theta``: (B, 6). Returns (B, H, W, 2) source (x, y) in normalised coordinates."""
    theta = tf.reshape(tf.cast(theta, tf.float32), (-1, 2, 3))
    ys, xs = tf.meshgrid(tf.linspace(-1.0, 1.0, height), tf.linspace(-1.0, 1.0, width), indexing="ij")
    ones = tf.ones_like(xs)
    grid = tf.reshape(tf.stack([xs, ys, ones], axis=0), (3, -1))  # (3, H*W)
    src = tf.einsum("bij,jk->bik", theta, grid)  # (B, 2, H*W)
    return tf.reshape(tf.transpose(src, (0, 2, 1)), (-1, height, width, 2))


def bilinear_sample(images: tf.Tensor, coords: tf.Tensor) -> tf.Tensor:
    """Sample ``images`` (B, H, W, C) at normalised ``coords`` (B, H', W', 2); outside is zero."""
    images = tf.cast(images, tf.float32)
    shape = tf.shape(images)
    h, w = shape[1], shape[2]
    hf, wf = tf.cast(h, tf.float32), tf.cast(w, tf.float32)
    x = (coords[..., 0] + 1.0) * (wf - 1.0) / 2.0
    y = (coords[..., 1] + 1.0) * (hf - 1.0) / 2.0
    x0, y0 = tf.floor(x), tf.floor(y)
    x1, y1 = x0 + 1.0, y0 + 1.0
    wa = (x1 - x) * (y1 - y)
    wb = (x1 - x) * (y - y0)
    wc = (x - x0) * (y1 - y)
    wd = (x - x0) * (y - y0)
    padded = tf.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]])  # zero border, shifted by one

    def gather(yy, xx):
        yi = tf.cast(tf.clip_by_value(yy + 1.0, 0.0, hf + 1.0), tf.int32)
        xi = tf.cast(tf.clip_by_value(xx + 1.0, 0.0, wf + 1.0), tf.int32)
        return tf.gather_nd(padded, tf.stack([yi, xi], axis=-1), batch_dims=1)

    out = (wa[..., None] * gather(y0, x0) + wb[..., None] * gather(y1, x0)
           + wc[..., None] * gather(y0, x1) + wd[..., None] * gather(y1, x1))
    return out


@keras.saving.register_keras_serializable(package="helpers")
class SpatialTransformer(keras.layers.Layer):
    """Warp ``inputs[0]`` (B, H, W, C) by the affine parameters ``inputs[1]`` (B, 6)."""

    def call(self, inputs):
        images, theta = inputs
        h, w = images.shape[1], images.shape[2]
        out = bilinear_sample(images, affine_grid(theta, h, w))
        return tf.cast(out, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape[0]
