"""Procedural cartoon faces with the 7 expressions and known identity factors.

Each face is drawn from two independent sets of numbers:

* **identity factors** (:data:`IDENTITY_FACTORS`): face width and height, skin tone, eye
  spacing, hair tone and hair volume, all in [0, 1];
* **expression parameters** (:data:`EXPRESSION_PARAMS`): mouth curve, opening, width and
  asymmetry, brow height and tilt, eye opening; set by the class, with per-sample jitter.

Because the identity is known, an expression translation can be scored for identity
preservation exactly (re-estimate the factors from the translated face). The dataset needs
no download, so it is the offline default for demos and tests:
``load_dataset("synthetic")`` returns Training/PublicTest/PrivateTest splits.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.expressions import NUM_EXPRESSIONS

IDENTITY_FACTORS = ("face_width", "face_height", "skin_tone", "eye_spacing", "hair_tone", "hair_volume")
EXPRESSION_PARAMS = ("mouth_curve", "mouth_open", "mouth_width", "mouth_asym", "brow_height", "brow_tilt", "eye_open")

# Class prototypes, rows in FER2013 order (Angry, Disgust, Fear, Happy, Sad, Surprise, Neutral).
PROTOTYPES = np.array([
    # curve  open  width  asym  brow_h  brow_tilt  eye_open
    [-0.3, 0.00, 0.90, 0.0, -0.7, -1.0, 0.65],  # Angry: lowered V brows, narrowed eyes
    [-0.5, 0.15, 0.80, 1.0, -0.4, -0.3, 0.50],  # Disgust: lopsided sneer, squint
    [-0.1, 0.45, 1.05, 0.0, 0.8, 0.9, 1.40],    # Fear: raised inner brows, wide eyes, open mouth
    [1.0, 0.30, 1.20, 0.0, 0.1, 0.0, 0.80],     # Happy: broad smile
    [-0.9, 0.00, 0.90, 0.0, 0.0, 1.0, 0.70],    # Sad: frown, raised inner brows
    [0.0, 1.00, 0.55, 0.0, 1.0, 0.0, 1.50],     # Surprise: round open mouth, high brows
    [0.0, 0.00, 1.00, 0.0, 0.0, 0.0, 1.00],     # Neutral
], dtype=np.float32)


@dataclass
class SyntheticFaces:
    images: np.ndarray      # uint8 (N, size, size, 1)
    labels: np.ndarray      # int64 (N,), FER2013 order
    identity: np.ndarray    # float32 (N, 6) in [0, 1], columns IDENTITY_FACTORS
    expression: np.ndarray  # float32 (N, 7), columns EXPRESSION_PARAMS


def _ellipse(u, v, cu, cv, au, av):
    return ((u - cu) / au) ** 2 + ((v - cv) / av) ** 2 <= 1.0


def _segment_distance(u, v, p, q):
    d = q - p
    t = np.clip(((u - p[0]) * d[0] + (v - p[1]) * d[1]) / (d @ d), 0.0, 1.0)
    return np.hypot(u - (p[0] + t * d[0]), v - (p[1] + t * d[1]))


def render_face(identity: np.ndarray, expression: np.ndarray, size: int = 48, background: float = 0.25,
                supersample: int = 2) -> np.ndarray:
    """Draw one face as float (size, size) in [0, 1] from its identity factors and expression
    parameters (both as produced by :func:`make_synthetic_faces`)."""
    fw, fh, skin, es, hair_tone, hair_vol = identity
    curve, mouth_open, mouth_w, asym, brow_h, brow_tilt, eye_open = expression
    n = size * supersample
    v, u = np.mgrid[-1:1:n * 1j, -1:1:n * 1j]
    face_a, face_b = 0.52 + 0.22 * fw, 0.66 + 0.20 * fh
    eye_dx = 0.22 + 0.16 * es
    img = np.full((n, n), background, np.float32)
    # Hair: a larger ellipse behind the head, showing above the forehead.
    hair = _ellipse(u, v, 0.0, -0.10 - 0.10 * hair_vol, face_a + 0.08, face_b * (0.80 + 0.20 * hair_vol))
    img[hair & (v < 0.15)] = 0.05 + 0.35 * hair_tone
    img[_ellipse(u, v, 0.0, 0.08, face_a, face_b)] = 0.45 + 0.45 * skin
    dark = 0.06
    # Eyes.
    for side in (-1, 1):
        img[_ellipse(u, v, side * eye_dx, -0.10, 0.12, max(0.015, 0.065 * eye_open))] = dark
    # Brows: segments whose inner end moves with the tilt.
    brow_y = -0.30 - 0.09 * brow_h
    for side in (-1, 1):
        inner = np.array([side * (eye_dx - 0.13), brow_y - 0.07 * brow_tilt])
        outer = np.array([side * (eye_dx + 0.13), brow_y + 0.02 * brow_tilt])
        img[_segment_distance(u, v, inner, outer) < 0.035] = dark + 0.05
    # Mouth: a parabola y(x) with corners up for positive curve, opened into a dark band.
    mw = 0.30 * mouth_w
    x = u / mw
    inside = np.abs(x) <= 1.0
    y_mouth = 0.50 - curve * 0.14 * (x ** 2 - 1.0 / 3.0) + asym * 0.07 * x
    half = 0.02 + mouth_open * 0.11 * np.sqrt(np.clip(1.0 - x ** 2, 0.0, 1.0))
    img[inside & (np.abs(v - y_mouth) < half)] = dark
    if supersample > 1:
        img = img.reshape(size, supersample, size, supersample).mean(axis=(1, 3))
    return img


def make_synthetic_faces(n: int, seed: int = 0, size: int = 48, jitter: float = 0.12,
                         labels: np.ndarray | None = None, noise: float = 0.02) -> SyntheticFaces:
    """Draw ``n`` random faces, balanced over the 7 expressions unless ``labels`` is given."""
    rng = np.random.default_rng(seed)
    if labels is None:
        labels = np.arange(n) % NUM_EXPRESSIONS
        rng.shuffle(labels)
    labels = np.asarray(labels, np.int64)
    identity = rng.uniform(0.0, 1.0, (n, len(IDENTITY_FACTORS))).astype(np.float32)
    expression = PROTOTYPES[labels] + rng.uniform(-jitter, jitter, (n, len(EXPRESSION_PARAMS))).astype(np.float32)
    images = np.empty((n, size, size, 1), np.uint8)
    backgrounds = rng.uniform(0.10, 0.35, n)
    for i in range(n):
        img = render_face(identity[i], expression[i], size=size, background=backgrounds[i])
        img = img + rng.normal(0.0, noise, img.shape)
        images[i, ..., 0] = np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return SyntheticFaces(images, labels, identity, expression)


SPLIT_SIZES = {"Training": 2800, "PublicTest": 700, "PrivateTest": 700}


def synthetic_split_faces(usage: str, seed: int = 0) -> SyntheticFaces:
    """One split of the offline dataset, with its identity factors and expression parameters."""
    index = list(SPLIT_SIZES).index(usage)
    return make_synthetic_faces(SPLIT_SIZES[usage], seed=seed * 1000 + index)


def synthetic_splits(seed: int = 0) -> dict:
    """``{usage: (x, y)}`` like :func:`helpers.data.load_dataset`, with disjoint seeds per split."""
    out = {}
    for usage in SPLIT_SIZES:
        faces = synthetic_split_faces(usage, seed)
        out[usage] = (faces.images, faces.labels)
    return out


class SyntheticReadout:
    """Read the truth back from a synthetic face's pixels: a ridge regression for the identity
    factors and a logistic regression for the expression, fitted on ``n`` fresh faces (a seed no
    split uses). They score translations of synthetic faces, whose intended identity and
    expression are known. Their own error on untouched faces is the floor to compare with."""

    def __init__(self, n: int = 4200, seed: int = 777):
        from sklearn.linear_model import LogisticRegression, Ridge

        faces = make_synthetic_faces(n, seed=seed)
        x = self._pixels(faces.images)
        self._identity = Ridge(alpha=10.0).fit(x, faces.identity)
        self._expression = LogisticRegression(C=0.1, max_iter=500).fit(x, faces.labels)

    @staticmethod
    def _pixels(images) -> np.ndarray:
        images = np.asarray(images)
        return images.reshape(len(images), -1).astype(np.float32) / 255.0

    def identity(self, images) -> np.ndarray:
        """(N, 6) estimated identity factors."""
        return self._identity.predict(self._pixels(images))

    def probs(self, images) -> np.ndarray:
        """(N, 7) expression probabilities, FER2013 order."""
        return self._expression.predict_proba(self._pixels(images))
