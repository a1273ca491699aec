"""Expression representations: PCA on autoencoder codes, one low-dimensional vector per expression.

Recipe (documented in notebook 04):
1. encode FER2013 Training with the convolutional autoencoder's encoder -> codes (N, latent);
2. fit ``PCA(k, whiten=True)`` on the codes (k chosen from the explained-variance curve);
3. the representation of expression e is the mean of the whitened projections of its images,
   rescaled to unit norm, so every expression conditions the generator with the same energy.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from helpers.expressions import NUM_EXPRESSIONS
from helpers.files import atomic_path


def fit_expression_codes(codes: np.ndarray, labels: np.ndarray, k: int = 12, seed: int = 0):
    """Returns ``(representations (7, k) float32, pca)`` following the module recipe."""
    from sklearn.decomposition import PCA

    pca = PCA(n_components=k, whiten=True, random_state=seed).fit(codes)
    projected = pca.transform(codes)
    reps = np.stack([projected[labels == e].mean(axis=0) for e in range(NUM_EXPRESSIONS)])
    reps /= np.linalg.norm(reps, axis=1, keepdims=True)
    return reps.astype(np.float32), pca


def encode(encoder, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Autoencoder codes of uint8 images, batched."""
    return np.concatenate([np.asarray(encoder(images[i:i + batch_size], training=False))
                           for i in range(0, len(images), batch_size)])


def train_autoencoder_codes(x_train, y_train, *, latent_dim: int = 64, k: int = 12, epochs: int = 10,
                            batch_size: int = 128, out_dir: Path | None = None, seed: int = 0):
    """Train the convolutional autoencoder and fit the representations with the module recipe;
    with ``out_dir``, also save ``autoencoder.keras`` and ``expression_codes.npz`` there. Returns ``(codes (7, k), encoder, decoder, pca, history)``."""
    import keras

    from helpers.models import conv_autoencoder

    keras.utils.set_random_seed(seed)
    autoencoder, encoder, decoder = conv_autoencoder(latent_dim)
    autoencoder.compile(keras.optimizers.Adam(1e-3), "mse")
    history = autoencoder.fit(x_train, x_train.astype("float32") / 255.0, batch_size=batch_size, epochs=epochs,
                              verbose=2).history
    codes, pca = fit_expression_codes(encode(encoder, x_train), y_train, k=k, seed=seed)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        with atomic_path(out_dir / "autoencoder.keras") as tmp:
            autoencoder.save(tmp)
        with atomic_path(out_dir / "expression_codes.npz") as tmp:
            np.savez(tmp, codes=codes, explained_variance_ratio=pca.explained_variance_ratio_)
    return codes, encoder, decoder, pca, history
