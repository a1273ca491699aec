"""Differentiable augmentation (Zhao et al. 2020, "DiffAugment"): the same random transforms for
real and generated faces, applied where the discriminator sees them, in both networks' steps.
The discriminator then cannot memorise a small training set, and, because the transforms are
differentiable, the generator still learns from its gradients. Faces are in [-1, 1]."""
from __future__ import annotations

import tensorflow as tf

POLICIES = ("color", "translation", "cutout")


def random_brightness_contrast(x):
    """Per face: a brightness shift in [-0.5, 0.5) and a contrast factor in [0.5, 1.5) around its mean."""
    batch = tf.shape(x)[0]
    x = x + tf.random.uniform([batch, 1, 1, 1], -0.5, 0.5)
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    return (x - mean) * tf.random.uniform([batch, 1, 1, 1], 0.5, 1.5) + mean


def random_translation(x, ratio: float = 0.125):
    """Per face: a shift of up to ``ratio`` of the size in each direction, the gap filled with 0 (mid-grey)."""
    batch, height, width = tf.shape(x)[0], x.shape[1], x.shape[2]
    max_shift = int(height * ratio + 0.5)
    shift_y = tf.random.uniform([batch, 1], -max_shift, max_shift + 1, dtype=tf.int32)
    shift_x = tf.random.uniform([batch, 1], -max_shift, max_shift + 1, dtype=tf.int32)
    padded = tf.pad(x, [[0, 0], [max_shift, max_shift], [max_shift, max_shift], [0, 0]])
    rows = tf.range(height)[None, :] + max_shift - shift_y        # (B, H): source row of each output row
    cols = tf.range(width)[None, :] + max_shift - shift_x
    x = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(x, cols, axis=2, batch_dims=1)


def random_cutout(x, ratio: float = 0.5):
    """Per face: a square of ``ratio`` of the size, anywhere (partly outside is allowed), set to 0."""
    batch, height, width = tf.shape(x)[0], x.shape[1], x.shape[2]
    size_y, size_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    top = tf.random.uniform([batch, 1, 1], -(size_y // 2), height - size_y // 2, dtype=tf.int32)
    left = tf.random.uniform([batch, 1, 1], -(size_x // 2), width - size_x // 2, dtype=tf.int32)
    rows = tf.range(height)[None, :, None]
    cols = tf.range(width)[None, None, :]
    inside = (rows >= top) & (rows < top + size_y) & (cols >= left) & (cols < left + size_x)
    return x * tf.cast(~inside, x.dtype)[..., None]


def diff_augment(x, policy=POLICIES):
    """``x`` through the transforms of ``policy`` (any of :data:`POLICIES`, in that order)."""
    unknown = set(policy) - set(POLICIES)
    if unknown:
        raise ValueError(f"unknown DiffAugment transforms {sorted(unknown)}; choose from {POLICIES}")
    transforms = {"color": random_brightness_contrast, "translation": random_translation, "cutout": random_cutout}
    for name in POLICIES:
        if name in policy:
            x = transforms[name](x)
    return x
