"""The notebooks' plots: what each draws, read back from the figure, and the GIF's frames."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from helpers.evaluation import plots  # noqa: E402
from helpers.expressions import EXPRESSIONS  # noqa: E402


def test_image_grids_put_each_face_in_its_place():
    faces = np.arange(5 * 48 * 48, dtype=np.uint32).reshape(5, 48, 48, 1) % 256
    fig = plots.show_images(faces.astype(np.uint8), titles=list("abcde"), cols=3)
    axes = fig.axes
    assert len(axes) == 6 and [ax.get_title() for ax in axes[:5]] == list("abcde") and not axes[5].images
    np.testing.assert_array_equal(axes[4].images[0].get_array(), faces[4].squeeze())
    labels = np.repeat(np.arange(7), 3)
    fig = plots.samples_per_expression(np.zeros((21, 48, 48, 1), np.uint8), labels, per_class=2)
    assert [fig.axes[2 * c].get_ylabel() for c in range(7)] == list(EXPRESSIONS)


def test_class_balance_and_curves_show_the_numbers_given():
    y = np.array([0, 0, 1, 3, 3, 3, 6, 6])
    fig = plots.class_balance({"Training": (None, y)})
    heights = [bar.get_height() for bar in fig.axes[0].patches]
    np.testing.assert_allclose(heights, np.bincount(y, minlength=7) / len(y))
    fig = plots.training_curves({"epoch": [0, 1, 2], "loss": [3.0, 2.0, 1.5], "val_loss": [3.1, 2.5, 2.4]})
    (ax,) = fig.axes
    assert [line.get_label() for line in ax.lines] == ["loss", "val_loss"]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3])


def test_a_confusion_matrix_is_normalised_per_true_row():
    cm = np.diag([4, 2, 1, 1, 1, 1, 1]).astype(float)
    cm[0, 1] = 4
    fig = plots.confusion_matrix(cm)
    shown = fig.axes[0].images[0].get_array()
    np.testing.assert_allclose(shown[0, :2], [0.5, 0.5])
    np.testing.assert_allclose(shown.sum(axis=1), 1.0)


def test_a_gif_has_every_frame_at_its_scale(tmp_path):
    frames = [np.full((48, 48), v, np.uint8) for v in (0, 128, 255)]
    path = plots.save_gif(frames, tmp_path / "sub" / "faces.gif", scale=2)
    with Image.open(path) as gif:
        assert gif.n_frames == 3 and gif.size == (96, 96)
        gif.seek(2)
        assert np.asarray(gif.convert("L")).min() == 255
