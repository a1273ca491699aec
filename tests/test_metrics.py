"""Metrics against small NumPy references and analytic cases."""
import numpy as np
import pytest
from scipy import linalg

from helpers.evaluation.metrics import (classification_report, conditional_accuracy, distinct_nearest_neighbours, frechet_distance,
                                        frechet_distance_from_moments, inception_score, kernel_distance, mean_pairwise_distance,
                                        ssim)


def reference_inception_score(p, splits):
    """The textbook formula, straight from the definition."""
    scores = []
    for chunk in np.array_split(p, splits):
        py = chunk.mean(axis=0)
        kl = [sum(pi * np.log(pi / qi) for pi, qi in zip(row, py) if pi > 0) for row in chunk]
        scores.append(np.exp(np.mean(kl)))
    return np.mean(scores), np.std(scores)


def test_is_uniform_predictions_is_one():
    assert inception_score(np.full((100, 7), 1 / 7), splits=10) == pytest.approx((1.0, 0.0), abs=1e-12)


def test_is_confident_balanced_is_k():
    p = np.eye(7)[np.arange(700) % 7]
    mean, std = inception_score(p, splits=10)
    assert mean == pytest.approx(7.0, abs=1e-9) and std == pytest.approx(0.0, abs=1e-9)


def test_is_one_class_only_is_one():
    p = np.zeros((50, 7)); p[:, 3] = 1
    assert inception_score(p, splits=5)[0] == pytest.approx(1.0)


def test_is_matches_reference_and_accepts_logits():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (200, 7))
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    ref = reference_inception_score(p, 10)
    assert inception_score(p, 10) == pytest.approx(ref, rel=1e-9)
    assert inception_score(logits, 10) == pytest.approx(ref, rel=1e-9)
    assert 1.0 <= inception_score(p, 10)[0] <= 7.0


def test_is_rejects_bad_splits():
    with pytest.raises(ValueError):
        inception_score(np.full((5, 7), 1 / 7), splits=6)


def test_fid_closed_form_for_diagonal_gaussians():
    # For diagonal covariances: ||mu1-mu2||² + sum (s1 + s2 - 2 sqrt(s1 s2)).
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    s1, s2 = np.array([1.0, 2.0, 3.0]), np.array([4.0, 2.0, 0.5])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(s1 + s2 - 2 * np.sqrt(s1 * s2))
    assert frechet_distance_from_moments(mu1, np.diag(s1), mu2, np.diag(s2)) == pytest.approx(expected, rel=1e-9)


def test_fid_matches_reference_on_samples():
    rng = np.random.default_rng(1)
    a = rng.normal(0, 1, (500, 4))
    b = rng.normal(0.5, 2, (400, 4)) @ rng.normal(0, 1, (4, 4))
    mu1, mu2, c1, c2 = a.mean(0), b.mean(0), np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    ref = np.sum((mu1 - mu2) ** 2) + np.trace(c1 + c2 - 2 * linalg.sqrtm(c1 @ c2).real)
    assert frechet_distance(a, b) == pytest.approx(ref, rel=1e-7)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)


def test_fid_singular_covariance_is_finite():
    rng = np.random.default_rng(2)
    a = np.c_[rng.normal(size=(50, 2)), np.zeros((50, 3))]  # rank-deficient
    b = np.c_[rng.normal(size=(50, 2)), np.zeros((50, 3))]
    value = frechet_distance(a, b)
    assert np.isfinite(value) and value >= 0


def reference_kid(x, y):
    d, m = x.shape[1], len(x)
    k = lambda u, v: (u @ v / d + 1) ** 3  # noqa: E731
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    return xx + yy - 2 * xy


def test_kid_matches_reference_and_is_near_zero_for_same_distribution():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(30, 5)), rng.normal(1.0, 1.0, size=(30, 5))
    assert kernel_distance(x, y, subsets=1, subset_size=30)[0] == pytest.approx(reference_kid(x, y), rel=1e-9)
    same = kernel_distance(rng.normal(size=(400, 5)), rng.normal(size=(400, 5)), subsets=5, subset_size=400)[0]
    assert abs(same) < 0.05 < kernel_distance(x, y, subsets=1, subset_size=30)[0]


def test_classification_report():
    y = np.array([0, 0, 1, 1, 2, 2])
    p = np.array([0, 1, 1, 1, 2, 0])
    r = classification_report(y, p, num_classes=3)
    assert r["accuracy"] == pytest.approx(4 / 6)
    assert r["per_class_accuracy"].tolist() == [0.5, 1.0, 0.5]
    assert r["confusion_matrix"].tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]


def test_conditional_accuracy():
    probs = np.eye(7)[[3, 3, 0, 5, 5, 5]]
    r = conditional_accuracy(probs, [3, 3, 3, 5, 5, 2])
    assert r["per_expression"] == {"Fear": 0.0, "Happy": pytest.approx(2 / 3), "Surprise": 1.0}
    assert r["macro"] == pytest.approx((0 + 2 / 3 + 1) / 3)


def test_diversity_scores():
    rng = np.random.default_rng(4)
    real = rng.normal(size=(100, 8))
    collapsed = np.repeat(real[:1], 50, axis=0) + 1e-3 * rng.normal(size=(50, 8))
    assert mean_pairwise_distance(collapsed) < 0.01 * mean_pairwise_distance(real)
    pts = np.array([[0.0, 0], [3, 4]])
    assert mean_pairwise_distance(pts) == pytest.approx(5.0)
    assert distinct_nearest_neighbours(collapsed, real) == pytest.approx(1 / 50)
    assert distinct_nearest_neighbours(real, real) == 1.0


def test_ssim_identity_and_noise():
    rng = np.random.default_rng(5)
    a = rng.uniform(size=(3, 48, 48, 1))
    assert ssim(a, a) == pytest.approx(1.0)
    assert ssim(a, rng.uniform(size=a.shape)) < 0.2


@pytest.mark.slow
def test_generator_evaluation_of_a_perfect_generator_matches_the_real_data():
    """A 'generator' that returns the real split's own faces scores like the real data: FID 0,
    IS ratio 1, conditional accuracy = the judge's per-class accuracy on real faces."""
    from helpers.data import load_dataset
    from helpers.evaluation.scores import GeneratorEvaluation
    from helpers.inference.generators import GeneratorCheckpoint
    from helpers.inference.judge import Judge
    from helpers.models import fer_vgg

    splits = load_dataset("synthetic")
    x, y = splits["PrivateTest"]

    class Replay(GeneratorCheckpoint):
        def generate(self, expression, n, seed=None, truncation=None, noise=None):
            return x[y == expression][:n]

    judge = Judge(model=fer_vgg(widths=(8, 16), first_width=8, head_width=16))
    evaluation = GeneratorEvaluation(split="PrivateTest", judge=judge, splits=splits)
    r = evaluation(Replay(None, {"kind": "replay", "noise_dim": 1, "expressions": list(range(7))}, "replay"))
    assert r["n"] == len(y)
    assert abs(r["fid"]) < 1e-6 and abs(r["is_ratio"] - 1.0) < 1e-9
    pred = judge.probs(x).argmax(1)
    expected = np.mean([np.mean(pred[y == e] == e) for e in range(7)])
    assert abs(r["conditional_accuracy_macro"] - expected) < 1e-9
    assert abs(r["pairwise_distance"] - r["real_pairwise_distance"]) < 1e-9


@pytest.mark.slow
def test_translation_evaluation_in_judge_space_of_a_translator_that_changes_nothing(tmp_path):
    """With the recognizer-space judge: nothing changed gives L1 0, SSIM 1, target accuracy equal
    to the untouched sources', and an FID above the floor (each target's set holds other expressions)."""
    from helpers.data import load_dataset
    from helpers.evaluation.scores import TranslationEvaluation
    from helpers.models import fer_vgg
    from helpers.inference.judge import Judge
    from helpers.inference.translation import Translator

    import keras

    keras.utils.set_random_seed(0)  # the untrained judge's weights, whichever tests ran before
    judge = Judge(model=fer_vgg(widths=(8, 16), first_width=8, head_width=16))
    evaluation = TranslationEvaluation(split="PrivateTest", judge=judge, sources=200, splits=load_dataset("synthetic"))
    same = Translator(lambda inputs, training=False: inputs[0], {"kind": "ccyclegan"}, tmp_path)
    r = evaluation(same)
    assert r["sources"] == 200 and r["source_l1"] == 0 and r["cycle_l1"] == 0
    assert r["source_ssim"] == pytest.approx(1.0)
    assert r["target_accuracy_macro"] == pytest.approx(r["unchanged_target_accuracy_macro"])
    assert np.isfinite(r["fid"]) and r["fid"] > r["fid_floor"] >= 0
