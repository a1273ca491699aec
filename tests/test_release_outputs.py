"""Every shipped model loads (safe mode, no pickle) and gives the outputs recorded at its release;
tools/check_stacks.py runs the same check on each supported stack."""
import numpy as np
import pytest

from helpers import release_check
from helpers.data import REPO_ROOT
from helpers.evaluation.references import REFERENCE, SHIPPED, check, compare


@pytest.fixture(scope="module")
def comparisons():
    return check()


@pytest.fixture(scope="module")
def litert_comparisons():
    return check(backend="litert")


def test_every_shipped_model_has_recorded_outputs():
    stored = np.load(REFERENCE, allow_pickle=False)
    assert sorted(stored.files) == sorted(f"{name}/{part}" for name in SHIPPED for part in ("inputs", "outputs"))


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_gives_its_recorded_outputs(comparisons, name):
    result = next(r for r in comparisons if r.name == name)
    assert result.ok, f"{name}: {result.detail}"


@pytest.mark.parametrize("name", SHIPPED)
def test_litert_twin_gives_the_recorded_outputs(litert_comparisons, name):
    """Generators and translators within 1 grey level; recognizers the same argmax, within 1e-3."""
    result = next(r for r in litert_comparisons if r.name == name)
    assert result.ok, f"{name} (LiteRT): {result.detail}"


@pytest.mark.parametrize("name", SHIPPED)
def test_every_model_file_is_at_most_10_mb(name):
    kind, path = SHIPPED[name]
    keras_file = REPO_ROOT / path / "generator.keras" if kind != "recognizer" else REPO_ROOT / path
    for file in (keras_file, keras_file.with_suffix(".tflite")):
        assert file.is_file(), f"{file} is missing: a release ships both files"
        assert file.stat().st_size <= 10_000_000, f"{file} is {file.stat().st_size / 1e6:.1f} MB"


def test_comparison_catches_two_grey_levels_and_a_changed_answer():
    images = np.full((3, 48, 48, 1), 100, np.uint8)
    assert compare("generator", images, images + 1)[0]
    assert not compare("generator", images, images + 2)[0]
    probs = np.array([[0.6, 0.4], [0.2, 0.8]], np.float32)
    assert compare("recognizer", probs, probs + 5e-5)[0]
    assert not compare("recognizer", probs, probs + 5e-4)[0]
    assert not compare("recognizer", probs, probs[:, ::-1])[0]
    assert compare("recognizer", probs, probs + 5e-4, backend="litert")[0]
    assert not compare("recognizer", probs, probs + 2e-3, backend="litert")[0]


def test_a_missing_model_fails_the_check(tmp_path, monkeypatch):
    monkeypatch.setitem(SHIPPED, "cwgan_fer2013", ("generator", str(tmp_path / "gone")))
    [result] = check(names=["cwgan_fer2013"])
    assert not result.ok and "does not exist" in result.detail


def test_cli_prints_one_line_per_model(capsys):
    assert release_check.main(["recognizer_fer2013", "cwgan_fer2013"]) == 0
    out = capsys.readouterr().out
    assert "ok   recognizer_fer2013" in out and "2 of 2 shipped models (keras) give their recorded outputs" in out


def test_writing_one_model_keeps_what_the_others_recorded(tmp_path):
    from helpers.evaluation.references import write

    with np.load(REFERENCE) as stored:
        arrays = {key: stored[key] for key in stored.files}
    for name in ("cwgan_fer2013", "dcgan_fer2013"):  # marks: a rewrite replaces them, a kept record does not
        arrays[f"{name}/outputs"] = np.zeros_like(arrays[f"{name}/outputs"])
    copy = tmp_path / "reference.npz"
    np.savez_compressed(copy, **arrays)
    write(copy, names=["cwgan_fer2013"])
    with np.load(REFERENCE) as before, np.load(copy) as after:
        assert sorted(after.files) == sorted(before.files)
        assert not after["dcgan_fer2013/outputs"].any()
        assert compare("generator", before["cwgan_fer2013/outputs"], after["cwgan_fer2013/outputs"])[0]
        np.testing.assert_array_equal(after["recognizer_fer2013/outputs"], before["recognizer_fer2013/outputs"])
