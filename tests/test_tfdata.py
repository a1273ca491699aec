import numpy as np
import tensorflow as tf

from helpers.data.pipelines import augmenter, make_dataset, random_erasing


def _data(n=20):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, 48, 48, 1), dtype=np.uint8), rng.integers(0, 7, n)


def test_batches_and_shuffle():
    x, y = _data()
    batches = list(make_dataset(x, y, batch_size=8, shuffle=True))
    assert [b[0].shape[0] for b in batches] == [8, 8, 4]
    seen = np.concatenate([b[1].numpy() for b in batches])
    assert sorted(seen.tolist()) == sorted(y.tolist())


def test_augmentation_keeps_range_and_changes_images():
    x, y = _data(16)
    xb, _ = next(iter(make_dataset(x, y, batch_size=16, augment=augmenter(seed=1))))
    xb = xb.numpy()
    assert xb.shape == (16, 48, 48, 1) and xb.dtype == np.float32
    assert xb.min() >= 0 and xb.max() <= 255
    assert not np.allclose(xb, x)


def test_resize_for_vgg16():
    x, y = _data(4)
    xb, _ = next(iter(make_dataset(x, y, batch_size=4, resize_rgb=160)))
    assert xb.shape == (4, 160, 160, 3)
    assert np.allclose(xb[..., 0], xb[..., 2])


def test_random_erasing_zeroes_a_rectangle():
    images = tf.ones((32, 48, 48, 1)) * 100.0
    out = random_erasing(images, probability=1.0).numpy()
    zero = out[..., 0] == 0
    assert zero.any(axis=(1, 2)).all()
    for mask in zero:
        rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
        assert mask.sum() == len(rows) * len(cols)  # one solid rectangle
    assert (random_erasing(images, probability=0.0).numpy() == 100.0).all()
