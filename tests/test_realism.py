"""Realism: precision and recall against hand-worked figures and a brute-force reference, the
faceness arithmetic, and the face models on real faces and on faces that are not faces."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from helpers.evaluation import realism

SQUARE = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], float)  # each point's nearest other is 1 away


def test_precision_and_recall_by_hand():
    # k = 1: every real ball has radius 1; the generated balls: 0.5 for the pair near the origin,
    # 1 for the pair far away
    generated = np.array([[0, 0], [0, 0.5], [10, 10], [10, 11]], float)
    result = realism.precision_recall(SQUARE, generated, k=1)
    assert result["precision"] == 0.5  # the two near the origin lie in the real balls, the far pair does not
    assert result["recall"] == 0.5  # (0, 0) and (0, 1), on the surface of (0, 0.5)'s ball; not (1, 0) or (1, 1)
    assert realism.precision_recall(SQUARE, SQUARE, k=1) == {"precision": 1.0, "recall": 1.0, "k": 1}


def test_precision_and_recall_match_a_brute_force_reference():
    rng = np.random.default_rng(0)
    real, generated = rng.normal(size=(40, 5)), rng.normal(0.7, 0.6, size=(40, 5))  # narrower: precise, low recall

    def inside(queries, manifold, k):
        radii = [sorted(np.linalg.norm(p - q) for j, q in enumerate(manifold) if j != i)[k - 1]
                 for i, p in enumerate(manifold)]
        return np.mean([any(np.linalg.norm(x - p) <= r for p, r in zip(manifold, radii)) for x in queries])

    result = realism.precision_recall(real, generated, k=3)
    assert result["precision"] == pytest.approx(inside(generated, real, 3))
    assert result["recall"] == pytest.approx(inside(real, generated, 3))
    assert result["precision"] > 0.9 and 0.3 < result["recall"] < 0.7


def test_a_neighbour_count_must_fit_the_samples():
    with pytest.raises(ValueError, match="k must be in 1..3"):
        realism.kth_neighbour_radii(SQUARE, k=4)


def test_acceptance_and_faceness_ratios():
    accepted = np.array([1, 1, 0, 1, 0, 0], bool)
    made_as = np.array([0, 0, 0, 3, 3, 3])
    generated = realism.acceptance(accepted, made_as)
    assert generated == {"per_expression": {"Angry": pytest.approx(2 / 3), "Happy": pytest.approx(1 / 3)},
                         "overall": 0.5}
    real = {"per_expression": {"Angry": 2 / 3, "Happy": 0.0}, "overall": 0.6}
    ratios = realism.faceness_ratios(generated, real)
    assert ratios["per_expression"]["Angry"] == pytest.approx(1.0) and math.isnan(ratios["per_expression"]["Happy"])
    assert ratios["overall"] == pytest.approx(0.5 / 0.6)
    with pytest.raises(ValueError, match="one expression per face"):
        realism.acceptance(accepted, made_as[:3])


def faceness(angry: float, happy: float) -> dict:
    return {"per_expression": {"Angry": angry, "Happy": happy}, "overall": (angry + happy) / 2}


def seed_row(angry: float, happy: float, precision: float, recall: float) -> dict:
    return {"faceness": {"face": faceness(angry, happy)},
            "precision_recall": {"judge": {"precision": precision, "recall": recall, "k": 3}}}


def test_the_worst_seed_decides_realism():
    real = seed_row(0.8, 0.9, 0.85, 0.86)
    rows = [seed_row(0.8, 0.9, 0.9, 0.80), seed_row(0.74, 0.837, 0.88, 0.76)]
    s = realism.summarise_realism(rows, [real, real], [real, real])
    face = s["faceness"]["face"]
    assert face["worst_ratio_per_expression"] == pytest.approx({"Angry": 0.925, "Happy": 0.93})
    assert face["weakest_expression"] == "Angry" and face["worst_ratio_overall"] == pytest.approx(0.7885 / 0.85)
    assert not face["meets"] and not s["meets_faceness"]  # 0.93 overall < 0.95, though every expression >= 0.9
    assert s["precision_recall"]["judge"] == pytest.approx({"precision_worst": 0.88, "precision_real_mean": 0.85,
                                                             "recall_worst": 0.76, "recall_real_mean": 0.86})
    assert s["meets_coverage"]
    translator = realism.summarise_realism(rows, [real, real], [real, real], translator=True)
    assert translator["meets_faceness"]  # a translator is held to the per-expression target only
    lower = realism.summarise_realism([seed_row(0.8, 0.9, 0.84, 0.9)], [real], [real])
    assert not lower["meets_coverage"]  # precision below real faces'


def test_what_is_not_a_face_is_made_from_faces():
    faces = np.arange(2 * 4 * 4, dtype=np.uint8).reshape(2, 4, 4)
    made = realism.not_faces(faces)
    assert {k: v.shape for k, v in made.items()} == dict.fromkeys(made, (2, 4, 4))
    np.testing.assert_array_equal(made["scrambled quadrants"][0, :2, :2], faces[0, 2:, 2:])
    np.testing.assert_array_equal(made["half faces"][1, :, :2], faces[1, :, :2])
    assert (made["half faces"][:, :, 2:] == 128).all() and (made["blank"] == 128).all()


def test_an_unknown_face_model_is_refused():
    from helpers.errors import UserError
    from helpers.inference.face_models import load_face_models

    with pytest.raises(UserError, match="choose from mtcnn, dlib-hog"):
        load_face_models(["mtcnn", "retina"])


@pytest.fixture(scope="module")
def face_models():
    pytest.importorskip("mtcnn", reason="the realism extra is not installed (pip install -e .[realism])")
    pytest.importorskip("dlib", reason="the realism extra is not installed (pip install -e .[realism])")
    from helpers.inference.face_models import load_face_models

    return load_face_models()


@pytest.mark.fer2013
def test_face_models_accept_real_faces_and_refuse_what_is_not_a_face(face_models, fer2013):
    from helpers.evaluation.targets import balanced_indices

    x, y = fer2013["Training"]
    faces = x[balanced_indices(y, 10, range(7), seed=0)][..., 0]
    for model in face_models:
        assert model.accepts(faces).mean() >= 0.6, model.name
        for name, images in realism.not_faces(faces).items():
            assert model.accepts(images).mean() <= 0.2, (model.name, name)


def test_mtcnn_has_a_feature_space_that_tells_faces_from_noise(face_models):
    from skimage import data
    from skimage.color import rgb2gray
    from skimage.transform import resize

    mtcnn = {model.name: model for model in face_models}["mtcnn"]
    face = (resize(rgb2gray(data.astronaut()[30:230, 150:330]), (48, 48)) * 255).astype(np.uint8)
    images = np.stack([face, np.fliplr(face), np.random.default_rng(0).integers(0, 256, (48, 48), dtype=np.uint8)])
    features = mtcnn.features(images)
    assert features.shape == (3, 256) and np.isfinite(features).all()
    distances = {pair: np.linalg.norm(features[pair[0]] - features[pair[1]]) for pair in itertools.combinations(range(3), 2)}
    assert distances[(0, 1)] < distances[(0, 2)] and distances[(0, 1)] < distances[(1, 2)]  # mirror near, noise far
    assert mtcnn.accepts(images).tolist() == [True, True, False]
