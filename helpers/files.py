"""One way to write a file: whole or not at all, and never over a file that is someone else's.

- :func:`atomic_path` gives a writer a unique temporary file in the target's folder (with the
  target's suffixes, for savers that check them), flushes it to disk and moves it over the target
  with ``os.replace``: a reader sees the old file or the new one, never part of one, and a kill
  leaves at most a hidden ``.NAME.*`` file behind, never a half-written NAME.
- :func:`write_bytes`, :func:`write_text` and :func:`write_json` are that, for data in memory.
- :func:`claim` writes a new file under the first free name of a sequence (``Fear_0001.png``,
  ``Fear_0002.png``, ...), linking the finished temporary file to each name in turn: a name that
  exists is never replaced, and two processes writing into one folder never take the same name."""
from __future__ import annotations

import itertools
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

MODE = 0o644  # what a file written with open() gets under the usual umask; mkstemp's own is 0o600


def _flush_to_disk(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


@contextmanager
def temporary_beside(path: str | Path) -> Iterator[Path]:
    """A new, empty, uniquely named file in ``path``'s folder, ending in ``path``'s suffixes,
    removed on leaving the block unless it was moved away."""
    path = Path(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix="".join(path.suffixes[-2:]))
    os.close(fd)
    tmp = Path(name)
    try:
        os.chmod(tmp, MODE)
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Write ``path`` whole or not at all: the block writes the temporary path it is given (a
    saver such as ``model.save(tmp)``), which then replaces ``path``. If the block raises,
    ``path`` is untouched."""
    path = Path(path)
    with temporary_beside(path) as tmp:
        yield tmp
        _flush_to_disk(tmp)
        os.replace(tmp, path)


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Replace ``path`` with ``data``, atomically (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, value, indent: int | None = 1) -> Path:
    return write_text(path, json.dumps(value, indent=indent))


def claim(data: bytes, names: Iterable[str | Path]) -> Path:
    """Write ``data`` as a new file under the first of ``names`` that does not exist (all in one
    folder), and return it. The file is complete before it has a name (on a filesystem without
    hard links, it is created exclusively and then written), and a name that exists, or that
    another process takes first, is skipped, never replaced."""
    names = map(Path, names)
    first = next(names)
    with temporary_beside(first) as tmp:
        tmp.write_bytes(data)
        _flush_to_disk(tmp)
        for target in itertools.chain([first], names):
            try:
                os.link(tmp, target)
            except FileExistsError:
                continue
            except OSError:  # no hard links here: create the name exclusively instead
                try:
                    with open(target, "xb") as f:
                        f.write(data)
                except FileExistsError:
                    continue
            return target
    raise FileExistsError(f"every name offered for a new file in {first.parent} is taken")


def distinct_stems(paths: Iterable[Path]) -> dict[Path, str]:
    """A name for the outputs of each input file: its stem, or, where inputs share a stem
    (``a.jpg``, ``a.png``), the stem and the input's own suffix (``a_jpg``, ``a_png``)."""
    paths = list(paths)
    stems = [p.stem for p in paths]
    return {p: p.stem if stems.count(p.stem) == 1 else f"{p.stem}_{p.suffix.lstrip('.').lower()}" for p in paths}


def sha256_of(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
