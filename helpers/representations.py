"""Expression representations: PCA on autoencoder codes, one low-dimensional vector per expression.

Recipe (documented in notebook 04):
1. encode FER2013 Training with the convolutional autoencoder's encoder -> codes (N, latent);
2. fit ``PCA(k, whiten=True)`` on the codes (k chosen from the explained-variance curve);
3. the representation of expression e is the mean of the whitened projections of its images,
   rescaled to unit norm, so every expression conditions the generator with the same energy.
"""
from __future__ import annotations

import numpy as np

from .expressions import NUM_EXPRESSIONS


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
