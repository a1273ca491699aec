"""One way to write a file: whole or not at all, and never over a file that is someone else's.

- :func:`atomic_path` gives a writer a unique temporary file in the target's folder (with the
  target's suffixes, for savers that check them), flushes it to disk and moves it over the target
  with ``os.replace``: a reader sees the old file or the new one, never part of one, and a kill
  leaves at most a hidden ``.NAME.*`` file behind, never a half-written NAME.
- :func:`write_bytes`, :func:`write_text` and :func:`write_json` are that, for data in memory;
  :func:`atomic_folder` is that, for a folder of files (a training checkpoint).
- :func:`claim` writes a new file under the first free name of a sequence (``Fear_0001.png``,
  ``Fear_0002.png``, ...), linking the finished temporary file to each name in turn: a name that
  exists is never replaced, and two processes writing into one folder never take the same name.
- :func:`check_output_folder` and :func:`check_output_file` try an output path before any work
  is done, creating nothing: a name too long, a file where a folder is meant, a folder that cannot
  be written (read-only, a pseudo-filesystem) or a file that exists is one :class:`UserError`."""
from __future__ import annotations

import itertools
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from helpers.errors import UserError

MODE = 0o644  # what a file written with open() gets under the usual umask; mkstemp's own is 0o600
NAME_MAX = 255  # bytes in one file or folder name, on every common filesystem


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


@contextmanager
def atomic_folder(path: str | Path) -> Iterator[Path]:
    """Write the folder ``path`` whole or not at all: the block fills a new, uniquely named hidden
    folder beside it, whose files are then flushed to disk and which replaces ``path`` by a
    rename (an older ``path`` is removed first). A kill leaves at most the hidden folder."""
    import shutil

    path = Path(path)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    try:
        yield tmp
        for file in tmp.rglob("*"):
            if file.is_file():
                _flush_to_disk(file)
        shutil.rmtree(path, ignore_errors=True)
        os.rename(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def remove_leftovers(folder: str | Path) -> list[Path]:
    """Remove the temporary files and folders that :func:`atomic_path` and :func:`atomic_folder`
    leave in ``folder`` when the process writing them is killed; returns what was removed. Only
    for a folder no other process is writing into (a run being resumed)."""
    import re
    import shutil

    removed = []
    for entry in Path(folder).glob(".*"):  # .NAME.XXXXXXXX + NAME's suffixes (a file) or nothing (a folder)
        found = re.fullmatch(r"\.(.+)\.[a-z0-9_]{8}((?:\.[^.]+){0,2})", entry.name)
        if not found:
            continue
        if entry.is_dir() and not found.group(2):
            shutil.rmtree(entry)
        elif entry.is_file() and found.group(2) == "".join(Path(found.group(1)).suffixes[-2:]):
            entry.unlink()
        else:
            continue
        removed.append(entry)
    return removed


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


def keep_copy(path: str | Path, copy: str | Path) -> Path | None:
    """Make ``copy`` a hard link to ``path`` (a copy where links are not supported), replacing
    ``copy`` atomically; ``None`` when there is no ``path``. A release keeps the weights its config
    describes this way while new ones replace them."""
    import shutil

    path, copy = Path(path), Path(copy)
    if not path.is_file():
        return None
    with temporary_beside(copy) as tmp:
        tmp.unlink()
        try:
            os.link(path, tmp)
        except OSError:
            shutil.copyfile(path, tmp)
        os.replace(tmp, copy)
    return copy


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


def check_output_folder(path: str | Path, what: str = "output folder") -> Path:
    """``path`` if it is a folder, or can become one, in which files can be written; else a
    one-line :class:`UserError` that names the problem. Nothing is created or left behind: the
    nearest existing folder on the way is tried with a temporary file, removed at once."""
    path = Path(path)
    _check_names(path, what)
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        if existing == path:
            raise UserError(f"the {what} {path} is a file, not a folder: choose another")
        raise UserError(f"the {what} {path} cannot be created: {existing} is a file: choose another")
    try:
        fd, probe = tempfile.mkstemp(dir=existing, prefix=".write-check.")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UserError(f"the {what} {path} cannot be written ({existing}: {exc.strerror}): choose another") from None
    return path


def check_output_file(path: str | Path, overwrite: bool = False, option: str = "--out") -> Path:
    """``path`` if a new file can be written there (:func:`check_output_folder` for its folder);
    a file that exists is refused unless ``overwrite``, a folder always."""
    path = Path(path)
    _check_names(path, f"{option} file")
    if path.is_dir():
        raise UserError(f"{option} {path} is a folder: give a file name")
    if path.exists() and not overwrite:
        raise UserError(f"{option} {path} exists: choose another name, or pass --overwrite to replace it")
    check_output_folder(path.parent, f"folder of {option}")
    return path


def refuse_taken(folder: str | Path, names: Iterable[str], overwrite: bool, option: str) -> None:
    """A one-line :class:`UserError` when ``folder`` already holds any of ``names`` and
    ``overwrite`` was not given (``option`` is the flag that chose the folder)."""
    taken = [name for name in names if (Path(folder) / name).exists()]
    if taken and not overwrite:
        more = f" and {len(taken) - 1} more" if len(taken) > 1 else ""
        raise UserError(f"{folder} already holds {taken[0]}{more}: choose another {option}, or pass --overwrite to "
                        "replace them")


def _check_names(path: Path, what: str) -> None:
    long = next((part for part in path.parts if len(os.fsencode(part)) > NAME_MAX), None)
    if long is not None:
        raise UserError(f"the {what} {long[:24]}... has a name of {len(os.fsencode(long))} bytes; "
                        f"a name may have at most {NAME_MAX}")
