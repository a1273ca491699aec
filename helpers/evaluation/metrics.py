"""Evaluation maths on arrays: accuracy and confusion, Inception Score, Fréchet and kernel
distances, conditional accuracy, diversity. Pure NumPy/SciPy: the classifier or feature
extractor that feeds them lives in :mod:`helpers.inference.recognition`."""
from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg

from helpers.expressions import EXPRESSIONS, NUM_EXPRESSIONS


# ------------------------------------------------------------------------- classification
def classification_report(y_true, y_pred, num_classes: int = NUM_EXPRESSIONS) -> dict:
    """Accuracy, per-class accuracy (recall), their macro mean and the confusion matrix."""
    from sklearn.metrics import accuracy_score, confusion_matrix

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    cm = confusion_matrix(y_true, y_pred, labels=list(range(num_classes)))
    support = cm.sum(axis=1)
    per_class = np.divide(np.diag(cm), support, out=np.full(num_classes, np.nan), where=support > 0)
    return {"accuracy": float(accuracy_score(y_true, y_pred)), "per_class_accuracy": per_class,
            "macro_accuracy": float(np.nanmean(per_class)), "confusion_matrix": cm, "support": support}


# ------------------------------------------------------------------------ Inception Score
def _as_log_probs(probs_or_logits) -> np.ndarray:
    """float64 log-probabilities from probabilities (rows summing to 1) or logits."""
    a = np.asarray(probs_or_logits, np.float64)
    if a.ndim != 2:
        raise ValueError(f"expected (N, K) probabilities or logits, got shape {a.shape}")
    is_probs = a.min() >= 0 and np.allclose(a.sum(axis=1), 1.0, atol=1e-3)
    if is_probs:
        with np.errstate(divide="ignore"):
            a = np.log(a / a.sum(axis=1, keepdims=True))
        return a
    return a - _logsumexp(a, axis=1)


def _logsumexp(a, axis):
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    return m + np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True))


def inception_score(probs_or_logits, splits: int = 10) -> tuple[float, float]:
    """Inception Score (Salimans et al. 2016): ``exp(E_x KL(p(y|x) || p(y)))``, mean and std over
    ``splits`` consecutive chunks. Computed in float64 and log space; it lies in [1, K]."""
    log_p = _as_log_probs(probs_or_logits)
    n = len(log_p)
    if not 1 <= splits <= n:
        raise ValueError(f"splits must be in 1..{n} (the number of samples), got {splits}")
    scores = []
    for chunk in np.array_split(log_p, splits):
        # Zero probabilities are log 0 = -inf: their terms are NaN here and masked out just below.
        with np.errstate(divide="ignore", invalid="ignore"):
            log_marginal = _logsumexp(chunk, axis=0) - np.log(len(chunk))
            p = np.exp(chunk)
            kl = np.sum(np.where(p > 0, p * (chunk - log_marginal), 0.0), axis=1)
        scores.append(np.exp(np.mean(kl)))
    return float(np.mean(scores)), float(np.std(scores))


# -------------------------------------------------------------------- Fréchet / kernel
def _moments(act):
    act = np.asarray(act, np.float64)
    if act.ndim != 2 or len(act) < 2:
        raise ValueError(f"expected (N >= 2, D) activations, got shape {act.shape}")
    return act.mean(axis=0), np.cov(act, rowvar=False)


def frechet_distance_from_moments(mu1, sigma1, mu2, sigma2, eps: float = 1e-6) -> float:
    """``||mu1-mu2||² + Tr(S1 + S2 - 2 (S1 S2)^½)`` with guards: when ``sqrtm`` of the product is
    not finite or has a sizeable imaginary part (a near-singular product), both covariances are
    regularised by ``eps·I`` and it is retried; a tiny imaginary part is dropped."""
    mu1, mu2 = np.atleast_1d(mu1), np.atleast_1d(mu2)
    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    diff = mu1 - mu2

    def sqrt_product(offset):
        with warnings.catch_warnings():  # a singular product is expected here and handled below
            warnings.simplefilter("ignore", linalg.LinAlgWarning)
            return linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))

    def usable(root):
        return np.isfinite(root).all() and np.allclose(np.diagonal(root).imag, 0, atol=1e-3)

    covmean = sqrt_product(0.0)
    if not usable(covmean):  # near-singular: regularise both covariances
        covmean = sqrt_product(np.eye(sigma1.shape[0]) * eps)
    if not usable(covmean):
        raise ValueError(f"sqrtm gave a large imaginary part ({np.max(np.abs(np.imag(covmean))):.3g})")
    covmean = np.real(covmean)
    value = float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))
    return max(value, 0.0)


def frechet_distance(act_a, act_b) -> float:
    """Fréchet distance between Gaussians fitted to two activation sets (FID when the
    activations come from a classifier's feature layer)."""
    return frechet_distance_from_moments(*_moments(act_a), *_moments(act_b))


def kernel_distance(act_a, act_b, subsets: int = 10, subset_size: int = 1000, seed: int = 0) -> tuple[float, float]:
    """Kernel Inception Distance (Bińkowski et al. 2018): unbiased MMD² with the cubic polynomial
    kernel ``(x·y/d + 1)³``, mean and std over random subsets."""
    a, b = np.asarray(act_a, np.float64), np.asarray(act_b, np.float64)
    d = a.shape[1]
    m = min(subset_size, len(a), len(b))
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(subsets):
        x = a[rng.choice(len(a), m, replace=False)]
        y = b[rng.choice(len(b), m, replace=False)]
        kxx = (x @ x.T / d + 1) ** 3
        kyy = (y @ y.T / d + 1) ** 3
        kxy = (x @ y.T / d + 1) ** 3
        mmd = ((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
               - 2 * kxy.mean())
        values.append(mmd)
    return float(np.mean(values)), float(np.std(values))


# ------------------------------------------------------------------ generator judgements
def conditional_accuracy(probs, intended) -> dict:
    """Share of samples generated for expression e that the classifier assigns to e.

    Returns ``{"per_expression": {name: share}, "macro": mean over the expressions present,
    "n": {name: count}}``."""
    pred = np.argmax(np.asarray(probs), axis=1)
    intended = np.asarray(intended)
    per, counts = {}, {}
    for e in np.unique(intended):
        mask = intended == e
        per[EXPRESSIONS[e]] = float(np.mean(pred[mask] == e))
        counts[EXPRESSIONS[e]] = int(mask.sum())
    return {"per_expression": per, "macro": float(np.mean(list(per.values()))), "n": counts}


def mean_pairwise_distance(features, max_samples: int = 2000, seed: int = 0) -> float:
    """Mean Euclidean distance between distinct pairs of feature vectors (a diversity score:
    compare a generator's value with the same on real images; far lower means mode collapse)."""
    f = np.asarray(features, np.float64)
    if len(f) > max_samples:
        f = f[np.random.default_rng(seed).choice(len(f), max_samples, replace=False)]
    sq = np.sum(f ** 2, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * f @ f.T, 0.0)
    n = len(f)
    return float(np.sqrt(d2)[~np.eye(n, dtype=bool)].mean())


def distinct_nearest_neighbours(generated_features, real_features) -> float:
    """Fraction of distinct real nearest neighbours among generated samples (1 = every sample
    has its own nearest real image; near 1/N = all samples collapse onto one mode)."""
    g = np.asarray(generated_features, np.float64)
    r = np.asarray(real_features, np.float64)
    d2 = np.sum(g ** 2, 1)[:, None] + np.sum(r ** 2, 1)[None, :] - 2 * g @ r.T
    return float(len(np.unique(np.argmin(d2, axis=1))) / len(g))


def ssim(a, b, data_range: float = 1.0) -> float:
    """Mean structural similarity of two batches of images (N, H, W[, 1])."""
    from skimage.metrics import structural_similarity

    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.ndim == 4:
        a, b = a[..., 0], b[..., 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(np.mean([structural_similarity(x, y, data_range=data_range) for x, y in zip(a, b)]))
