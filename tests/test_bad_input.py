"""Bad input, tried on purpose: what real users give the commands and loaders (output paths that
cannot be written, edited or damaged checkpoints, hostile CSV files, odd images, odd numbers).
Each case must end in one ``error:`` line, exit status 2 and no traceback, with every file and
folder it was pointed at unchanged; inputs that are odd but valid must be read right."""
from __future__ import annotations

import functools
import gzip
import hashlib
import io
import json
import os
import shutil
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from helpers.data.fer2013 import FER_USAGES, NUM_PIXELS, load_fer_csv
from helpers.data.images import read_image
from helpers.errors import DataError

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "checkpoints" / "dcgan_fer2013"  # label-conditioned, noise 100, with its LiteRT twin


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` by relative path, with the SHA-256 of its bytes (folders as "/")."""
    out = {}
    for path in sorted(root.rglob("*")):
        out[str(path.relative_to(root))] = "/" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def assert_refused(done, *fragments: str) -> None:
    """One ``error:`` line holding ``fragments``, exit status 2, no traceback."""
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert done.returncode == 2 and len(errors) == 1, done.stderr[-2000:]
    assert all(f in errors[0] for f in fragments), errors[0]
    assert "Traceback" not in done.stderr


@pytest.fixture
def photo(tmp_path) -> Path:
    from skimage import data

    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(data.astronaut()).save(folder / "astronaut.png")
    return folder / "astronaut.png"


# ------------------------------------------------------------------------------ output paths
def _folder(kind: str, tmp_path: Path) -> Path:
    (tmp_path / "taken.txt").write_text("a user's file")
    if kind == "a file":
        return tmp_path / "taken.txt"
    if kind == "under a file":
        return tmp_path / "taken.txt" / "out"
    if kind == "a pseudo-filesystem":
        return Path("/proc/expression-faces-test/out")
    if kind == "sysfs":
        return Path("/sys/expression-faces-test")
    if kind == "a name over 255 bytes":
        return tmp_path / ("é" * 130)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    return locked / "out"


FOLDER_KINDS = ["a file", "under a file", "a pseudo-filesystem", "sysfs", "a name over 255 bytes", "a read-only folder"]
FOLDER_COMMANDS = {
    "Expression_generator.py OUT_DIR": lambda out, photo: ["Generative_model/Expression_generator.py", str(RELEASE),
                                                          "Happy", "2", str(out)],
    "Expression_translator.py OUT_DIR": lambda out, photo: ["Generative_model/Expression_translator.py",
                                                           "checkpoints/ccyclegan_fer2013", str(photo), "Happy", str(out)],
    "recognize --out": lambda out, photo: ["-m", "helpers.recognize", str(photo), "--out", str(out)],
    "dcgan.py --ckpt-dir": lambda out, photo: ["Generative_model/dcgan.py", "--data", "synthetic", "--subset", "64",
                                               "--batch-size", "32", "--epochs", "1", "--ckpt-dir", str(out)],
    "train_recognizer --run-dir": lambda out, photo: ["-m", "helpers.train_recognizer", "--data", "synthetic",
                                                      "--subset", "64", "--epochs", "1", "--run-dir", str(out)],
}


@pytest.mark.parametrize("kind", FOLDER_KINDS)
@pytest.mark.parametrize("command", list(FOLDER_COMMANDS))
def test_an_output_folder_that_cannot_be_written_is_refused_before_any_work(tmp_path, run_python, photo, command, kind):
    if kind == "a read-only folder" and os.geteuid() == 0:
        pytest.skip("root writes into read-only folders; the pseudo-filesystems stand for them here")
    out = _folder(kind, tmp_path)
    before = tree(tmp_path)
    done = run_python(FOLDER_COMMANDS[command](out, photo))
    assert_refused(done, "choose another" if kind != "a name over 255 bytes" else "at most 255")
    assert tree(tmp_path) == before
    assert not os.path.exists(out) or kind == "a file"
    assert "wrote" not in done.stdout and "translated" not in done.stdout


FILE_KINDS = ["an existing file", "a folder", "under a file", "a pseudo-filesystem", "a name over 255 bytes"]
FILE_COMMANDS = {
    "recognize --json": lambda f, photo: ["-m", "helpers.recognize", str(photo), "--out", str(photo.parent.parent / "ann"),
                                          "--json", str(f)],
    "evaluate generator --json": lambda f, photo: ["-m", "helpers.evaluate", "generator", str(RELEASE), "--data",
                                                   "synthetic", "--json", str(f)],
    "evaluate targets --json": lambda f, photo: ["-m", "helpers.evaluate", "targets", str(RELEASE), "--data",
                                                 "synthetic", "--face-models", "none", "--json", str(f)],
    "benchmark --out": lambda f, photo: ["-m", "helpers.benchmark", "--trainers", "dcgan", "--out", str(f)],
    "train_recognizer --export --out": lambda f, photo: ["-m", "helpers.train_recognizer", "--export",
                                                         "checkpoints/recognizer_fer2013.keras", "--out", str(f)],
}


@pytest.mark.parametrize("kind", FILE_KINDS)
@pytest.mark.parametrize("command", list(FILE_COMMANDS))
def test_an_output_file_that_exists_or_cannot_be_written_is_refused_before_any_work(tmp_path, run_python, photo,
                                                                                    command, kind):
    (tmp_path / "taken.json").write_text("[1, 2, 3]")
    (tmp_path / "a folder").mkdir()
    target = {"an existing file": tmp_path / "taken.json", "a folder": tmp_path / "a folder",
              "under a file": tmp_path / "taken.json" / "new.json",
              "a pseudo-filesystem": Path("/proc/expression-faces-test.json"),
              "a name over 255 bytes": tmp_path / ("x" * 256 + ".json")}[kind]
    before = tree(tmp_path)
    done = run_python(FILE_COMMANDS[command](target, photo))
    assert_refused(done, {"an existing file": "--overwrite", "a folder": "is a folder",
                          "a name over 255 bytes": "at most 255"}.get(kind, "choose another"))
    assert tree(tmp_path) == before


@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]])
def test_the_translator_never_writes_into_its_inputs_folder(tmp_path, run_python, photo, overwrite):
    before = tree(tmp_path)
    done = run_python(["Generative_model/Expression_translator.py", "checkpoints/ccyclegan_fer2013", str(photo.parent),
                       "Happy", str(photo.parent), *overwrite])
    assert_refused(done, "the inputs' own folder")
    assert tree(tmp_path) == before


def test_a_second_recognizer_run_keeps_the_first_ones_files_unless_told_to_overwrite(tmp_path, run_python, photo):
    out, records = tmp_path / "ann", tmp_path / "records.json"
    args = ["-m", "helpers.recognize", str(photo), "--out", str(out), "--json", str(records)]
    assert run_python(args).returncode == 0
    first = tree(tmp_path)
    assert_refused(run_python(args), "--overwrite")
    assert_refused(run_python(args[:-2]), "already holds astronaut.png", "--overwrite")
    assert tree(tmp_path) == first
    done = run_python(args + ["--overwrite"])
    assert done.returncode == 0 and json.loads(records.read_text())[0]["label"]


# ------------------------------------------------------------------------------ checkpoints
@pytest.fixture
def release(tmp_path) -> Path:
    """A copy of a shipped generator release: its .keras, its LiteRT twin and its config."""
    copy = tmp_path / "release"
    copy.mkdir()
    for name in ("generator.keras", "generator.tflite", "config.json"):
        shutil.copy(RELEASE / name, copy / name)
    return copy


WRONG_VALUES = [None, "x", [], {"a": 1}, -1, 2.5, True]
CONFIG_CASES = (
    [(f"{key}={json.dumps(value)}", key, value) for key in ("kind", "noise_dim", "image_size", "expressions",
                                                             "conditioning", "output") for value in WRONG_VALUES]
    + [(f"truncation={json.dumps(v)}", "truncation", v) for v in ("1.5", -1, 0.01, [], True)]
    + [(f"epoch={json.dumps(v)}", "epoch", v) for v in (-3, "x")]
    + [(f"model_sha256={json.dumps(v)}", "model_sha256", v) for v in (5, "abc")]
    + [("expressions=[0, 0]", "expressions", [0, 0]), ("expressions=[7]", "expressions", [7]),
       ("expressions=['0']", "expressions", ["0"]), ("kind='translator'", "kind", "translator"),
       ("kind='ccyclegan'", "kind", "ccyclegan"), ("conditioning='code' without codes", "conditioning", "code"),
       ("codes of 6 rows", "codes", [[0.5]] * 6), ("codes of text", "codes", [["a"]] * 7)]
    + [(f"no {key}", key, KeyError) for key in ("kind", "noise_dim", "expressions")])
MODEL_MISFITS = [("noise_dim=128", "noise_dim", 128), ("image_size=64", "image_size", 64),
                 ("conditioning='none'", "conditioning", "none"),
                 ("conditioning='code' with codes of width 3", "codes", [[0.0] * 3] * 7)]


def _edit_config(release: Path, key: str, value) -> None:
    config = json.loads((release / "config.json").read_text())
    if value is KeyError:
        del config[key]
    else:
        config[key] = value
        if key == "codes":
            config["conditioning"] = "code"
    (release / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize("name,key,value", CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_an_edited_config_is_one_line(tmp_path, run_python, release, name, key, value):
    _edit_config(release, key, value)
    before = tree(tmp_path)
    done = run_python(["Generative_model/Expression_generator.py", str(release), "Happy", "2", str(tmp_path / "out")])
    assert_refused(done, "config.json" if key != "kind" or not isinstance(value, str) else "checkpoint")
    assert tree(tmp_path) == before


@pytest.mark.parametrize("backend", ["keras", "litert"])
@pytest.mark.parametrize("name,key,value", MODEL_MISFITS, ids=[c[0] for c in MODEL_MISFITS])
def test_a_config_that_does_not_describe_its_model_is_one_line(tmp_path, run_python, release, name, key, value,
                                                              backend):
    _edit_config(release, key, value)
    before = tree(tmp_path)
    done = run_python(["Generative_model/Expression_generator.py", str(release), "Happy", "2", str(tmp_path / "out"),
                       "--backend", backend])
    assert_refused(done, "copy both files from one release")
    assert tree(tmp_path) == before


def _damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "bytes flipped":
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 4096]) + data[middle + 4096:])
    else:  # another model: the translator's, or another generator's with other inputs
        path.write_bytes((ROOT / "checkpoints" / how / path.name).read_bytes())


MODEL_DAMAGE = [("generator.keras", "truncated", "keras"), ("generator.keras", "empty", "keras"),
                ("generator.keras", "bytes flipped", "keras"), ("generator.keras", "truncated", "litert"),
                ("generator.keras", "ccyclegan_fer2013", "keras"), ("generator.keras", "sngan_fer2013", "keras"),
                ("generator.tflite", "truncated", "litert"), ("generator.tflite", "empty", "litert"),
                ("generator.tflite", "ccyclegan_fer2013", "litert"), ("generator.tflite", "sngan_fer2013", "litert")]


@pytest.mark.parametrize("name,how,backend", MODEL_DAMAGE, ids=[f"{n} {h} on {b}" for n, h, b in MODEL_DAMAGE])
def test_a_damaged_or_mismatched_model_file_is_one_line(tmp_path, run_python, release, name, how, backend):
    _damage(release / name, how)
    before = tree(tmp_path)
    done = run_python(["Generative_model/Expression_generator.py", str(release), "Happy", "2", str(tmp_path / "out"),
                       "--backend", backend])
    assert_refused(done, str(release))
    assert tree(tmp_path) == before


def test_weights_that_are_not_the_ones_the_config_records_are_refused_after_a_short_wait(tmp_path, run_python, release):
    from helpers.files import sha256_of

    config = json.loads((release / "config.json").read_text())
    (release / "config.json").write_text(json.dumps({**config, "model_sha256": sha256_of(RELEASE / "config.json")}))
    with mock.patch("helpers.inference.generators.SWITCH_WAIT_S", 0.3):
        done = run_python(["Generative_model/Expression_generator.py", str(release), "Happy", "2", str(tmp_path / "out")])
    assert_refused(done, "is not the one", "copy both files from one release")


@pytest.mark.parametrize("args,fragment", [
    (["Generative_model/Expression_generator.py", "checkpoints/ccyclegan_fer2013", "Happy", "2"], "Expression_translator.py"),
    (["Generative_model/Expression_generator.py", "checkpoints/recognizer_fer2013.keras", "Happy", "2"], "lone model file"),
    (["Generative_model/Expression_generator.py", "checkpoints/judge", "Happy", "2"], "incomplete"),
    (["Generative_model/Expression_translator.py", str(RELEASE), "PHOTO", "Happy"], "Expression_generator.py"),
    (["-m", "helpers.recognize", "PHOTO", "--recognizer", str(RELEASE / "generator.keras")], "recogni"),
    (["-m", "helpers.recognize", "PHOTO", "--recognizer", str(RELEASE / "generator.keras"), "--backend", "keras"], "recogni"),
], ids=["translator as generator", "recognizer as generator", "judge folder as generator", "generator as translator",
        "generator as recognizer (LiteRT)", "generator as recognizer (Keras)"])
def test_a_model_of_another_kind_is_one_line(tmp_path, run_python, photo, args, fragment):
    out = ["--out", str(tmp_path / "out")] if "helpers.recognize" in args else [str(tmp_path / "out")]
    done = run_python([str(photo) if a == "PHOTO" else a for a in args] + out)
    assert_refused(done, fragment)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind,checkpoint", [("recognizer", "checkpoints/recognizer_fer2013.keras"),
                                             ("generator", str(RELEASE)), ("translator", "checkpoints/ccyclegan_fer2013"),
                                             ("targets", str(RELEASE))])
def test_an_unknown_split_is_one_line(run_python, kind, checkpoint):
    extra = ["--face-models", "none"] if kind == "targets" else []
    done = run_python(["-m", "helpers.evaluate", kind, checkpoint, "--data", "synthetic", "--split", "test", *extra])
    assert_refused(done, "split 'test' not in the data")


# ------------------------------------------------------------------------------ CSV files
def _row(label, pixels, usage="Training") -> str:
    return f"{label},{' '.join(map(str, pixels))},{usage}"


def _csv(*rows: str, header: str = "emotion,pixels,Usage") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


GOOD = [int(v) for v in np.random.default_rng(0).integers(0, 256, NUM_PIXELS)]
BAD_CSVS = {
    "empty": (b"", "is empty"),
    "header only": (b"emotion,pixels,Usage\n", "no rows"),
    "last row cut short": (_csv(_row(1, GOOD), _row(2, GOOD))[:-3000], "line 3: expected 3 comma-separated fields"),
    "wrong pixel count": (_csv(_row(1, GOOD), _row(2, GOOD[:-1])), "line 3: expected 2304 pixel values, found 2303"),
    "a non-numeric pixel": (_csv(_row(1, GOOD[:-1] + ["x"])), "non-numeric"),
    "a negative pixel": (_csv(_row(1, GOOD[:-1] + [-1])), "non-numeric"),
    "a pixel of 256": (_csv(_row(1, GOOD[:-1] + [256])), "above 255"),
    "a pixel of 2**31": (_csv(_row(1, [2**31] + GOOD[1:])), "above 255"),
    "a pixel of 2**32": (_csv(_row(1, [2**32] + GOOD[1:])), "above 255"),
    "an unknown label": (_csv(_row(7, GOOD)), "unknown emotion label '7'"),
    "an unknown usage": (_csv(_row(1, GOOD, "Validation")), "unknown Usage 'Validation'"),
    "no pixels column": (b"emotion,image,Usage\n1,2,Training\n", "no 'pixels' column"),
    "a binary file": (np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes(), "no 'pixels' column"),
    "test rows only": (_csv(_row(1, GOOD, "PublicTest")), "no Training rows"),
}


@pytest.mark.parametrize("name", list(BAD_CSVS))
def test_a_hostile_csv_is_one_line_naming_the_file(tmp_path, run_python, name):
    content, fragment = BAD_CSVS[name]
    path = tmp_path / "fer2013.csv"
    path.write_bytes(content)
    before = tree(tmp_path)
    done = run_python(["Generative_model/dcgan.py", "--data", str(path), "--epochs", "1", "--batch-size", "1",
                       "--ckpt-dir", str(tmp_path / "run")])
    assert_refused(done, fragment)
    assert str(path) in done.stderr or name == "test rows only"
    assert {k: v for k, v in tree(tmp_path).items() if not k.startswith(".fer2013.csv.")} == before


def test_a_gzip_cut_short_is_one_line(tmp_path, run_python):
    rng = np.random.default_rng(2)
    text = _csv(*(_row(int(rng.integers(7)), rng.integers(0, 256, NUM_PIXELS)) for _ in range(20)))
    path = tmp_path / "fer2013.csv.gz"
    whole = gzip.compress(text)
    path.write_bytes(whole[: len(whole) // 2])
    done = run_python(["-m", "helpers.data", str(path)])
    assert_refused(done, str(path), "cannot be read")


def _variants(rows: list[tuple[int, list[int], str]]) -> dict[str, bytes]:
    plain = [_row(*row) for row in rows]
    quoted = ['"{}","{}","{}"'.format(label, " ".join(map(str, pixels)), usage) for label, pixels, usage in rows]
    return {"plain": _csv(*plain),
            "a UTF-8 byte-order mark": b"\xef\xbb\xbf" + _csv(*plain),
            "quoted fields": _csv(*quoted, header='"emotion","pixels","Usage"'),
            "Windows line endings": _csv(*plain).replace(b"\n", b"\r\n"),
            "old Mac line endings": _csv(*plain).replace(b"\n", b"\r"),
            "spaces around fields": _csv(*(f" {label} , {' '.join(map(str, px))} , {usage} " for label, px, usage in rows)),
            "no final newline": _csv(*plain)[:-1]}


def test_spreadsheet_variants_of_a_csv_load_the_same_faces(tmp_path):
    rng = np.random.default_rng(3)
    rows = [(int(rng.integers(7)), [int(v) for v in rng.integers(0, 256, NUM_PIXELS)], usage)
            for usage in ("Training", "PublicTest", "Training", "PrivateTest")]
    loaded = {}
    for name, content in _variants(rows).items():
        path = tmp_path / f"{len(loaded)}.csv"
        path.write_bytes(content)
        loaded[name] = load_fer_csv(path, cache=False)
    for name, splits in loaded.items():
        assert list(splits) == list(loaded["plain"]), name
        for usage, (x, y) in splits.items():
            np.testing.assert_array_equal(x, loaded["plain"][usage][0], err_msg=name)
            np.testing.assert_array_equal(y, loaded["plain"][usage][1], err_msg=name)
    assert loaded["plain"]["Training"][0][1].ravel().tolist() == rows[2][1]


ROW_KINDS = ["good", "good", "good", "short", "long", "above 255", "word", "label 9", "no label", "bad usage",
             "extra field", "blank"]


def _hostile_row(kind: str, seed: int) -> tuple[str, list[int] | None, int | None, str | None]:
    """A row of ``kind`` as text, with the face, label and usage it stands for when it is valid."""
    rng = np.random.default_rng(seed)
    pixels, label, usage = [int(v) for v in rng.integers(0, 256, NUM_PIXELS)], int(rng.integers(7)), FER_USAGES[seed % 3]
    text = {"short": _row(label, pixels[:-seed % 50 - 1], usage), "long": _row(label, pixels + [7], usage),
            "above 255": _row(label, pixels[:-1] + [256 + seed], usage),
            "word": _row(label, pixels[:-1] + ["nan"], usage), "label 9": _row(9, pixels, usage),
            "no label": _row("", pixels, usage), "bad usage": _row(label, pixels, "training"),
            "extra field": _row(label, pixels, usage) + ",x", "blank": "   "}.get(kind, _row(label, pixels, usage))
    return (text, pixels, label, usage) if kind == "good" else (text, None, None, None)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.sampled_from(ROW_KINDS), st.integers(0, 2**16)), min_size=1, max_size=8),
       ending=st.sampled_from([b"\n", b"\r\n", b"\r"]), bom=st.booleans())
def test_any_mix_of_rows_loads_the_good_ones_or_names_the_first_bad_line(tmp_path, rows, ending, bom):
    """Property: strictly, a file loads exactly its rows when all are good and otherwise fails on
    the first bad line; leniently, it loads exactly the good rows and counts the others."""
    made = [_hostile_row(kind, seed) for kind, seed in rows]
    path = tmp_path / "fer2013.csv"
    path.write_bytes(b"\xef\xbb\xbf" * bom + ending.join([b"emotion,pixels,Usage", *(t.encode() for t, *_ in made)]))
    good = [m for m in made if m[1] is not None]
    bad_lines = [line for line, ((kind, _), m) in enumerate(zip(rows, made), start=2) if m[1] is None and kind != "blank"]
    expected = {u: [m for m in good if m[3] == u] for u in FER_USAGES}
    if bad_lines:
        with pytest.raises(DataError, match=rf"line {bad_lines[0]}:"):
            load_fer_csv(path, cache=False)
    elif not good:
        with pytest.raises(DataError, match="no rows"):
            load_fer_csv(path, cache=False)
    if good or bad_lines:
        with pytest.warns(UserWarning) if bad_lines else _nothing():
            lenient = load_fer_csv(path, strict=False, cache=False)
        assert lenient.skipped == len(bad_lines)
        for usage in FER_USAGES:
            x, y = lenient.get(usage, (np.zeros((0, 48, 48, 1)), np.zeros(0)))
            assert [row.ravel().tolist() for row in x] == [m[1] for m in expected[usage]]
            assert y.tolist() == [m[2] for m in expected[usage]]


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# ------------------------------------------------------------------------------ images
def _face(size: int = 96) -> np.ndarray:
    """A grey test picture that is not symmetric, so that a turn or a flip shows."""
    yy, xx = np.mgrid[:size, :size]
    return ((xx * 2 + yy) % 256).astype(np.uint8)


NOISE = np.random.default_rng(4).integers(0, 256, (96, 96), dtype=np.uint8)  # compresses little: a cut keeps a part


def _saved(array: np.ndarray, format: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=format, **kwargs)
    return buffer.getvalue()


@pytest.mark.parametrize("name,content", [
    ("cut.png", _saved(NOISE, "PNG")[:3000]), ("cut.jpg", _saved(NOISE, "JPEG")[:3000]), ("zero.png", b""),
    ("text.jpg", b"not an image at all"), ("html.png", b"<html><body>404</body></html>")])
def test_an_image_that_cannot_be_decoded_is_named_with_the_reason(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError, match=rf"{name}: not a readable image"):
        read_image(path)


def test_odd_but_valid_images_are_read_as_a_person_sees_them(tmp_path):
    face = _face()
    rgb = np.repeat(face[..., None], 3, axis=2)
    cases = {}
    cmyk = tmp_path / "cmyk.jpg"
    Image.fromarray(rgb).convert("CMYK").save(cmyk, quality=95)
    cases[cmyk] = (face, 6)
    palette = tmp_path / "palette.png"
    Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE, colors=256).save(palette, transparency=0)
    cases[palette] = (face, 2)
    gif = tmp_path / "animated.gif"
    frames = [Image.fromarray(face).convert("P"), Image.fromarray(255 - face).convert("P")]
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=100, loop=0)
    cases[gif] = (face, 2)  # the first frame
    turned = tmp_path / "portrait.jpg"  # stored sideways, as a phone does, with EXIF orientation 6 (turn 90 degrees clockwise)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(np.rot90(face, 1)).save(turned, quality=95, exif=exif)
    cases[turned] = (face, 6)
    for path, (expected, tolerance) in cases.items():
        read = read_image(path, size=None)[..., 0].astype(int)
        assert read.shape == expected.shape, path.name
        assert np.abs(read - expected).mean() < tolerance, path.name


def test_a_folder_with_some_unreadable_photos_carries_on_and_says_how_many(tmp_path, run_python, photo):
    (photo.parent / "cut.jpg").write_bytes(_saved(NOISE, "JPEG")[:3000])
    (photo.parent / "empty.png").write_bytes(b"")
    done = run_python(["-m", "helpers.recognize", str(photo.parent), "--out", str(tmp_path / "ann")])
    assert done.returncode == 0 and "2 unreadable skipped" in done.stdout, done.stderr
    assert sorted(p.name for p in (tmp_path / "ann").iterdir()) == ["astronaut.png"]


# ------------------------------------------------------------------------------ numbers
@functools.cache
def _main_command():
    import importlib.util

    spec = importlib.util.spec_from_file_location("main_command", ROOT / "Generative_model" / "Expression_generator.py")
    command = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(command)
    return command


NUMBERS = st.one_of(st.integers(-2**40, 2**40).map(str), st.floats(allow_nan=True, allow_infinity=True).map(str),
                    st.sampled_from(["", "1e9", "0x10", "1_000", " 3", "inf", "-inf", "nan", "½", "4.0", "٣"]),
                    st.text(max_size=6))


@settings(max_examples=150, deadline=None)
@given(amount=NUMBERS, seed=NUMBERS, truncation=NUMBERS, size=NUMBERS)
def test_any_number_given_to_the_main_command_is_in_range_or_refused_in_one_line(amount, seed, truncation, size):
    """Property: the main command's parser gives values within the ranges its --help states, or
    exits 2 with one line, for any text in any numeric argument."""
    import contextlib
    import math

    from helpers.inference.generators import MIN_TRUNCATION

    command, err = _main_command(), io.StringIO()
    try:
        with contextlib.redirect_stderr(err):  # "--option=VALUE" and "--": no value is taken for an option
            args = command.parse_args([f"--seed={seed}", f"--truncation={truncation}", f"--size={size}", "--",
                                       "ckpt", "Happy", amount, "out"])
    except SystemExit as exc:
        assert exc.code == 2 and err.getvalue().count("\n") == 1 and err.getvalue().startswith("error:"), err.getvalue()
        return
    assert 1 <= args.amount <= command.MAX_AMOUNT and 0 <= args.seed < 2**32
    assert args.truncation == math.inf or args.truncation >= MIN_TRUNCATION
    assert args.size >= 48 and args.size % 48 == 0
