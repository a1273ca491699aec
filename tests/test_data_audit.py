"""exact_duplicates on splits with planted repeats, leaks and label conflicts."""
import numpy as np

from helpers.data.audit import exact_duplicates


def _faces(*values):
    return np.stack([np.full((48, 48, 1), v, np.uint8) for v in values])


def test_planted_duplicates_are_counted_within_and_across_splits():
    splits = {
        "Training": (_faces(1, 2, 1, 3, 1), np.array([0, 1, 0, 2, 5])),  # face 1 three times, once relabelled
        "PublicTest": (_faces(2, 4, 4), np.array([1, 3, 3])),          # face 2 leaks from Training; 4 repeats
        "PrivateTest": (_faces(5, 3), np.array([6, 4])),                # face 3 leaks with another label
    }
    found = exact_duplicates(splits)
    assert found["within"] == {"Training": 2, "PublicTest": 1, "PrivateTest": 0}
    assert found["across"] == {"Training/PublicTest": 1, "Training/PrivateTest": 1, "PublicTest/PrivateTest": 0}
    assert found["label_conflicts"] == {"Training": 2, "Training/PrivateTest": 1}
    assert found["unique_images"] == 5 and found["total_images"] == 10
    assert found["pairs"][:2] == [("Training", 0, "Training", 2), ("Training", 0, "Training", 4)]
    assert ("Training", 1, "PublicTest", 0) in found["pairs"] and ("PublicTest", 1, "PublicTest", 2) in found["pairs"]


def test_distinct_faces_have_no_duplicates():
    found = exact_duplicates({"Training": (_faces(1, 2, 3), np.array([0, 1, 2]))})
    assert found["within"] == {"Training": 0} and found["pairs"] == [] and found["label_conflicts"] == {}
