"""The targets a generator for the main command is held to, as functions of measured figures.

A generator passes when, under the frozen judge and for the worst of several sampling seeds:

- **every expression reads:** the share of its faces made for expression e that the judge calls e
  is at least :data:`ACCURACY_RATIO` times the judge's accuracy on real faces of e in the split;
- **the faces are realistic:** the FID of :data:`PER_EXPRESSION` faces per expression against the
  split, in the judge's feature space, is at most :data:`FID_RATIO` times the floor, the FID of as
  many real Training faces per expression against the split (the mean of several draws, since FID
  depends on the sample size, so only equal sizes compare);
- **they are diverse:** no mode collapse, compared with another generator by mean pairwise
  distance and distinct nearest neighbours.

The maths is here, apart from the judge that feeds it (:class:`helpers.evaluation.scores.TargetEvaluation`)."""
from __future__ import annotations

import numpy as np

ACCURACY_RATIO = 0.8
FID_RATIO = 2.0
PER_EXPRESSION = 100
SEEDS = (0, 1, 2)


def balanced_indices(labels: np.ndarray, per_expression: int, expressions, seed: int) -> np.ndarray:
    """``per_expression`` indices of each expression in ``labels`` (expression blocks in the order
    of ``expressions``), drawn without replacement with ``seed``."""
    rng = np.random.default_rng(seed)
    blocks = []
    for e in expressions:
        pool = np.flatnonzero(labels == e)
        if len(pool) < per_expression:
            raise ValueError(f"only {len(pool)} faces of expression {e}, fewer than {per_expression}")
        blocks.append(rng.choice(pool, per_expression, replace=False))
    return np.concatenate(blocks)


def capped_indices(labels: np.ndarray, per_expression: int, expressions, seed: int) -> np.ndarray:
    """Up to ``per_expression`` indices of each expression in ``labels`` (all of an expression that
    has fewer), drawn without replacement with ``seed``, in the order of ``expressions``."""
    rng = np.random.default_rng(seed)
    blocks = []
    for e in expressions:
        pool = np.flatnonzero(labels == e)
        blocks.append(rng.choice(pool, min(per_expression, len(pool)), replace=False))
    return np.concatenate(blocks)


def accuracy_ratios(generated: dict[str, float], real: dict[str, float]) -> dict[str, float]:
    """Each expression's conditional accuracy over the judge's accuracy on real faces of it."""
    return {name: generated[name] / real[name] if real[name] > 0 else float("nan") for name in generated}


def summarise(per_seed: list[dict], real_accuracy: dict[str, float], fid_floors: list[float]) -> dict:
    """The targets over sampling seeds. ``per_seed``: for each seed, ``conditional_accuracy``
    (per expression), ``fid``, ``pairwise_distance`` and ``distinct_neighbours``. Worst of the
    seeds: the lowest ratio of any expression, the highest FID, the lowest diversity."""
    floor = float(np.mean(fid_floors))
    ratios = [accuracy_ratios(row["conditional_accuracy"], real_accuracy) for row in per_seed]
    names = list(real_accuracy)
    worst_per_expression = {name: min(r[name] for r in ratios) for name in names}
    weakest = min(worst_per_expression, key=worst_per_expression.get)
    fids = [row["fid"] for row in per_seed]
    return {
        "seeds": len(per_seed),
        "worst_ratio_per_expression": worst_per_expression,
        "weakest_expression": weakest,
        "worst_ratio": worst_per_expression[weakest],
        "worst_macro_accuracy": min(float(np.mean(list(row["conditional_accuracy"].values()))) for row in per_seed),
        "fid_mean": float(np.mean(fids)), "fid_worst": float(max(fids)), "fid_floor": floor,
        "fid_ratio_worst": float(max(fids)) / floor,
        "pairwise_distance_worst": min(row["pairwise_distance"] for row in per_seed),
        "distinct_neighbours_worst": min(row["distinct_neighbours"] for row in per_seed),
        "meets_accuracy": worst_per_expression[weakest] >= ACCURACY_RATIO,
        "meets_fid": float(max(fids)) <= FID_RATIO * floor,
    }
