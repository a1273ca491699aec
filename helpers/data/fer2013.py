"""Loading facial-expression datasets as uint8 arrays.

One entry point, :func:`load_dataset`, understands every layout the project supports and
returns ``{usage: (x, y)}`` with ``x`` uint8 of shape (N, 48, 48, 1) and ``y`` int64 labels in
FER2013 order (see :mod:`helpers.expressions`):

* Kaggle ``fer2013.csv`` (plain or ``.gz``; columns ``emotion,pixels,Usage``) ->
  ``Training``, ``PublicTest``, ``PrivateTest``.
* The challenge pair ``train.csv`` + ``test.csv`` -> ``Training`` and ``Test``. The public
  ``test.csv`` has no ``emotion`` column: its labels are :data:`UNLABELED` (-1) and a warning
  says so.
* Image folders ``train/<expression>/*`` and ``test/<expression>/*`` (any alias or CK+ folder
  name) -> ``Training`` and ``Test`` (``val``/``validation`` -> ``Validation``).
* RAF-DB ``basic/`` -> ``Training`` and ``Test``; ``native=True`` keeps 100x100 RGB.

CSV parsing is vectorised (the full FER2013 file parses in a few seconds) and the result is
cached as an uncompressed ``.npz`` that reloads in well under a second.
"""
from __future__ import annotations

import codecs
import gzip
import hashlib
import os
import warnings
import zlib
from pathlib import Path

import numpy as np

from helpers.errors import DataError, DataNotFoundError, UnknownExpressionError
from helpers.expressions import NUM_EXPRESSIONS, from_ckplus, from_rafdb
from helpers.data.images import IMAGE_SIZE, read_image
from helpers.files import atomic_path

NUM_PIXELS = IMAGE_SIZE * IMAGE_SIZE
FER_USAGES = ("Training", "PublicTest", "PrivateTest")
UNLABELED = -1
REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / "Data"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff"}
_FOLDER_USAGE = {"train": "Training", "training": "Training", "test": "Test",
                 "val": "Validation", "valid": "Validation", "validation": "Validation"}

DATA_HELP = "FER2013 CSV (.csv/.csv.gz) or a folder layout; default: $FER2013_PATH or Data/fer2013.csv[.gz]"
DOWNLOAD_HELP = (
    "download fer2013.csv from Kaggle (challenges-in-representation-learning-facial-expression-"
    "recognition-challenge) and put it in Data/ (Data/fer2013.csv or Data/fer2013.csv.gz), or set "
    "FER2013_PATH to its location; for RAF-DB put its basic/ folder at Data/basic/. See Data/README.md."
)


class Splits(dict):
    """``{usage: (x, y)}`` as returned by :func:`load_dataset`.

    ``skipped`` counts the malformed rows or files dropped in lenient mode (``strict=False``). A
    split that is not there is a :class:`DataError` naming those that are (a trainer given a CSV
    of test rows only says so, instead of failing on a ``KeyError``)."""

    skipped: int = 0

    def __missing__(self, usage):
        there = ", ".join(self) or "none"
        raise DataError(f"the data has no {usage} rows (it has: {there}); give data with a Usage column that marks them")


# ----------------------------------------------------------------------------------- paths
def default_fer2013_path() -> Path:
    """Where FER2013 is looked for: ``$FER2013_PATH``, else ``Data/fer2013.csv[.gz]``."""
    env = os.environ.get("FER2013_PATH")
    if env:
        return Path(env)
    for name in ("fer2013.csv", "fer2013.csv.gz"):
        if (DATA_DIR / name).exists():
            return DATA_DIR / name
    return DATA_DIR / "fer2013.csv"


def find_fer2013() -> Path | None:
    """The FER2013 CSV if it is available, else ``None`` (tests and notebooks skip on it)."""
    path = default_fer2013_path()
    return path if path.exists() else None


def array_fingerprint(*arrays: np.ndarray, digits: int = 12) -> str:
    """A short sha1 of arrays' shapes and bytes: names the same images (and labels) whatever
    path or process produced them."""
    digest = hashlib.sha1()
    for array in arrays:
        digest.update(str(array.shape).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()[:digits]


def cache_dir() -> Path:
    """``$FER_CACHE_DIR``, else ``~/.cache/expression-faces``."""
    return Path(os.environ.get("FER_CACHE_DIR", Path.home() / ".cache" / "expression-faces"))


# ----------------------------------------------------------------------------- entry point
def load_dataset(path: str | os.PathLike | None = None, *, strict: bool = True,
                 cache: bool = True, native: bool = False) -> Splits:
    """Load any supported layout as ``{usage: (x uint8 (N,48,48,1), y int64)}``.

    ``path`` may be a CSV file, a folder holding ``fer2013.csv[.gz]`` or ``train.csv``, an image
    folder tree, or RAF-DB ``basic/``; ``None`` means :func:`default_fer2013_path`. With
    ``strict=False`` malformed rows or unreadable images are skipped and counted in
    ``result.skipped``. ``path="synthetic"`` gives the offline cartoon faces of
    :mod:`helpers.data.synthetic`. ``native=True`` keeps RAF-DB at 100x100 RGB.
    """
    if path is not None and str(path) == "synthetic":
        from helpers.data.synthetic import synthetic_splits

        return Splits(synthetic_splits())
    path = Path(path) if path is not None else default_fer2013_path()
    if not path.exists():
        raise DataNotFoundError(f"{path} does not exist: {DOWNLOAD_HELP}")
    if path.is_file():
        if path.name.lower().startswith("test") and (path.parent / "train.csv").exists():
            return load_challenge_pair(path.parent, strict=strict)
        return load_fer_csv(path, strict=strict, cache=cache)
    for name in ("fer2013.csv", "fer2013.csv.gz"):
        if (path / name).exists():
            return load_fer_csv(path / name, strict=strict, cache=cache)
    if (path / "train.csv").exists():
        return load_challenge_pair(path, strict=strict)
    if (path / "EmoLabel").is_dir() or (path / "basic" / "EmoLabel").is_dir():
        root = path if (path / "EmoLabel").is_dir() else path / "basic"
        return load_rafdb(root, native=native, strict=strict)
    if any(p.is_dir() and p.name.lower() in _FOLDER_USAGE for p in path.iterdir()):
        return load_image_folders(path, strict=strict)
    raise DataError(f"{path}: no supported layout found (fer2013.csv, train.csv + test.csv, "
                    f"train/<expression>/ folders or RAF-DB basic/). {DOWNLOAD_HELP}")


# ------------------------------------------------------------------------------- CSV files
def _read_lines(path: Path) -> list[bytes]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot be read ({exc})") from None
    if data.startswith(codecs.BOM_UTF8):  # a spreadsheet's "CSV UTF-8"
        data = data[len(codecs.BOM_UTF8):]
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")  # Windows and old Mac line endings


def _fields(line: bytes) -> list[bytes]:
    """The comma-separated fields of a line, each without surrounding spaces or quotes (a
    spreadsheet quotes every field: "0","70 80 ...","Training")."""
    return [field.strip().strip(b'"').strip() for field in line.split(b",")]


def _parse_csv(path: Path, *, strict: bool, require_label: bool = True):
    """Parse an ``emotion,pixels[,Usage]`` CSV; returns (images, labels, usages, skipped)."""
    lines = _read_lines(path)
    first = lines[0].decode("utf-8", "replace")
    if not first.strip() and len(lines) < 3:
        raise DataError(f"{path} is empty: expected a header line emotion,pixels,Usage and one face per row")
    header = [h.decode("utf-8", "replace").lower() for h in _fields(lines[0])]
    if "pixels" not in header:
        raise DataError(f"{path}, line 1: header {first[:80]!r} has no 'pixels' column (expected emotion,pixels,Usage)")
    i_pix = header.index("pixels")
    i_emo = header.index("emotion") if "emotion" in header else None
    i_use = header.index("usage") if "usage" in header else None
    if require_label and i_emo is None:
        raise DataError(f"{path}, line 1: header has no 'emotion' column")
    n_cols = len(header)
    label_of = {str(k).encode(): k for k in range(NUM_EXPRESSIONS)}
    usage_of = {u.encode(): u for u in FER_USAGES}

    pixels, labels, usages, lineno, bad = [], [], [], [], []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = _fields(line)
        if len(fields) != n_cols:
            bad.append((number, f"expected {n_cols} comma-separated fields, found {len(fields)}"))
            continue
        pix = fields[i_pix].strip()
        if pix.translate(None, b"0123456789 "):
            bad.append((number, "pixels contain a non-numeric value"))
            continue
        if pix.count(b" ") != NUM_PIXELS - 1 or b"  " in pix:
            pix = b" ".join(pix.split())
            if pix.count(b" ") != NUM_PIXELS - 1:
                bad.append((number, f"expected {NUM_PIXELS} pixel values, found {len(pix.split())}"))
                continue
        label = UNLABELED
        if i_emo is not None:
            label = label_of.get(fields[i_emo].strip())
            if label is None:
                bad.append((number, f"unknown emotion label {fields[i_emo].strip().decode(errors='replace')!r} (expected 0..6)"))
                continue
        usage = "Training"
        if i_use is not None:
            usage = usage_of.get(fields[i_use].strip())
            if usage is None:
                bad.append((number, f"unknown Usage {fields[i_use].strip().decode(errors='replace')!r} (expected one of {', '.join(FER_USAGES)})"))
                continue
        pixels.append(pix)
        labels.append(label)
        usages.append(usage)
        lineno.append(number)

    if pixels:
        # int64, which saturates: 2**31 or 2**32 must read as above 255, not wrap around to a valid value
        values = np.fromstring(b" ".join(pixels), dtype=np.int64, sep=" ").reshape(len(pixels), NUM_PIXELS)
        out_of_range = np.flatnonzero((values > 255).any(axis=1))
    else:
        values, out_of_range = np.zeros((0, NUM_PIXELS), np.int32), np.zeros(0, int)
    bad += [(lineno[i], "pixel value above 255") for i in out_of_range]
    if bad and strict:
        number, reason = min(bad)
        more = f" ({len(bad) - 1} more malformed rows)" if len(bad) > 1 else ""
        raise DataError(f"{path}, line {number}: {reason}{more}; fix the row, or skip malformed rows: load_dataset(..., strict=False) in Python, "
                        "python -m helpers.data PATH --lenient to count them")
    if not pixels and not bad:
        raise DataError(f"{path} has a header but no rows: expected one face per line after it")
    keep = np.ones(len(pixels), bool)
    keep[out_of_range] = False
    images = values[keep].astype(np.uint8).reshape(-1, IMAGE_SIZE, IMAGE_SIZE, 1)
    labels = np.asarray(labels, np.int64)[keep]
    usages = np.asarray(usages)[keep]
    if bad:
        warnings.warn(f"{path}: skipped {len(bad)} malformed rows (first: line {min(bad)[0]}: {min(bad)[1]})", stacklevel=3)
    return images, labels, usages, len(bad)


def _cache_file(path: Path, strict: bool) -> Path:
    stat = path.stat()
    key = hashlib.sha1(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{strict}|v2".encode()).hexdigest()[:16]
    beside = path.parent / f".{path.name}.{key}.npz"
    if os.access(path.parent, os.W_OK):
        return beside
    return cache_dir() / f"{path.name}.{key}.npz"


def load_fer_csv(path: str | os.PathLike, *, strict: bool = True, cache: bool = True) -> Splits:
    """Load a Kaggle ``fer2013.csv[.gz]``; rows are split by their ``Usage`` column."""
    path = Path(path)
    if not path.exists():
        raise DataNotFoundError(f"{path} does not exist: {DOWNLOAD_HELP}")
    cached = _cache_file(path, strict) if cache else None
    if cached is not None and cached.exists():
        with np.load(cached) as z:
            out = Splits({u: (z[f"x_{u}"], z[f"y_{u}"]) for u in FER_USAGES if f"x_{u}" in z})
            out.skipped = int(z["skipped"])
        return out
    images, labels, usages, skipped = _parse_csv(path, strict=strict)
    out = Splits()
    for usage in FER_USAGES:
        mask = usages == usage
        if mask.any():
            out[usage] = (images[mask], labels[mask])
    out.skipped = skipped
    if cached is not None:
        write_cache(cached, skipped=skipped, **{f"x_{u}": x for u, (x, _) in out.items()},
                    **{f"y_{u}": y for u, (_, y) in out.items()})
    return out


def write_cache(path: Path, **arrays) -> None:
    """Save ``arrays`` as the ``.npz`` cache file ``path``, atomically (no reader ever sees half a
    file); a cache that cannot be written is a warning, never an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            np.savez(tmp, **arrays)
    except OSError as exc:
        warnings.warn(f"could not write the cache {path}: {exc}", stacklevel=3)


def load_challenge_pair(folder: str | os.PathLike, *, strict: bool = True) -> Splits:
    """Load the challenge files ``train.csv`` (``emotion,pixels``) and ``test.csv``.

    The public ``test.csv`` carries no ``emotion`` column: its labels come back as
    :data:`UNLABELED` (-1), with a warning, so it can be used for inference only."""
    folder = Path(folder)
    out = Splits()
    x, y, _, skipped = _parse_csv(folder / "train.csv", strict=strict)
    out["Training"] = (x, y)
    test = folder / "test.csv"
    if test.exists():
        xt, yt, _, skipped_t = _parse_csv(test, strict=strict, require_label=False)
        if (yt == UNLABELED).all():
            warnings.warn(f"{test} has no 'emotion' column: its {len(xt)} images are returned with "
                          f"label {UNLABELED} (unlabeled); use them for inference, not for scoring.", stacklevel=2)
        out["Test"] = (xt, yt)
        skipped += skipped_t
    out.skipped = skipped
    return out


# ----------------------------------------------------------------------------- image folders
def load_image_folders(root: str | os.PathLike, *, strict: bool = True) -> Splits:
    """Load ``root/<split>/<expression>/*`` where split is train/test/val and the expression is
    any alias or CK+ folder name."""
    root = Path(root)
    out, skipped = Splits(), 0
    for split_dir in sorted(p for p in root.iterdir() if p.is_dir() and p.name.lower() in _FOLDER_USAGE):
        images, labels = [], []
        for class_dir in sorted(p for p in split_dir.iterdir() if p.is_dir()):
            try:
                label = from_ckplus(class_dir.name)
            except UnknownExpressionError as exc:
                raise DataError(f"{class_dir}: folder name is not an expression ({exc})") from None
            for file in sorted(class_dir.iterdir()):
                if file.suffix.lower() not in IMAGE_SUFFIXES:
                    continue
                try:
                    images.append(read_image(file))
                except DataError:
                    if strict:
                        raise
                    skipped += 1
                    continue
                labels.append(label)
        usage = _FOLDER_USAGE[split_dir.name.lower()]
        out[usage] = (np.stack(images) if images else np.zeros((0, IMAGE_SIZE, IMAGE_SIZE, 1), np.uint8),
                      np.asarray(labels, np.int64))
    if skipped:
        warnings.warn(f"{root}: skipped {skipped} unreadable images", stacklevel=2)
    out.skipped = skipped
    return out


def load_rafdb(root: str | os.PathLike, *, native: bool = False, strict: bool = True) -> Splits:
    """Load RAF-DB ``basic/``: labels from ``EmoLabel/list_patition_label.txt``, images from
    ``Image/aligned/<name>_aligned.jpg``. 48x48 grayscale by default; ``native=True`` keeps the
    100x100 RGB originals."""
    root = Path(root)
    label_file = root / "EmoLabel" / "list_patition_label.txt"
    if not label_file.exists():
        raise DataNotFoundError(f"{label_file} does not exist: {DOWNLOAD_HELP}")
    size, gray = (None, False) if native else (IMAGE_SIZE, True)
    buckets: dict[str, tuple[list, list]] = {}
    skipped = 0
    for number, line in enumerate(label_file.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        try:
            name, label = parts[0], from_rafdb(int(parts[1]))
            if len(parts) != 2:
                raise ValueError
        except (ValueError, IndexError, UnknownExpressionError):
            if strict:
                raise DataError(f"{label_file}, line {number}: expected '<name>.jpg <label 1..7>', got {line!r}") from None
            skipped += 1
            continue
        stem = Path(name).stem
        file = root / "Image" / "aligned" / f"{stem}_aligned.jpg"
        try:
            image = read_image(file, size=size, grayscale=gray)
        except DataError:
            if strict:
                raise
            skipped += 1
            continue
        usage = "Training" if stem.lower().startswith("train") else "Test"
        buckets.setdefault(usage, ([], []))
        buckets[usage][0].append(image)
        buckets[usage][1].append(label)
    out = Splits({u: (np.stack(x), np.asarray(y, np.int64)) for u, (x, y) in buckets.items()})
    out.skipped = skipped
    return out
