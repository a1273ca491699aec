"""Realism maths on arrays: how often faces are accepted as faces, and improved precision and
recall (Kynkäänniemi et al. 2019). Pure NumPy: the face models and the judge that feed them live
in :mod:`helpers.inference.face_models` and :mod:`helpers.inference.judge`.

- **Faceness** is the share of faces that a face model trained on other data accepts as a face,
  per expression and overall; a generator's rate is read against real faces' rate at the same
  count (a ratio of 1 means "accepted as often as photographs").
- **Precision** is the share of generated samples that fall inside the real manifold, estimated
  as the union of balls around each real sample reaching its k-th nearest real neighbour;
  **recall** is the share of real samples inside the generated manifold, built the same way.
  Low precision means samples unlike any real face; low recall means parts of the real faces that
  the generator never draws.

The targets a generator for the main command is held to are here too (docs/evaluation.md)."""
from __future__ import annotations

import numpy as np

from helpers.expressions import EXPRESSIONS

K_NEAREST = 3
FACENESS_RATIO_OVERALL = 0.95  # of the real rate, for every face model
FACENESS_RATIO_EXPRESSION = 0.9  # of the real rate of the same expression, for every face model
RECALL_MIN = 0.75  # in the judge's feature space; precision no lower than real faces'


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.maximum(np.sum(a ** 2, 1)[:, None] + np.sum(b ** 2, 1)[None, :] - 2.0 * a @ b.T, 0.0)


def kth_neighbour_radii(features, k: int = K_NEAREST) -> np.ndarray:
    """Each sample's squared distance to its k-th nearest other sample of the same set."""
    features = np.asarray(features)
    if not 1 <= k < len(features):
        raise ValueError(f"k must be in 1..{len(features) - 1} (one less than the samples), got {k}")
    d2 = _squared_distances(features, features)
    np.fill_diagonal(d2, np.inf)
    return np.partition(d2, k - 1, axis=1)[:, k - 1]


def coverage(queries, manifold, k: int = K_NEAREST) -> float:
    """The share of ``queries`` inside ``manifold``: within the k-th-neighbour ball of at least one
    of its samples (the ball's surface counts as inside)."""
    radii = kth_neighbour_radii(manifold, k)
    return float(np.mean(np.any(_squared_distances(queries, manifold) <= radii[None, :], axis=1)))


def precision_recall(real, generated, k: int = K_NEAREST) -> dict:
    """Improved precision (generated inside the real manifold) and recall (real inside the
    generated manifold) of two feature sets, which should hold as many samples each."""
    return {"precision": coverage(generated, real, k), "recall": coverage(real, generated, k), "k": k}


def acceptance(accepted, expressions) -> dict:
    """The share of faces accepted, per expression (by name) and overall, from a bool per face and
    the expression each face was made or labelled as."""
    accepted, expressions = np.asarray(accepted, bool), np.asarray(expressions)
    if accepted.shape != expressions.shape:
        raise ValueError(f"one expression per face: {accepted.shape} against {expressions.shape}")
    per = {EXPRESSIONS[e]: float(accepted[expressions == e].mean()) for e in np.unique(expressions)}
    return {"per_expression": per, "overall": float(accepted.mean())}


def faceness_ratios(generated: dict, real: dict) -> dict:
    """A generator's acceptance over real faces' (both from :func:`acceptance`), per expression
    and overall; NaN where no real face was accepted."""
    def ratio(g, r):
        return g / r if r > 0 else float("nan")

    return {"per_expression": {name: ratio(g, real["per_expression"][name]) for name, g in generated["per_expression"].items()},
            "overall": ratio(generated["overall"], real["overall"])}


def meets_faceness(ratios: dict, overall: float | None = FACENESS_RATIO_OVERALL) -> bool:
    """Whether :func:`faceness_ratios` meet ``overall`` (None: no overall target, as for a
    translator) and :data:`FACENESS_RATIO_EXPRESSION` for every expression."""
    return ((overall is None or ratios["overall"] >= overall)
            and all(r >= FACENESS_RATIO_EXPRESSION for r in ratios["per_expression"].values()))


def summarise_realism(per_seed: list[dict], reference: list[dict], real: list[dict], translator: bool = False,
                      reader: str = "judge") -> dict:
    """Realism over sampling seeds, worst of the seeds. ``per_seed``: for each seed, the faces'
    ``faceness`` (per face model, from :func:`acceptance`) and ``precision_recall`` (per feature
    space); ``reference``: the faceness of the faces they are read against, seed by seed (real
    Training faces, or a translator's sources); ``real``: real Training faces' precision and
    recall, seed by seed. A generator meets the realism targets when every face model accepts its
    faces at :data:`FACENESS_RATIO_OVERALL` of the reference rate overall and
    :data:`FACENESS_RATIO_EXPRESSION` per expression, and, in the feature space of ``reader`` (the
    judge, or a second opinion in its place), its recall is at least :data:`RECALL_MIN` and its
    precision at least real faces'. A translator is held to the per-expression faceness target only."""
    faceness = {}
    for name in per_seed[0]["faceness"]:
        ratios = [faceness_ratios(row["faceness"][name], ref["faceness"][name]) for row, ref in zip(per_seed, reference)]
        worst = {e: min(r["per_expression"][e] for r in ratios) for e in ratios[0]["per_expression"]}
        weakest = min(worst, key=worst.get)
        worst_ratios = {"per_expression": worst, "overall": min(r["overall"] for r in ratios)}
        faceness[name] = {
            "rate_mean": float(np.mean([row["faceness"][name]["overall"] for row in per_seed])),
            "reference_rate_mean": float(np.mean([ref["faceness"][name]["overall"] for ref in reference])),
            "worst_ratio_per_expression": worst, "weakest_expression": weakest,
            "worst_ratio_overall": worst_ratios["overall"],
            "meets": meets_faceness(worst_ratios, None if translator else FACENESS_RATIO_OVERALL)}
    spaces = {}
    for space in per_seed[0]["precision_recall"]:
        spaces[space] = {f"{key}_{how}": figure for key in ("precision", "recall") for how, figure in (
            ("worst", min(row["precision_recall"][space][key] for row in per_seed)),
            ("real_mean", float(np.mean([row["precision_recall"][space][key] for row in real]))))}
    judge = spaces[reader]
    return {"faceness": faceness, "precision_recall": spaces,
            "meets_faceness": all(f["meets"] for f in faceness.values()) if faceness else None,
            "meets_coverage": judge["recall_worst"] >= RECALL_MIN and judge["precision_worst"] >= judge["precision_real_mean"]}


def not_faces(faces, seed: int = 0) -> dict[str, np.ndarray]:
    """Images made from uint8 faces (N, H, W) that a face model must not accept as faces: blank
    grey, uniform noise, each face with its quadrants swapped diagonally, and each face with its
    right half replaced by grey."""
    faces = np.asarray(faces)
    h, w = faces.shape[1] // 2, faces.shape[2] // 2
    quarters = [[f[:h, :w], f[:h, w:], f[h:, :w], f[h:, w:]] for f in faces]
    half = faces.copy()
    half[:, :, w:] = 128
    return {"blank": np.full_like(faces, 128),
            "noise": np.random.default_rng(seed).integers(0, 256, faces.shape, dtype=np.uint8),
            "scrambled quadrants": np.stack([np.block([[q[3], q[2]], [q[1], q[0]]]) for q in quarters]),
            "half faces": half}
