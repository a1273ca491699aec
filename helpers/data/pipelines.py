"""tf.data builders: shuffle, batch, augment, resize, cache, prefetch.

Images stay uint8 until a batch is augmented; models that ship do their own scaling, so the
pipelines hand them raw 0..255 values (as float32 once augmented).
"""
from __future__ import annotations

from helpers.quiet_import import import_tensorflow_quietly

import_tensorflow_quietly()  # before Keras: TensorFlow's start-up notices stay out of stderr

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402


def random_erasing(images: tf.Tensor, probability: float = 0.5, max_fraction: float = 0.2) -> tf.Tensor:
    """Zero a random rectangle (up to ``max_fraction`` of each side squared) in each image,
    with the given probability per image (Zhong et al. 2017). ``images``: (B, H, W, C) float."""
    shape = tf.shape(images)
    b, h, w = shape[0], shape[1], shape[2]
    side = tf.sqrt(max_fraction)
    eh = tf.cast(tf.cast(h, tf.float32) * tf.random.uniform([b], 0.1, side), tf.int32)
    ew = tf.cast(tf.cast(w, tf.float32) * tf.random.uniform([b], 0.1, side), tf.int32)
    y0 = tf.cast(tf.random.uniform([b]) * tf.cast(h - eh, tf.float32), tf.int32)
    x0 = tf.cast(tf.random.uniform([b]) * tf.cast(w - ew, tf.float32), tf.int32)
    rows = tf.range(h)[None, :, None]
    cols = tf.range(w)[None, None, :]
    inside = ((rows >= y0[:, None, None]) & (rows < (y0 + eh)[:, None, None])
              & (cols >= x0[:, None, None]) & (cols < (x0 + ew)[:, None, None]))
    apply = tf.random.uniform([b]) < probability
    mask = inside & apply[:, None, None]
    return tf.where(mask[..., None], tf.zeros_like(images), images)


def augmenter(flip: bool = True, shift: float = 0.1, rotation_deg: float = 10.0, zoom: float = 0.1,
              erasing: float = 0.5, seed: int | None = None):
    """A batch augmentation function (B, H, W, C) -> float32 (B, H, W, C), values kept in 0..255."""
    layers = []
    if flip:
        layers.append(keras.layers.RandomFlip("horizontal", seed=seed))
    if rotation_deg:
        layers.append(keras.layers.RandomRotation(rotation_deg / 360.0, fill_mode="nearest", seed=seed))
    if shift:
        layers.append(keras.layers.RandomTranslation(shift, shift, fill_mode="nearest", seed=seed))
    if zoom:
        layers.append(keras.layers.RandomZoom((-zoom, zoom), fill_mode="nearest", seed=seed))

    def augment(images):
        images = tf.cast(images, tf.float32)
        for layer in layers:
            images = layer(images, training=True)
        if erasing:
            images = random_erasing(images, probability=erasing)
        return images

    return augment


def to_rgb_resized(images: tf.Tensor, size: int) -> tf.Tensor:
    """(B, 48, 48, 1) -> float32 (B, size, size, 3), values kept in 0..255 (for ImageNet nets)."""
    images = tf.image.resize(tf.cast(images, tf.float32), (size, size), method="bilinear")
    return tf.image.grayscale_to_rgb(images) if images.shape[-1] == 1 else images


def make_dataset(x: np.ndarray, y: np.ndarray | None = None, *, batch_size: int = 64,
                 shuffle: bool = False, augment=None, resize_rgb: int | None = None,
                 cache: bool = True, seed: int = 0, drop_remainder: bool = False) -> tf.data.Dataset:
    """A batched, prefetched tf.data pipeline over uint8 images (and labels).

    ``augment`` is a batch function such as :func:`augmenter`; ``resize_rgb`` upsamples to
    (size, size, 3), e.g. 160 for VGG16 transfer. ``cache`` keeps the decoded arrays in memory
    (before shuffling and augmentation, so each epoch sees new augmentations)."""
    ds = tf.data.Dataset.from_tensor_slices((x, y) if y is not None else x)
    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(min(len(x), 30000), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)

    def transform(images):
        if augment is not None:
            images = augment(images)
        if resize_rgb:
            images = to_rgb_resized(images, resize_rgb)
        return images

    if augment is not None or resize_rgb:
        if y is not None:
            ds = ds.map(lambda a, b: (transform(a), b), num_parallel_calls=tf.data.AUTOTUNE)
        else:
            ds = ds.map(transform, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)
