"""PreciseBN: batch-norm statistics re-estimated on clean images, checked against NumPy."""
import json

import keras
import numpy as np
import pytest

from helpers.errors import UserError
from helpers.models import fer_vgg
from helpers.training.precise_bn import recalibrate_batch_norm


def _two_norm_model():
    """x -> Dense(3, fixed kernel) -> BN -> Dropout(0.5) -> BN: the first BN's input is a known
    linear map of x, the second sees the first one's batch-normalised output through dropout."""
    inputs = keras.Input((2,))
    h = keras.layers.Dense(3, use_bias=False, name="linear")(inputs)
    h = keras.layers.BatchNormalization(name="bn1")(h)
    h = keras.layers.Dropout(0.5, name="dropout")(h)
    out = keras.layers.BatchNormalization(name="bn2")(h)
    model = keras.Model(inputs, out)
    model.get_layer("linear").kernel.assign(np.array([[1.0, 0.0, 2.0], [0.0, -1.0, 1.0]], np.float32))
    return model


def test_statistics_are_the_population_moments_of_the_clean_inputs():
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(640, 2)) * [3.0, 0.5] + [10.0, -4.0]).astype(np.float32)  # 640 = 10 batches of 64
    model = _two_norm_model()
    assert recalibrate_batch_norm(model, x, batch_size=64, progress=False) == 10
    h = x.astype(np.float64) @ np.array([[1.0, 0.0, 2.0], [0.0, -1.0, 1.0]])
    bn1 = model.get_layer("bn1")
    np.testing.assert_allclose(bn1.moving_mean.numpy(), h.mean(0), rtol=1e-5)
    np.testing.assert_allclose(bn1.moving_variance.numpy(), h.var(0), rtol=1e-4)  # exact, not mean of batch variances
    # bn2 sees batch-normalised values with dropout off: mean 0, variance var / (var + epsilon), just
    # under 1; with dropout on, the surviving values would be scaled by 2 and the variance would be about 2
    bn2 = model.get_layer("bn2")
    np.testing.assert_allclose(bn2.moving_mean.numpy(), 0.0, atol=1e-5)
    np.testing.assert_allclose(bn2.moving_variance.numpy(), h.var(0) / (h.var(0) + bn1.epsilon), atol=1e-3)
    # the model is left as it was: dropout active in training, the layers' momentum unchanged
    assert model.get_layer("dropout").rate == 0.5 and bn1.momentum == bn2.momentum == 0.99


def test_a_partial_last_batch_is_dropped_and_the_order_is_seeded():
    x = np.random.default_rng(2).normal(size=(100, 2)).astype(np.float32)
    a, b = _two_norm_model(), _two_norm_model()
    assert recalibrate_batch_norm(a, x, batch_size=32, seed=3, progress=False) == 3
    recalibrate_batch_norm(b, x, batch_size=32, seed=3, progress=False)
    np.testing.assert_array_equal(a.get_layer("bn1").moving_mean.numpy(), b.get_layer("bn1").moving_mean.numpy())


def test_errors_name_the_problem():
    x = np.zeros((8, 2), np.float32)
    with pytest.raises(UserError, match="no BatchNormalization"):
        recalibrate_batch_norm(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]), x, progress=False)
    with pytest.raises(UserError, match="at least one batch"):
        recalibrate_batch_norm(_two_norm_model(), x, batch_size=16, progress=False)


@pytest.mark.slow
def test_cli_recalibrates_a_recognizer_and_records_it(tmp_path, run_python):
    src, out = tmp_path / "model.keras", tmp_path / "recal.keras"
    fer_vgg(widths=(4, 4, 4, 4), first_width=4, head_width=8).save(src)
    src.with_suffix(".json").write_text(json.dumps({
        "command": "python -m helpers.train_recognizer ...", "selected_epoch": 3,
        "privatetest_accuracy": 0.5, "privatetest_macro_accuracy": 0.4,
        "evaluation_commands": {"privatetest": "python -m helpers.evaluate recognizer ..."}}))
    run = run_python(["-m", "helpers.train_recognizer", "--recalibrate-bn", str(src),
                      "--out", str(out), "--data", "synthetic", "--subset", "256", "--batch-size", "64"])
    assert run.returncode == 0, run.stderr[-2000:]
    assert "PublicTest accuracy:" in run.stdout
    provenance = json.loads(out.with_suffix(".json").read_text())
    record = provenance["batch_norm_recalibration"]
    assert record["training_images"] == 256 and "--recalibrate-bn" in record["command"]
    assert 0 <= record["publictest_accuracy_before"] <= 1 and 0 <= record["publictest_accuracy_after"] <= 1
    # the lineage is kept; the evaluations of the old weights are not
    assert provenance["selected_epoch"] == 3 and provenance["command"].startswith("python -m helpers.train_recognizer")
    assert not {"privatetest_accuracy", "privatetest_macro_accuracy", "evaluation_commands"} & set(provenance)
    before, after = keras.models.load_model(src), keras.models.load_model(out, safe_mode=True)
    assert not np.allclose(before.get_layer("block1_bn1").moving_variance.numpy(),
                           after.get_layer("block1_bn1").moving_variance.numpy())
    np.testing.assert_array_equal(before.get_layer("block1_conv1").kernel.numpy(),
                                  after.get_layer("block1_conv1").kernel.numpy())  # no weight is trained
