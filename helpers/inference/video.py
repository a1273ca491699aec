"""Expressions in video: every face in every frame read by a recognizer, faces followed from frame
to frame by the overlap of their boxes, and each face's probabilities averaged over its last few
frames, so that a label does not flicker with the noise of single frames.

Frames are read with OpenCV (``.mp4``, ``.avi``, ``.mov``, ``.mkv``, ``.m4v``, whatever its FFmpeg
decodes); :func:`read_video` yields them, :class:`FaceTracks` matches and smooths faces, and
:func:`recognize_video` puts the two together with the photo path's face finder and recognizer.
``python -m helpers.recognize clip.mp4 --out out/ --csv frames.csv`` is the command over it."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from helpers.errors import DataError
from helpers.expressions import EXPRESSIONS

VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".m4v"}
# A frame is searched for faces at this shorter side, in steps of this scale factor: about 4x
# faster than the photo settings on 640x480 frames (docs/results.md); a face missed in one frame
# keeps its track, and its smoothing, for the next ones
VIDEO_SEARCH = {"detect_side": 320, "scale_factor": 1.1}
MATCH_IOU = 0.3  # a face in a frame continues a face of an earlier frame when their boxes overlap this much
FORGET_AFTER = 5  # frames read without a face before its track ends


@dataclass
class VideoInfo:
    frames: int       # as the container says; 0 when it does not
    fps: float
    width: int
    height: int


def video_info(path: str | Path) -> VideoInfo:
    """The frame count, frame rate and size of a video file; a file that OpenCV cannot open, or
    whose first frame cannot be decoded, is a :class:`DataError` naming it."""
    import cv2

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: not a regular file")
    capture = cv2.VideoCapture(str(path))
    try:
        ok, frame = capture.read() if capture.isOpened() else (False, None)
        if not ok or frame is None:
            raise DataError(f"{path}: not a readable video (OpenCV could not decode a frame)")
        fps = capture.get(cv2.CAP_PROP_FPS)
        return VideoInfo(max(0, int(capture.get(cv2.CAP_PROP_FRAME_COUNT))), fps if 0 < fps < 1000 else 25.0,
                         frame.shape[1], frame.shape[0])
    finally:
        capture.release()


def read_video(path: str | Path, every: int = 1) -> Iterator[tuple[int, np.ndarray]]:
    """``(frame index, uint8 RGB frame)`` for one frame in ``every``, from the first; a stream that
    breaks off ends the iteration there (the frames before it are kept)."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    try:
        index = 0
        while True:
            if index % every == 0:
                ok, frame = capture.read()
                if not ok:
                    return
                yield index, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            elif not capture.grab():  # skipped frames are not decoded
                return
            index += 1
    finally:
        capture.release()


def box_iou(a, b) -> float:
    """Intersection over union of two ``(x, y, width, height)`` boxes."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = w * h
    return inter / (aw * ah + bw * bh - inter) if inter else 0.0


@dataclass
class _Track:
    id: int
    box: tuple
    history: deque
    missed: int = 0


@dataclass
class FaceTracks:
    """Faces followed across frames: :meth:`update` takes one frame's boxes and probabilities and
    returns, for each box, its track id and the mean of its probabilities over the last ``smooth``
    frames in which the track was seen. A box joins the unclaimed track of the previous frames
    that it overlaps most (IoU at least :data:`MATCH_IOU`), else starts a new one; a track unseen
    for :data:`FORGET_AFTER` frames read ends."""
    smooth: int = 1
    _tracks: list = field(default_factory=list)
    _next: int = 1

    def update(self, boxes: list, probabilities: np.ndarray) -> list[tuple[int, np.ndarray]]:
        pairs = sorted(((box_iou(box, t.box), i, k) for i, box in enumerate(boxes) for k, t in enumerate(self._tracks)),
                       reverse=True)
        owner, taken = {}, set()
        for iou, i, k in pairs:  # the best overlaps first, each box and each track once
            if iou >= MATCH_IOU and i not in owner and k not in taken:
                owner[i] = k
                taken.add(k)
        for k, track in enumerate(self._tracks):
            if k not in taken:
                track.missed += 1
        out = []
        for i, (box, probs) in enumerate(zip(boxes, probabilities)):
            if i in owner:
                track = self._tracks[owner[i]]
            else:
                track = _Track(self._next, box, deque(maxlen=self.smooth))
                self._tracks.append(track)
                self._next += 1
            track.box = box
            track.history.append(np.asarray(probs, np.float64))
            out.append((track.id, np.mean(track.history, axis=0)))
        self._tracks = [t for t in self._tracks if t.missed < FORGET_AFTER]
        return out


CSV_COLUMNS = ["frame", "time_s", "face", "x", "y", "width", "height", *EXPRESSIONS, "label"]


def recognize_video(path: str | Path, model, *, every: int = 1, smooth: int = 1, tta: str | None = None
                    ) -> Iterator[tuple[int, float, np.ndarray, list[dict]]]:
    """``(frame index, time in seconds, RGB frame, records)`` for one frame in ``every`` of the
    video at ``path``; each record is one face: ``face`` (its track id), ``box``, ``probabilities``
    (averaged over the track's last ``smooth`` frames read) and ``label``."""
    from helpers.data.faces import find_faces
    from helpers.inference.recognition import predict_proba

    fps = video_info(path).fps
    tracks = FaceTracks(smooth)
    for index, frame in read_video(path, every):
        faces = find_faces(frame, **VIDEO_SEARCH)
        crops = np.stack([f.crop for f in faces]) if faces else np.zeros((0, 48, 48, 1), np.uint8)
        probs = predict_proba(model, crops, tta=tta)
        records = []
        for face, (track, mean) in zip(faces, tracks.update([f.box for f in faces], probs)):
            records.append({"face": track, "box": list(face.box),
                            "probabilities": {name: round(float(p), 4) for name, p in zip(EXPRESSIONS, mean)},
                            "label": EXPRESSIONS[int(mean.argmax())]})
        yield index, index / fps, frame, records


def csv_rows(index: int, time_s: float, records: list[dict]) -> list[list]:
    """The CSV rows (:data:`CSV_COLUMNS`) of one frame's records."""
    return [[index, round(time_s, 3), r["face"], *r["box"], *(r["probabilities"][n] for n in EXPRESSIONS), r["label"]]
            for r in records]
