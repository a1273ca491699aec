"""Batch-norm statistics re-estimated on clean images after training ("PreciseBN").

During training a batch-norm layer keeps running averages of its batch statistics, but those
batches were augmented (random erasing blanks up to a fifth of a face, zoom and rotation fill
the borders) and passed through active dropout, which scales what the next block sees. At test
time neither happens, so the stored statistics no longer match the activations the layer meets
(Li et al. 2019, "Understanding the Disharmony between Dropout and Batch Normalization").
Re-estimating them on un-augmented training images with dropout off, as the exact average over
many batches rather than a running average (Wu & Johnson 2021, "Rethinking 'Batch' in
BatchNorm"), removes the mismatch. No weight is trained and no test image is used.
"""
from __future__ import annotations

import numpy as np

from helpers.errors import UserError


def recalibrate_batch_norm(model, images: np.ndarray, batch_size: int = 256, seed: int = 0,
                           progress: bool = True) -> int:
    """Replace the moving mean and variance of every ``BatchNormalization`` layer of ``model``
    (in place) by their average over batches of ``images`` in a training-mode forward pass with
    dropout off. Images are shuffled with ``seed``; a last partial batch is dropped. Returns the
    number of batches averaged."""
    import keras
    import tensorflow as tf
    from tqdm.auto import tqdm

    norms = [layer for layer in model._flatten_layers(include_self=False)
             if isinstance(layer, keras.layers.BatchNormalization)]
    if not norms:
        raise UserError(f"{model.name} has no BatchNormalization layer to recalibrate")
    batches = len(images) // batch_size
    if batches == 0:
        raise UserError(f"recalibration needs at least one batch of {batch_size} images, got {len(images)}")
    dropouts = [layer for layer in model._flatten_layers(include_self=False) if isinstance(layer, keras.layers.Dropout)]
    saved_rates, saved_momenta = [d.rate for d in dropouts], [n.momentum for n in norms]
    for d in dropouts:
        d.rate = 0.0
    for n in norms:
        n.momentum = 0.0  # after each step the "moving" statistics are exactly that batch's
    forward = tf.function(lambda x: model(x, training=True))
    # Population moments from per-batch ones: mean = E[batch mean],
    # variance = E[batch variance + batch mean^2] - mean^2 (batch variances are Keras' biased ones).
    means = [np.zeros(n.moving_mean.shape, np.float64) for n in norms]
    squares = [np.zeros(n.moving_variance.shape, np.float64) for n in norms]
    order = np.random.default_rng(seed).permutation(len(images))
    try:
        for b in tqdm(range(batches), desc="batch-norm statistics", disable=not progress):
            forward(images[np.sort(order[b * batch_size:(b + 1) * batch_size])])
            for n, mean, square in zip(norms, means, squares):
                batch_mean = np.asarray(n.moving_mean, np.float64)
                mean += batch_mean
                square += np.asarray(n.moving_variance, np.float64) + batch_mean ** 2
    finally:
        for d, rate in zip(dropouts, saved_rates):
            d.rate = rate
        for n, momentum in zip(norms, saved_momenta):
            n.momentum = momentum
    for n, mean, square in zip(norms, means, squares):
        mean, square = mean / batches, square / batches
        n.moving_mean.assign(mean.astype("float32"))
        n.moving_variance.assign(np.maximum(square - mean ** 2, 0.0).astype("float32"))
    return batches
