import numpy as np
import pytest

from helpers.data.synthetic import (EXPRESSION_PARAMS, IDENTITY_FACTORS, make_synthetic_faces, render_face)


def test_shapes_labels_and_factors():
    faces = make_synthetic_faces(70, seed=3)
    assert faces.images.shape == (70, 48, 48, 1) and faces.images.dtype == np.uint8
    assert np.bincount(faces.labels).tolist() == [10] * 7
    assert faces.identity.shape == (70, len(IDENTITY_FACTORS))
    assert faces.expression.shape == (70, len(EXPRESSION_PARAMS))
    assert faces.identity.min() >= 0 and faces.identity.max() <= 1


def test_seeded_and_varied():
    a, b = make_synthetic_faces(14, seed=1), make_synthetic_faces(14, seed=1)
    assert np.array_equal(a.images, b.images)
    assert not np.array_equal(a.images, make_synthetic_faces(14, seed=2).images)
    assert len({img.tobytes() for img in a.images}) == 14


def test_identity_and_expression_change_the_picture_independently():
    faces = make_synthetic_faces(2, seed=0, labels=[3, 5], noise=0.0)
    same_id = render_face(faces.identity[0], faces.expression[1])
    other_id = render_face(faces.identity[1], faces.expression[1])
    assert np.abs(same_id - other_id).mean() > 0.01
    assert np.abs(render_face(faces.identity[0], faces.expression[0]) - same_id).mean() > 0.005


@pytest.mark.slow
def test_small_classifier_reaches_95_percent():
    import keras

    keras.utils.set_random_seed(0)
    train, test = make_synthetic_faces(2100, seed=10), make_synthetic_faces(700, seed=11)
    model = keras.Sequential([
        keras.Input((48, 48, 1)),
        keras.layers.Rescaling(1 / 255.0),
        keras.layers.Conv2D(16, 3, activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(7, activation="softmax"),
    ])
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(train.images, train.labels, epochs=15, batch_size=64, verbose=0)
    _, accuracy = model.evaluate(test.images, test.labels, verbose=0)
    assert accuracy >= 0.95, accuracy
