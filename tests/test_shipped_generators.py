"""The shipped generators still score what their metrics.json (and the README) say."""
import json

import pytest

from helpers.data import REPO_ROOT

NOTEBOOKS = {"cwgan_fer2013": "05_conditional_wgan.ipynb", "dcgan_fer2013": "07_dcgan_inception_score.ipynb",
             "sngan_fer2013": "08_projection_cgan.ipynb"}


def checked_outputs(notebook) -> str:
    """The stored text output of a notebook's ``# NBVAL_CHECK_OUTPUT`` cells."""
    cells = json.loads(notebook.read_text())["cells"]
    return "".join("".join(out.get("text", "")) for cell in cells
                   if cell["cell_type"] == "code" and "NBVAL_CHECK_OUTPUT" in "".join(cell["source"])
                   for out in cell["outputs"])


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_shipped_generator_record_is_what_its_notebook_checks(name):
    """nbval scores each shipped generator again in its notebook, on the whole of PrivateTest in
    smoke mode too, and compares the headline line with the stored one. This test ties that
    stored line to ``metrics.json`` (which the README quotes) and to the release's own config, so
    a change of weights, sampling, judge or metric code fails CI without scoring twice."""
    from helpers.evaluation.reports import generator_summary

    folder = REPO_ROOT / "checkpoints" / name
    record, config = (json.loads((folder / f).read_text()) for f in ("metrics.json", "config.json"))
    assert record["epoch"] == config["epoch"] and record["kind"] == config["kind"]
    assert record["truncation"] == config.get("truncation")  # measured with the release's default sampling
    assert record["split"] == "PrivateTest" and record["n"] == 3589
    assert generator_summary(record) in checked_outputs(REPO_ROOT / "notebooks" / NOTEBOOKS[name])


def test_shipped_synthetic_translator_record_is_what_notebook_06_checks():
    """Notebook 06 scores the translator trained on synthetic faces (its identity section) in
    smoke mode too; its checked output must show the numbers of the shipped ``metrics.json``."""
    from helpers.evaluation.reports import format_translator

    folder = REPO_ROOT / "checkpoints" / "ccyclegan_synthetic"
    record, config = (json.loads((folder / f).read_text()) for f in ("metrics.json", "config.json"))
    assert record["epoch"] == config["epoch"] and config["train_args"]["data"] == "synthetic"
    assert record["judge"] == "synthetic read-out" and record["sources"] == 700
    figures = format_translator(record).split("\n", 1)[1]  # the first line names the folder
    assert figures in checked_outputs(REPO_ROOT / "notebooks" / "06_ccyclegan.ipynb")


@pytest.mark.parametrize("name", ["cwgan_fer2013", "dcgan_fer2013", "ccyclegan_fer2013", "sngan_fer2013"])
def test_shipped_metrics_were_measured_by_the_frozen_judge(name):
    from helpers.inference.judge import JUDGE_FINGERPRINT

    metrics = REPO_ROOT / "checkpoints" / name / "metrics.json"
    kind = "translator" if name.startswith("ccyclegan") else "generator"
    assert json.loads(metrics.read_text()).get("judge") == JUDGE_FINGERPRINT, (
        f"{metrics} was measured by another network than the judge: re-run "
        f"python -m helpers.evaluate {kind} checkpoints/{name} --json {metrics.relative_to(REPO_ROOT)}")


@pytest.mark.parametrize("name", ["cwgan_fer2013", "dcgan_fer2013", "ccyclegan_fer2013", "ccyclegan_synthetic",
                                  "sngan_fer2013"])
def test_shipped_checkpoint_folder_is_at_most_10_mb_besides_its_litert_twin(name):
    folder = REPO_ROOT / "checkpoints" / name
    assert folder.is_dir(), f"{folder} is missing: the release must be committed"
    assert sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and f.suffix != ".tflite") <= 10_000_000
