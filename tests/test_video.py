"""Expressions in video: faces followed from frame to frame and smoothed, the command's annotated
video and CSV, and the videos it must refuse in one line."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from helpers.expressions import EXPRESSIONS
from helpers.inference.video import FORGET_AFTER, FaceTracks, box_iou


def _clip(path: Path, frames: list[np.ndarray], fps: float = 10.0) -> Path:
    import cv2

    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def _astronaut_frames(n: int) -> list[np.ndarray]:
    """The astronaut photo, panned a pixel a frame: a face that moves a little, as in a real clip."""
    import cv2
    from skimage import data

    photo = data.astronaut()
    return [cv2.resize(photo[i:i + 480, i:i + 480], (320, 320)) for i in range(n)]


def test_box_overlap_by_hand():
    assert box_iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert box_iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
    assert box_iou((0, 0, 10, 10), (20, 20, 5, 5)) == 0.0


def test_faces_are_followed_by_overlap_and_smoothed_over_their_last_frames():
    one_hot = np.eye(len(EXPRESSIONS))
    tracks = FaceTracks(smooth=2)
    assert [t for t, _ in tracks.update([(0, 0, 10, 10), (50, 50, 10, 10)], one_hot[[0, 1]])] == [1, 2]
    # the faces swap places in the list and move a little: each keeps its track; the mean is over 2 frames
    (second, mean2), (first, mean1) = tracks.update([(52, 51, 10, 10), (1, 0, 10, 10)], one_hot[[2, 0]])
    assert (first, second) == (1, 2)
    np.testing.assert_allclose(mean2, (one_hot[1] + one_hot[2]) / 2)
    np.testing.assert_allclose(mean1, one_hot[0])
    (_, mean2), _ = tracks.update([(53, 51, 10, 10), (1, 1, 10, 10)], one_hot[[3, 0]])
    np.testing.assert_allclose(mean2, (one_hot[2] + one_hot[3]) / 2)  # the oldest frame has left the window
    # a face far from every track starts a new one; tracks unseen for FORGET_AFTER frames end
    assert tracks.update([(200, 200, 10, 10)], one_hot[[4]])[0][0] == 3
    for _ in range(FORGET_AFTER):
        tracks.update([], np.zeros((0, len(EXPRESSIONS))))
    assert tracks.update([(0, 0, 10, 10)], one_hot[[5]])[0][0] == 4


def test_a_clip_gives_an_annotated_video_and_a_row_per_face_per_frame(tmp_path, run_python):
    import cv2

    clip = _clip(tmp_path / "clip.mp4", _astronaut_frames(12))
    done = run_python(["-m", "helpers.recognize", str(clip), "--out", str(tmp_path / "out"), "--csv",
                       str(tmp_path / "frames.csv"), "--every", "2", "--smooth", "3"])
    assert done.returncode == 0, done.stderr[-2000:]
    rows = list(csv.DictReader((tmp_path / "frames.csv").open()))
    first_face = [r for r in rows if r["face"] == "1"]
    assert [int(r["frame"]) for r in first_face] == [0, 2, 4, 6, 8, 10]
    assert [float(r["time_s"]) for r in first_face] == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert all(r["label"] == "Happy" for r in first_face)
    assert all(abs(sum(float(r[name]) for name in EXPRESSIONS) - 1) < 0.01 for r in rows)
    annotated = cv2.VideoCapture(str(tmp_path / "out" / "clip.mp4"))
    assert annotated.get(cv2.CAP_PROP_FRAME_COUNT) == 6 and annotated.get(cv2.CAP_PROP_FPS) == pytest.approx(5)
    ok, frame = annotated.read()
    assert ok and frame.shape == (320, 320, 3)
    assert "face readings in 6 frames (6 with a face)" in done.stdout and "frames/s" in done.stdout
    again = run_python(["-m", "helpers.recognize", str(clip), "--out", str(tmp_path / "out")])
    assert again.returncode == 2 and "--overwrite" in again.stderr  # the first run's video is kept


def test_a_clip_without_a_face_is_read_through_and_says_so(tmp_path, run_python):
    rng = np.random.default_rng(0)
    clip = _clip(tmp_path / "noise.avi", [rng.integers(0, 256, (96, 128, 3), dtype=np.uint8) for _ in range(5)])
    done = run_python(["-m", "helpers.recognize", str(clip), "--out", str(tmp_path / "out"), "--csv",
                       str(tmp_path / "frames.csv")])
    assert done.returncode == 0 and "0 face readings in 5 frames (0 with a face)" in done.stdout, done.stderr
    assert (tmp_path / "frames.csv").read_text().splitlines() == [",".join(
        ["frame", "time_s", "face", "x", "y", "width", "height", *EXPRESSIONS, "label"])]


@pytest.mark.parametrize("content", [b"", b"not a video at all" * 100, "half"], ids=["empty", "text", "cut in half"])
def test_a_video_that_cannot_be_read_is_one_line_and_nothing_is_written(tmp_path, run_python, content):
    clip = tmp_path / "broken.mp4"
    if content == "half":
        whole = _clip(tmp_path / "whole.mp4", _astronaut_frames(4)).read_bytes()
        content = whole[: len(whole) // 2]  # the index (moov) is at the end: without it nothing decodes
    clip.write_bytes(content)
    done = run_python(["-m", "helpers.recognize", str(clip), "--out", str(tmp_path / "out"), "--csv",
                       str(tmp_path / "frames.csv")])
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "not a readable video" in done.stderr, done.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "frames.csv").exists()


def test_video_options_belong_to_videos(tmp_path, run_python):
    from PIL import Image
    from skimage import data

    Image.fromarray(data.astronaut()).save(tmp_path / "a.png")
    done = run_python(["-m", "helpers.recognize", str(tmp_path / "a.png"), "--out", str(tmp_path / "out"), "--every", "2"])
    assert done.returncode == 2 and "are for a video" in done.stderr
    clip = _clip(tmp_path / "clip.mp4", _astronaut_frames(2))
    done = run_python(["-m", "helpers.recognize", str(clip), "--out", str(tmp_path / "out"), "--json", "x.json"])
    assert done.returncode == 2 and "--csv" in done.stderr and not (tmp_path / "out").exists()
