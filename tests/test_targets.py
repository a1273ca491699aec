"""The main command's targets (helpers.evaluation.targets): the maths against hand-worked figures,
and the evaluation of a shipped generator and translator under the judge."""
from __future__ import annotations

import math

import numpy as np
import pytest

from helpers.evaluation import targets

REAL = {"Angry": 0.5, "Happy": 0.9}


def seed_row(angry: float, happy: float, fid: float, pairwise: float = 10.0, distinct: float = 0.6) -> dict:
    return {"conditional_accuracy": {"Angry": angry, "Happy": happy}, "fid": fid, "pairwise_distance": pairwise,
            "distinct_neighbours": distinct}


def test_balanced_indices_draw_each_expression_apart_without_repeats():
    labels = np.array([0] * 5 + [1] * 3 + [2] * 4)
    picked = targets.balanced_indices(labels, 3, (2, 0, 1), seed=0)
    assert labels[picked].tolist() == [2, 2, 2, 0, 0, 0, 1, 1, 1] and len(set(picked)) == 9
    assert np.array_equal(picked, targets.balanced_indices(labels, 3, (2, 0, 1), seed=0))
    with pytest.raises(ValueError, match="only 3 faces of expression 1"):
        targets.balanced_indices(labels, 4, (1,), seed=0)


def test_the_worst_expression_of_the_worst_seed_decides():
    rows = [seed_row(0.45, 0.9, 20.0), seed_row(0.38, 0.95, 26.0, pairwise=9.0), seed_row(0.5, 0.72, 22.0, distinct=0.5)]
    s = targets.summarise(rows, REAL, fid_floors=[10.0, 12.0, 14.0])
    assert s["worst_ratio_per_expression"] == pytest.approx({"Angry": 0.76, "Happy": 0.8})
    assert s["weakest_expression"] == "Angry" and s["worst_ratio"] == pytest.approx(0.76)
    assert not s["meets_accuracy"]  # 0.76 < 0.8, although the mean ratio of every seed is above it
    assert s["fid_floor"] == pytest.approx(12.0) and s["fid_mean"] == pytest.approx(68 / 3)
    assert s["fid_ratio_worst"] == pytest.approx(26 / 12) and not s["meets_fid"]
    assert s["worst_macro_accuracy"] == pytest.approx(0.61)
    assert (s["pairwise_distance_worst"], s["distinct_neighbours_worst"]) == (9.0, 0.5)


def test_a_generator_that_meets_every_target():
    s = targets.summarise([seed_row(0.45, 0.75, 23.0)] * 3, REAL, fid_floors=[12.0])
    assert s["meets_accuracy"] and s["meets_fid"]  # 0.9 and 0.83 of the real accuracies; FID 23 <= 24


def test_an_expression_the_judge_never_recognises_on_real_faces_has_no_ratio():
    assert math.isnan(targets.accuracy_ratios({"Disgust": 0.3}, {"Disgust": 0.0})["Disgust"])


@pytest.fixture(scope="module")
def shipped_targets(fer2013):
    """The shipped DCGAN and CCycleGAN under the targets, two seeds of 20 faces per expression
    (skipped, with the reason, where FER2013 is not found)."""
    from helpers.evaluation.scores import TargetEvaluation

    evaluation = TargetEvaluation(split="PublicTest", seeds=(0, 1), per_expression=20, splits=fer2013)
    return [evaluation("checkpoints/dcgan_fer2013"), evaluation("checkpoints/ccyclegan_fer2013")]


@pytest.mark.slow
def test_shipped_models_are_scored_per_seed_under_the_judge(shipped_targets):
    from helpers.inference.judge import Judge

    for result in shipped_targets:
        assert result["judge"] == Judge().fingerprint and [r["seed"] for r in result["per_seed"]] == [0, 1]
        assert set(result["real_accuracy"]) == set(result["summary"]["worst_ratio_per_expression"])
        assert all(0.0 <= a <= 1.0 for r in result["per_seed"] for a in r["conditional_accuracy"].values())
        assert result["summary"]["fid_worst"] > 0 and len(result["fid_floors"]) == 2
        assert result["real_diversity"]["pairwise_distance"] > 0 and 0 < result["real_diversity"]["distinct_neighbours"] <= 1
    assert shipped_targets[0]["fid_floors"] == shipped_targets[1]["fid_floors"]  # the same real faces for both
    for result in shipped_targets:  # realism beside the targets: both face models, two feature spaces
        summary = result["realism"]["summary"]
        assert set(summary["faceness"]) == {"mtcnn", "dlib-hog"} and set(summary["precision_recall"]) == {"judge", "mtcnn"}
        assert all(0 < f["worst_ratio_overall"] < 2 for f in summary["faceness"].values())
    dcgan, ccyclegan = (r["realism"] for r in shipped_targets)
    assert dcgan["reference"] == "real Training faces" and ccyclegan["reference"] == "source faces"
    assert dcgan["reference_per_seed"] != ccyclegan["reference_per_seed"]  # a translator is read against its sources
    assert shipped_targets[0]["truncation"] == 1.5 and shipped_targets[1]["truncation"] is None  # the DCGAN's default


def test_a_truncation_overrides_the_generators_default():
    from helpers.evaluation.scores import TargetEvaluation
    from helpers.inference.generators import load_generator

    gen = load_generator("checkpoints/dcgan_fer2013")
    evaluation = object.__new__(TargetEvaluation)  # faces() needs no judge and no data
    evaluation.per_expression, evaluation.truncation = 4, 0.5
    faces, sources = evaluation.faces(gen, 3, seed=1)
    np.testing.assert_array_equal(faces, gen.generate(3, 4, seed=1003, truncation=0.5))
    assert sources is None  # a generator has none; a translator returns the faces it changed
    assert not np.array_equal(faces, gen.generate(3, 4, seed=1003))


@pytest.mark.slow
def test_the_side_by_side_table(shipped_targets):
    from helpers.evaluation.reports import format_targets

    table = format_targets(shipped_targets)
    assert "dcgan (dcgan_fer2013)" in table and "ccyclegan (ccyclegan_fer2013)" in table
    assert "2 seeds x 20 faces per expression vs PublicTest" in table
    assert "Disgust: worst ratio" in table and "faceness dlib-hog, worst" in table and "precision / recall, mtcnn" in table
    assert [line.split()[1:] for line in table.splitlines() if line.startswith("truncation")] == [["1.5", "-"]]
    untruncated = format_targets([{**shipped_targets[0], "truncation": None}, shipped_targets[1]])
    assert [line.split()[1:] for line in untruncated.splitlines() if line.startswith("truncation")] == [["none", "-"]]


@pytest.mark.slow
def test_the_results_as_a_frame(shipped_targets):
    from helpers.evaluation.reports import targets_frame

    frame = targets_frame(shipped_targets)
    assert list(frame.index) == ["dcgan_fer2013", "ccyclegan_fer2013"]
    for (_, row), result in zip(frame.iterrows(), shipped_targets):
        summary = result["summary"]
        assert row["weakest ratio"] == summary["worst_ratio"] == row[summary["weakest_expression"]]
        assert row["FID / floor"] == summary["fid_ratio_worst"] and row["epoch"] == result["epoch"]
        realism = result["realism"]["summary"]
        assert row["faceness mtcnn"] == realism["faceness"]["mtcnn"]["worst_ratio_overall"]
        assert row["recall judge"] == realism["precision_recall"]["judge"]["recall_worst"]


def test_a_folder_without_a_release_is_refused_before_anything_loads(tmp_path):
    from helpers.errors import UserError
    from helpers.evaluate import main

    with pytest.raises(UserError, match="no config.json"):
        main(["targets", "checkpoints/cwgan_fer2013", str(tmp_path)])


@pytest.mark.slow
def test_a_second_opinion_reads_the_faces_in_the_judges_place(fer2013):
    from helpers.evaluation.reports import format_targets
    from helpers.evaluation.scores import TargetEvaluation
    from helpers.inference.judge import JUDGE_FINGERPRINT, second_opinion

    reader = second_opinion("checkpoints/deep_emotion_fer2013.keras")
    x, y = fer2013["PublicTest"]
    splits = {"PublicTest": (x[:700], y[:700]), "Training": fer2013["Training"]}  # every expression, a fifth of the split
    result = TargetEvaluation(split="PublicTest", judge=reader, seeds=(0,), per_expression=10, splits=splits)(
        "checkpoints/sngan_fer2013")
    assert result["judge"] == reader.fingerprint != JUDGE_FINGERPRINT
    table = format_targets([result])
    assert f"(second opinion {reader.fingerprint})" in table and "the second opinion on real PublicTest faces" in table
    assert "judge" not in table


def test_the_judge_is_refused_as_its_own_second_opinion(run_python):
    done = run_python(["-m", "helpers.evaluate", "targets", "checkpoints/sngan_fer2013",
                       "--second-opinion", "checkpoints/judge/fer_judge_v1.keras"])
    assert done.returncode == 2 and "has the judge's weights" in done.stderr and not done.stdout


@pytest.mark.slow
def test_realism_side_by_side_with_real_faces_first(shipped_targets):
    from helpers.evaluation.reports import realism_frame

    frame = realism_frame(shipped_targets)
    assert list(frame.index) == ["real Training faces", "dcgan_fer2013", "ccyclegan_fer2013"]
    real, dcgan = frame.loc["real Training faces"], frame.loc["dcgan_fer2013"]
    faceness = shipped_targets[0]["realism"]["summary"]["faceness"]["dlib-hog"]
    assert real["dlib-hog accepted"] == faceness["reference_rate_mean"] and real["dlib-hog worst ratio"] == 1.0
    assert dcgan["dlib-hog accepted"] == faceness["rate_mean"] and dcgan["dlib-hog worst ratio"] == faceness["worst_ratio_overall"]
    assert frame.loc["ccyclegan_fer2013", "read against"] == "source faces"
