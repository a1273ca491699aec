"""Faces in photos: detection with a Haar cascade that ships inside OpenCV's wheel (nothing is
downloaded), and 48x48 grayscale crops in the layout the recognizers and translators take.

The cascade was chosen by measured recall (``python tools/detector_recall.py``, figures in
``docs/results.md``)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from helpers.errors import UserError

CASCADE = "haarcascade_frontalface_alt2.xml"
SCALE_FACTOR, MIN_NEIGHBORS = 1.05, 5  # finer scale steps find more faces; 5 neighbours keep false ones out
FACE_SIZE = 48
MARGIN = 0.1  # the crop grows by this fraction of the box on every side, as FER2013's faces show some forehead and chin


@dataclass
class Face:
    box: tuple[int, int, int, int]  # x, y, width, height in the photo's pixels
    crop: np.ndarray                # uint8 (48, 48, 1)


def read_photo(path: Path) -> np.ndarray:
    """The photo as uint8 RGB (H, W, 3); a :class:`~helpers.errors.DataError` naming the file and
    the reason when it cannot be read (:func:`helpers.data.images.open_image`)."""
    from helpers.data.images import open_image

    return np.asarray(open_image(path, "RGB"))


def cascade(name: str = CASCADE):
    import cv2

    path = Path(cv2.data.haarcascades) / name
    classifier = cv2.CascadeClassifier(str(path))
    if classifier.empty():
        raise UserError(f"OpenCV has no face detector {name} at {path}: pip install 'opencv-python-headless>=4.8,<5'")
    return classifier


def to_gray(image: np.ndarray) -> np.ndarray:
    """uint8 (H, W) from a grayscale, RGB or RGBA photo (ITU-R 601 luma, as PIL's "L")."""
    image = np.asarray(image)
    if image.ndim == 2 and image.dtype == np.uint8:
        return image
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim == 3:
        image = image[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32) + 0.5
    return np.clip(image, 0, 255).astype(np.uint8)


def detect_faces(image: np.ndarray, classifier=None, min_size: float = 0.05, scale_factor: float = SCALE_FACTOR,
                 detect_side: int | None = None) -> list[tuple[int, int, int, int]]:
    """Boxes ``(x, y, width, height)`` of the frontal faces in ``image``, largest first; faces
    smaller than ``min_size`` of the photo's shorter side (or 24 pixels) are ignored. With
    ``detect_side``, a larger image is searched at that shorter side and the boxes scaled back
    (video frames: a fraction of the time, for faces of at least about a tenth of the frame)."""
    import cv2

    gray = to_gray(image)
    scale = 1.0
    if detect_side and min(gray.shape) > detect_side:
        scale = min(gray.shape) / detect_side
        gray = cv2.resize(gray, (round(gray.shape[1] / scale), round(gray.shape[0] / scale)), interpolation=cv2.INTER_AREA)
    gray = cv2.equalizeHist(gray)
    side = max(24, int(min_size * min(gray.shape)))
    found = (classifier or cascade()).detectMultiScale(gray, scaleFactor=scale_factor, minNeighbors=MIN_NEIGHBORS,
                                                       minSize=(side, side))
    boxes = [tuple(int(round(v * scale)) for v in box) for box in (found if len(found) else [])]
    return sorted(boxes, key=lambda b: -b[2] * b[3])


def crop_face(gray: np.ndarray, box, margin: float = MARGIN) -> np.ndarray:
    """The face in ``box`` with ``margin`` around it (clipped at the photo's edges, padded with
    the edge pixels to stay square), resized to uint8 (48, 48, 1)."""
    from PIL import Image

    x, y, w, h = box
    pad = int(round(margin * max(w, h)))
    side = max(w, h) + 2 * pad
    cx, cy = x + w // 2, y + h // 2
    x0, y0 = cx - side // 2, cy - side // 2
    padded = np.pad(gray, side, mode="edge")
    square = padded[y0 + side:y0 + 2 * side, x0 + side:x0 + 2 * side]
    face = Image.fromarray(square).resize((FACE_SIZE, FACE_SIZE), Image.Resampling.BILINEAR)
    return np.asarray(face, np.uint8)[..., None]


def find_faces(image: np.ndarray, classifier=None, **search) -> list[Face]:
    """Every frontal face in ``image`` with its 48x48 crop, cut from the full image; ``search``
    goes to :func:`detect_faces` (``scale_factor``, ``detect_side``)."""
    gray = to_gray(image)
    return [Face(box, crop_face(gray, box)) for box in detect_faces(gray, classifier, **search)]
