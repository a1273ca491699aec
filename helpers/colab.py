"""The notebooks' set-up cell: the project on Google Colab, and FER2013 wherever the user keeps it.

Every notebook's first code cell is the text of :func:`colab_cell`, written by
``python -m helpers.colab --write-cells`` from the repository address in ``pyproject.toml``
(``[project.urls] Repository``, the one place it is defined; a fork changes it there and runs the
command). On Colab the cell clones the project once per runtime and installs it with
:data:`COLAB_INSTALL`, which adds only what Colab lacks: Colab ships every runtime dependency, so
its TensorFlow, Keras, NumPy and Jupyter packages stay as they are. Everywhere, it then calls
:func:`require_fer2013`, which stops "Run all" with one line when the data are nowhere to be found.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers.data import DATA_DIR, REPO_ROOT, find_fer2013
from helpers.errors import DataNotFoundError
from helpers.files import write_text

COLAB_CLONE = "/content/expression-faces"
DRIVE_MOUNT = Path("/content/drive")
DRIVE_FOLDER_NAME = "MyDrive/expression-faces"  # one copy there serves every notebook
DRIVE_FOLDER = DRIVE_MOUNT / DRIVE_FOLDER_NAME
KAGGLE_DATASET = "deadskull7/fer2013"  # a Kaggle copy of the challenge's fer2013.csv
FILE_NAMES = ("fer2013.csv", "fer2013.csv.gz")
COLAB_INSTALL = ["-m", "pip", "install", "-q", "-e", "."]  # run with the notebook's own Python

CELL = '''\
# Set-up. On Colab: clone the project (once per runtime) and install it; Colab's TensorFlow, Keras
# and NumPy stay as they are. Everywhere: find FER2013, or stop here with where to put it.
import importlib.util, os, subprocess, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ info and warnings off, its errors on
if "google.colab" in sys.modules and importlib.util.find_spec("helpers") is None:
    REPOSITORY = "{url}"  # pyproject.toml [project.urls]
    if not os.path.isdir("{clone}"):
        subprocess.run(["git", "clone", "-q", REPOSITORY, "{clone}"], check=True)
    os.chdir("{clone}")
    subprocess.run([sys.executable, {install}], check=True)
    sys.path.insert(0, "{clone}")
from helpers.colab import require_fer2013
FER2013 = require_fer2013()  # $FER2013_PATH, Data/, Google Drive's MyDrive/expression-faces/, or Kaggle'''


class FER2013Missing(DataNotFoundError):
    """No FER2013 anywhere. Jupyter shows only the message (one line), not a traceback."""

    def _render_traceback_(self):
        return [f"FER2013 not found: {self}"]


def repository_url(pyproject: Path = REPO_ROOT / "pyproject.toml") -> str:
    import tomllib

    return tomllib.loads(pyproject.read_text())["project"]["urls"]["Repository"]


def colab_cell(url: str) -> str:
    """The first code cell of every notebook, for the repository at ``url``."""
    install = ", ".join(json.dumps(arg) for arg in COLAB_INSTALL)
    return CELL.format(url=url, clone=COLAB_CLONE, install=install)


def notebooks() -> list[Path]:
    return sorted((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def setup_cell_index(cells: list) -> int:
    """The index of a notebook's set-up cell: its first code cell."""
    return next(i for i, cell in enumerate(cells) if cell["cell_type"] == "code")


def write_cells(url: str | None = None) -> list[Path]:
    """Write :func:`colab_cell` into every notebook (outputs of that cell are cleared); returns
    the notebooks that changed."""
    source, changed = colab_cell(url or repository_url()), []
    for path in notebooks():
        nb = json.loads(path.read_text())
        cell = nb["cells"][setup_cell_index(nb["cells"])]
        if "".join(cell["source"]) != source:
            cell.update(source=source.splitlines(keepends=True), outputs=[], execution_count=None)
            write_text(path, json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
            changed.append(path)
    return changed


def in_colab() -> bool:
    return "google.colab" in sys.modules


def mount_drive() -> None:
    """Mount Google Drive at /content/drive (Colab asks for permission once per runtime)."""
    from google.colab import drive  # noqa: PLC0415  (exists on Colab only)

    if not (DRIVE_MOUNT / "MyDrive").is_dir():
        drive.mount(str(DRIVE_MOUNT))


def download_from_kaggle(credentials: Path, into: Path = DATA_DIR) -> Path:
    """Download FER2013 with the Kaggle command-line client (preinstalled on Colab), using the
    API token in ``credentials`` (kaggle.json)."""
    env = {**os.environ, "KAGGLE_CONFIG_DIR": str(credentials.parent)}
    into.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["kaggle", "datasets", "download", "-d", KAGGLE_DATASET, "-p", str(into), "--unzip"],
                          env=env, capture_output=True, text=True)
    target = into / FILE_NAMES[0]
    if done.returncode or not target.exists():
        reason = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no fer2013.csv in the download"]
        raise FER2013Missing(f"the Kaggle download of {KAGGLE_DATASET} failed ({reason[0]})")
    return target


def locate_fer2013(colab: bool | None = None, drive_folder: Path = DRIVE_FOLDER) -> Path | None:
    """FER2013 from, in order: ``$FER2013_PATH`` or ``Data/`` (:func:`helpers.data.find_fer2013`);
    on Colab, ``drive_folder`` on Google Drive (mounted on demand), then a Kaggle download when a
    kaggle.json is there, in ``~/.kaggle/`` or in ``/content/``. ``None`` when none has it."""
    if (found := find_fer2013()) is not None:
        return found
    if not (in_colab() if colab is None else colab):
        return None
    mount_drive()
    for name in FILE_NAMES:
        if (drive_folder / name).is_file():
            return drive_folder / name
    for credentials in (drive_folder / "kaggle.json", Path.home() / ".kaggle" / "kaggle.json", Path("/content/kaggle.json")):
        if credentials.is_file():
            return download_from_kaggle(credentials)
    return None


def missing_message(colab: bool) -> str:
    env = os.environ.get("FER2013_PATH")
    if env:
        return f"FER2013_PATH is {env}, which does not exist: point it at fer2013.csv[.gz], or unset it"
    if colab:
        return (f"put fer2013.csv (or .csv.gz) in Google Drive at {DRIVE_FOLDER_NAME}/ (every notebook finds it "
                "there), or upload it to expression-faces/Data/ in the Files pane, or put your kaggle.json in that "
                "Drive folder to download it; then run this cell again")
    return f"put fer2013.csv (or .csv.gz) in {DATA_DIR}/ or set FER2013_PATH to it (see Data/README.md)"


def require_fer2013(colab: bool | None = None, drive_folder: Path = DRIVE_FOLDER) -> Path:
    """:func:`locate_fer2013`, recorded in ``$FER2013_PATH`` so that every loader finds it; when
    nothing is found, :class:`FER2013Missing` with one line that says where to put the file."""
    colab = in_colab() if colab is None else colab
    path = locate_fer2013(colab, drive_folder)
    if path is None:
        raise FER2013Missing(missing_message(colab))
    os.environ["FER2013_PATH"] = str(path)
    return path


def main(argv=None):
    import argparse

    p = argparse.ArgumentParser(prog="python -m helpers.colab", description=__doc__.split("\n\n")[0])
    p.add_argument("--write-cells", action="store_true", required=True,
                   help="write the set-up cell, with the Repository address of pyproject.toml, into every notebook")
    p.parse_args(argv)
    changed = write_cells()
    print(f"{repository_url()}: {len(changed)} notebook(s) updated" + "".join(f"\n  {p.name}" for p in changed))


if __name__ == "__main__":
    from helpers.cli import run_cli

    run_cli(main)
