"""Every figure in the README's table of shipped models is the one its JSON record holds."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def percent(x: float, digits: int = 2) -> str:
    return f"{100 * x:.{digits}f}%"


def weakest(per_class: dict) -> str:
    name = min(per_class, key=per_class.get)
    return f"{name} {percent(per_class[name], 1)}"


def recognizer(record: str, protocol: str) -> list[str]:
    data = json.loads((ROOT / record).read_text())
    key = "privatetest" + (f"_{protocol}" if protocol else "")
    return [percent(data[f"{key}_accuracy"]), percent(data[f"{key}_macro_accuracy"]),
            weakest(data[f"{key}_per_class_accuracy"])]


def generator(folder: str) -> list[str]:
    data = json.loads((ROOT / folder / "metrics.json").read_text())
    return [percent(data["conditional_accuracy_macro"]), weakest(data["conditional_accuracy"])]


def translator(folder: str) -> list[str]:
    data = json.loads((ROOT / folder / "metrics.json").read_text())
    figures = [percent(data["target_accuracy_macro"]), weakest(data["target_accuracy"])]
    if "identity_error_mean" in data:
        return figures + [f"{data['identity_error_mean']:.3f}", f"{data['identity_error_chance_mean']:.3f}"]
    return figures + [percent(data["unchanged_target_accuracy_macro"])]


FIGURES = {
    "checkpoints/recognizer_fer2013.keras": lambda: recognizer("checkpoints/recognizer_fer2013.json", "shifts"),
    "checkpoints/deep_emotion_fer2013.keras": lambda: recognizer("checkpoints/deep_emotion_fer2013.json", "ten_crop"),
    "checkpoints/cwgan_fer2013": lambda: generator("checkpoints/cwgan_fer2013"),
    "checkpoints/dcgan_fer2013": lambda: generator("checkpoints/dcgan_fer2013"),
    "checkpoints/sngan_fer2013": lambda: generator("checkpoints/sngan_fer2013"),
    "checkpoints/ccyclegan_fer2013": lambda: translator("checkpoints/ccyclegan_fer2013"),
    "checkpoints/ccyclegan_synthetic": lambda: translator("checkpoints/ccyclegan_synthetic"),
    "checkpoints/judge/fer_judge_v1.keras": lambda: recognizer("checkpoints/judge/fer_judge_v1.json", ""),
}


def headline_rows() -> dict[str, str]:
    rows = re.findall(r"^\| `(checkpoints/[^`]+)` \|(.*)$", (ROOT / "README.md").read_text(), re.M)
    return dict(rows)


def test_the_table_lists_every_shipped_model_once():
    assert sorted(headline_rows()) == sorted(FIGURES)


@pytest.mark.parametrize("model", sorted(FIGURES))
def test_each_figure_matches_its_record(model):
    row = headline_rows()[model]
    missing = [figure for figure in FIGURES[model]() if figure not in row]
    assert not missing, f"README's row for {model} should say {', '.join(missing)} (from its JSON record): {row}"


@pytest.mark.parametrize("folder", ["checkpoints/cwgan_fer2013", "checkpoints/dcgan_fer2013", "checkpoints/ccyclegan_fer2013",
                                    "checkpoints/sngan_fer2013"])
def test_generator_figures_are_the_judges(folder):
    from helpers.inference.judge import JUDGE_FINGERPRINT

    assert json.loads((ROOT / folder / "metrics.json").read_text())["judge"] == JUDGE_FINGERPRINT


def test_the_readme_is_a_product_page():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 250 and len(text.split()) <= 2500
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
        if image.startswith("https://"):
            continue
        assert (ROOT / image).is_file(), f"the README shows {image}, which is not in the repository"
