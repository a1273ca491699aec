import time

import numpy as np
import pytest

from helpers.data import UNLABELED, load_dataset
from helpers.errors import DataError, DataNotFoundError
from conftest import pixel_row, write_image


def test_fer_csv_plain_and_gzip(tiny_csv):
    for path in (tiny_csv, tiny_csv.with_suffix(".csv.gz")):
        splits = load_dataset(path, cache=False)
        assert list(splits) == ["Training", "PublicTest", "PrivateTest"]
        x, y = splits["Training"]
        assert x.dtype == np.uint8 and x.shape == (3, 48, 48, 1)
        assert y.tolist() == [3, 0, 2]
        assert splits["PublicTest"][1].tolist() == [6] and splits["PrivateTest"][1].tolist() == [5]


def test_pixels_keep_row_major_order(tmp_path):
    pixels = np.arange(48 * 48) % 256
    path = tmp_path / "fer2013.csv"
    path.write_text("emotion,pixels,Usage\n4," + " ".join(map(str, pixels)) + ",Training\n")
    x, _ = load_dataset(path, cache=False)["Training"]
    assert np.array_equal(x[0, :, :, 0], pixels.reshape(48, 48))


def test_folder_holding_the_csv(tiny_csv):
    assert load_dataset(tiny_csv.parent, cache=False)["Training"][0].shape[0] == 3


def test_cache_round_trip(tiny_csv, monkeypatch, tmp_path):
    monkeypatch.setenv("FER_CACHE_DIR", str(tmp_path / "cache"))
    first = load_dataset(tiny_csv)
    cached = list(tiny_csv.parent.glob(".fer2013.csv.*.npz"))
    assert len(cached) == 1
    again = load_dataset(tiny_csv)
    for usage in first:
        assert np.array_equal(first[usage][0], again[usage][0])
        assert np.array_equal(first[usage][1], again[usage][1])


@pytest.mark.parametrize("bad_row,reason", [
    ("3,{short},Training", "expected 2304 pixel values"),
    ("3,{nonnum},Training", "non-numeric"),
    ("3,{pixels},Holdout", "unknown Usage"),
    ("9,{pixels},Training", "unknown emotion label"),
    ("3,{big},Training", "above 255"),
    ("3,{pixels}", "comma-separated fields"),
])
def test_malformed_row_names_file_and_line(tmp_path, rng, bad_row, reason):
    good = pixel_row(rng)
    row = bad_row.format(short=" ".join(["1"] * 100), nonnum=good[:-3] + " x7", pixels=good,
                         big="300 " + " ".join(["1"] * 2303))
    path = tmp_path / "bad.csv"
    path.write_text(f"emotion,pixels,Usage\n0,{good},Training\n{row}\n1,{good},PublicTest\n")
    with pytest.raises(DataError) as err:
        load_dataset(path, cache=False)
    message = str(err.value)
    assert str(path) in message and "line 3" in message and reason in message
    assert "\n" not in message and "--lenient" in message and "strict=False" in message

    with pytest.warns(UserWarning, match=r"skipped 1 malformed rows \(first: line 3"):
        lenient = load_dataset(path, cache=False, strict=False)
    assert lenient.skipped == 1
    assert len(lenient["Training"][1]) == 1 and len(lenient["PublicTest"][1]) == 1


def test_lenient_mode_warns_with_the_count(tmp_path, rng):
    good = pixel_row(rng)
    path = tmp_path / "bad.csv"
    path.write_text(f"emotion,pixels,Usage\n0,{good},Training\n0,1 2 3,Training\n0,{good},Nowhere\n")
    with pytest.warns(UserWarning, match="skipped 2 malformed rows"):
        assert load_dataset(path, cache=False, strict=False).skipped == 2


def test_missing_file_says_where_to_get_and_put_it(tmp_path):
    with pytest.raises(DataNotFoundError) as err:
        load_dataset(tmp_path / "nope.csv")
    message = str(err.value)
    assert "Kaggle" in message and "Data/" in message and "FER2013_PATH" in message


@pytest.mark.parametrize("content,message", [
    ("", "is empty: expected a header line emotion,pixels,Usage"),
    ("emotion,image\n0,1 2\n", "header 'emotion,image' has no 'pixels' column (expected emotion,pixels,Usage)"),
])
def test_a_file_without_faces_says_what_is_expected(tmp_path, content, message):
    path = tmp_path / "fer2013.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_dataset(path, cache=False)


def test_challenge_pair_with_unlabeled_test(tmp_path, rng):
    (tmp_path / "train.csv").write_text("emotion,pixels\n" + "".join(f"{e},{pixel_row(rng)}\n" for e in (1, 4)))
    (tmp_path / "test.csv").write_text("pixels\n" + "".join(f"{pixel_row(rng)}\n" for _ in range(3)))
    with pytest.warns(UserWarning, match="no 'emotion' column"):
        splits = load_dataset(tmp_path)
    assert splits["Training"][1].tolist() == [1, 4]
    x_test, y_test = splits["Test"]
    assert x_test.shape == (3, 48, 48, 1) and (y_test == UNLABELED).all()


def test_image_folders_with_aliases(tmp_path, rng):
    for split, folder, n in (("train", "happy", 2), ("train", "Sadness", 1), ("test", "surprise", 1), ("test", "angry", 2)):
        for k in range(n):
            write_image(tmp_path / split / folder / f"{k}.png", rng.integers(0, 256, (64, 64), dtype=np.uint8))
    write_image(tmp_path / "train" / "happy" / "rgb.jpg", rng.integers(0, 256, (48, 48, 3), dtype=np.uint8))
    (tmp_path / "train" / "happy" / "notes.txt").write_text("ignored")
    splits = load_dataset(tmp_path)
    x, y = splits["Training"]
    assert x.shape == (4, 48, 48, 1) and x.dtype == np.uint8
    assert sorted(y.tolist()) == [3, 3, 3, 4]
    assert sorted(splits["Test"][1].tolist()) == [0, 0, 5]


def test_image_folders_unreadable_file(tmp_path, rng):
    write_image(tmp_path / "train" / "fear" / "ok.png", rng.integers(0, 256, (48, 48), dtype=np.uint8))
    (tmp_path / "train" / "fear" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match="broken.png"):
        load_dataset(tmp_path)
    with pytest.warns(UserWarning, match="skipped 1 unreadable images"):
        lenient = load_dataset(tmp_path, strict=False)
    assert lenient.skipped == 1 and len(lenient["Training"][1]) == 1


def test_image_folder_with_unknown_expression(tmp_path, rng):
    write_image(tmp_path / "train" / "bored" / "a.png", rng.integers(0, 256, (48, 48), dtype=np.uint8))
    with pytest.raises(DataError, match="bored"):
        load_dataset(tmp_path)


def _rafdb_tree(root, rng):
    lines = ["train_00001.jpg 1", "train_00002.jpg 4", "test_0001.jpg 6", "test_0002.jpg 7"]
    (root / "EmoLabel").mkdir(parents=True)
    (root / "EmoLabel" / "list_patition_label.txt").write_text("\n".join(lines) + "\n")
    for line in lines:
        stem = line.split()[0][:-4]
        write_image(root / "Image" / "aligned" / f"{stem}_aligned.jpg", rng.integers(0, 256, (100, 100, 3), dtype=np.uint8))


def test_rafdb_gray48_and_native(tmp_path, rng):
    root = tmp_path / "basic"
    _rafdb_tree(root, rng)
    splits = load_dataset(root)
    assert splits["Training"][0].shape == (2, 48, 48, 1)
    assert splits["Training"][1].tolist() == [5, 3]  # Surprise, Happiness in FER order
    assert splits["Test"][1].tolist() == [0, 6]  # Anger, Neutral
    native = load_dataset(tmp_path, native=True)  # the parent of basic/ works too
    assert native["Training"][0].shape == (2, 100, 100, 3)


def test_rafdb_bad_label_line(tmp_path, rng):
    root = tmp_path / "basic"
    _rafdb_tree(root, rng)
    with open(root / "EmoLabel" / "list_patition_label.txt", "a") as f:
        f.write("train_00003.jpg 9\n")
    with pytest.raises(DataError, match="line 5"):
        load_dataset(root)


def test_unknown_layout(tmp_path):
    (tmp_path / "something.txt").write_text("x")
    with pytest.raises(DataError, match="no supported layout"):
        load_dataset(tmp_path)


def test_synthetic_is_a_layout():
    splits = load_dataset("synthetic")
    assert set(splits) == {"Training", "PublicTest", "PrivateTest"}
    assert splits["Training"][0].shape[1:] == (48, 48, 1)


@pytest.mark.fer2013
def test_fer2013_split_counts(fer2013):
    assert {u: len(y) for u, (_, y) in fer2013.items()} == {"Training": 28709, "PublicTest": 3589, "PrivateTest": 3589}
    assert np.bincount(fer2013["PrivateTest"][1]).tolist() == [491, 55, 528, 879, 594, 416, 626]


@pytest.mark.slow
@pytest.mark.fer2013
def test_fer2013_cache_reloads_the_parsed_arrays(tmp_path, monkeypatch, capsys):
    """The cache gives back exactly what parsing gave; the two timings are printed as a benchmark
    figure (they depend on the machine and its load, so they are not asserted)."""
    from helpers.data import find_fer2013

    monkeypatch.setenv("FER_CACHE_DIR", str(tmp_path))
    t0 = time.perf_counter()
    parsed = load_dataset(find_fer2013(), cache=False)
    parse = time.perf_counter() - t0
    load_dataset(find_fer2013())  # writes the cache
    t0 = time.perf_counter()
    cached = load_dataset(find_fer2013())
    reload = time.perf_counter() - t0
    assert list(cached) == list(parsed)
    for usage, (x, y) in parsed.items():
        np.testing.assert_array_equal(cached[usage][0], x)
        np.testing.assert_array_equal(cached[usage][1], y)
    with capsys.disabled():
        print(f"\n[benchmark] FER2013: CSV parsed in {parse:.1f} s, cached reload in {reload:.2f} s")
