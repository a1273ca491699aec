"""The notebooks' set-up cell: written from pyproject.toml, finds FER2013 where users keep it, and
stops "Run all" with one line when it is nowhere; papermill's -p SMOKE True selects smoke mode."""
import json
import os
import stat
import subprocess
import sys

import pytest

from helpers import colab
from helpers.colab import FER2013Missing, colab_cell, notebooks, repository_url, require_fer2013, setup_cell_index
from helpers.data import REPO_ROOT


@pytest.fixture
def no_data(monkeypatch, tmp_path):
    """No FER2013 in $FER2013_PATH or Data/, and a Drive folder of our own."""
    monkeypatch.delenv("FER2013_PATH", raising=False)
    monkeypatch.setattr(colab, "find_fer2013", lambda: None)
    monkeypatch.setattr(colab, "mount_drive", lambda: None)
    monkeypatch.setattr(colab.Path, "home", classmethod(lambda cls: tmp_path / "home"))
    drive = tmp_path / "MyDrive" / "expression-faces"
    drive.mkdir(parents=True)
    return drive


def test_every_notebook_starts_with_the_setup_cell_for_the_declared_repository():
    url = repository_url()
    assert url.startswith("https://") and f'"{url}"' in colab_cell(url)
    for path in notebooks():
        cells = json.loads(path.read_text())["cells"]
        assert "".join(cells[setup_cell_index(cells)]["source"]) == colab_cell(url), (
            f"{path.name}: run python -m helpers.colab --write-cells")


def test_setup_cell_installs_the_project_without_its_extras():
    assert colab.COLAB_INSTALL[-2:] == ["-e", "."]  # runtime dependencies only: Colab ships them all


def test_nothing_found_is_one_line_naming_where_to_put_the_file(no_data):
    with pytest.raises(FER2013Missing) as err:
        require_fer2013(colab=True, drive_folder=no_data)
    [line] = err.value._render_traceback_()
    assert line.startswith("FER2013 not found: ") and "MyDrive/expression-faces/" in line
    with pytest.raises(FER2013Missing, match="Data/"):
        require_fer2013(colab=False, drive_folder=no_data)


def test_a_wrong_fer2013_path_is_named(no_data, monkeypatch):
    monkeypatch.setenv("FER2013_PATH", "/nowhere/fer2013.csv")
    with pytest.raises(FER2013Missing, match="FER2013_PATH is /nowhere/fer2013.csv, which does not exist"):
        require_fer2013(colab=False, drive_folder=no_data)


def test_the_copy_on_drive_is_found_and_recorded_for_every_loader(no_data, monkeypatch):
    (no_data / "fer2013.csv.gz").write_bytes(b"")
    assert require_fer2013(colab=True, drive_folder=no_data) == no_data / "fer2013.csv.gz"
    assert os.environ["FER2013_PATH"] == str(no_data / "fer2013.csv.gz")


def test_kaggle_json_on_drive_is_used_when_no_csv_is_there(no_data, monkeypatch, tmp_path):
    (no_data / "kaggle.json").write_text("{}")
    monkeypatch.setattr(colab, "download_from_kaggle", lambda credentials: tmp_path / f"from {credentials.parent.name}.csv")
    assert require_fer2013(colab=True, drive_folder=no_data) == tmp_path / "from expression-faces.csv"


def test_kaggle_download_runs_the_kaggle_client(no_data, monkeypatch, tmp_path):
    """A stand-in for the kaggle client on PATH records its arguments and writes the CSV."""
    (no_data / "kaggle.json").write_text("{}")
    bin_dir, into = tmp_path / "bin", tmp_path / "Data"
    bin_dir.mkdir()
    fake = bin_dir / "kaggle"
    fake.write_text('#!/bin/sh\necho "$KAGGLE_CONFIG_DIR $@" > "$6/args.txt"\necho x > "$6/fer2013.csv"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    path = colab.download_from_kaggle(no_data / "kaggle.json", into)
    assert path == into / "fer2013.csv"
    args = (into / "args.txt").read_text().split()
    assert args[0] == str(no_data) and args[1:5] == ["datasets", "download", "-d", colab.KAGGLE_DATASET]


def test_setup_cell_stops_run_all_with_one_line_in_ipython(tmp_path):
    """The cell as a notebook runs it, in IPython, with no data anywhere: one line, no traceback."""
    code = ("from IPython.core.interactiveshell import InteractiveShell\n"
            "import json, sys\n"
            f"cells = json.load(open({str(notebooks()[0])!r}))['cells']\n"
            "from helpers.colab import setup_cell_index\n"
            "ok = InteractiveShell.instance().run_cell(''.join(cells[setup_cell_index(cells)]['source'])).success\n"
            "print('SUCCESS' if ok else 'STOPPED')\n")
    env = {**os.environ, "FER2013_PATH": str(tmp_path / "missing.csv"), "IPYTHONDIR": str(tmp_path / "ipython")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    shown = [line for line in (done.stdout + done.stderr).splitlines() if line.strip() and "STOPPED" not in line]
    assert "STOPPED" in done.stdout
    assert shown == [f"FER2013 not found: FER2013_PATH is {tmp_path / 'missing.csv'}, which does not exist: "
                     "point it at fer2013.csv[.gz], or unset it"]


@pytest.mark.slow
@pytest.mark.fer2013
def test_papermill_parameter_selects_smoke_mode(tmp_path):
    """`papermill -p SMOKE True` (and no SMOKE in the environment) runs the smoke configuration."""
    env = {key: value for key, value in os.environ.items() if key != "SMOKE"}
    out = tmp_path / "01.ipynb"
    done = subprocess.run([sys.executable, "-m", "papermill", "-p", "SMOKE", "True", "--cwd", str(REPO_ROOT / "notebooks"),
                           str(REPO_ROOT / "notebooks" / "01_data_preprocess.ipynb"), str(out)],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    printed = "".join("".join(o.get("text", "")) for c in json.loads(out.read_text())["cells"]
                      for o in c.get("outputs", []))
    assert "smoke mode: N_SYNTHETIC=70" in printed
